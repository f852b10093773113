"""`recover()` rebuilds index rows exactly as the crawl first wrote them."""
import sqlite3

from conftest import FAST, run_cli

from nianbao.archive.store import Archive
from nianbao.db import connect

COLUMNS = ("url", "fetched_at", "status", "content_type", "content_length", "sha256", "warc_file", "warc_offset",
           "warc_length", "record_type", "kind", "etag", "last_modified", "filename", "referer", "link_text",
           "crawl_run_id", "source")


def _rows(db_path):
    conn = sqlite3.connect(db_path)
    try:
        return {(r[6], r[7]): r for r in conn.execute(f"select {', '.join(COLUMNS)} from captures")}
    finally:
        conn.close()


def _forget_and_recover(db_path, archive):
    conn = sqlite3.connect(db_path)
    conn.execute("delete from captures")
    conn.commit()
    conn.close()
    db = connect(db_path)
    result = Archive(db, archive).recover()
    db.conn.close()
    return result


def test_recover_restores_every_row_of_a_real_crawl(demo_portal, demo_manifest, tmp_path):
    db_path, archive = tmp_path / "n.db", tmp_path / "warc"
    args = ["crawl", "--db", db_path, "--archive", archive, "--no-extract", *FAST]
    for col in demo_manifest["columns"]:
        args += ["--start-url", demo_portal.url + col["path"]]
    run_cli(*args)
    run_cli(*args)  # a recrawl: 304s and revisit records too
    before = _rows(db_path)
    assert any(r[9] == "revisit" for r in before.values()) or any(r[2] == 304 for r in before.values())
    assert any(r[15] and not r[15].isascii() for r in before.values())  # Chinese link text
    result = _forget_and_recover(db_path, archive)
    assert result["indexed"] == len(before)
    after = _rows(db_path)
    assert after == before


def test_recover_fidelity_of_text_lengths_and_revisits(tmp_path):
    db_path, warc = tmp_path / "n.db", tmp_path / "warc"
    db = connect(db_path)
    run_id = db["crawl_runs"].insert({"started_at": "2026-01-01T00:00:00Z", "status": "finished"}).last_pk
    archive = Archive(db, warc, run_id=run_id)
    body = "<p>二〇二三年报</p>".encode() * 100
    archive.store("http://h/a", 200, "OK", [("Content-Type", "text/html"), ("Content-Encoding", "identity")], body,
                  kind="detail", referer="http://h/list?q=%E5%B9%B4&x=1", link_text="2023年 年报 100% 完成",
                  source="src-1")
    archive.store("http://h/b", 200, "OK", [("ETag", '"e1"')], body, kind="detail",  # same bytes: a revisit
                  link_text="A%20B literally", filename="统计表 (1).xls")
    archive.store("http://h/c", 200, "OK", [], b"x", kind="attachment", link_text="长" * 800,
                  filename="report%2Bfinal.pdf")
    archive.close()
    db.conn.close()
    before = _rows(db_path)
    assert {r[9] for r in before.values()} == {"response", "revisit"}
    assert _forget_and_recover(db_path, warc)["indexed"] == 3
    after = _rows(db_path)
    assert after == before
    by_url = {r[0]: r for r in after.values()}
    assert by_url["http://h/a"][15] == "2023年 年报 100% 完成"
    assert by_url["http://h/b"][15] == "A%20B literally" and by_url["http://h/b"][13] == "统计表 (1).xls"
    assert by_url["http://h/b"][4] == len(body)  # a revisit's length is its payload's, as indexed
    assert by_url["http://h/c"][15] == "长" * 500
