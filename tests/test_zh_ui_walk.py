"""A Chinese reader's walk through the whole site in Debian's Chromium: home, database page,
the reports table searched, a report, its archived copy, the dashboard, the coverage matrix,
canned queries and the download. Every page answers without a server error, reads Chinese
first, and shows codes (coverage statuses, body levels, figure names) in words."""
import os
import re
import shutil
import sqlite3

import httpx
import pytest

from conftest import DatasetteServer

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not CHROMIUM and not os.environ.get("CI"), reason="chromium not installed")]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def walk(crawled_demo):
    from playwright.sync_api import sync_playwright

    _, db_path, archive, _ = crawled_demo
    server = DatasetteServer(db_path, archive)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        pg = browser.new_page(viewport={"width": 1280, "height": 900})
        errors = []
        pg.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 500 else None)
        pg.on("pageerror", lambda e: errors.append(f"script error: {e}"))
        yield pg, server, db_path, errors
        browser.close()
    server.stop()


def _visit(pg, errors, url, shot=None):
    errors.clear()
    response = pg.goto(url)
    assert response.status == 200, (url, response.status)
    pg.wait_for_load_state("networkidle")
    assert not errors, errors
    body = pg.inner_text("body")
    assert "首页" in pg.inner_text("p.crumbs") if pg.locator("p.crumbs").count() else True
    shots = os.environ.get("NIANBAO_SCREENSHOTS")
    if shot and shots:
        pg.screenshot(path=os.path.join(shots, f"walk-{shot}.png"), full_page=True)
    return body


def test_home_and_database_pages(walk):
    pg, server, _, errors = walk
    for url in (server.url + "/", server.url + "/nianbao"):
        body = _visit(pg, errors, url, "home" if url.endswith("/") else "database")
        assert "下载数据库" in body and "阅读" in body and "份报告" in body
        assert "许可" in body and "数据来源" in body           # Datasette's license line, Chinese first
        assert pg.locator("a.nianbao-download-full").count() == 1
        analysis = pg.locator("ul.nb-analysis a")
        assert analysis.all_inner_texts() == ["年报发布情况", "图表"]
        assert analysis.first.get_attribute("href") == "/-/nianbao/coverage"
        assert pg.locator("ul.nb-tables a").first.inner_text() == "年度报告"
        assert "由 Datasette 提供" in pg.inner_text("footer")
    # the analysis pages are also in the menu
    menu = [a.get_attribute("href") for a in pg.locator("details.nav-menu a").all()]
    assert "/-/nianbao/coverage" in menu and "/-/dashboards/nianbao-analysis" in menu
    # the download answers
    href = pg.locator("a.nianbao-download-full").get_attribute("href")
    r = httpx.get(server.url + href, timeout=30)
    assert r.status_code == 200 and r.content[:16] == b"SQLite format 3\x00"


@pytest.mark.parametrize("term", ["衡阳", "复议"])
def test_reports_search(walk, term):
    pg, server, _, errors = walk
    _visit(pg, errors, f"{server.url}/nianbao/reports?_search={term}", f"search-{term}")
    titles = pg.locator("table.rows-and-columns td.col-title").all_inner_texts()
    assert titles and all("报告" in t for t in titles)
    assert "每份年报一行" in pg.inner_text("body")


def test_report_and_archived_copy(walk):
    pg, server, db_path, errors = walk
    rid = sqlite3.connect(db_path).execute(
        "SELECT id FROM reports WHERE title LIKE '%衡阳市人民政府2014%'").fetchone()[0]
    body = _visit(pg, errors, f"{server.url}/nianbao/reports/{rid}", "report")
    assert "统计表" in body and "发布机关" in body
    link = pg.locator("table.nb-stats a.nb-fig").first
    href, figure = link.get_attribute("href"), link.inner_text().strip()
    assert href.startswith("/-/nianbao/capture/")
    body = _visit(pg, errors, server.url + href, "capture")
    assert "存档副本" in body and "原网址" in body
    assert pg.frame_locator("iframe").locator("#nianbao-mark").inner_text().strip() == figure


def test_dashboard_reads_chinese(walk):
    pg, server, _, errors = walk
    body = _visit(pg, errors, f"{server.url}/-/dashboards/nianbao-analysis", "dashboard")
    assert "年报分析" in body and "每年按时、逾期、未发布的机关数" in body
    pg.wait_for_selector("#chart-coverage-per-year svg")
    legend = pg.inner_text("#chart-coverage-per-year")
    assert "按时" in legend and "on_time" not in legend
    options = pg.locator("select#figure option").all_inner_texts()
    assert any(o.startswith("收到/新收政府信息公开申请数") for o in options), options
    assert pg.locator("select#figure").input_value() == "requests_received"   # the value stays the code
    assert pg.locator(".dashboard-filters input[type=submit]").get_attribute("value") == "应用 Apply"


def test_coverage_matrix_and_canned_queries(walk):
    pg, server, _, errors = walk
    body = _visit(pg, errors, f"{server.url}/-/nianbao/coverage", "coverage")
    assert "年报发布情况" in body and "按时" in body and "未发布" in body
    assert pg.locator("table.coverage-matrix td[data-status]").count() > 10
    body = _visit(pg, errors, f"{server.url}/nianbao/coverage_in_year?region=湖南省&year=2019", "coverage-in-year")
    assert "选择地区和年度" in body
    assert pg.locator("label[for=qp1]").inner_text() in ("地区 region", "年度 year")
    statuses = pg.locator("td.col-status").all_inner_texts()
    assert statuses and all(re.match(r"(按时|逾期|未发布|未到期|日期不详) ", s) for s in statuses), statuses
    levels = pg.locator("td.col-level").all_inner_texts()
    assert levels and all(re.match(r"[\u4e00-\u9fff]", s) for s in levels), levels
    body = _visit(pg, errors, f"{server.url}/nianbao/bodies_ranked?figure=requests_received", "bodies-ranked")
    assert "按指标给机关排名" in body
    assert pg.locator("table.rows-and-columns tbody tr").count() > 0
    body = _visit(pg, errors, f"{server.url}/nianbao/search_reports?q=复议", "search-query")
    assert pg.locator("td.col-snippet mark").count() > 0
    for table in ("bodies", "report_figures", "coverage", "crawl_runs", "figure_values"):
        body = _visit(pg, errors, f"{server.url}/nianbao/{table}", table)
        assert re.search(r"[\u4e00-\u9fff]", pg.inner_text("div.metadata-description") if pg.locator(
            "div.metadata-description").count() else body)
