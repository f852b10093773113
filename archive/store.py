"""The archive: WARC files for the bytes, the `captures` table for finding them.

Every HTTP response a crawl receives goes through `Archive.store()`, whatever its
status. Identical bodies are stored once: a later capture of the same bytes is
a WARC `revisit` record that names the earlier one (identical-payload-digest).
"""
from __future__ import annotations

import hashlib
import os
import re
import sqlite3
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

from nianbao.archive.warcfile import (ROTATE_BYTES, WarcFile, members, read_record, scan_tail, truncate_torn_tail,
                                      warc_date)

# Hop-by-hop framing Scrapy has already undone: keeping it would make WARC
# readers try to de-chunk a body that is no longer chunked.
_DROP_HEADERS = {"transfer-encoding"}

# Our own WARC headers, so that `recover()` can rebuild an index row from the
# WARC file alone after a crash between writing the record and indexing it.
H_KIND, H_RUN, H_REFERER, H_LINK_TEXT, H_FILENAME, H_SOURCE = (
    "X-Nianbao-Kind", "X-Nianbao-Run", "X-Nianbao-Referer", "X-Nianbao-Link-Text", "X-Nianbao-Filename",
    "X-Nianbao-Source")


@dataclass
class StoredBody:
    capture_id: int
    url: str
    status: int
    headers: dict[str, str]
    body: bytes           # content-encoding undone, bytes otherwise as received
    fetched_at: str
    content_type: str | None


def _header(headers: list[tuple[str, str]], name: str) -> str | None:
    name = name.lower()
    for k, v in headers:
        if k.lower() == name:
            return v
    return None


def _live_writer(path: Path) -> bool:
    """Is the file's writer (the pid in its name, `<prefix>-<stamp>-<pid>.warc.gz`) another live process?"""
    m = re.search(r"-(\d+)\.warc\.gz$", path.name)
    if not m:
        return False
    pid = int(m.group(1))
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def decode_content_encoding(body: bytes, encoding: str | None) -> bytes:
    enc = (encoding or "").strip().lower()
    try:
        if enc in ("gzip", "x-gzip"):
            return zlib.decompress(body, 16 + zlib.MAX_WBITS)
        if enc == "deflate":
            try:
                return zlib.decompress(body)
            except zlib.error:
                return zlib.decompress(body, -zlib.MAX_WBITS)
        if enc == "br":
            import brotli  # optional; Scrapy only asks for br when brotli is installed

            return brotli.decompress(body)
    except Exception:
        return body  # a server that lies about its encoding: keep the bytes
    return body


class Archive:
    def __init__(self, db, directory: str | Path, run_id: int | None = None, prefix: str = "nianbao"):
        self.db = db
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.run_id = run_id
        self.prefix = prefix
        self._warc: WarcFile | None = None

    # -- writing ---------------------------------------------------------------
    def _current(self) -> WarcFile:
        if self._warc is None or self._warc.size() > ROTATE_BYTES:
            if self._warc:
                self._warc.close()
            self._warc = WarcFile(self.directory, self.prefix)
        return self._warc

    def store(self, url: str, status: int, reason: str, headers: list[tuple[str, str]], body: bytes,
              kind: str = "other", referer: str | None = None, link_text: str | None = None,
              filename: str | None = None, source: str | None = None,
              request: tuple[str, list[tuple[str, str]], bytes] | None = None) -> int:
        """Archive one response. `request` = (method, headers, body) of a request whose body
        chose the answer (a POSTed list page): written as a WARC request record beside it."""
        sha = hashlib.sha256(body).hexdigest()
        return self.store_file(url, status, reason, headers, body, len(body), sha, kind, referer, link_text,
                               filename, source, request)

    def store_file(self, url: str, status: int, reason: str, headers: list[tuple[str, str]], body, size: int,
                   sha: str, kind: str = "other", referer: str | None = None, link_text: str | None = None,
                   filename: str | None = None, source: str | None = None,
                   request: tuple[str, list[tuple[str, str]], bytes] | None = None) -> int:
        """Like store(), for a body given as bytes or as a file object of `size` bytes whose
        SHA-256 is known (a large file streamed to disk never has to be in memory)."""
        headers = [(k, v) for k, v in headers if k.lower() not in _DROP_HEADERS]
        fetched_at = warc_date()
        extra = {H_KIND: kind}
        if self.run_id is not None:
            extra[H_RUN] = str(self.run_id)
        if referer:
            extra[H_REFERER] = referer
        if link_text:
            extra[H_LINK_TEXT] = link_text[:500]
        if filename:
            extra[H_FILENAME] = filename
        if source:
            extra[H_SOURCE] = source
        original = self.db.execute(
            "SELECT url, fetched_at FROM captures WHERE sha256 = ? AND record_type = 'response' LIMIT 1", [sha]
        ).fetchone() if size else None
        warc = self._current()
        headers_with_extra = headers + list(extra.items())
        request_id = warc.write_request(url, *request, fetched_at) if request else None
        if original:
            offset, length = warc.write_revisit(url, status, reason, headers_with_extra, fetched_at,
                                                f"sha256:{sha}", original[0], original[1], request_id)
            record_type = "revisit"
        else:
            offset, length = warc.write_response(url, status, reason, headers_with_extra, body, fetched_at,
                                                 f"sha256:{sha}", length=size, concurrent_to=request_id)
            record_type = "response"
        return self._index(url, status, headers, size, sha, warc.name, offset, length, record_type,
                           fetched_at, kind, referer, link_text, filename, self.run_id, source)

    def _index(self, url, status, headers, length, sha, warc_name, offset, warc_length, record_type,
               fetched_at, kind, referer, link_text, filename, run_id, source=None) -> int:
        row = {
            "url": url, "fetched_at": fetched_at, "status": status,
            "content_type": _header(headers, "content-type"),
            "content_length": length, "sha256": sha, "warc_file": warc_name,
            "warc_offset": offset, "warc_length": warc_length, "record_type": record_type,
            "kind": kind, "etag": _header(headers, "etag"),
            "last_modified": _header(headers, "last-modified"),
            "filename": filename, "referer": referer, "link_text": link_text, "crawl_run_id": run_id,
            "source": source,
        }
        table = self.db["captures"]
        # autocommit connection: the row is durable when insert() returns. Other crawler
        # processes (distributed crawls) write to the same database: SQLite's 30 s busy
        # timeout covers them; a few more tries cover a long extraction transaction.
        for attempt in range(5):
            try:
                table.insert(row)
                return table.last_pk
            except sqlite3.OperationalError as e:
                if "locked" not in str(e) and "busy" not in str(e) or attempt == 4:
                    raise
                time.sleep(0.5 * (attempt + 1))
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self._warc:
            self._warc.close()
            self._warc = None

    # -- crash recovery --------------------------------------------------------
    def recover(self) -> dict:
        """Index records a killed crawl wrote but did not index; cut torn tails.

        Returns {"indexed": n, "truncated_bytes": n}.
        """
        indexed = truncated = 0
        for path in sorted(self.directory.glob("*.warc.gz")):
            if _live_writer(path):
                continue  # another crawler process is appending to it (distributed crawl): not torn
            row = self.db.execute(
                "SELECT max(warc_offset + warc_length) FROM captures WHERE warc_file = ?", [path.name]
            ).fetchone()
            start = row[0] or 0
            for offset, length, (record, body) in scan_tail(path, start):
                if record.rec_type not in ("response", "revisit"):
                    continue
                exists = self.db.execute(
                    "SELECT 1 FROM captures WHERE warc_file = ? AND warc_offset = ?", [path.name, offset]
                ).fetchone()
                if exists:
                    continue
                wh = record.rec_headers
                http = record.http_headers
                all_headers = list(http.headers) if http else []
                own = {k: v for k, v in all_headers if k.startswith("X-Nianbao-")}
                headers = [(k, v) for k, v in all_headers if not k.startswith("X-Nianbao-")]
                status = int(http.get_statuscode()) if http else 0
                digest = (wh.get_header("WARC-Payload-Digest") or "").split(":", 1)[-1]
                self._index(
                    wh.get_header("WARC-Target-URI"), status, headers,
                    len(body) if record.rec_type == "response" else None,
                    digest or hashlib.sha256(body).hexdigest(), path.name, offset, length,
                    record.rec_type, wh.get_header("WARC-Date"), own.get(H_KIND, "other"),
                    own.get(H_REFERER), own.get(H_LINK_TEXT), own.get(H_FILENAME),
                    int(own[H_RUN]) if H_RUN in own else None, own.get(H_SOURCE),
                )
                indexed += 1
            end = self.db.execute(
                "SELECT max(warc_offset + warc_length) FROM captures WHERE warc_file = ?", [path.name]
            ).fetchone()[0] or 0
            truncated += truncate_torn_tail(path, end)
        return {"indexed": indexed, "truncated_bytes": truncated}

    # -- reading -----------------------------------------------------------------
    def read(self, capture_id: int) -> StoredBody:
        row = self.db.execute(
            "SELECT id, url, status, warc_file, warc_offset, record_type, sha256, fetched_at, content_type "
            "FROM captures WHERE id = ?", [capture_id]
        ).fetchone()
        if row is None:
            raise KeyError(capture_id)
        cid, url, status, warc_file, offset, record_type, sha, fetched_at, ctype = row
        headers = self._http_headers(warc_file, offset)
        if record_type == "revisit":
            orig = self.db.execute(
                "SELECT warc_file, warc_offset FROM captures WHERE sha256 = ? AND record_type = 'response' "
                "ORDER BY id LIMIT 1", [sha]
            ).fetchone()
            if orig is None:
                raise KeyError(f"capture {capture_id}: payload {sha} not in archive")
            warc_file, offset = orig
        record, fh = read_record(self.directory / warc_file, offset)
        try:
            raw = record.raw_stream.read()
        finally:
            fh.close()
        body = decode_content_encoding(raw, headers.get("content-encoding"))
        return StoredBody(cid, url, status, headers, body, fetched_at, ctype)

    def request_of(self, capture_id: int) -> tuple[str, list[tuple[str, str]], bytes] | None:
        """(method, headers, body) of the request a capture answers, when the archive kept it
        (a POST, see `store`); None for a plain GET.

        The response (or revisit) names its request record by WARC-Concurrent-To; `store`
        writes that record just before it in the same WARC file, so only the records after
        the previous indexed capture of that file are read (the whole file up to the
        response if it is not there)."""
        row = self.db.execute("SELECT warc_file, warc_offset FROM captures WHERE id = ?", [capture_id]).fetchone()
        if row is None:
            raise KeyError(capture_id)
        warc_file, offset = row
        path = self.directory / warc_file
        record, fh = read_record(path, offset)
        try:
            request_id = record.rec_headers.get_header("WARC-Concurrent-To")
        finally:
            fh.close()
        if not request_id:
            return None
        prev = self.db.execute(
            "SELECT warc_offset + warc_length FROM captures WHERE warc_file = ? AND warc_offset < ?"
            " ORDER BY warc_offset DESC LIMIT 1", [warc_file, offset]).fetchone()
        for start in dict.fromkeys((prev[0] if prev else 0, 0)):
            for at, _ in members(path, start):
                if at >= offset:
                    break
                record, fh = read_record(path, at)
                try:
                    wh = record.rec_headers
                    if record.rec_type == "request" and wh.get_header("WARC-Record-ID") == request_id:
                        http = record.http_headers
                        method = (http.protocol if http else "") or "POST"  # "POST /path HTTP/1.1"
                        return method, list(http.headers) if http else [], record.content_stream().read()
                finally:
                    fh.close()
        raise KeyError(f"capture {capture_id}: its request record {request_id} is not in {warc_file}")

    def _http_headers(self, warc_file: str, offset: int) -> dict[str, str]:
        record, fh = read_record(self.directory / warc_file, offset)
        try:
            http = record.http_headers
            return {k.lower(): v for k, v in (http.headers if http else []) if not k.startswith("X-Nianbao-")}
        finally:
            fh.close()
