"""A real Scrapy crawl over HTTP of the demo portal -> WARC + SQLite."""
import sqlite3
from urllib.parse import urlparse

from nianbao.archive.store import Archive
from nianbao.db import connect


def _reports(db_path):
    conn = sqlite3.connect(db_path)
    conn.row_factory = sqlite3.Row
    return {urlparse(r["url"]).path: dict(r) for r in conn.execute("select * from reports")}


def test_every_report_found_with_body_year_template(crawled_demo, demo_manifest):
    portal, db_path, _, out = crawled_demo
    reports = _reports(db_path)
    forbidden = tuple(demo_manifest["robots_disallow"])
    expected = [p for p in demo_manifest["pages"] if p.get("is_report") and p.get("status", 200) == 200
                and p.get("kind") == "detail" and not p["path"].startswith(forbidden)]
    assert len(expected) >= 10
    for page in expected:
        got = reports.get(page["path"])
        assert got is not None, f"report {page['path']} ({page['title']}) missing"
        assert got["title"] == page["title"]
        assert got["body"] == page["body"], page["path"]
        assert got["year"] == page["year"], page["path"]
        assert got["template"] == page["template"], page["path"]
        if page.get("published"):
            assert got["published"] == page["published"]
    assert "reports" in out.stdout and "new" in out.stdout  # the run summary


def test_non_reports_are_not_reports(crawled_demo, demo_manifest):
    _, db_path, _, _ = crawled_demo
    reports = _reports(db_path)
    negatives = [p for p in demo_manifest["pages"] if p.get("is_report") is False and p.get("kind") == "detail"]
    assert len(negatives) >= 4
    for page in negatives:
        assert page["path"] not in reports, f"{page['title']} taken for a report"
    conn = sqlite3.connect(db_path)
    fetched_negatives = conn.execute("select count(*) from documents where is_report = 0 and kind = 'detail'").fetchone()[0]
    assert fetched_negatives >= 4  # they were looked at, and said no to


def test_gbk_page_reads_right(crawled_demo, demo_manifest):
    _, db_path, _, _ = crawled_demo
    gbk = [p for p in demo_manifest["pages"] if p.get("charset") == "gbk" and p.get("is_report")]
    assert gbk, "the demo portal has a GBK report page"
    reports = _reports(db_path)
    for page in gbk:
        got = reports[page["path"]]
        assert got["title"] == page["title"]
        assert "政府信息公开" in got["text"]
        assert "\ufffd" not in got["text"]


def test_robots_forbidden_path_never_requested(crawled_demo, demo_manifest):
    portal, db_path, _, _ = crawled_demo
    paths = portal.requests.paths()
    assert "/robots.txt" in paths
    for prefix in demo_manifest["robots_disallow"]:
        assert not [p for p in paths if p.startswith(prefix)], f"{prefix} was requested despite robots.txt"
    conn = sqlite3.connect(db_path)
    hosts = {urlparse(u).hostname for (u,) in conn.execute("select url from captures")}
    assert hosts == {"127.0.0.1"}, "the crawl left the portal's host"


def test_every_response_archived_and_readable(crawled_demo):
    portal, db_path, archive_dir, _ = crawled_demo
    db = connect(db_path)
    archive = Archive(db, archive_dir)
    rows = list(db.query("select id, url, status, sha256, record_type from captures"))
    statuses = {r["status"] for r in rows}
    assert 200 in statuses and 404 in statuses  # error responses are archived too
    import hashlib

    for r in rows:
        stored = archive.read(r["id"])
        assert stored.url == r["url"]
    # bodies are stored once: as many response records as distinct payloads
    distinct = db.execute("select count(distinct sha256) from captures").fetchone()[0]
    responses = db.execute("select count(*) from captures where record_type = 'response'").fetchone()[0]
    assert responses == distinct
    # and the bytes are what the server sent for a page
    page = next(r for r in rows if r["status"] == 200 and r["url"].endswith(".html"))
    import urllib.request

    live = urllib.request.urlopen(page["url"]).read()
    assert hashlib.sha256(live).hexdigest() == page["sha256"]


def test_recrawl_uses_conditional_requests(crawled_demo, tmp_path):
    """A second run re-reads list pages but gets 304 for unchanged detail pages."""
    from conftest import FAST, run_cli

    portal, db_path, archive_dir, first = crawled_demo
    conn = sqlite3.connect(db_path)
    first_bytes = conn.execute("select sum(content_length) from captures where crawl_run_id = 1").fetchone()[0]
    start = conn.execute("select start_urls from crawl_runs where id = 1").fetchone()[0]
    import json

    args = ["crawl", "--db", db_path, "--archive", archive_dir, *FAST]
    for u in json.loads(start):
        args += ["--start-url", u]
    out = run_cli(*args)
    assert "0 new, 0 updated" in out.stdout
    second_bytes = conn.execute("select sum(content_length) from captures where crawl_run_id = 2").fetchone()[0]
    assert second_bytes <= 0.1 * first_bytes
    assert conn.execute("select count(*) from captures where crawl_run_id = 2 and status = 304").fetchone()[0] >= 5
    assert conn.execute("select count(*) from report_versions").fetchone()[0] == \
        conn.execute("select count(*) from reports").fetchone()[0]
