"""`nianbao extract` rebuilds every derived table from the archive alone, idempotently."""
import sqlite3

from conftest import run_cli

DERIVED = {
    "reports": "url, title, body, year, template, published, text, sha256, versions, metrics_count, checks_failed",
    "metric_values": "report_id, code, value, unit, raw, method, src_grid, src_row, src_col, src_offset, approximate",
    "harmonized": "report_id, name, value, method, approximate",
    "checks": "report_id, rule, ok, detail",
    "documents": "url, capture_id, is_report, title, reason, error",
}


def _dump(db_path):
    conn = sqlite3.connect(db_path)
    return {t: sorted(conn.execute(f"select {cols} from {t}").fetchall(), key=repr) for t, cols in DERIVED.items()}


def test_extract_twice_gives_the_same_tables_without_network(crawled_demo):
    portal, db_path, archive, _ = crawled_demo
    after_crawl = _dump(db_path)
    portal.stop()  # no network: the portal is gone
    out = run_cli("extract", "--db", db_path, "--archive", archive)
    assert "reports" in out.stdout
    first = _dump(db_path)
    run_cli("extract", "--db", db_path, "--archive", archive)
    second = _dump(db_path)
    assert first == second
    assert first["reports"] == after_crawl["reports"]  # the crawl's own extraction is the same code
    assert len(first["metric_values"]) > 500
    conn = sqlite3.connect(db_path)
    n = conn.execute("select count(*) from reports_fts where reports_fts match '\"衡阳\"'").fetchone()[0]
    assert n > 0  # the search index is rebuilt too
