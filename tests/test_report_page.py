"""The report page, read as a person reads it: a real crawl of the demo portal, Datasette
over HTTP, Debian's Chromium. Every figure sits in its labelled cell and links to the cell
or sentence of the archived copy it came from; checks read as sentences; codes read in Chinese."""
import os
import re
import shutil
import sqlite3
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from conftest import CHROMIUM, CHROMIUM_ARGS, FAST, DatasetteServer, run_cli

needs_chromium = pytest.mark.skipif(not CHROMIUM and not os.environ.get("CI"), reason="chromium not installed")
APPLICANT_COLUMNS = ["natural_person", "commercial", "research", "public_interest", "legal_services", "other_org",
                     "total"]


@pytest.fixture(scope="module")
def served(crawled_demo):
    _, db_path, archive, _ = crawled_demo
    server = DatasetteServer(db_path, archive)
    yield server, db_path, archive
    server.stop()


@pytest.fixture(scope="module")
def browser_page(served):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser.new_page(viewport={"width": 1280, "height": 900})
        browser.close()


def _report(db_path, title_part):
    conn = sqlite3.connect(db_path)
    return conn.execute("SELECT id, template, capture_id FROM reports WHERE title LIKE ?", [f"%{title_part}%"]).fetchone()


def _metrics(db_path, report_id):
    conn = sqlite3.connect(db_path)
    return {code: dict(value=v, raw=raw, capture_id=cap, grid=g, row=r, col=c, method=method)
            for code, v, raw, cap, g, r, c, method in conn.execute(
        "SELECT c.code, m.value, m.raw, m.capture_id, m.src_grid, m.src_row, m.src_col, m.method FROM metrics m "
        "JOIN metric_codes c ON c.id = m.code WHERE m.report_id = ?", [report_id])}


def test_every_figure_records_the_cell_it_was_read_from(served):
    """src_grid/src_row/src_col point at the very cell of the archived document holding the raw text."""
    import sqlite_utils

    from nianbao.archive.store import Archive
    from nianbao.extract.document import read_document
    from nianbao.extract.tables import grids_from_html
    from nianbao.extract.templates import clean_cell

    _, db_path, archive = served
    db = sqlite_utils.Database(db_path)
    store = Archive(db, archive)
    checked = 0
    for (capture_id,) in db.execute("SELECT DISTINCT capture_id FROM metrics").fetchall():
        stored = store.read(capture_id)
        doc = read_document(stored.body, stored.headers.get("content-type"), None)
        grids = list(doc["grids"] or []) + grids_from_html(doc["html"] or "")
        for g, r, c, raw in db.execute("SELECT src_grid, src_row, src_col, raw FROM metrics WHERE capture_id = ?",
                                       [capture_id]).fetchall():
            assert r is not None and c is not None
            assert clean_cell(grids[g].cells[r][c]) == raw
            checked += 1
    assert checked > 1000


def _figures(pg):
    """Each figure link on the page: its text, href, code, table kind, row headers, and value-cell index."""
    return pg.evaluate("""() => Array.from(document.querySelectorAll('table.nb-stats a.nb-fig[data-code]')).map(a => {
        const td = a.closest('td'), tr = td.closest('tr'), table = td.closest('table');
        return {code: a.dataset.code, text: a.textContent.trim(), href: a.getAttribute('href'),
                kind: table.dataset.kind,
                rowHeads: Array.from(tr.querySelectorAll('th')).map(th => th.textContent.trim()),
                cellIndex: Array.from(tr.querySelectorAll('td')).indexOf(td)};
    })""")


def _assert_link(fig, metric):
    parts = urlsplit(fig["href"])
    assert parts.path == f"/-/nianbao/capture/{metric['capture_id']}"
    assert parts.fragment == "nianbao-mark"
    q = parse_qs(parts.query)
    if metric["method"] in ("table", "ocr"):   # grids the viewer rebuilds (capture_view.figure_url)
        assert q["grid"] == [str(metric["grid"])] and q["row"] == [str(metric["row"])] and q["col"] == [str(metric["col"])]
    else:
        assert "grid" not in q
    assert q["q"] == [metric["raw"]]


@needs_chromium
def test_gk2008_report_page(served, browser_page, tmp_path):
    server, db_path, _ = served
    rid, template, _ = _report(db_path, "衡阳市人民政府2014")
    assert template == "gk2008"
    pg = browser_page
    pg.goto(f"{server.url}/nianbao/reports/{rid}")
    assert pg.locator("h1").inner_text().strip() == "衡阳市人民政府2014年政府信息公开工作年度报告"
    # the title is one line wide, not one character per line
    assert pg.locator("h1").bounding_box()["height"] < 60
    metrics = _metrics(db_path, rid)
    figures = {f["code"]: f for f in _figures(pg)}
    assert set(figures) == set(metrics)
    received = figures["old.requests.received"]
    assert received["kind"] == "gk2008" and received["text"] == "78"
    assert received["rowHeads"] == ["（一）收到申请数"]
    for code, f in figures.items():
        _assert_link(f, metrics[code])
    # the broken staff rule, in words, with the figures and the difference
    fail = pg.locator(".nb-check.fail").all_inner_texts()
    assert any("专职" in t and "兼职" in t and "相差 185" in t and "off by 185" in t for t in fail), fail
    body = pg.inner_text("body")
    assert not re.search(r"(?<![\d.])\d+\.0(?![\d])", body)
    # the long text is below the tables, folded
    assert pg.locator("details.nb-text").get_attribute("open") is None
    pg.screenshot(path=str(tmp_path / "gk2008.png"), full_page=True)
    if os.environ.get("NIANBAO_SCREENSHOTS"):
        pg.screenshot(path=os.environ["NIANBAO_SCREENSHOTS"] + "/report-gk2008.png", full_page=True)


@needs_chromium
@pytest.mark.parametrize("title, template", [("衡阳市自然资源和规划局2019", "gk2019"), ("衡南县人民政府2021", "gk2021")])
def test_gk2019_gk2021_report_pages(served, browser_page, title, template):
    server, db_path, _ = served
    rid, found_template, _ = _report(db_path, title)
    assert found_template == template
    pg = browser_page
    pg.goto(f"{server.url}/nianbao/reports/{rid}")
    metrics = _metrics(db_path, rid)
    figures = {f["code"]: f for f in _figures(pg)}
    assert set(figures) == set(metrics)
    for code, f in figures.items():
        _assert_link(f, metrics[code])
        expected = metrics[code]["value"]
        assert f["text"] == (str(int(expected)) if float(expected).is_integer() else str(expected))
        if code.startswith("requests."):
            # table 三: the applicant column by position, the row by its official label
            assert f["kind"] == "t3"
            assert f["cellIndex"] == APPLICANT_COLUMNS.index(code.rsplit(".", 1)[1])
        if code.startswith("requests.new."):
            assert f["rowHeads"] == ["一、本年新收政府信息公开申请数量"]
        if code.startswith("requests.result.refused.state_secret."):
            assert f["rowHeads"][-1] == "1.属于国家秘密"
        if code.startswith(("review.", "litigation_")):
            assert f["kind"] == "t4"
    t4 = [f for f in figures.values() if f["kind"] == "t4"]
    order = [f"{g}.{o}" for g in ("review", "litigation_direct", "litigation_after_review")
             for o in ("upheld", "corrected", "other", "pending", "total")]
    assert all(f["cellIndex"] == order.index(f["code"]) for f in t4) and t4
    heads = pg.locator("table.nb-t3 thead").inner_text()
    assert "自然人" in heads and "法人或其他组织" in heads and "商业企业" in heads
    rows = pg.locator("table.nb-t2 tbody th").all_inner_texts()
    assert ("规范性文件" if template == "gk2019" else "行政规范性文件") in rows
    assert pg.locator(".nb-check.ok").count() > 0


@needs_chromium
def test_narrative_report_shows_what_was_found(served, browser_page):
    server, db_path, _ = served
    rid, template, capture_id = _report(db_path, "宝鸡高新区")
    assert template == "narrative"
    pg = browser_page
    pg.goto(f"{server.url}/nianbao/reports/{rid}")
    row = pg.locator("table.nb-harmonized tr[data-name=requests_received]")
    assert "收到/新收政府信息公开申请数" in row.inner_text()
    link = row.locator("a.nb-fig")
    assert link.inner_text() == "2"
    parts = urlsplit(link.get_attribute("href"))
    assert parts.path == f"/-/nianbao/capture/{capture_id}" and parts.fragment == "nianbao-mark"
    raw = sqlite3.connect(db_path).execute(
        "SELECT raw FROM harmonized_values WHERE report_id = ? AND name = 'requests_received'", [rid]).fetchone()[0]
    assert parse_qs(parts.query)["q"] == [raw]


@needs_chromium
def test_codes_read_in_chinese_and_ids_link(served, browser_page):
    server, db_path, _ = served
    pg = browser_page
    pg.goto(f"{server.url}/nianbao/metrics?_size=200")
    codes = pg.locator("td.col-code").all_inner_texts()
    assert any("本年新收政府信息公开申请数量（自然人）" in c for c in codes)
    assert not any("requests.new" in c for c in codes)
    report_link = pg.locator("td.col-report_id a").first
    assert re.fullmatch(r"/nianbao/reports/\d+", report_link.get_attribute("href"))
    assert "年度报告" in report_link.inner_text()
    capture_link = pg.locator("td.col-capture_id a.nianbao-archived").first
    assert re.fullmatch(r"/-/nianbao/capture/\d+", capture_link.get_attribute("href"))
    assert not re.search(r"(?<![\d.])\d+\.0(?![\d])", pg.inner_text("table.rows-and-columns"))
    pg.goto(f"{server.url}/nianbao/checks?ok=0")
    assert any("相差 185" in t for t in pg.locator("td.col-detail").all_inner_texts())
    pg.goto(f"{server.url}/nianbao/documents")
    assert pg.locator("td.col-report_id a.nianbao-report").count() > 0
    pg.goto(f"{server.url}/")
    body = pg.inner_text("body")
    assert "政府信息公开工作年度报告" in body and "Annual government" in body
    entries = pg.locator("ul.nb-tables a").all_inner_texts()
    assert entries[0] == "年度报告"
    pg.goto(f"{server.url}/nianbao")
    tables = pg.locator("div.db-table h3").all_inner_texts()
    assert not any("reports_fts" in t for t in tables)


def test_an_edited_report_shows_what_changed(tmp_path, demo_manifest):
    from nianbao.demo_portal.server import DEMO_SITE, start_portal

    site = tmp_path / "site"
    shutil.copytree(DEMO_SITE, site)
    portal = start_portal(site)
    try:
        args = ["crawl", "--db", tmp_path / "nianbao.db", "--archive", tmp_path / "warc", *FAST,
                "--start-url", portal.url + demo_manifest["columns"][0]["path"]]
        run_cli(*args)
        page = site / "20150323" / "i1234567.html"
        page.write_text(page.read_text("utf-8").replace("1112936", "1112937"), "utf-8")
        run_cli(*args)
    finally:
        portal.stop()
    rid = sqlite3.connect(tmp_path / "nianbao.db").execute(
        "SELECT id FROM reports WHERE versions = 2").fetchone()[0]
    server = DatasetteServer(tmp_path / "nianbao.db", tmp_path / "warc")
    try:
        html = httpx.get(f"{server.url}/nianbao/reports/{rid}", timeout=30).text
    finally:
        server.stop()
    # report_versions keeps no text: both versions' texts are read again from the archive
    assert "text" not in {r[1] for r in sqlite3.connect(tmp_path / "nianbao.db").execute("PRAGMA table_info(report_versions)")}
    assert 'data-version="1"' in html and 'data-version="2"' in html
    changed = re.search(r'<table class="nb-stats nb-changed">(.*?)</table>', html, re.S).group(1)
    assert "主动公开政府信息数" in changed and "1112936" in changed and "1112937" in changed
    # the changed line itself: the old figure struck out, the new one added
    deleted = re.findall(r'<div class="del">− ([^<]*)</div>', html)
    inserted = re.findall(r'<div class="ins">\+ ([^<]*)</div>', html)
    assert any("1112936" in t for t in deleted) and any("1112937" in t for t in inserted), (deleted, inserted)
    assert not any("1112937" in t for t in deleted)
    assert "存档读取失败" not in html and "没有可比较的文本" not in html
