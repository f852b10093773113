"""A person's view: Debian's Chromium drives the Datasette UI over HTTP."""
import sqlite3

import pytest

from conftest import CHROMIUM, CHROMIUM_ARGS, DatasetteServer

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not CHROMIUM and not __import__("os").environ.get("CI"),
                                 reason="chromium not installed (./run tests installs it)")]


@pytest.fixture(scope="module")
def page(crawled_demo):
    from playwright.sync_api import sync_playwright

    _, db_path, archive, _ = crawled_demo
    server = DatasetteServer(db_path, archive)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        pg = browser.new_page()
        yield pg, server, db_path
        browser.close()
    server.stop()


def test_search_box_finds_two_character_term(page, tmp_path):
    pg, server, db_path = page
    pg.goto(f"{server.url}/nianbao/reports")
    pg.fill("input#_search", "复议")
    pg.press("input#_search", "Enter")
    pg.wait_for_load_state("networkidle")
    assert "_search=" in pg.url
    titles = pg.locator("table.rows-and-columns td.col-title").all_inner_texts()
    conn = sqlite3.connect(db_path)
    expected = {t for t, text in conn.execute("select title, text from reports") if "复议" in (text or "") + (t or "")}
    assert set(titles) == expected and titles
    pg.screenshot(path=str(tmp_path / "search.png"), full_page=True)
    import os
    if os.environ.get("NIANBAO_SCREENSHOTS"):
        pg.screenshot(path=os.environ["NIANBAO_SCREENSHOTS"] + "/search.png")


def test_report_page_shows_metrics_link_and_facets(page):
    pg, server, db_path = page
    pg.goto(f"{server.url}/nianbao/reports")
    body = pg.inner_text("body")
    assert "year" in body and "template" in body  # facets from metadata.json
    assert "gk2021" in body
    pg.goto(f"{server.url}/nianbao/checks?ok=0")
    assert pg.locator("h1").inner_text().strip() == "一致性检查 checks"  # the Chinese title, the table name beside it
