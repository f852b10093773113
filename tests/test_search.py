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


def _in_id_order(db_path, term):
    return sorted(_ids_containing(db_path, term))


def _html(server, path):
    import httpx

    r = httpx.get(server.url + path, timeout=30)
    r.raise_for_status()
    return r.text


def test_search_with_too_many_hits_is_not_counted_but_shows_rows_and_says_so(capped_server):
    """Over NIANBAO_FACET_MAX_HITS hits (3 here) the page runs no count and no facet query,
    reads its rows by id, says why in Chinese first, and pages through every hit in order."""
    server, db_path = capped_server
    expected = _in_id_order(db_path, "衡阳")
    assert len(expected) > 5
    many = server.get_json("/nianbao/reports.json?_search=衡阳&_col=id")
    assert many["filtered_table_rows_count"] is None          # Datasette's count was skipped
    facets = many["facet_results"]
    assert set(facets) == {"year", "template", "body"}
    assert all(f["capped"] and f["results"] == [] and f["more_than"] == 3 for f in facets.values())
    assert [r[0] for r in many["rows"]] == expected             # the same rows, in id order
    where = many["query"]["sql"].split(" where ", 1)[1]
    assert "match" not in where and where.startswith("[id] in (")  # read by id, no second index walk
    # pagination: two at a time, every hit once, in order; the links carry our own _nocount
    seen, url = [], "/nianbao/reports.json?_search=衡阳&_col=id&_size=2"
    while url:
        page = server.get_json(url.replace(server.url, ""))
        assert page["filtered_table_rows_count"] is None and len(page["rows"]) <= 2
        seen += [r[0] for r in page["rows"]]
        url = page["next_url"]
        assert url is None or "_nocount=capped" in url
    assert seen == expected
    html = _html(server, "/nianbao/reports?_search=衡阳")
    assert "约 3+ 条结果" in html and "分面统计也仅在结果不多于 3 条时显示" in html
    assert html.index("约 3+ 条结果") < html.index("More than 3 reports match")  # Chinese first
    assert html.count('<td class="col-title') == len(expected)     # a row per hit
    assert 'name="_search"' in html and 'value="衡阳"' in html


def test_search_with_few_hits_is_counted_with_facets(capped_server):
    server, db_path = capped_server
    body = sqlite3.connect(db_path).execute(
        "select body from reports group by body having count(*) = 1 limit 1").fetchone()[0]
    # as the search form sends it after a capped page (its hidden fields carry _nocount=capped)
    few = server.get_json(f"/nianbao/reports.json?_search=\"{body}\"&_nocount=capped")
    assert few["filtered_table_rows_count"] == len(few["rows"]) <= 3
    assert few["facet_results"]["year"]["results"] and not few["facet_results"]["year"].get("capped")
    html = _html(server, f"/nianbao/reports?_search=\"{body}\"")
    assert "条结果" not in html and "nianbao-search-note" not in html
    whole = server.get_json("/nianbao/reports.json")  # no search: counted from the indexes, any size
    assert sum(v["count"] for v in whole["facet_results"]["year"]["results"]) == whole["filtered_table_rows_count"]
    assert 'name="_search"' in _html(server, "/nianbao/reports")  # the search box without a search
    # a reader's own _nocount is theirs: kept even over few hits
    assert server.get_json(f"/nianbao/reports.json?_search=\"{body}\"&_nocount=1")["filtered_table_rows_count"] is None


def test_search_with_a_filter_a_sort_or_a_prefix_gives_the_same_rows(capped_server):
    server, db_path = capped_server
    conn = sqlite3.connect(db_path)
    year = conn.execute("select year from reports where text like '%衡阳%' group by year "
                        "order by count(*) desc limit 1").fetchone()[0]
    in_year = {r for (r,) in conn.execute("select id from reports where year = ?", [year])}
    rows = server.get_json(f"/nianbao/reports.json?_search=衡阳&year={year}&_sort_desc=id&_col=id&_size=max")
    want = sorted(in_year & _ids_containing(db_path, "衡阳"), reverse=True)
    assert len(want) > 3 and [r[0] for r in rows["rows"]] == want
    # a lone last character is a prefix, spelled out as its terms: the same hits
    for term in ("衡", "2019年", "湖南城陵矶新港区 衡"):
        got = server.get_json(f"/nianbao/reports.json?_search={term}&_col=id&_size=max")
        expected = sorted(set.intersection(*(_ids_containing(db_path, t) for t in term.split())))
        assert [r[0] for r in got["rows"]] == expected, term
    # an empty search box with a filter is the filter alone (it used to match nothing)
    assert server.get_json(f"/nianbao/reports.json?_search=&year={year}&_col=id&_size=max")["rows"] == \
        server.get_json(f"/nianbao/reports.json?year={year}&_col=id&_size=max")["rows"]


def test_prefix_terms_follow_the_index_as_it_changes(tmp_path):
    """The listed terms of a character are kept only while the index is unchanged: a report
    indexed while the server runs is found by the next prefix search."""
    from nianbao.fts import create_sql, index_report
    from nianbao.publish.table_search import match_expression

    conn = sqlite3.connect(tmp_path / "n.db")
    conn.execute("create table reports (id integer primary key, title text, body text, text text)")
    conn.execute(create_sql())

    def add(rid, text):
        conn.execute("insert into reports values (?, '', '', ?)", [rid, text])
        index_report(conn, rid, "", "", text)
        conn.commit()

    def hits(query):
        match = match_expression(conn, query)
        return match, [r for (r,) in conn.execute("select rowid from reports_fts where reports_fts match ?", [match])]

    add(1, "2019年度报告")
    assert hits("2019年") == ('"2019 年度"', [1])
    add(2, "2019年底完成")
    assert hits("2019年") == ('("2019 年底" OR "2019 年度")', [1, 2])
    assert hits("2020年") == ('("2020 年底" OR "2020 年度")', [])
    assert hits("复") == ('""', [])                     # no term starts with 复
    add(3, "行政复议")
    assert hits("复") == ('"复议"', [3])


def test_prefix_spelled_out_as_terms():
    assert fts_query("2019年", lambda c: ["年", "年度"]) == '("2019 年" OR "2019 年度")'
    assert fts_query("衡阳 复", lambda c: ["复议"]) == '"衡阳" "复议"'
    assert fts_query("衡阳 复", lambda c: ["复", "复议"]) == '"衡阳" AND ("复" OR "复议")'
    assert fts_query("复", lambda c: []) == '""'                 # no such term: nothing matches
    assert fts_query("复", lambda c: None) == '"复" *'            # too many terms: the prefix query


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
