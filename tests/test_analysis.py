"""The analysis layer, end to end: two real crawls of the analysis test portal (the
second one finds a late report and an edited one), then Datasette over HTTP: bodies and
their aliases, report_figures against the extracted figures, rates on hand-checked cases,
coverage for every body and year, corrections, canned queries, the Atom feed."""
from __future__ import annotations

import datetime as dt
import json
import shutil
import sqlite3
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conftest import CHROMIUM, FAST, ROOT, DatasetteServer, run_cli

PORTAL = ROOT / "tests" / "portals" / "analysis"
MANIFEST = json.loads((PORTAL / "manifest.json").read_text("utf-8"))
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(scope="module")
def analysed(tmp_path_factory):
    """(server, db_path, second crawl's start time): crawl 1 sees the portal as it was
    (before/), crawl 2 as it is (site/)."""
    from nianbao.demo_portal.server import start_portal

    work = tmp_path_factory.mktemp("analysis")
    site = work / "site"
    shutil.copytree(PORTAL / "site", site)
    shutil.copytree(PORTAL / "before", site, dirs_exist_ok=True)
    portal = start_portal(site)
    args = ["crawl", "--db", work / "nianbao.db", "--archive", work / "warc",
            "--start-url", portal.url + MANIFEST["columns"][0]["path"], *FAST]
    try:
        run_cli(*args)
        time.sleep(1.1)  # a second later: first_seen/last_changed of the second crawl differ
        second = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
        shutil.copytree(PORTAL / "site", site, dirs_exist_ok=True)
        run_cli(*args)
    finally:
        portal.stop()
    server = DatasetteServer(work / "nianbao.db", work / "warc")
    yield server, work / "nianbao.db", second
    server.stop()


def _reports(manifest=MANIFEST):
    return [p for p in manifest["pages"] if p.get("kind") == "detail" and p.get("is_report")]


def _rows(server, path):
    sep = "&" if "?" in path else "?"
    return server.get_json(f"{path}{sep}_shape=array&_size=max")


def _by_path(rows, key="url"):
    return {"/" + r[key].split("/", 3)[3]: r for r in rows}


def test_every_report_gets_its_body_and_aliases_are_merged(analysed):
    server, _, _ = analysed
    bodies = {b["id"]: b for b in _rows(server, "/nianbao/bodies.json?reports__gt=0")}
    reports = _by_path(_rows(server, "/nianbao/reports.json"))
    for page in _reports():
        assert bodies[reports[page["path"]]["body_id"]]["name"] == page["canonical_body"], page["path"]
    by_name = {b["name"]: b for b in bodies.values()}
    assert set(by_name) == {p["canonical_body"] for p in _reports()}
    assert json.loads(by_name["衡阳市人民政府"]["aliases"]) == ["衡阳市政府"]
    assert json.loads(by_name["衡阳市蒸湘区人民政府"]["aliases"]) == ["蒸湘区人民政府"]
    assert json.loads(by_name["衡阳市卫生健康委员会"]["aliases"]) == ["衡阳市卫生和计划生育委员会"]
    # the registry's bodies are who is expected; bodies first seen in reports are marked so
    assert by_name["衡阳市人民政府"]["origin"] == "registry" and by_name["衡阳市人民政府"]["source_id"] == "hengyang-city"
    assert by_name["衡阳市档案局"]["origin"] == "reports" and by_name["衡阳市档案局"]["level"] == "department"
    assert by_name["衡阳市档案局"]["parent_id"] == by_name["衡阳市人民政府"]["id"]
    assert by_name["衡阳市蒸湘区人民政府"]["level"] == "county"


def test_report_figures_equal_the_extracted_figures(analysed):
    server, db_path, _ = analysed
    figures = _rows(server, "/nianbao/report_figures.json")
    conn = sqlite3.connect(db_path)
    names = [n for (n,) in conn.execute("select name from harmonized_names")]
    extracted: dict[int, dict] = {}
    for rid, name, value in conn.execute("select report_id, name, value from harmonized_values"):
        extracted.setdefault(rid, {})[name] = value
    assert len(figures) == len(_reports())
    for row in figures:
        assert {n: row[n] for n in names} == {n: extracted.get(row["report_id"], {}).get(n) for n in names}
    assert sum(v is not None for row in figures for v in (row[n] for n in names)) > 100


def _expected_rates(m: dict) -> dict:
    refused = sum(v for k, v in m.items() if k.startswith("requests.result.refused.") and k.endswith(".total"))
    answered, received = m["requests.result.total.total"], m["requests.new.total"]
    lit = m["litigation_direct.total"] + m["litigation_after_review.total"]
    lit_corrected = m["litigation_direct.corrected"] + m["litigation_after_review.corrected"]
    return {
        "share_granted": round(m["requests.result.disclosed.total"] / answered, 4),
        "share_partly_granted": round(m["requests.result.partly.total"] / answered, 4),
        "share_refused": round(refused / answered, 4),
        "review_per_100_requests": round(100 * m["review.total"] / received, 4),
        "litigation_per_100_requests": round(100 * lit / received, 4),
        "review_correction_rate": round(m["review.corrected"] / m["review.total"], 4) if m["review.total"] else None,
        "litigation_correction_rate": round(lit_corrected / lit, 4) if lit else None,
    }


def test_rates_on_hand_checked_reports(analysed):
    server, _, _ = analysed
    rows = _by_path(_rows(server, "/nianbao/report_figures.json"))
    pages = {p["path"]: p for p in _reports()}
    for path in ("/20200120/i4019001.html", "/20230120/i4222001.html", "/20220128/i4121001.html"):
        expected = _expected_rates(pages[path]["metrics"])
        assert {k: rows[path][k] for k in expected} == expected, path
    # no request at all: a report of zeros, and no rate (not 0, not an error)
    zero = rows["/20220126/i4321001.html"]
    assert zero["requests_received"] == 0 and zero["requests_answered"] == 0 and zero["review_total"] == 0
    for rate in _expected_rates(pages["/20200120/i4019001.html"]["metrics"]):
        assert zero[rate] is None, rate
    # a report whose table breaks a rule is marked, its figures kept
    broken = rows["/20230410/i4322001.html"]
    assert broken["checks_failed"] > 0 and "table3.balance[total]" in broken["failed_rules"]
    assert rows["/20200120/i4019001.html"]["checks_failed"] == 0


def _deadline(year: int) -> dt.date:
    return dt.date(year + 1, 1, 31) if year >= 2019 else dt.date(year + 1, 3, 31)


# body -> {year: (status, published path or None, days late)} for the fixture's years
EXPECTED_COVERAGE = {
    "衡阳市人民政府": {2019: ("on_time", "/20200120/i4019001.html", 0), 2020: ("late", "/20210305/i4020001.html", 33),
                2021: ("missing", None, None), 2022: ("on_time", "/20230116/i4022001.html", 0)},
    "衡阳市蒸湘区人民政府": {2019: ("on_time", "/20200131/i4119001.html", 0), 2020: ("late", "/20210201/i4120001.html", 1),
                    2021: ("on_time", "/20220128/i4121001.html", 0), 2022: ("missing", None, None)},
    "衡阳市卫生健康委员会": {2018: ("on_time", "/20190329/i4218001.html", 0), 2019: ("late", "/20200215/i4219001.html", 15),
                    2020: ("on_time", "/20210125/i4220001.html", 0), 2021: ("on_time", "/20220130/i4221001.html", 0),
                    2022: ("on_time", "/20230120/i4222001.html", 0)},
    "衡阳市档案局": {2021: ("on_time", "/20220126/i4321001.html", 0), 2022: ("late", "/20230410/i4322001.html", 69)},
}


def test_coverage_status_of_every_body_and_year(analysed):
    server, _, _ = analysed
    reports = {r["id"]: "/" + r["url"].split("/", 3)[3] for r in _rows(server, "/nianbao/reports.json")}
    rows = _rows(server, "/nianbao/coverage.json")
    today = dt.datetime.now(dt.timezone.utc).date()
    got = {(r["body"], r["year"]): r for r in rows}
    for body, years in EXPECTED_COVERAGE.items():
        first = min(years)
        for year in range(first, today.year + 1):
            row = got.pop((body, year))
            if year in years:
                status, path, late = years[year]
            else:  # after the fixture's years: nothing published
                status, path, late = ("missing" if today > _deadline(year) else "not_yet_due"), None, None
            assert (row["status"], reports.get(row["report_id"]), row["days_late"]) == (status, path, late), (body, year)
            assert row["deadline"] == _deadline(year).isoformat()
        assert not any(b == body and y < first for b, y in got), body
    assert not got  # no other body has a report, and the registry's were not crawled


def test_a_corrected_report_counts_once_by_its_first_publication(analysed):
    server, _, _ = analysed
    corrections = _rows(server, "/nianbao/corrections.json")
    assert len(corrections) == 1
    c = corrections[0]
    assert c["report_url"].endswith("/20230116/i4022001.html") and c["body"] == "衡阳市人民政府" and c["year"] == 2022
    doc = server.get_json(f"/nianbao/documents/{c['document_id']}.json?_shape=objects")["rows"][0]
    assert doc["corrects_report_id"] == c["report_id"]
    row = _rows(server, "/nianbao/coverage.json?body=衡阳市人民政府&year=2022")[0]
    assert (row["reports"], row["corrections"], row["report_id"], row["published"]) == (2, 1, c["report_id"], "2023-01-16")
    canned = _rows(server, f"/nianbao/report_corrections.json?report_id={c['report_id']}")
    assert [r["document_id"] for r in canned] == [c["document_id"]]


def test_the_report_page_lists_its_correction(analysed):
    import httpx

    server, _, _ = analysed
    c = _rows(server, "/nianbao/corrections.json")[0]
    page = httpx.get(f"{server.url}/nianbao/reports/{c['report_id']}", timeout=30).text
    section = page.split('id="corrections"', 1)
    assert len(section) == 2, "no 更正说明 section on the corrected report's page"
    assert c["title"] in section[1] and f"/-/nianbao/capture/{c['capture_id']}" in section[1]
    other = _rows(server, f"/nianbao/reports.json?id__not={c['report_id']}&_size=1")[0]
    assert 'id="corrections"' not in httpx.get(f"{server.url}/nianbao/reports/{other['id']}", timeout=30).text


def test_canned_queries_answer_the_questions(analysed):
    server, _, second = analysed
    body = _rows(server, "/nianbao/bodies.json?name=衡阳市卫生健康委员会")[0]["id"]
    years = _rows(server, f"/nianbao/body_across_years.json?body={body}")
    assert [r["year"] for r in years] == [2018, 2019, 2020, 2021, 2022]
    late = _rows(server, "/nianbao/coverage_in_year.json?region=湖南省衡阳市&year=2022")
    assert {(r["body"], r["status"]) for r in late} == {("衡阳市人民政府", "on_time"), ("衡阳市蒸湘区人民政府", "missing"),
                                                      ("衡阳市卫生健康委员会", "on_time"), ("衡阳市档案局", "late")}
    assert late[0]["status"] == "missing"  # the missing first, then the late
    ranked = _rows(server, "/nianbao/bodies_ranked.json?figure=share_refused&level=department&year=&region=")
    values = [r["value"] for r in ranked]
    assert values == sorted(values, reverse=True) and {r["body"] for r in ranked} == {"衡阳市卫生健康委员会", "衡阳市档案局"}
    assert all(r["value"] is not None for r in ranked)  # the report with no request has no share
    new = _rows(server, f"/nianbao/new_since.json?since={second}")
    assert {(r["what"], r["body"], r["year"]) for r in new} == {("new", "衡阳市档案局", 2022),
                                                               ("changed", "衡阳市卫生健康委员会", 2021)}


def test_feed_is_atom_and_lists_the_newly_crawled_report(analysed):
    import httpx

    server, _, _ = analysed
    r = httpx.get(server.url + "/nianbao/new_reports_feed.atom", timeout=30)
    assert r.status_code == 200 and "xml" in r.headers["content-type"]
    feed = ET.fromstring(r.content)
    assert feed.tag == ATOM + "feed"
    for required in ("id", "title", "updated"):
        assert feed.find(ATOM + required) is not None and feed.find(ATOM + required).text
    entries = feed.findall(ATOM + "entry")
    assert len(entries) == len(_reports())
    for e in entries:
        assert all(e.find(ATOM + k) is not None and e.find(ATOM + k).text for k in ("id", "title", "updated"))
        dt.datetime.fromisoformat(e.find(ATOM + "updated").text)
    newest = entries[0]  # newest first: the report only the second crawl found, or the edited one
    titles = [e.find(ATOM + "title").text for e in entries[:2]]
    assert any("衡阳市档案局 2022年" in t and "新" in t for t in titles)
    assert any("衡阳市卫生健康委员会 2021年" in t and "已更新" in t for t in titles)
    assert newest.find(ATOM + "link").get("href").startswith("http://127.0.0.1:")
    # filtered by level, by region, by body
    dept = ET.fromstring(httpx.get(server.url + "/nianbao/new_reports_feed.atom?level=department", timeout=30).content)
    assert {e.find(ATOM + "title").text.split(" ")[0] for e in dept.findall(ATOM + "entry")} == {"衡阳市卫生健康委员会", "衡阳市档案局"}
    one = ET.fromstring(httpx.get(server.url + "/nianbao/new_reports_feed.atom?body=衡阳市蒸湘区人民政府", timeout=30).content)
    assert len(one.findall(ATOM + "entry")) == 3
    county = ET.fromstring(httpx.get(server.url + "/nianbao/new_reports_feed.atom?region=湖南省衡阳市蒸湘区", timeout=30).content)
    assert len(county.findall(ATOM + "entry")) == 3
    # a body with no report yet: still a valid feed (datasette-atom cannot render no entry)
    none = ET.fromstring(httpx.get(server.url + "/nianbao/new_reports_feed.atom?body=无此机关", timeout=30).content)
    assert [e.find(ATOM + "id").text for e in none.findall(ATOM + "entry")] == ["tag:nianbao,2026:no-report-yet"]


def test_coverage_matrix_links_each_cell_to_its_report(analysed):
    import httpx

    server, _, _ = analysed
    html = httpx.get(server.url + "/-/nianbao/coverage?region=湖南省衡阳市", timeout=30).text
    coverage = _rows(server, "/nianbao/coverage.json")
    assert html.count("data-status=") == len(coverage)
    for row in coverage:
        if row["report_id"]:
            assert f'href="/nianbao/reports/{row["report_id"]}"' in html
    assert html.count('data-status="late"') == 4 and "逾期" in html


def test_name_forms_are_one_body():
    from nianbao.extract.bodies import BodyIndex, name_key

    index = BodyIndex([{"id": "c", "name": "衡阳市人民政府", "level": "city", "region": "湖南省衡阳市"},
                       {"id": "o", "name": "衡阳市人民政府办公室", "level": "department", "region": "湖南省衡阳市"},
                       {"id": "z", "name": "衡阳市蒸湘区人民政府", "level": "district", "region": "湖南省衡阳市蒸湘区", "parent": "c"},
                       {"id": "g", "name": "衡阳高新技术产业开发区管理委员会", "level": "zone", "region": "湖南省衡阳市"}])
    ids = lambda *names: {index.resolve(n).source_id for n in names}  # noqa: E731
    assert ids("衡阳市人民政府", "衡阳市政府", " 衡阳市人民政府 ") == {"c"}
    assert ids("衡阳市人民政府办公室") == {"o"}  # registered on its own: kept apart
    assert ids("蒸湘区", "蒸湘区人民政府", "衡阳市蒸湘区政府") == {"z"}
    assert ids("衡阳高新区管委会") == {"g"}
    assert name_key("衡阳市ＡＢ局") == name_key("衡阳市AB局")  # full-width letters
    wjw = index.resolve("衡阳市卫生和计划生育委员会")
    assert index.resolve("衡阳市卫生健康委员会") is wjw and wjw.name == "衡阳市卫生健康委员会"
    assert wjw.aliases == ["衡阳市卫生和计划生育委员会"] and wjw.origin == "reports"
    assert index.resolve("鼓楼区") is not index.resolve("衡阳市人民政府")




@pytest.fixture(scope="module")
def browser_page(analysed):
    if not CHROMIUM:
        pytest.skip("chromium not installed (./run tests installs it)")
    from playwright.sync_api import sync_playwright

    from conftest import CHROMIUM_ARGS

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser.new_page(viewport={"width": 1400, "height": 1000}), analysed[0]
        browser.close()


def _marks(pg, chart: str, mark: str) -> int:
    """Data marks Vega drew as SVG in one chart (legend symbols are another role)."""
    pg.wait_for_selector(f"#chart-{chart} svg g.{mark}.role-mark", state="attached", timeout=20000)
    return pg.locator(f"#chart-{chart} svg g.{mark}.role-mark path").count()


@pytest.mark.browser
def test_dashboard_draws_the_filtered_data_in_the_browser(browser_page):
    from urllib.parse import urlencode

    pg, server = browser_page
    query = urlencode({"figure": "requests_received", "body": "衡阳市卫生健康委员会"})
    pg.goto(f"{server.url}/-/dashboards/nianbao-analysis?{query}")
    # one point per year the body reported on (2018 under its old name included)
    assert _marks(pg, "figure-over-years", "mark-symbol") == 5
    assert _marks(pg, "distribution", "mark-symbol") == 5
    # coverage: one bar per year from 2018 to last year (each year one status); not yet due left out
    today = dt.datetime.now(dt.timezone.utc).date()
    due = [y for y in range(2018, today.year + 1) if today > _deadline(y)]
    assert _marks(pg, "coverage-per-year", "mark-rect") == len(due)
    assert _marks(pg, "checks-per-year", "mark-rect") == 5
    # the filter form offers the bodies and figures as lists
    options = pg.locator("select[name=body] option").all_inner_texts()
    assert "衡阳市档案局" in options and "衡阳市卫生健康委员会" in options
    query = urlencode({"figure": "share_refused", "level": "department", "year": "2022"})
    pg.goto(f"{server.url}/-/dashboards/nianbao-analysis?{query}")
    assert _marks(pg, "distribution", "mark-symbol") == 2  # the two departments' 2022 reports
    pg.goto(f"{server.url}/-/dashboards/nianbao-analysis?" + urlencode({"figure": "share_refused", "body": "衡阳市档案局"}))
    assert _marks(pg, "figure-over-years", "mark-symbol") == 1  # 2021 had no request: no rate, no point


@pytest.mark.browser
def test_canned_query_parameters_are_pick_lists(browser_page, analysed):
    pg, server = browser_page
    pg.goto(f"{server.url}/nianbao/body_across_years")
    bodies = pg.locator("select[name=body] option").all_inner_texts()
    assert any(t.startswith("衡阳市卫生健康委员会") for t in bodies)
    pg.select_option("select[name=body]", label=next(t for t in bodies if t.startswith("衡阳市卫生健康委员会")))
    pg.click("input[type=submit]")
    pg.wait_for_load_state("networkidle")
    years = pg.locator("table.rows-and-columns td.col-year").all_inner_texts()
    assert [y.strip() for y in years] == ["2018", "2019", "2020", "2021", "2022"]
    pg.goto(f"{server.url}/nianbao/bodies_ranked")
    figures = pg.locator("select[name=figure] option").all_inner_texts()
    assert any("share_refused" in f or "不予公开占比" in f for f in figures)
    assert pg.locator("select[name=level] option").count() == 6  # any + five levels


@pytest.mark.browser
def test_coverage_matrix_in_the_browser(browser_page):
    pg, server = browser_page
    pg.goto(f"{server.url}/-/nianbao/coverage")
    row = pg.locator("tr", has=pg.locator("th.body a", has_text="衡阳市蒸湘区人民政府"))
    assert row.locator("td[data-year='2020']").inner_text().startswith("逾期")
    assert row.locator("td[data-year='2022']").get_attribute("data-status") == "missing"
    row.locator("td[data-year='2021'] a").click()
    pg.wait_for_load_state("networkidle")
    assert "/nianbao/reports/" in pg.url and "衡阳市蒸湘区人民政府2021年" in pg.inner_text("body")
