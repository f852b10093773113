"""Archive -> derived tables. Needs no network: everything comes from the WARC files.

`extract_archive(db, dir)` rebuilds documents, reports, report_versions,
metrics, harmonized, checks and the search index from scratch (idempotent);
with `only_new=True` it processes just the captures no document row points at
yet, which is what a crawl does at its end.
"""
from __future__ import annotations

import json
import logging
from datetime import datetime, timezone

from nianbao.archive.store import Archive
from nianbao.db import drop_derived, ensure_derived_schema, transaction
from nianbao.extract.bodies import assign_bodies
from nianbao.extract.dictionary import load_dictionary
from nianbao.extract.document import Analysis, UnreadableDocument, analyse
from nianbao.publish.search import index_report

logger = logging.getLogger(__name__)


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _max_bytes() -> int:
    try:
        from nianbao.extract.attachments import MAX_ATTACHMENT_BYTES
    except ImportError:
        return 50 * 1024 * 1024
    return MAX_ATTACHMENT_BYTES


def _pending_captures(db, only_new: bool) -> list[dict]:
    sql = (
        "SELECT c.id, c.url, c.kind, c.content_type, c.sha256, c.fetched_at, c.referer, c.link_text, c.filename, "
        "c.content_length "
        "FROM captures c WHERE c.status = 200 AND c.kind IN ('detail', 'attachment') "
    )
    if only_new:
        sql += "AND c.id NOT IN (SELECT capture_id FROM documents WHERE capture_id IS NOT NULL) "
    # detail pages first, so that attachments find the report of the page linking them
    sql += "ORDER BY CASE c.kind WHEN 'detail' THEN 0 ELSE 1 END, c.id"
    return list(db.query(sql))


def _store_statistics(db, report_id: int, a: Analysis, capture_id: int) -> tuple[int, int]:
    ids = _dictionary_ids(db)
    for table in ("metrics", "harmonized", "checks"):
        db.execute(f"DELETE FROM {table} WHERE report_id = ?", [report_id])
    db.conn.executemany(
        "INSERT INTO metrics (report_id, code, value, raw, method, approximate, capture_id, "
        "src_grid, src_row, src_col, src_offset) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(report_id, ids["metrics"][m.code], _number(m.value), m.raw, m.method, int(m.approximate), capture_id,
          m.source.get("grid"), m.source.get("grid_row"), m.source.get("grid_col"), m.source.get("offset"))
         for m in a.stats.metrics])
    db.conn.executemany(
        "INSERT INTO harmonized (report_id, name, value, raw, method, approximate, capture_id, src_offset) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [(report_id, ids["harmonized"][h.name], _number(h.value), h.raw, h.method, int(h.approximate), capture_id,
          h.source.get("offset"))
         for h in a.stats.harmonized])
    db["checks"].insert_all(({
        "report_id": report_id, "rule": c.rule, "ok": int(c.ok), "detail": c.detail,
    } for c in a.stats.checks))
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


def _upsert_report(db, cap: dict, a: Analysis, counts: dict) -> int:
    f = a.facts
    existing = db.execute("SELECT id, sha256, versions FROM reports WHERE url = ?", [cap["url"]]).fetchone()
    row = {
        "url": cap["url"], "title": f.title, "body": f.body, "year": f.year, "template": a.template,
        "published": f.published, "text": a.doc["text"], "capture_id": cap["id"], "sha256": cap["sha256"],
        "last_changed": cap["fetched_at"],
    }
    if existing is None:
        row.update(first_seen=cap["fetched_at"], versions=1)
        report_id = db["reports"].insert(row).last_pk
        counts["reports_new"] += 1
        version = 1
    else:
        report_id, old_sha, versions = existing
        if old_sha == cap["sha256"]:
            return report_id  # same bytes again: nothing changed
        version = (versions or 1) + 1
        row["versions"] = version
        db["reports"].update(report_id, row)
        counts["reports_updated"] += 1
    db["report_versions"].insert({
        "report_id": report_id, "version": version, "capture_id": cap["id"], "sha256": cap["sha256"],
        "fetched_at": cap["fetched_at"], "title": f.title, "text": a.doc["text"],
    })
    n_metrics, n_failed = _store_statistics(db, report_id, a, cap["id"])
    db["reports"].update(report_id, {"metrics_count": n_metrics, "checks_failed": n_failed})
    index_report(db, report_id, f.title, f.body, a.doc["text"])
    return report_id


def _attachment_agreement(db, report_id: int, cap: dict, a: Analysis) -> list[dict]:
    """Page and attachment are one report: where both carry a figure, they must agree."""
    page = {code: value for code, value in db.execute(
        "SELECT code, value FROM metric_values WHERE report_id = ?", [report_id])}
    name = cap["filename"] or cap["link_text"] or cap["url"].rsplit("/", 1)[-1]
    shared = [m for m in a.stats.metrics if m.code in page]
    if not shared:
        return []
    differ = [f"{m.code}: page {page[m.code]:g}, attachment {m.value:g}" for m in shared
              if abs(float(page[m.code]) - float(m.value)) > 1e-6]
    detail = "; ".join(differ[:20]) if differ else f"{len(shared)} figures agree"
    return [{"report_id": report_id, "rule": f"attachment_agrees[{name}]", "ok": int(not differ), "detail": detail}]


def _attach(db, report_id: int, cap: dict, a: Analysis) -> None:
    """An attachment of a report page: list it; its statistics fill a page that had none,
    and must agree with the page's where both have them."""
    row = db.execute("SELECT attachments, metrics_count FROM reports WHERE id = ?", [report_id]).fetchone()
    attachments = json.loads(row[0] or "[]")
    entry = {"url": cap["url"], "filename": cap["filename"] or cap["link_text"], "capture_id": cap["id"],
             "template": a.stats.template, "metrics": len(a.stats.metrics), "ocr": bool(a.doc.get("ocr"))}
    attachments = [x for x in attachments if x["url"] != cap["url"]] + [entry]
    update = {"attachments": json.dumps(attachments, ensure_ascii=False)}
    if a.stats.template and not row[1]:
        n_metrics, n_failed = _store_statistics(db, report_id, a, cap["id"])
        update.update(template=a.stats.template, metrics_count=n_metrics, checks_failed=n_failed)
    elif a.stats.metrics:
        checks = _attachment_agreement(db, report_id, cap, a)
        db["checks"].insert_all(checks)
        failed = db.execute("SELECT count(*) FROM checks WHERE report_id = ? AND ok = 0", [report_id]).fetchone()[0]
        update["checks_failed"] = failed
    db["reports"].update(report_id, update)


def extract_archive(db, archive_dir, only_new: bool = False, source_bodies: dict | None = None) -> dict:
    """Run extraction over the archive; returns counts for the run summary."""
    if not only_new:
        drop_derived(db)
    ensure_derived_schema(db)
    _IDS_CACHE[id(db.conn)] = load_dictionary(db)  # the spec may have changed since the last run
    archive = Archive(db, archive_dir)
    counts = {"documents": 0, "reports_new": 0, "reports_updated": 0, "errors": 0}
    for cap in _pending_captures(db, only_new):
        doc_row = {"url": cap["url"], "capture_id": cap["id"], "kind": cap["kind"],
                   "content_type": cap["content_type"], "extracted_at": _now()}
        a = None
        try:
            if (cap["content_length"] or 0) > _max_bytes():
                # archived in full (streamed), but too big to read into memory and parse
                raise UnreadableDocument(f"file of {cap['content_length']:,} bytes is over the "
                                         f"{_max_bytes():,}-byte extraction limit")
            stored = archive.read(cap["id"])
            a = analyse(stored.body, stored.headers.get("content-type") or cap["content_type"],
                        cap["filename"], cap["link_text"])
        except UnreadableDocument as e:
            doc_row.update(is_report=0, error=str(e), reason="unreadable")
        except Exception as e:  # a broken page must never stop the rest
            logger.exception("extraction failed for %s", cap["url"])
            doc_row.update(is_report=0, error=f"{e.__class__.__name__}: {e}", reason="extraction error")
        with transaction(db):
            # Claim the capture in the transaction that writes its document: another
            # process (a distributed crawl's other worker) may have extracted it meanwhile.
            if only_new and db.execute("SELECT 1 FROM documents WHERE capture_id = ?", [cap["id"]]).fetchone():
                continue
            if a is None:
                counts["errors"] += 1
            else:
                doc_row.update(title=a.facts.title, is_report=int(a.facts.is_report), reason=a.facts.reason)
                parent = None
                if cap["kind"] == "attachment" and cap["referer"]:
                    parent = db.execute("SELECT id FROM reports WHERE url = ?", [cap["referer"]]).fetchone()
                if parent:
                    _attach(db, parent[0], cap, a)
                    doc_row["report_id"] = parent[0]
                elif a.facts.is_report:
                    doc_row["report_id"] = _upsert_report(db, cap, a, counts)
            db["documents"].insert(doc_row, replace=True)
        counts["documents"] += 1
    assign_bodies(db)  # bodies, reports.body_id, corrections and the analysis views (extract/bodies.py)
    return counts
