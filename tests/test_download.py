"""The database download: `nianbao snapshot` (full and --slim) and the link on the home and
database pages, on a database made by a real crawl, served by a real Datasette, in Chromium."""
from __future__ import annotations

import hashlib
import os
import re
import sqlite3

import httpx
import pytest

from conftest import CHROMIUM, CHROMIUM_ARGS, DatasetteServer, run_cli



def _sha(path) -> str:
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def _count(path, sql):
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchone()[0]
    finally:
        conn.close()


def test_snapshot_prints_its_sha256(crawled_demo, tmp_path):
    _, db_path, _, _ = crawled_demo
    out = tmp_path / "full.db"
    result = run_cli("snapshot", out, "--db", db_path)
    printed = re.search(r"SHA-256 ([0-9a-f]{64})", result.stdout)
    assert printed and printed.group(1) == _sha(out)
    assert _count(out, "select count(*) from reports") == _count(db_path, "select count(*) from reports") > 0


def test_slim_snapshot_is_smaller_and_has_no_texts(crawled_demo, tmp_path):
    _, db_path, _, _ = crawled_demo
    full, slim = tmp_path / "full.db", tmp_path / "slim.db"
    run_cli("snapshot", full, "--db", db_path)
    result = run_cli("snapshot", "--slim", slim, "--db", db_path)
    assert re.search(r"SHA-256 ([0-9a-f]{64})", result.stdout).group(1) == _sha(slim)
    assert slim.stat().st_size < full.stat().st_size * 0.8
    assert _count(full, "select count(*) from reports where length(text) > 0") > 0
    assert _count(slim, "select count(*) from reports where text is not null") == 0
    # report_versions keeps no text since the lean schema; an older database's column is emptied
    if "text" in {r[1] for r in sqlite3.connect(slim).execute("PRAGMA table_info(report_versions)")}:
        assert _count(slim, "select count(*) from report_versions where text is not null") == 0
    assert _count(slim, "select count(*) from sqlite_master where name like 'reports_fts%'") == 0
    for table in ("reports", "metrics", "harmonized", "checks", "captures"):
        sql = f"select count(*) from {table}"
        assert _count(slim, sql) == _count(db_path, sql), table
    assert _count(slim, "pragma integrity_check") == "ok"


@pytest.fixture(scope="module")
def served(crawled_demo):
    _, db_path, archive, _ = crawled_demo
    server = DatasetteServer(db_path, archive)
    yield server, db_path
    server.stop()


def test_datasette_itself_still_refuses_the_live_file(served):
    server, _ = served  # why the snapshot exists: a mutable database is not downloadable
    assert httpx.get(server.url + "/nianbao.db", timeout=30).status_code == 403


def test_snapshot_route_serves_a_consistent_copy(served, tmp_path):
    server, db_path = served
    home = httpx.get(server.url + "/", timeout=30).text
    url = re.search(r'href="(/-/nianbao/download/nianbao\.db)"', home).group(1)
    r = httpx.get(server.url + url, timeout=30)
    assert r.status_code == 200 and r.headers["x-content-type-options"] == "nosniff"
    assert 'filename="nianbao.db"' in r.headers["content-disposition"]
    got = tmp_path / "got.db"
    got.write_bytes(r.content)
    assert hashlib.sha256(r.content).hexdigest() == r.headers["x-nianbao-sha256"]
    assert r.headers["x-nianbao-sha256"] in home  # the page shows the SHA-256 of what it serves
    assert _count(got, "select count(*) from reports") == _count(db_path, "select count(*) from reports")
    for bad in ("/-/nianbao/download/other.db", "/-/nianbao/download/..%2Fnianbao.db",
                "/-/nianbao/download/snapshot.json"):
        assert httpx.get(server.url + bad, timeout=30, follow_redirects=True).status_code == 404, bad


@pytest.mark.skipif(not CHROMIUM and not os.environ.get("CI"), reason="chromium not installed")
def test_download_link_on_home_and_database_pages(served, tmp_path):
    from playwright.sync_api import sync_playwright

    server, db_path = served
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(accept_downloads=True)
            for path in ("/", "/nianbao"):
                page.goto(server.url + path)
                box = page.locator(".nianbao-download")
                text = box.inner_text()
                assert "下载数据库" in text and "SHA-256" in text
                shown_sha = box.locator("code.nianbao-sha256").inner_text().strip()
                with page.expect_download() as dl:
                    box.locator("a.nianbao-download-full").click()
                saved = tmp_path / f"download{len(path)}.db"
                dl.value.save_as(saved)
                assert dl.value.suggested_filename == "nianbao.db"
                assert _sha(saved) == shown_sha
                conn = sqlite3.connect(saved)  # the file sqlite3 opens, with the same reports
                assert conn.execute("select count(*) from reports").fetchone()[0] == \
                    _count(db_path, "select count(*) from reports") > 0
                conn.close()
                if path == "/" and os.environ.get("NIANBAO_SCREENSHOTS"):
                    page.screenshot(path=os.environ["NIANBAO_SCREENSHOTS"] + "/home-download.png", full_page=True)
        finally:
            browser.close()


def test_snapshot_follows_the_database(crawled_demo, tmp_path, monkeypatch):
    """A crawl that adds a report while Datasette runs: the next download has it."""
    import time

    _, db_path, archive, _ = crawled_demo
    copy = tmp_path / "nianbao.db"
    src, dst = sqlite3.connect(db_path), sqlite3.connect(copy)
    src.backup(dst)
    src.close()
    dst.execute("PRAGMA journal_mode=WAL")
    dst.close()
    monkeypatch.setenv("NIANBAO_SNAPSHOT_REFRESH", "0")
    server = DatasetteServer(copy, archive)
    try:
        def shown():
            home = httpx.get(server.url + "/", timeout=30).text
            return re.search(r'class="nianbao-sha256">([0-9a-f]{64})<', home).group(1)

        before = shown()
        n = _count(copy, "select count(*) from reports")
        conn = sqlite3.connect(copy)
        conn.execute("insert into reports (url, title) values ('http://x.test/new.html', '新报告')")
        conn.commit()
        conn.close()
        deadline = time.time() + 30
        while shown() == before:
            assert time.time() < deadline, "snapshot not refreshed"
            time.sleep(0.5)
        got = tmp_path / "got.db"
        got.write_bytes(httpx.get(server.url + "/-/nianbao/download/nianbao.db", timeout=30).content)
        assert _count(got, "select count(*) from reports") == n + 1
    finally:
        server.stop()
