"""The SQLite schema, in one place.

Two kinds of tables live in one file:
- the *archive index* (`captures`, `crawl_runs`): written while crawling, never
  rebuilt, because it points into the WARC files that hold the bytes;
- the *derived* tables (`documents`, `reports`, `metrics`, ...): rebuilt from the
  archive alone by `nianbao extract`, so they can always be thrown away.
"""
from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import sqlite_utils

from nianbao.fts import drop_fts, ensure_fts

ARCHIVE_TABLES = ("crawl_runs", "captures", "fetch_errors", "source_runs")
FLAG_AFTER_RUNS = 3  # a source with no report for this many runs in a row is flagged

SOURCE_HEALTH_SQL = f"""
select source,
       count(*) as runs,
       max(crawl_run_id) as last_run,
       (select report_pages from source_runs r2 where r2.source = sr.source order by crawl_run_id desc limit 1)
           as last_report_pages,
       (select count(*) from (select report_pages from source_runs r3 where r3.source = sr.source
                              order by crawl_run_id desc limit {FLAG_AFTER_RUNS}) where report_pages = 0)
           as empty_recent_runs,
       case when (select count(*) from (select report_pages from source_runs r4 where r4.source = sr.source
                                         order by crawl_run_id desc limit {FLAG_AFTER_RUNS})
                  where report_pages = 0) >= {FLAG_AFTER_RUNS} then 1 else 0 end as flagged
from source_runs sr group by source
"""
DERIVED_TABLES = ("checks", "harmonized", "metrics", "report_versions", "reports", "documents")
# The dictionary tables (metric_codes, harmonized_names) are reloaded from the spec, not
# dropped: their ids stay stable across rebuilds.

# Figures with their text codes, for SQL users who think in spec codes rather than ids.
DERIVED_VIEWS = {
    "metric_values": """select m.id, m.report_id, c.code, c.label_zh, m.value, c.unit, m.raw, m.method,
       m.approximate, m.capture_id, m.src_grid, m.src_row, m.src_col, m.src_offset
from metrics m join metric_codes c on c.id = m.code""",
    "harmonized_values": """select h.id, h.report_id, n.name, n.label_zh, h.value, n.unit, h.raw, h.method,
       h.approximate, h.capture_id, h.src_offset
from harmonized h join harmonized_names n on n.id = h.name""",
}


def connect(path: str | Path) -> sqlite_utils.Database:
    """Open (creating if needed) a Nianbao database with the full schema."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # isolation_level=None: we manage transactions explicitly; autocommit otherwise.
    conn = sqlite3.connect(str(path), timeout=30, isolation_level=None)
    db = sqlite_utils.Database(conn)
    # WAL keeps readers (Datasette) working while a crawl writes, and with
    # synchronous=NORMAL a committed row survives the process being killed.
    # Several processes may open a new database at once (a distributed crawl's
    # workers): one creates a table between another's check and its CREATE, or
    # holds the lock while switching to WAL. Creation is idempotent: try again.
    for attempt in range(10):
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA foreign_keys=ON")
            ensure_schema(db)
            return db
        except sqlite3.OperationalError as e:
            if attempt == 9 or not any(w in str(e) for w in ("already exists", "locked", "busy")):
                raise
            time.sleep(0.1 * (attempt + 1))
    return db


def ensure_schema(db: sqlite_utils.Database) -> None:
    if "crawl_runs" not in db.table_names():
        db["crawl_runs"].create(
            {
                "id": int, "started_at": str, "finished_at": str, "status": str,
                "pid": int, "host": str, "start_urls": str, "sources": str,
                "pages": int, "bytes": int, "reports_new": int, "reports_updated": int,
                "errors": int, "error_detail": str, "settings": str,
            },
            pk="id",
        )
    if "captures" not in db.table_names():
        db["captures"].create(
            {
                "id": int, "url": str, "fetched_at": str, "status": int,
                "content_type": str, "content_length": int, "sha256": str,
                "warc_file": str, "warc_offset": int, "warc_length": int,
                "record_type": str,  # response (body stored here) or revisit (body stored at the capture with the same sha256)
                "kind": str,  # robots, list, detail, attachment, other
                "etag": str, "last_modified": str, "filename": str,
                "referer": str, "link_text": str, "crawl_run_id": int,
                "source": str,  # registry source id (null for --start-url crawls)
            },
            pk="id",
            foreign_keys=[("crawl_run_id", "crawl_runs", "id")],
        )
        db["captures"].create_index(["url"])
        db["captures"].create_index(["sha256"])
        db["captures"].create_index(["warc_file", "warc_offset"], unique=True)
        db["captures"].create_index(["crawl_run_id"])
    elif "source" not in db["captures"].columns_dict:
        db["captures"].add_column("source", str)  # databases made before per-source tracking
    if "source_runs" not in db.table_names():
        # What each registry source yielded in each run: a portal that silently
        # redesigned shows up as runs with no reports (see the source_health view).
        db["source_runs"].create(
            {"id": int, "crawl_run_id": int, "source": str, "pages": int, "errors": int,
             "report_pages": int, "reports_new": int},
            pk="id", foreign_keys=[("crawl_run_id", "crawl_runs", "id")],
        )
        db["source_runs"].create_index(["source", "crawl_run_id"], unique=True)
    if "source_health" not in db.view_names():
        db.create_view("source_health", SOURCE_HEALTH_SQL)
    if "fetch_errors" not in db.table_names():
        # Requests that produced no response to archive (timeouts, refused, too large).
        db["fetch_errors"].create(
            {"id": int, "crawl_run_id": int, "url": str, "kind": str, "error": str, "at": str},
            pk="id", foreign_keys=[("crawl_run_id", "crawl_runs", "id")],
        )
        db["fetch_errors"].create_index(["crawl_run_id"])
    ensure_derived_schema(db)


def ensure_derived_schema(db: sqlite_utils.Database) -> None:
    names = set(db.table_names())
    if "documents" not in names:
        # Every fetched page or attachment that extraction looked at, report or not:
        # lets a user see why something was *not* taken for a report.
        db["documents"].create(
            {
                "id": int, "url": str, "capture_id": int, "kind": str, "content_type": str,
                "title": str, "is_report": int, "reason": str, "error": str,
                "report_id": int, "extracted_at": str,
                # report / correction / other kinds (notice, work-plan, budget, …): what the
                # report decision took the document for; `reason` says why, Chinese first
                "doc_type": str,
                # a correction notice (更正说明): the report it corrects (extract/bodies.py);
                # no REFERENCES, like report_id: a rebuild drops reports before documents
                "corrects_report_id": int,
            },
            pk="id",
            foreign_keys=[("capture_id", "captures", "id")],
        )
        db["documents"].create_index(["url"])
        db["documents"].create_index(["capture_id"], unique=True)
    elif "doc_type" not in db["documents"].columns_dict:
        db["documents"].add_column("doc_type", str)  # databases made before the report decision said what a page is
    # Who publishes reports, one row each (extract/bodies.py fills it after every
    # extraction). Not a derived table: a body keeps its id across rebuilds, so links to
    # /nianbao/bodies/<id> stay valid.
    db.execute("""CREATE TABLE IF NOT EXISTS bodies (
        id INTEGER PRIMARY KEY, name TEXT NOT NULL, normalized_name TEXT NOT NULL,
        level TEXT, region TEXT, parent_id INTEGER REFERENCES bodies(id) DEFERRABLE INITIALLY DEFERRED, source_id TEXT,
        aliases TEXT, origin TEXT, reports INTEGER, first_year INTEGER, last_year INTEGER)""")
    if "reports" not in names:
        # Raw DDL for body_id's DEFERRABLE reference: extract/bodies.py rewrites `bodies`
        # (ids kept) and reports.body_id in one transaction, checked at its commit.
        db.execute("""CREATE TABLE [reports] (
            [id] INTEGER PRIMARY KEY, [url] TEXT, [title] TEXT, [body] TEXT, [year] INTEGER,
            [template] TEXT, [published] TEXT, [text] TEXT,
            [capture_id] INTEGER REFERENCES [captures]([id]),
            [sha256] TEXT, [first_seen] TEXT, [last_changed] TEXT, [versions] INTEGER,
            [attachments] TEXT, [metrics_count] INTEGER, [checks_failed] INTEGER,
            [body_id] INTEGER REFERENCES [bodies]([id]) DEFERRABLE INITIALLY DEFERRED)""")
        db["reports"].create_index(["body_id"])
        db["reports"].create_index(["url"], unique=True)
        db["reports"].create_index(["year"])
        db["reports"].create_index(["body"])
        db["reports"].create_index(["template"])
    if "report_versions" not in names:
        # No text column: a version's text is the text of its archived capture, read again
        # from the WARC when someone wants it (extract/versions.py `version_text`); the
        # newest version's text is reports.text. The file holds each text once.
        db["report_versions"].create(
            {"id": int, "report_id": int, "version": int, "capture_id": int,
             "sha256": str, "fetched_at": str, "title": str},
            pk="id",
            foreign_keys=[("report_id", "reports", "id"), ("capture_id", "captures", "id")],
        )
        db["report_versions"].create_index(["report_id", "version"], unique=True)
    if "metric_codes" not in names:
        # The code dictionary (spec/metrics.tsv), loaded by extraction on every run
        # (extract/dictionary.py). Figures point at it by integer id: a text code per
        # figure cost ~100 bytes with its indexes; the id keeps metrics compact while
        # Datasette shows each figure's Chinese label through the foreign key.
        db.execute("""CREATE TABLE metric_codes (
            id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE, templates TEXT, section TEXT,
            row_label TEXT, column_label TEXT, unit TEXT, label_zh TEXT, meaning_zh TEXT, meaning_en TEXT)""")
    if "harmonized_names" not in names:
        db.execute("""CREATE TABLE harmonized_names (
            id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, label_zh TEXT, unit TEXT,
            gk2008 TEXT, gk2019_gk2021 TEXT, meaning_zh TEXT, meaning_en TEXT)""")
    if "metrics" not in names:
        # value is NUMERIC: counts stay integers (94, not 94.0), amounts keep decimals.
        # Where a figure was read: src_grid/src_row/src_col (table cell) or src_offset
        # (character offset of the sentence in the document text), not a JSON blob.
        db.execute("""CREATE TABLE metrics (
            id INTEGER PRIMARY KEY, report_id INTEGER REFERENCES reports(id),
            code INTEGER REFERENCES metric_codes(id), value NUMERIC, raw TEXT, method TEXT,
            approximate INTEGER, capture_id INTEGER REFERENCES captures(id),
            src_grid INTEGER, src_row INTEGER, src_col INTEGER, src_offset INTEGER)""")
        db["metrics"].create_index(["report_id", "code"])
        db["metrics"].create_index(["code"])
    if "harmonized" not in names:
        db.execute("""CREATE TABLE harmonized (
            id INTEGER PRIMARY KEY, report_id INTEGER REFERENCES reports(id),
            name INTEGER REFERENCES harmonized_names(id), value NUMERIC, raw TEXT, method TEXT,
            approximate INTEGER, capture_id INTEGER REFERENCES captures(id), src_offset INTEGER)""")
        db["harmonized"].create_index(["report_id", "name"])
        db["harmonized"].create_index(["name"])
    for view, sql in DERIVED_VIEWS.items():
        if view not in db.view_names():
            db.create_view(view, sql)
    if "checks" not in names:
        db["checks"].create(
            {"id": int, "report_id": int, "rule": str, "ok": int, "detail": str},
            pk="id",
            foreign_keys=[("report_id", "reports", "id")],
        )
        db["checks"].create_index(["report_id"])
        db["checks"].create_index(["ok"])
    ensure_fts(db)


def derived_schema() -> list[tuple[str, str, str, str]]:
    """(type, name, table, sql) of every derived table and index as a new database has them,
    in creation order: what a rebuild creates under other names (extract/rebuild.py).
    Made by running ensure_schema on an empty in-memory database, so whatever columns
    and indexes ensure_schema gives a new file, a rebuild gives too."""
    mem = sqlite_utils.Database(memory=True)
    ensure_schema(mem)
    rows = mem.execute("SELECT type, name, tbl_name, sql FROM sqlite_master "
                       "WHERE type IN ('table', 'index') AND sql IS NOT NULL ORDER BY rowid").fetchall()
    mem.conn.close()
    return [r for r in rows if r[2] in DERIVED_TABLES]


def drop_derived(db: sqlite_utils.Database) -> None:
    drop_fts(db)
    for view in DERIVED_VIEWS:
        if view in db.view_names():
            db.execute(f"DROP VIEW {view}")
    for name in DERIVED_TABLES:
        if name in db.table_names():
            db[name].drop()


class transaction:
    """BEGIN … COMMIT on our autocommit connection (ROLLBACK if the block raises)."""

    def __init__(self, db: sqlite_utils.Database):
        self.db = db

    def __enter__(self):
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, exc_type, exc, tb):
        self.db.execute("ROLLBACK" if exc_type else "COMMIT")
        return False
