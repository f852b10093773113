"""A lean database: the report text is stored once (issue 14)."""
import sqlite3

import sqlite_utils

from nianbao.extract.versions import version_text


def test_the_search_index_keeps_no_copy_of_the_text(crawled_demo):
    _, db_path, _, _ = crawled_demo
    conn = sqlite3.connect(db_path)
    sql = conn.execute("select sql from sqlite_master where name = 'reports_fts'").fetchone()[0]
    assert "content='reports'" in sql  # external content: the rows are the reports rows
    shadow = {n for (n,) in conn.execute("select name from sqlite_master where name like 'reports_fts_%'")}
    assert "reports_fts_content" not in shadow  # a content table would hold the segmented text again
    # and it still finds what it indexed
    n = conn.execute("select count(*) from reports_fts where reports_fts match '\"衡阳\"'").fetchone()[0]
    assert n == conn.execute("select count(*) from reports where title || body || text like '%衡阳%'").fetchone()[0]


def test_no_table_but_reports_holds_a_report_text(crawled_demo):
    _, db_path, _, _ = crawled_demo
    conn = sqlite3.connect(db_path)
    assert "text" not in {r[1] for r in conn.execute("pragma table_info(report_versions)")}
    texts = {t for (t,) in conn.execute("select text from reports") if t and len(t) > 200}
    assert texts
    for (table,) in conn.execute("select name from sqlite_master where type = 'table' and name not like 'reports_fts%'"
                                 " and name != 'reports' and sql not like 'CREATE VIRTUAL%'").fetchall():
        for col in [r[1] for r in conn.execute(f"pragma table_info([{table}])")]:
            long_values = {v for (v,) in conn.execute(f"select [{col}] from [{table}] where length([{col}]) > 200")}
            assert not long_values & texts, f"{table}.{col} holds a report's text again"


def test_a_version_text_is_read_again_from_the_archive(crawled_demo):
    _, db_path, archive, _ = crawled_demo
    db = sqlite_utils.Database(sqlite3.connect(db_path))
    row = next(db.query("select v.* from report_versions v join reports r on r.id = v.report_id limit 1"))
    current = db.execute("select text from reports where id = ?", [row["report_id"]]).fetchone()[0]
    assert version_text(db, archive, row) == current
    # an older version (not the reports row's capture) is re-read from its WARC record
    db.execute("update reports set capture_id = null where id = ?", [row["report_id"]])
    try:
        assert version_text(db, archive, row) == current
    finally:
        db.execute("update reports set capture_id = ? where id = ?", [row["capture_id"], row["report_id"]])
