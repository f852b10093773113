"""A Chinese reader's walk through the whole site in Debian's Chromium: home, database page,
the reports table searched, a report, its archived copy, the dashboard, the coverage matrix,
canned queries and the download. Every page answers without a server error, reads Chinese
first, and shows codes (coverage statuses, body levels, figure names) in words. Table pages
carry their Chinese titles, facets name codes in words (the code beside them), Datasette's
own English (row counts, filters, export, paging, the column menu) is gone from the pages a
reader meets, and every link of the report page, the archived copy and the coverage matrix
answers, also when the database is not the first one Datasette serves."""
import os
import re
import sqlite3

import httpx
import pytest

from conftest import CHROMIUM, CHROMIUM_ARGS, DatasetteServer

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not CHROMIUM and not os.environ.get("CI"), reason="chromium not installed")]


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


# Datasette's own English that a reader met on the table and query pages before they had
# Nianbao's templates (publish/templates/table.html, query.html, _facet_results.html …)
DATASETTE_ENGLISH = ("Suggested facets", "Advanced export", "View and edit SQL", "Next page", "This data as",
                     "Custom SQL query", "Query parameters", "- column -", "Search:", "0 records", "0 results",
                     "JSON shape", "CSV options", "Export CSV", "Format SQL", "Edit SQL", "hidden table")
COUNT_IN_ENGLISH = re.compile(r"\d rows?\b|\brows in\b|\d+ results?\b")


def _english_left(pg) -> list[str]:
    body = pg.inner_text("body")
    found = [s for s in DATASETTE_ENGLISH if s in body] + COUNT_IN_ENGLISH.findall(body)
    buttons = pg.locator("form input[type=submit]").evaluate_all("bs => bs.map(b => b.value)")
    return found + [b for b in buttons if not re.search(r"[\u4e00-\u9fff]", b)]


@pytest.mark.parametrize("path, title", [
    ("/nianbao/reports", "年度报告"), ("/nianbao/reports?_search=衡阳", "年度报告"),
    ("/nianbao/metrics", "统计数字"), ("/nianbao/coverage", "按时发布情况"), ("/nianbao/documents", "抓取到的文件"),
    ("/nianbao/report_figures", "各报告主要数字"), ("/nianbao/checks?ok=0", "一致性检查"), ("/nianbao/bodies", "发布机关")])
def test_table_pages_read_chinese(walk, path, title):
    pg, server, _, errors = walk
    _visit(pg, errors, server.url + path, "table-" + path.strip("/").replace("/", "-").replace("?", "-"))
    table = path.split("/")[2].split("?")[0]
    heading = pg.locator("h1").inner_text().strip()
    assert heading.startswith(f"{title} {table}"), heading      # not the bare table name
    assert title in pg.title()
    assert not _english_left(pg), _english_left(pg)
    assert re.match(r"共 [\d,]+ 行", pg.inner_text("h3.nb-count-line"))
    # column headings: Chinese name first where there is one, the column's own name beside it
    assert any(re.match(r"[\u4e00-\u9fff]", t) for t in pg.locator("table.rows-and-columns th").all_inner_texts())


@pytest.mark.parametrize("path", ["/", "/nianbao", "/nianbao/coverage_in_year?region=湖南省&year=2019",
                                  "/nianbao/search_reports?q=复议", "/nianbao?sql=select+id,+title+from+reports"])
def test_home_and_query_pages_leave_no_datasette_english(walk, path):
    pg, server, _, errors = walk
    _visit(pg, errors, server.url + path)
    assert not _english_left(pg), _english_left(pg)


def test_facets_show_codes_in_words(walk):
    pg, server, _, errors = walk
    _visit(pg, errors, f"{server.url}/nianbao/reports", "facets-reports")
    assert pg.locator("#facet-template strong").inner_text().startswith("统计表格式")
    values = pg.locator("#facet-template li.nb-facet-value")
    assert values.count() >= 3
    for i in range(values.count()):
        item = values.nth(i)
        code = item.get_attribute("data-value")
        link = item.locator("a").first
        assert re.match(r"[\u4e00-\u9fff\d]", link.inner_text()) and code not in link.inner_text(), link.inner_text()
        assert link.get_attribute("title") == code and code in item.inner_text()   # the code stays, beside and on hover
    # choosing a value filters by its code and says so in words
    pg.locator('#facet-template li[data-value="gk2019"] a').first.click()
    pg.wait_for_load_state("networkidle")
    assert "template=gk2019" in pg.url
    assert "统计表格式等于「2019 年版全国格式」" in pg.inner_text("h3.nb-count-line")
    assert all("gk2019" in t for t in pg.locator("td.col-template").all_inner_texts())
    assert all(t.startswith("2019 年版全国格式") for t in pg.locator("td.col-template").all_inner_texts())

    for path, facet, words in [("/nianbao/documents?_facet=doc_type", "doc_type", {"更正说明", "年度报告"}),
                               ("/nianbao/coverage", "status", {"按时", "未发布"}),
                               ("/nianbao/bodies", "level", {"县级", "部门"}),
                               ("/nianbao/metrics", "method", {"网页或附件中的表格"}),
                               ("/nianbao/documents", "is_report", {"是年报", "不是年报"})]:
        _visit(pg, errors, server.url + path)
        shown = set(pg.locator(f"#facet-{facet} li.nb-facet-value a").all_inner_texts())
        assert words <= shown, (path, shown)


def test_column_menu_reads_chinese(walk):
    pg, server, _, errors = walk
    _visit(pg, errors, f"{server.url}/nianbao/reports")
    pg.locator("th.col-year svg.dropdown-menu-icon").click()
    pg.wait_for_function("() => document.querySelector('.dropdown-menu p.dropdown-column-type')"
                         ".textContent.startsWith('类型')", timeout=5000)
    menu = pg.locator("div.dropdown-menu:visible").inner_text()
    assert "升序排列" in menu and "Sort ascending" not in menu
    assert "类型：INTEGER" in menu and "Type:" not in menu


def _links(pg) -> set[str]:
    hrefs = set(pg.eval_on_selector_all("a[href]", "as => as.map(a => a.href)"))
    for frame in pg.frames[1:]:
        hrefs |= set(frame.eval_on_selector_all("a[href]", "as => as.map(a => a.href)"))
    return {h.split("#")[0] for h in hrefs}


def _check_links(pg, origin: str) -> int:
    """Every link of the page to this server answers (each archived-copy page once per capture)."""
    seen, checked = set(), 0
    with httpx.Client(timeout=60) as client:
        for href in sorted(_links(pg)):
            if not href.startswith(origin):
                continue
            key = re.sub(r"(/-/nianbao/capture/\d+)\?(db=[^&]*)?.*", r"\1?\2", href)
            if key in seen:
                continue
            seen.add(key)
            status = client.get(href).status_code
            assert status < 400, (status, href, pg.url)
            checked += 1
    return checked


def test_every_link_answers(walk):
    pg, server, db_path, errors = walk
    rid = sqlite3.connect(db_path).execute(
        "SELECT id FROM reports WHERE title LIKE '%衡阳市人民政府2014%'").fetchone()[0]
    for path in (f"/nianbao/reports/{rid}", "/-/nianbao/coverage", "/"):
        _visit(pg, errors, server.url + path)
        assert _check_links(pg, server.url) > 5
    _visit(pg, errors, server.url + f"/nianbao/reports/{rid}")
    pg.locator("table.nb-stats a.nb-fig").first.click()
    pg.wait_for_load_state("networkidle")
    assert _check_links(pg, server.url) > 3


def test_links_keep_a_database_that_is_not_the_first(walk, crawled_demo, tmp_path):
    """Served as the second database of a Datasette (behind another file), the report page,
    the archived copy and the coverage matrix link to that database, not to the first."""
    import subprocess
    import sys

    from conftest import free_port, wait_http
    from nianbao.cli import datasette_args

    _, db_path, archive, _ = crawled_demo
    other = tmp_path / "zweite.db"
    other.write_bytes(db_path.read_bytes())
    first = tmp_path / "aaa.db"
    sqlite3.connect(first).execute("create table t (x)")
    port = free_port()
    args, env = datasette_args(str(other), str(archive), "127.0.0.1", port)
    proc = subprocess.Popen([sys.executable, "-m", "datasette", "serve", str(first), *args],
                            env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    origin = f"http://127.0.0.1:{port}"
    try:
        wait_http(origin + "/-/versions.json", proc=proc)
        rid = sqlite3.connect(other).execute("select id from reports where metrics_count > 0 limit 1").fetchone()[0]
        pg = walk[0].context.browser.new_page()   # the walk's Chromium, a second page
        try:
            pg.goto(f"{origin}/zweite/reports/{rid}")
            figure = pg.locator("table.nb-stats a.nb-fig").first
            assert "db=zweite" in figure.get_attribute("href")
            assert _check_links(pg, origin) > 5
            figure.click()
            pg.wait_for_load_state("networkidle")
            assert pg.frame_locator("iframe").locator("#nianbao-mark").count() == 1
            assert _check_links(pg, origin) > 3
            pg.goto(origin + "/")
            pg.locator("ul.nb-analysis a").first.click()
            pg.wait_for_load_state("networkidle")
            assert "db=zweite" in pg.url and pg.locator("table.coverage-matrix td[data-status]").count() > 10
            assert _check_links(pg, origin) > 5
        finally:
            pg.close()
    finally:
        proc.terminate()
        proc.wait(10)
