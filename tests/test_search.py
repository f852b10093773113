"""Chinese full-text search: unit rules, then the real Datasette server over HTTP."""
import sqlite3

import pytest

from conftest import DatasetteServer, run_cli
from nianbao.publish.search import fts_query, segment


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
