"""Search at 100,000 reports: Datasette's search page and JSON API, beside a LIKE scan.

    .venv/bin/python bench/bench_search.py [--reports 100000] [--rounds 5]

The database (~4,100-character generated report texts, built once through extraction's
own writer and index, cached in /tmp/nianbao-bench: see bench/corpus100k.py) is served by
`nianbao serve` (the metadata, plugin and settings users get). Each query term is asked
`--rounds` times as
- the page:     /<db>/reports?_search=TERM   (HTML, with its year/template/body facets)
- the JSON API: /<db>/reports.json?_search=TERM
- the search view (bm25 relevance, snippets): /<db>/search_reports.json?q=TERM
and, as the baseline, the same question as a LIKE scan in sqlite3 (title or text
LIKE '%TERM%', newest 100 and the count), in the same run. p50/p95 over all requests; then
each term's slowest page or JSON request, and its first request after start (the warm-up,
not in the figures: a term ending in a lone character lists that character's terms once).
Terms range from a word in nearly every report (公开, 依申请公开) to a rare one (a body).
"""
from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpus100k  # noqa: E402

TERMS = ["公开", "依申请公开", "复议", "政府信息", "行政诉讼", "衡阳", "收费", "2019年", "复", "不予公开"]


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str) -> float:
    t0 = time.perf_counter()
    with urllib.request.urlopen(url, timeout=60) as r:
        r.read()
        assert r.status == 200
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reports", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=5)
    a, _ = ap.parse_known_args()
    db_path = corpus100k.database(a.reports)
    name = db_path.stem
    conn = sqlite3.connect(db_path)
    body = conn.execute("select body from reports where id = 4242").fetchone()[0]
    terms = TERMS + [body]
    port = free_port()
    warc = db_path.parent / "no-warc"
    proc = subprocess.Popen([sys.executable, "-m", "nianbao.cli", "serve", "--db", str(db_path), "--archive",
                             str(warc), "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}/{name}"
    try:
        # `nianbao serve` first writes the downloadable snapshots (full and slim copies of a
        # 2.4 GB file: minutes the first time, cached in snapshot/ beside the database after)
        deadline = time.time() + 1800
        while time.time() < deadline and proc.poll() is None:
            try:
                get(f"http://127.0.0.1:{port}/-/versions.json")
                break
            except Exception:
                time.sleep(0.5)
        hits, first = {}, {}
        for t in terms:  # warm up: the first request opens the file and reads the schema, and
            # a term ending in a lone character lists that character's index terms (kept after)
            first[t] = get(f"{base}/reports.json?_search={urllib.parse.quote(t)}&_size=1")
        page, api, view, like = [], [], [], []
        by_term = {t: [] for t in terms}
        for _ in range(a.rounds):
            for t in terms:
                q = urllib.parse.quote(t)
                page.append(get(f"{base}/reports?_search={q}"))
                api.append(get(f"{base}/reports.json?_search={q}"))
                by_term[t] += [page[-1], api[-1]]
                view.append(get(f"{base}/search_reports.json?q={q}"))
                t0 = time.perf_counter()
                pattern = f"%{t}%"
                conn.execute("select id, title, year from reports where title like ? or text like ? "
                             "order by year desc limit 100", [pattern, pattern]).fetchall()
                hits[t] = conn.execute("select count(*) from reports where title like ? or text like ?",
                                       [pattern, pattern]).fetchone()[0]
                like.append(time.perf_counter() - t0)
    finally:
        proc.terminate()
        proc.wait()
    n = conn.execute("select count(*) from reports").fetchone()[0]
    print(f"\nbench_search: {n:,} reports ({db_path.stat().st_size / 1e9:.2f} GB), {len(terms)} terms x {a.rounds} rounds, "
          f"{os.cpu_count()} cores")
    print("  hits per term: " + ", ".join(f"{t} {hits[t]:,}" for t in terms))
    print(f"  {'':48s} {'p50':>8s} {'p95':>8s}  target")
    for label, values, target in [
            ("reports?_search= page (HTML, facets)", page, "p95 <= 300 ms"),
            ("reports.json?_search= (JSON API)", api, "p95 <= 150 ms"),
            ("search_reports.json (bm25, snippets)", view, ""),
            ("baseline: LIKE scan in sqlite3 (top 100 + count)", like, "")]:
        print(f"  {label:48s} {pct(values, 50) * 1000:6.0f}ms {pct(values, 95) * 1000:6.0f}ms  {target}")
    print("  slowest page/JSON request per term: " + ", ".join(
        f"{t} {max(v) * 1000:.0f}ms" for t, v in sorted(by_term.items(), key=lambda kv: -max(kv[1]))[:5]))
    print("  first request per term after start (warm-up, not in the figures): " + ", ".join(
        f"{t} {v * 1000:.0f}ms" for t, v in first.items()))


if __name__ == "__main__":
    main()
