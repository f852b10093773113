"""The text of a report version, read again from the archive.

`report_versions` keeps no text (the database holds each text once): a version is
its archived capture, and its text is what extraction reads from that capture's
bytes. The newest version's text is `reports.text`; an older one is re-read here,
e.g. for the report page's diff between consecutive versions.
"""
from __future__ import annotations

from nianbao.archive.store import Archive
from nianbao.extract.document import read_document


def version_text(db, archive_dir, version_row) -> str:
    """Text of one `report_versions` row (a dict/sqlite3.Row with report_id and capture_id,
    or the row's id). Raises KeyError when the capture is not in the archive."""
    if isinstance(version_row, int):
        row = db.execute("SELECT report_id, capture_id FROM report_versions WHERE id = ?", [version_row]).fetchone()
        if row is None:
            raise KeyError(f"no report version {version_row}")
        report_id, capture_id = row
    else:
        report_id, capture_id = version_row["report_id"], version_row["capture_id"]
    current = db.execute("SELECT text FROM reports WHERE id = ? AND capture_id = ?", [report_id, capture_id]).fetchone()
    if current is not None:
        return current[0] or ""
    cap = db.execute("SELECT content_type, filename FROM captures WHERE id = ?", [capture_id]).fetchone()
    if cap is None:
        raise KeyError(f"no capture {capture_id}")
    stored = Archive(db, archive_dir).read(capture_id)
    return read_document(stored.body, stored.headers.get("content-type") or cap[0], cap[1])["text"] or ""
