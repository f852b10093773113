"""Chinese full-text search: unit rules, then the real Datasette server over HTTP and in Chromium."""
import re
import shutil
import sqlite3

import pytest

from conftest import DatasetteServer, run_cli
from nianbao.publish.search import fts_query, segment, snippet, snippet_html


def test_segment_writes_bigrams_and_run_final_char():
    assert segment("衡阳市人民政府") == "衡阳 阳市 市人 人民 民政 政府 府"
    assert segment("２０１９年度Report") == "2019 年度 度 report"


@pytest.mark.parametrize("query, expected", [
    ("衡阳", '"衡阳"'),
    ("依申请公开", '"依申 申请 请公 公开"'),
    ("复", '"复" *'),
    ("衡阳 复议", '"衡阳" "复议"'),
    ('"行政 复议"', '"行政 复议"'),
    ("2019年", '"2019 年" *'),
])
def test_query_rewrite(query, expected):
    assert fts_query(query) == expected


def test_query_of_only_punctuation_matches_nothing():
    conn = sqlite3.connect(":memory:")
    conn.execute("create virtual table t using fts5(x)")
    conn.execute("insert into t values (?)", [segment("衡阳市")])
    assert conn.execute("select count(*) from t where t match ?", [fts_query("，。")]).fetchone()[0] == 0


@pytest.fixture(scope="module")
def datasette(crawled_demo):
    _, db_path, archive, _ = crawled_demo
    server = DatasetteServer(db_path, archive)
    yield server, db_path
    server.stop()


def _ids_containing(db_path, term):
    conn = sqlite3.connect(db_path)
    return {rid for rid, title, body, text in conn.execute("select id, title, body, text from reports")
            if term in (title or "") + "\n" + (body or "") + "\n" + (text or "")}


@pytest.mark.parametrize("term", ["衡阳", "复议", "依申请公开", "蒸湘", "湖南城陵矶新港区"])
def test_datasette_table_search_finds_every_report_containing_term(datasette, term):
    server, db_path = datasette
    expected = _ids_containing(db_path, term)
    assert expected, f"no demo report contains {term}"
    data = server.get_json(f"/nianbao/reports.json?_search={term}&_shape=array&_col=id&_size=max")
    assert {row["id"] for row in data} == expected


def test_search_needs_all_terms(datasette):
    server, db_path = datasette
    both = _ids_containing(db_path, "蒸湘") & _ids_containing(db_path, "复议")
    data = server.get_json("/nianbao/reports.json?_search=蒸湘 复议&_shape=array&_col=id")
    assert {row["id"] for row in data} == both


def test_metadata_served_and_database_named_after_file(datasette):
    server, _ = datasette
    meta = server.get_json("/-/metadata.json")
    assert "nianbao" in meta["databases"]
    tables = {t["name"] for t in server.get_json("/nianbao.json")["tables"]}
    assert {"reports", "metrics", "captures", "crawl_runs", "checks", "harmonized"} <= tables


def test_archived_bytes_served_for_a_capture(datasette):
    import httpx

    server, db_path = datasette
    conn = sqlite3.connect(db_path)
    rid, cid, title = conn.execute("select id, capture_id, title from reports limit 1").fetchone()
    r = httpx.get(f"{server.url}/-/nianbao/capture/{cid}", timeout=30)
    assert r.status_code == 200
    assert title in r.content.decode("utf-8", errors="ignore") or title.encode("gb18030") in r.content


def test_stock_sqlite_can_search_the_file(crawled_demo):
    """No custom tokenizer: plain sqlite3 opens and queries the FTS table."""
    _, db_path, _, _ = crawled_demo
    conn = sqlite3.connect(db_path)  # no Nianbao functions registered
    n = conn.execute("select count(*) from reports_fts where reports_fts match '\"衡阳\"'").fetchone()[0]
    assert n == len(_ids_containing(db_path, "衡阳"))


def test_snapshot_is_a_consistent_copy(crawled_demo, tmp_path):
    _, db_path, _, _ = crawled_demo
    out = tmp_path / "snap.db"
    result = run_cli("snapshot", out, "--db", db_path)
    assert "reports" in result.stdout
    a = sqlite3.connect(db_path).execute("select count(*), group_concat(id) from reports").fetchone()
    b = sqlite3.connect(out).execute("select count(*), group_concat(id) from reports").fetchone()
    assert a == b
    assert sqlite3.connect(out).execute("pragma integrity_check").fetchone()[0] == "ok"
    assert run_cli("snapshot", out, "--db", db_path, check=False).returncode != 0  # never overwrites


# -- snippets of the original text -------------------------------------------------

def test_snippet_marks_the_original_text_not_the_index_text():
    text = "一、总体情况。" * 30 + "本机关收到行政复议申请３件，依申请公开办理及时。" + "其他事项。" * 30
    out = snippet(text, "复议 依申请公开")
    assert "<mark>复议</mark>" in out and "<mark>依申请公开</mark>" in out
    assert "３件" in out  # the original full-width digit, not the index's folded one
    assert "复议 议" not in out and "依申 申请" not in out  # never the bigram-segmented text
    assert out.startswith("…") and out.endswith("…") and len(out) < 200
    assert snippet("２０１９年度报告", "2019年") == "<mark>２０１９年</mark>度报告"
    assert snippet("没有匹配的文字", "衡阳") == "没有匹配的文字"


def test_snippet_html_escapes_everything_but_marks():
    html = snippet_html(snippet("<script>alert(1)</script> 行政复议", "复议"))
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<mark>复议</mark>" in html


def test_search_view_gives_snippets_by_relevance(datasette):
    server, db_path = datasette
    rows = server.get_json("/nianbao/search_reports.json?q=复议&_shape=array")
    expected = _ids_containing(db_path, "复议")
    assert {r["id"] for r in rows} == expected
    for r in rows:
        assert r["title"] and r["body"] and r["year"]
        assert "<mark>复议</mark>" in r["snippet"]
    conn = sqlite3.connect(db_path)
    by_rank = [rid for (rid,) in conn.execute(
        "select rowid from reports_fts where reports_fts match ? order by rank", [fts_query("复议")])]
    assert [r["id"] for r in rows] == by_rank  # bm25 relevance, best first


@pytest.fixture()
def capped_server(crawled_demo, monkeypatch):
    _, db_path, archive, _ = crawled_demo
    monkeypatch.setenv("NIANBAO_FACET_MAX_HITS", "3")
    server = DatasetteServer(db_path, archive)
    yield server, db_path
    server.stop()


def test_facets_are_not_counted_over_too_many_hits(capped_server):
    server, db_path = capped_server
    many = server.get_json("/nianbao/reports.json?_search=衡阳")
    assert many["filtered_table_rows_count"] > 3
    facets = many["facet_results"]
    assert set(facets) == {"year", "template", "body"}
    assert all(f["capped"] and f["results"] == [] for f in facets.values())
    assert len(many["rows"]) == many["filtered_table_rows_count"]  # the hits themselves are all there
    body = sqlite3.connect(db_path).execute(
        "select body from reports group by body having count(*) = 1 limit 1").fetchone()[0]
    few = server.get_json(f"/nianbao/reports.json?_search=\"{body}\"")
    assert few["filtered_table_rows_count"] <= 3
    assert few["facet_results"]["year"]["results"] and not few["facet_results"]["year"].get("capped")
    whole = server.get_json("/nianbao/reports.json")  # no search: counted from the indexes, any size
    assert sum(v["count"] for v in whole["facet_results"]["year"]["results"]) == whole["filtered_table_rows_count"]


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM and not __import__("os").environ.get("CI"), reason="chromium not installed")
def test_search_shows_highlighted_snippets_in_chromium(datasette):
    from playwright.sync_api import sync_playwright

    from test_ui_browser import CHROMIUM_ARGS

    server, db_path = datasette
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        pg = browser.new_page()
        pg.goto(f"{server.url}/nianbao/search_reports")
        pg.fill("input[name=q]", "依申请公开")
        pg.press("input[name=q]", "Enter")
        pg.wait_for_load_state("networkidle")
        marks = pg.locator("table.rows-and-columns td.col-snippet mark").all_inner_texts()
        cells = pg.locator("table.rows-and-columns td.col-snippet").all_inner_texts()
        titles = pg.locator("table.rows-and-columns td.col-title").all_inner_texts()
        browser.close()
    assert marks and set(marks) == {"依申请公开"}
    assert len(cells) == len(_ids_containing(db_path, "依申请公开")) == len(titles)
    assert not any(re.search(r"依申 申请", c) for c in cells)  # original text, not bigrams
