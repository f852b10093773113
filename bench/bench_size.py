"""Bytes per report and per figure: a crawled demo portal and the 100,000-report database.

    .venv/bin/python bench/bench_size.py [--skip-100k]

Budget (issue 14): the whole file, indexes included, at most 2x the report text's bytes
(title + body + text, UTF-8) plus 100 bytes per figure (metrics + harmonized rows).
Sizes are pages in use (dbstat), after the WAL is checkpointed; the breakdown shows the
search index beside the text it indexes, and the figures with their indexes.
"""
from __future__ import annotations

import argparse
import json
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))


def crawl_demo(work: Path) -> Path:
    from conftest import FAST

    from nianbao.demo_portal.server import DEMO_SITE, start_portal

    portal = start_portal(DEMO_SITE)
    manifest = json.loads((ROOT / "nianbao" / "demo_portal" / "manifest.json").read_text("utf-8"))
    args = [sys.executable, "-m", "nianbao.cli", "crawl", "--db", str(work / "demo.db"), "--archive",
            str(work / "warc"), *FAST]
    for col in manifest["columns"]:
        args += ["--start-url", portal.url + col["path"]]
    try:
        subprocess.run(args, check=True, capture_output=True)
        # a full extract as users run it: rebuilt tables, search index merged into one b-tree
        subprocess.run([sys.executable, "-m", "nianbao.cli", "extract", "--db", str(work / "demo.db"),
                        "--archive", str(work / "warc")], check=True, capture_output=True)
    finally:
        portal.stop()
    return work / "demo.db"


def measure(db_path: Path) -> dict:
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    by_name = dict(conn.execute("SELECT name, sum(pgsize - unused) FROM dbstat GROUP BY name").fetchall())
    pages = dict(conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name").fetchall())
    total = sum(pages.values())
    text = conn.execute("SELECT sum(length(CAST(coalesce(title, '') AS BLOB)) + length(CAST(coalesce(body, '') AS BLOB))"
                        " + length(CAST(coalesce(text, '') AS BLOB))) FROM reports").fetchone()[0] or 0
    reports = conn.execute("SELECT count(*) FROM reports").fetchone()[0]
    figures = conn.execute("SELECT (SELECT count(*) FROM metrics) + (SELECT count(*) FROM harmonized)").fetchone()[0]

    def group(prefix_list):
        return sum(v for k, v in pages.items() if any(k == p or k.startswith(p + "_") or k.startswith("idx_" + p)
                                                       for p in prefix_list))
    return {"total": total, "text": text, "reports": reports, "figures": figures,
            "fts": sum(v for k, v in pages.items() if k.startswith("reports_fts")),
            "reports_table": pages.get("reports", 0) + sum(v for k, v in pages.items() if k.startswith("idx_reports_")),
            "figures_bytes": group(["metrics", "harmonized"]),
            "versions": group(["report_versions"]),
            "dictionary": group(["metric_codes", "harmonized_names"]) + sum(
                v for k, v in pages.items() if k.startswith("sqlite_autoindex_metric_codes")
                or k.startswith("sqlite_autoindex_harmonized_names")),
            "archive_index": group(["captures", "crawl_runs", "fetch_errors", "source_runs"]),
            "used": sum(by_name.values())}


def show(label: str, m: dict) -> None:
    budget = 2 * m["text"] + 100 * m["figures"]
    print(f"  {label}: {m['reports']:,} reports, {m['figures']:,} figures, file {m['total'] / 1e6:,.1f} MB "
          f"for {m['text'] / 1e6:,.1f} MB of report text")
    print(f"    per report {m['total'] / max(1, m['reports']) / 1024:,.1f} KiB (text {m['text'] / max(1, m['reports']) / 1024:,.1f} KiB;"
          f" reports table {m['reports_table'] / max(1, m['reports']) / 1024:,.1f}, search index "
          f"{m['fts'] / max(1, m['reports']) / 1024:,.1f}, versions {m['versions'] / max(1, m['reports']):,.0f} B)")
    print(f"    fixed and archive parts: code dictionary {m['dictionary'] / 1e3:,.0f} kB, archive index (captures...) "
          f"{m['archive_index'] / 1e3:,.0f} kB; {len_note(m)}")
    if m["figures"]:
        print(f"    per figure {m['figures_bytes'] / m['figures']:,.0f} B (metrics + harmonized rows with their indexes)")
    print(f"    budget 2 x text + 100 B x figures = {budget / 1e6:,.1f} MB: file is {m['total'] / budget:.2f} of it "
          f"({'within' if m['total'] <= budget else 'OVER'})")


def len_note(m: dict) -> str:
    without = m["total"] - m["dictionary"] - m["archive_index"]
    budget = 2 * m["text"] + 100 * m["figures"]
    return f"without them {without / budget:.2f} of the budget"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--skip-100k", action="store_true")
    a, _ = ap.parse_known_args()
    print("\nbench_size: bytes per report and per figure")
    with tempfile.TemporaryDirectory(prefix="nianbao-size-") as tmp:
        show("crawled demo portal", measure(crawl_demo(Path(tmp))))
    if not a.skip_100k:
        import corpus100k

        show("100,000 generated reports (bench/corpus100k.py)", measure(corpus100k.database()))


if __name__ == "__main__":
    main()
