"""Archive -> derived tables. Needs no network: everything comes from the WARC files.

`extract_archive(db, dir)` rebuilds documents, reports, report_versions,
metrics, harmonized, checks and the search index from scratch (idempotent):
into new tables, swapped in at the end in one transaction (extract/rebuild.py),
so readers see the old set or the new set, never a half-built one. With
`only_new=True` it processes just the captures no document row points at yet,
which is what a crawl does at its end.

Reading and analysing documents is CPU-bound and independent per document, so it
runs in a pool of worker processes (one per core; attachments keep their reader's
own child process with its time and memory limits). Only this process writes to
SQLite, in capture order: detail pages before attachments (an attachment needs the
report of the page linking it), and the tables come out the same whatever the
number of workers.
"""
from __future__ import annotations

import json
import logging
import os
import time
from collections import deque
from contextlib import nullcontext
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime, timezone
from multiprocessing import get_context

from nianbao.archive.store import Archive, BodyTooLarge
from nianbao.db import ensure_derived_schema, transaction
from nianbao.extract.bodies import assign_bodies
from nianbao.extract.dictionary import load_dictionary
from nianbao.extract.document import Analysis, UnreadableDocument, analyse
from nianbao.extract.rebuild import Rebuild
from nianbao.fts import index_segments, is_external_content, reindex_all, segment_report

logger = logging.getLogger(__name__)

LIVE = {name: name for name in ("documents", "reports", "report_versions", "metrics", "harmonized", "checks",
                                "reports_fts")}


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _max_bytes() -> int:
    try:
        from nianbao.extract.attachments import MAX_ATTACHMENT_BYTES
    except ImportError:
        return 50 * 1024 * 1024
    return MAX_ATTACHMENT_BYTES


def default_workers() -> int:
    """NIANBAO_EXTRACT_WORKERS, else the cores this process may run on."""
    value = os.environ.get("NIANBAO_EXTRACT_WORKERS")
    if value:
        return max(1, int(value))
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return os.cpu_count() or 1


def _pending_captures(db, only_new: bool, T: dict) -> list[dict]:
    sql = (
        "SELECT c.id, c.url, c.kind, c.content_type, c.sha256, c.fetched_at, c.referer, c.link_text, c.filename, "
        "c.content_length "
        "FROM captures c WHERE c.status = 200 AND c.kind IN ('detail', 'attachment') "
    )
    if only_new:
        sql += f"AND c.id NOT IN (SELECT capture_id FROM [{T['documents']}] WHERE capture_id IS NOT NULL) "
    # detail pages first, so that attachments find the report of the page linking them
    sql += "ORDER BY CASE c.kind WHEN 'detail' THEN 0 ELSE 1 END, c.id"
    return [dict(zip(("id", "url", "kind", "content_type", "sha256", "fetched_at", "referer", "link_text",
                      "filename", "content_length"), row)) for row in db.execute(sql).fetchall()]


# -- the work of one document (in a worker process, or in this one) ------------------

class Outcome:
    """What analysing one capture gave: an Analysis (slimmed for the trip back from a
    worker) and the report's segmented search values, or the document row's error."""
    __slots__ = ("analysis", "error", "segments")

    def __init__(self, analysis=None, error=None, segments=None):
        self.analysis, self.error, self.segments = analysis, error, segments


def analyse_capture(archive: Archive, cap: dict) -> Outcome:
    try:
        if (cap["content_length"] or 0) > _max_bytes():
            # archived in full (streamed), but too big to read into memory and parse
            raise UnreadableDocument(f"file of {cap['content_length']:,} bytes is over the "
                                     f"{_max_bytes():,}-byte extraction limit")
        stored = archive.read(cap["id"])
        a = analyse(stored.body, stored.headers.get("content-type") or cap["content_type"],
                    cap["filename"], cap["link_text"])
    except BodyTooLarge as e:
        # named, so a search of the errors finds every bomb the archive kept but would not inflate
        return Outcome(error={"is_report": 0, "error": f"BodyTooLarge: {e}",
                              "reason": "解压后过大 (inflates past the limit)", "doc_type": "unreadable"})
    except UnreadableDocument as e:
        return Outcome(error={"is_report": 0, "error": str(e), "reason": "无法读取 (unreadable)", "doc_type": "unreadable"})
    except Exception as e:  # a broken page must never stop the rest
        logger.exception("extraction failed for %s", cap["url"])
        return Outcome(error={"is_report": 0, "error": f"{e.__class__.__name__}: {e}",
                              "reason": "提取出错 (extraction error)", "doc_type": "error"})
    # the writer needs the text, not the parsed page: keep the trip back small
    a.doc = {k: v for k, v in a.doc.items() if k not in ("html", "tree", "grids")}
    segments = segment_report(a.facts.title, a.facts.body, a.doc["text"]) if a.facts.is_report else None
    return Outcome(a, None, segments)


_WORKER_ARCHIVE: Archive | None = None


def _init_worker(db_path: str, archive_dir: str) -> None:
    """Each worker reads the archive through its own read-only connection."""
    import sqlite3

    import sqlite_utils

    global _WORKER_ARCHIVE
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
    _WORKER_ARCHIVE = Archive(sqlite_utils.Database(conn), archive_dir)


def _work(cap: dict) -> Outcome:
    return analyse_capture(_WORKER_ARCHIVE, cap)


def _work_chunk(caps: list[dict]) -> list[Outcome]:
    return [analyse_capture(_WORKER_ARCHIVE, cap) for cap in caps]


# Documents sent to a worker at a time: a page's analysis is ~13 ms and each task costs the
# writing process, the one part that does not scale, a submit and an answer to take in
# (1,600 pages on 2 workers: 13.2 s one at a time, 12.4 s four at a time).
CHUNK = 4


def _db_path(db) -> str:
    return next(row[2] for row in db.execute("PRAGMA database_list").fetchall() if row[1] == "main")


def _outcomes(db, archive_dir, caps: list[dict], workers: int):
    """(cap, Outcome) in the order of `caps`, analysed by `workers` processes."""
    if workers <= 1 or len(caps) < 4:
        archive = Archive(db, archive_dir)
        for cap in caps:
            yield cap, analyse_capture(archive, cap)
        return
    ctx = get_context("fork")  # workers start at once and share the imported readers
    args = (_db_path(db), str(archive_dir))

    def pool():
        return ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker, initargs=args)

    executor = pool()
    window = deque()  # (chunk, future) submitted, not yet written: bounded, so results never pile up
    todo = iter(caps)
    try:
        while True:
            while len(window) < workers * 4:
                chunk = [cap for cap in (next(todo, None) for _ in range(CHUNK)) if cap is not None]
                if not chunk:
                    break
                try:
                    future = executor.submit(_work_chunk, chunk)
                except BrokenProcessPool:  # a worker died since the last answer: handled below
                    future = None
                window.append((chunk, future))
            if not window:
                return
            chunk, future = window.popleft()
            try:
                if future is None:
                    raise BrokenProcessPool("the pool broke before this document was sent")
                outcomes = future.result()
            except BrokenProcessPool:
                # A worker died (a reader's native code crashed, the OOM killer): every
                # document in flight is lost with it. Try each again alone, so only the
                # one that kills its worker is given up on, then carry on with a new pool.
                executor.shutdown(wait=False, cancel_futures=True)
                for cap in chunk + [c for pending, _ in window for c in pending]:
                    yield cap, _alone(pool, cap)
                window.clear()
                executor = pool()
                continue
            except Exception as e:  # the worker's answer did not come back (e.g. cannot be pickled)
                outcomes = []
                for cap in chunk:   # each alone: only the one whose answer fails is lost
                    logger.error("extraction of %s's batch failed (%r): reading it alone", cap["url"], e)
                    outcomes.append(_alone(pool, cap))
            yield from zip(chunk, outcomes)
    finally:
        executor.shutdown(wait=False, cancel_futures=True)


def _alone(pool, cap: dict) -> Outcome:
    executor = pool()
    try:
        return executor.submit(_work, cap).result()
    except BrokenProcessPool:
        logger.error("extraction process died on %s", cap["url"])
        return Outcome(error={"is_report": 0, "reason": "提取出错 (extraction error)", "doc_type": "error",
                              "error": "the extraction process died reading this document"})
    except Exception as e:
        return Outcome(error={"is_report": 0, "reason": "提取出错 (extraction error)", "doc_type": "error", "error": f"{e.__class__.__name__}: {e}"})
    finally:
        executor.shutdown(wait=False, cancel_futures=True)


# -- writing (this process only) -------------------------------------------------------

def _store_statistics(db, T: dict, report_id: int, a: Analysis, capture_id: int) -> tuple[int, int]:
    ids = _dictionary_ids(db)
    for table in ("metrics", "harmonized", "checks"):
        db.execute(f"DELETE FROM [{T[table]}] WHERE report_id = ?", [report_id])
    db.conn.executemany(
        f"INSERT INTO [{T['metrics']}] (report_id, code, value, raw, method, approximate, capture_id, "
        "src_grid, src_row, src_col, src_offset) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(report_id, ids["metrics"][m.code], _number(m.value), m.raw, m.method, int(m.approximate), capture_id,
          m.source.get("grid"), m.source.get("grid_row"), m.source.get("grid_col"), m.source.get("offset"))
         for m in a.stats.metrics])
    db.conn.executemany(
        f"INSERT INTO [{T['harmonized']}] (report_id, name, value, raw, method, approximate, capture_id, src_offset) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [(report_id, ids["harmonized"][h.name], _number(h.value), h.raw, h.method, int(h.approximate), capture_id,
          h.source.get("offset"))
         for h in a.stats.harmonized])
    db.conn.executemany(
        f"INSERT INTO [{T['checks']}] (report_id, rule, ok, detail) VALUES (?, ?, ?, ?)",
        [(report_id, c.rule, int(c.ok), c.detail) for c in a.stats.checks])
    return len(a.stats.metrics), sum(1 for c in a.stats.checks if not c.ok)


def _number(value):
    """Counts as integers (94, not 94.0); amounts keep their decimals."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


_IDS_CACHE: dict[int, dict] = {}


def _dictionary_ids(db) -> dict:
    key = id(db.conn)
    if key not in _IDS_CACHE:
        _IDS_CACHE[key] = load_dictionary(db)
    return _IDS_CACHE[key]


def _update(db, table: str, row_id: int, values: dict) -> None:
    cols = ", ".join(f"[{k}] = ?" for k in values)
    db.execute(f"UPDATE [{table}] SET {cols} WHERE id = ?", [*values.values(), row_id])


def _insert(db, table: str, values: dict, replace: bool = False) -> int:
    cols = ", ".join(f"[{k}]" for k in values)
    marks = ", ".join("?" for _ in values)
    verb = "INSERT OR REPLACE" if replace else "INSERT"
    return db.execute(f"{verb} INTO [{table}] ({cols}) VALUES ({marks})", list(values.values())).lastrowid


def _upsert_report(db, T: dict, cap: dict, out: Outcome, counts: dict) -> int:
    a = out.analysis
    f = a.facts
    existing = db.execute(f"SELECT id, sha256, versions, title, body, text FROM [{T['reports']}] WHERE url = ?",
                          [cap["url"]]).fetchone()
    row = {
        "url": cap["url"], "title": f.title, "body": f.body, "year": f.year, "template": a.template,
        "published": f.published, "text": a.doc["text"], "capture_id": cap["id"], "sha256": cap["sha256"],
        "last_changed": cap["fetched_at"],
    }
    old_segments = None
    if existing is None:
        row.update(first_seen=cap["fetched_at"], versions=1)
        report_id = _insert(db, T["reports"], row)
        counts["reports_new"] += 1
        version = 1
    else:
        report_id, old_sha, versions, *old_indexed = existing
        if old_sha == cap["sha256"]:
            return report_id  # same bytes again: nothing changed
        version = (versions or 1) + 1
        row["versions"] = version
        # the index holds no copy of the text: replacing its entry needs what it was built from
        old_segments = segment_report(*old_indexed)
        _update(db, T["reports"], report_id, row)
        counts["reports_updated"] += 1
    # A version is its capture: the text is read again from the archive when wanted
    # (extract/versions.py), not stored a second time.
    _insert(db, T["report_versions"], {
        "report_id": report_id, "version": version, "capture_id": cap["id"], "sha256": cap["sha256"],
        "fetched_at": cap["fetched_at"], "title": f.title,
    })
    n_metrics, n_failed = _store_statistics(db, T, report_id, a, cap["id"])
    _update(db, T["reports"], report_id, {"metrics_count": n_metrics, "checks_failed": n_failed})
    index_segments(db, report_id, out.segments, old_segments, table=T["reports_fts"])
    return report_id


def _attachment_agreement(db, T: dict, report_id: int, cap: dict, a: Analysis) -> list[dict]:
    """Page and attachment are one report: where both carry a figure, they must agree."""
    page = {code: value for code, value in db.execute(
        f"SELECT c.code, m.value FROM [{T['metrics']}] m JOIN metric_codes c ON c.id = m.code "
        "WHERE m.report_id = ?", [report_id])}
    name = cap["filename"] or cap["link_text"] or cap["url"].rsplit("/", 1)[-1]
    shared = [m for m in a.stats.metrics if m.code in page]
    if not shared:
        return []
    differ = [f"{m.code}: page {page[m.code]:g}, attachment {m.value:g}" for m in shared
              if abs(float(page[m.code]) - float(m.value)) > 1e-6]
    detail = "; ".join(differ[:20]) if differ else f"{len(shared)} figures agree"
    return [{"report_id": report_id, "rule": f"attachment_agrees[{name}]", "ok": int(not differ), "detail": detail}]


def _attach(db, T: dict, report_id: int, cap: dict, a: Analysis) -> None:
    """An attachment of a report page: list it; its statistics fill a page that had none,
    and must agree with the page's where both have them."""
    row = db.execute(f"SELECT attachments, metrics_count FROM [{T['reports']}] WHERE id = ?", [report_id]).fetchone()
    attachments = json.loads(row[0] or "[]")
    entry = {"url": cap["url"], "filename": cap["filename"] or cap["link_text"], "capture_id": cap["id"],
             "template": a.stats.template, "metrics": len(a.stats.metrics), "ocr": bool(a.doc.get("ocr"))}
    attachments = [x for x in attachments if x["url"] != cap["url"]] + [entry]
    update = {"attachments": json.dumps(attachments, ensure_ascii=False)}
    if a.stats.template and not row[1]:
        n_metrics, n_failed = _store_statistics(db, T, report_id, a, cap["id"])
        update.update(template=a.stats.template, metrics_count=n_metrics, checks_failed=n_failed)
    elif a.stats.metrics:
        for check in _attachment_agreement(db, T, report_id, cap, a):
            _insert(db, T["checks"], check)
        failed = db.execute(f"SELECT count(*) FROM [{T['checks']}] WHERE report_id = ? AND ok = 0",
                            [report_id]).fetchone()[0]
        update["checks_failed"] = failed
    _update(db, T["reports"], report_id, update)


def _write(db, T: dict, cap: dict, out: Outcome, only_new: bool, counts: dict, in_batch: bool = False) -> None:
    doc_row = {"url": cap["url"], "capture_id": cap["id"], "kind": cap["kind"],
               "content_type": cap["content_type"], "extracted_at": _now()}
    with nullcontext() if in_batch else transaction(db):
        # Claim the capture in the transaction that writes its document: another
        # process (a distributed crawl's other worker) may have extracted it meanwhile.
        if only_new and db.execute(f"SELECT 1 FROM [{T['documents']}] WHERE capture_id = ?",
                                   [cap["id"]]).fetchone():
            return
        a = out.analysis
        if a is None:
            doc_row.update(out.error)
            counts["errors"] += 1
        else:
            doc_row.update(title=a.facts.title, is_report=int(a.facts.is_report), reason=a.facts.reason,
                           doc_type=a.facts.doc_type)
            parent = None
            if cap["kind"] == "attachment" and cap["referer"]:
                parent = db.execute(f"SELECT id FROM [{T['reports']}] WHERE url = ?", [cap["referer"]]).fetchone()
            if parent:
                _attach(db, T, parent[0], cap, a)
                doc_row["report_id"] = parent[0]
            elif a.facts.is_report:
                if out.segments is None:  # analysed as a non-report elsewhere: cannot happen, but be safe
                    out.segments = segment_report(a.facts.title, a.facts.body, a.doc["text"])
                doc_row["report_id"] = _upsert_report(db, T, cap, out, counts)
        _insert(db, T["documents"], doc_row, replace=True)
    counts["documents"] += 1


class _Batches:
    """The writes of a full rebuild, a few documents to a transaction. Its tables are new
    and nobody reads them before the swap, so a document needs no commit of its own (a
    commit per document was ~4% of a rebuild). Outcomes wait in memory, not in an open
    transaction: the write lock is held only while a batch is written, never while a
    document is analysed (an OCR can take a minute), so a crawl archiving into the same
    file meanwhile waits no longer than before. A batch is written after BATCH_DOCUMENTS
    documents or BATCH_SECONDS, in capture order."""

    BATCH_DOCUMENTS = 64
    BATCH_SECONDS = 0.25

    def __init__(self, db, write):
        self.db, self.write = db, write
        self.pending: list = []
        self.started = 0.0

    def add(self, cap: dict, out: Outcome) -> None:
        if not self.pending:
            self.started = time.monotonic()
        self.pending.append((cap, out))
        if len(self.pending) >= self.BATCH_DOCUMENTS or time.monotonic() - self.started >= self.BATCH_SECONDS:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            with transaction(self.db):
                for cap, out in self.pending:
                    self.write(cap, out)
            self.pending = []

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.flush()
        return False


def extract_archive(db, archive_dir, only_new: bool = False, source_bodies: dict | None = None,
                    workers: int | None = None) -> dict:
    """Run extraction over the archive; returns counts for the run summary.

    A full run (not only_new) raises `rebuild.ExtractionBusy` when another extraction
    of the database is running."""
    workers = default_workers() if workers is None else workers
    counts = {"documents": 0, "reports_new": 0, "reports_updated": 0, "errors": 0}
    if only_new:
        ensure_derived_schema(db)
        if not is_external_content(db):
            with transaction(db):
                reindex_all(db)  # a database from before the index kept no copy of the text
        _IDS_CACHE[id(db.conn)] = load_dictionary(db)  # the spec may have changed since the last run
        for cap, out in _outcomes(db, archive_dir, _pending_captures(db, True, LIVE), workers):
            _write(db, LIVE, cap, out, True, counts)
        assign_bodies(db)  # bodies, reports.body_id, corrections and the analysis views (extract/bodies.py)
        return counts
    with Rebuild(db) as rebuild:
        _IDS_CACHE[id(db.conn)] = load_dictionary(db)
        T = rebuild.tables
        with _Batches(db, lambda cap, out: _write(db, T, cap, out, False, counts, in_batch=True)) as batches:
            for cap, out in _outcomes(db, archive_dir, _pending_captures(db, False, T), workers):
                batches.add(cap, out)
        rebuild.swap()
        # under the same lock, on the tables just swapped in (the pass reads their names)
        assign_bodies(db)
    return counts
