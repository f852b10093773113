"""Extraction on every core: a pool of worker processes analyses, one writer writes."""
import os
import sqlite3

import pytest
import sqlite_utils

from nianbao.extract import pipeline

TABLES = {
    "reports": "id, url, title, body, year, template, published, text, capture_id, sha256, versions, attachments, "
               "metrics_count, checks_failed",
    "report_versions": "report_id, version, capture_id, sha256, title",
    "metrics": "report_id, code, value, raw, method, approximate, capture_id, src_grid, src_row, src_col, src_offset",
    "harmonized": "report_id, name, value, raw, method, approximate, capture_id, src_offset",
    "checks": "report_id, rule, ok, detail",
    "documents": "url, capture_id, kind, title, is_report, reason, error, report_id",
}


def _dump(db_path):
    conn = sqlite3.connect(db_path)
    out = {t: conn.execute(f"select {cols} from {t} order by id").fetchall() for t, cols in TABLES.items()}
    out["search"] = conn.execute("select rowid from reports_fts where reports_fts match '\"衡阳\"' order by rowid").fetchall()
    return out


def _extract(db_path, archive, workers):
    db = sqlite_utils.Database(sqlite3.connect(db_path, isolation_level=None, timeout=30))
    try:
        return pipeline.extract_archive(db, archive, workers=workers)
    finally:
        db.conn.close()


def test_one_and_two_workers_give_the_same_tables(crawled_demo, tmp_path, monkeypatch):
    _, db_path, archive, _ = crawled_demo
    pids = tmp_path / "pids"
    real = pipeline.analyse

    def recording(*args, **kwargs):  # forked workers inherit the patch
        with open(pids, "a") as fh:
            fh.write(f"{os.getpid()}\n")
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "analyse", recording)
    _extract(db_path, archive, 1)
    one = _dump(db_path)
    assert set(pids.read_text().split()) == {str(os.getpid())}  # one worker: in this process
    pids.unlink()
    counts = _extract(db_path, archive, 2)
    two = _dump(db_path)
    used = set(pids.read_text().split())
    assert len(used) == 2 and str(os.getpid()) not in used  # two worker processes did the reading
    assert counts["documents"] == len(two["documents"]) and counts["errors"] == 0
    assert len(one["reports"]) >= 10 and len(one["metrics"]) > 500 and one["search"]
    assert one == two


def test_a_broken_document_does_not_stop_the_rest(crawled_demo, monkeypatch):
    _, db_path, archive, _ = crawled_demo
    _extract(db_path, archive, 1)
    before = _dump(db_path)
    pages = [d[0] for d in before["documents"] if d[2] == "detail" and d[4]]
    raises, dies = pages[0], pages[1]
    real = pipeline.analyse_capture

    def fragile(archive, cap):  # forked workers inherit the patch
        if cap["url"] == raises:
            raise ValueError("parser bug")
        if cap["url"] == dies:
            os._exit(9)  # a reader's native code crashing takes its whole worker process with it
        return real(archive, cap)

    monkeypatch.setattr(pipeline, "analyse_capture", fragile)
    counts = _extract(db_path, archive, 2)
    after = _dump(db_path)
    docs = {d[0]: d for d in after["documents"]}
    assert len(docs) == len(before["documents"])  # every document has its row
    assert "ValueError: parser bug" in docs[raises][6]
    assert "died" in docs[dies][6] and docs[dies][4] == 0
    assert counts["errors"] == 2
    urls = {r[1] for r in after["reports"]}
    assert urls >= {r[1] for r in before["reports"]} - {raises, dies}  # the others all made it
    assert not urls & {raises, dies}
