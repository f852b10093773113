"""The archive: WARC files for the bytes, the `captures` table for finding them.

Every HTTP response a crawl receives goes through `Archive.store()`, whatever its
status. Identical bodies are stored once: a later capture of the same bytes is
a WARC `revisit` record that names the earlier one (identical-payload-digest).
"""
from __future__ import annotations

import hashlib
import io
import itertools
import logging
import os
import re
import sqlite3
import time
import zlib
from dataclasses import dataclass
from urllib.parse import quote, unquote
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
# Header values must be ASCII: warcio percent-encodes a non-ASCII one (and only those), so
# link text and file names are percent-encoded here, every one of them, and this header says
# so; `recover()` decodes them back to the text the index got.
H_QUOTED = "X-Nianbao-Quoted"
_QUOTED_FIELDS = (H_REFERER, H_LINK_TEXT, H_FILENAME, H_SOURCE)
LINK_TEXT_MAX = 500  # characters of link text kept (index and WARC alike)


def _own_value(header: str, value: str, quoted: bool) -> str:
    """A value of our own WARC header as `store` got it, from a record old or new."""
    if header not in _QUOTED_FIELDS:
        return value
    if quoted:
        return unquote(value)
    # records written before X-Nianbao-Quoted: warcio quoted only non-ASCII values
    decoded = unquote(value)
    return decoded if decoded != value and not decoded.isascii() else value

logger = logging.getLogger(__name__)


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


DEFAULT_MAX_DECODED_BYTES = 50 * 1024 * 1024  # Scrapy's DOWNLOAD_MAXSIZE default
READ_CHUNK = 64 * 1024


def max_decoded_bytes() -> int:
    """How far an archived body may inflate when its Content-Encoding is undone:
    `NIANBAO_MAX_DECODED_BYTES` (environment), default 50 MB like DOWNLOAD_MAXSIZE."""
    value = os.environ.get("NIANBAO_MAX_DECODED_BYTES", "").strip()
    return int(value) if value.isdigit() else DEFAULT_MAX_DECODED_BYTES


class BodyTooLarge(ValueError):
    """An archived body inflates past the limit (a gzip/deflate/br bomb, or a huge page).

    The archived bytes are kept as received; only reading them decoded stops here.
    Extraction records it as an error row of `documents`; the capture route answers
    with an error instead of the body."""

    def __init__(self, limit: int, capture_id: int | None = None, encoding: str | None = None):
        self.limit, self.capture_id, self.encoding = limit, capture_id, encoding
        what = f"capture {capture_id}" if capture_id is not None else "body"
        super().__init__(f"{what}: {encoding or 'encoded'} body inflates past {limit:,} bytes "
                         f"(NIANBAO_MAX_DECODED_BYTES); archived as received, not decoded")


_ENCODINGS = {"gzip": (16 + zlib.MAX_WBITS,), "x-gzip": (16 + zlib.MAX_WBITS,),
              # "deflate" is zlib-wrapped by the RFC, raw deflate from many servers
              "deflate": (zlib.MAX_WBITS, -zlib.MAX_WBITS), "br": (None,)}


def _decoded(chunks, enc: str, wbits, out_chunk: int):
    """Decoded pieces of at most `out_chunk` bytes; raises on data that does not decode."""
    if enc == "br":
        import brotli

        d = brotli.Decompressor()
        for chunk in chunks:
            try:
                out = d.process(chunk, output_buffer_limit=out_chunk)
            except TypeError:  # brotli < 1.2 has no output limit: feed it small pieces instead
                for i in range(0, len(chunk), 1024):
                    out = d.process(chunk[i:i + 1024])
                    if out:
                        yield out
                continue
            while out:  # drain what this input gives, one bounded piece at a time
                yield out
                if d.is_finished():
                    return
                out = d.process(b"", output_buffer_limit=out_chunk)
        return
    d = zlib.decompressobj(wbits)
    for chunk in chunks:
        data = chunk
        while data:
            out = d.decompress(data, out_chunk)
            data = d.unconsumed_tail
            if out:
                yield out
            if d.eof:
                if enc != "deflate" and d.unused_data[:2] == b"\x1f\x8b":
                    data, d = d.unused_data, zlib.decompressobj(wbits)  # a further gzip member
                else:
                    return  # trailing bytes after the stream are ignored, as zlib.decompress does
            elif not out and not data:
                break


def _inflate(raw_chunks, encoding: str | None, out_chunk: int = READ_CHUNK):
    """Decoded pieces (each at most `out_chunk` bytes) of a body given as raw chunks.

    Streamed: a small input never becomes a large output in one step, so memory stays
    bounded whatever the compression ratio. A body that does not decode from its first
    bytes (a server that lies about its encoding) comes out as received; one that breaks
    after some output ends there (logged)."""
    enc = (encoding or "").strip().lower()
    if enc not in _ENCODINGS:
        yield from raw_chunks
        return
    if enc == "br":
        try:
            import brotli  # noqa: F401  optional; Scrapy only asks for br when brotli is installed
        except ImportError:
            yield from raw_chunks
            return
    raw_chunks = iter(raw_chunks)
    head: list[bytes] = []  # raw chunks read before the first decoded byte, to try again or pass on

    def recorded():
        for chunk in raw_chunks:
            if recording:
                head.append(chunk)
            yield chunk

    for wbits in _ENCODINGS[enc]:
        recording, produced = True, False
        try:
            for out in _decoded(itertools.chain(list(head), recorded()), enc, wbits, out_chunk):
                recording, produced = False, True
                yield out
            return
        except Exception as e:  # zlib.error, brotli.error
            if produced:
                logger.warning("archived %s body stops decoding after some output: %s", enc, e)
                return
    yield from head  # no decoding worked from the first bytes: the body is what was received
    yield from raw_chunks


def decode_content_encoding(body: bytes, encoding: str | None, limit: int | None = None) -> bytes:
    """`body` with its Content-Encoding undone, streamed and stopped at `limit` decoded
    bytes (default `max_decoded_bytes()`): `BodyTooLarge` past it."""
    limit = max_decoded_bytes() if limit is None else limit
    if (encoding or "").strip().lower() not in ("gzip", "x-gzip", "deflate", "br"):
        return body
    out = bytearray()
    for piece in _inflate((body[i:i + READ_CHUNK] for i in range(0, len(body), READ_CHUNK)), encoding):
        out += piece
        if len(out) > limit:
            raise BodyTooLarge(limit, encoding=encoding)
    return bytes(out)


class BodyStream(io.RawIOBase):
    """A capture's body, read from its WARC record as a file: Content-Encoding undone as
    it is read, never more than one chunk in memory. Made by `Archive.open_body`.

    Attributes: capture_id, url, status, headers (lower-cased HTTP headers as archived),
    fetched_at, content_type, content_encoding (the archived one, or None), decoded (True
    when reading undoes an encoding), length (archived payload bytes: the decoded length
    too when `decoded` is False), limit. Reading past `limit` decoded bytes raises
    `BodyTooLarge` (only when an encoding is undone: an identity body is exactly the
    archived bytes, whose size the crawl already bounded)."""

    def __init__(self, meta: dict, raw, fh, limit: int):
        super().__init__()
        self.__dict__.update(meta)
        self.limit = limit
        self._fh = fh
        self._raw = raw
        self._pieces = _inflate(iter(lambda: raw.read(READ_CHUNK), b""), self.content_encoding)
        self._buffer = b""
        self._produced = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        while not self._buffer:
            piece = next(self._pieces, None)
            if piece is None:
                return 0
            self._produced += len(piece)
            if self.decoded and self._produced > self.limit:
                self._pieces.close()
                raise BodyTooLarge(self.limit, self.capture_id, self.content_encoding)
            self._buffer = piece
        n = min(len(b), len(self._buffer))
        b[:n] = self._buffer[:n]
        self._buffer = self._buffer[n:]
        return n

    def readall(self) -> bytes:
        out = bytearray(self._buffer)
        self._buffer = b""
        while True:
            piece = next(self._pieces, None)
            if piece is None:
                return bytes(out)
            self._produced += len(piece)
            if self.decoded and self._produced > self.limit:
                self._pieces.close()
                raise BodyTooLarge(self.limit, self.capture_id, self.content_encoding)
            out += piece

    def chunks(self, size: int = READ_CHUNK):
        """The body as an iterator of byte chunks (for a streaming HTTP response)."""
        while True:
            chunk = self.read(size)
            if not chunk:
                return
            yield chunk

    def close(self) -> None:
        if not self.closed:
            self._pieces.close()
            self._fh.close()
        super().close()


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
        link_text = link_text[:LINK_TEXT_MAX] if link_text else link_text
        extra = {H_KIND: kind, H_QUOTED: "1"}
        if self.run_id is not None:
            extra[H_RUN] = str(self.run_id)
        for header, value in ((H_REFERER, referer), (H_LINK_TEXT, link_text), (H_FILENAME, filename),
                              (H_SOURCE, source)):
            if value:
                extra[header] = quote(value, safe="")
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
            for offset, length, (record, size, payload_sha) in scan_tail(path, start):
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
                quoted = own.get(H_QUOTED) == "1"
                own = {k: _own_value(k, v, quoted) for k, v in own.items()}
                headers = [(k, v) for k, v in all_headers if not k.startswith("X-Nianbao-")]
                status = int(http.get_statuscode()) if http else 0
                digest = (wh.get_header("WARC-Payload-Digest") or "").split(":", 1)[-1]
                self._index(
                    wh.get_header("WARC-Target-URI"), status, headers,
                    size if record.rec_type == "response" else self._original_length(digest),
                    digest or payload_sha, path.name, offset, length,
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

    def _original_length(self, sha: str) -> int | None:
        """A revisit's content_length as `store` indexed it: its payload's, the original's."""
        row = self.db.execute("SELECT content_length FROM captures WHERE sha256 = ? AND record_type = 'response' "
                              "ORDER BY id LIMIT 1", [sha]).fetchone()
        return row[0] if row else None

    # -- reading -----------------------------------------------------------------
    def open_body(self, capture_id: int, limit: int | None = None) -> BodyStream:
        """The capture's body as a readable binary file (`BodyStream`), decoded as it is read.

        Use it as a context manager; `.chunks()` iterates it for a streaming response:

            with archive.open_body(cid) as body:
                headers, length = body.headers, body.length      # length: archived bytes
                for chunk in body.chunks():                       # may raise BodyTooLarge
                    send(chunk)

        A revisit reads its original's payload (headers stay the revisit's own). `limit`
        bounds the decoded bytes of an encoded body (default `max_decoded_bytes()`, the
        `NIANBAO_MAX_DECODED_BYTES` environment setting, 50 MB): reading past it raises
        `BodyTooLarge`, so a gzip bomb costs one chunk of memory and stops there. KeyError
        for an unknown id or a revisit whose payload is not in the archive."""
        row = self.db.execute(
            "SELECT id, url, status, warc_file, warc_offset, record_type, sha256, fetched_at, content_type, "
            "content_length FROM captures WHERE id = ?", [capture_id]
        ).fetchone()
        if row is None:
            raise KeyError(capture_id)
        cid, url, status, warc_file, offset, record_type, sha, fetched_at, ctype, length = row
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
        encoding = (headers.get("content-encoding") or "").strip().lower() or None
        meta = {"capture_id": cid, "url": url, "status": status, "headers": headers, "fetched_at": fetched_at,
                "content_type": ctype, "content_encoding": encoding, "length": length,
                "decoded": encoding in ("gzip", "x-gzip", "deflate", "br")}
        return BodyStream(meta, record.raw_stream, fh, max_decoded_bytes() if limit is None else limit)

    def read(self, capture_id: int, limit: int | None = None) -> StoredBody:
        """The capture's body in memory, Content-Encoding undone; `BodyTooLarge` when it
        inflates past `limit` (see `open_body`)."""
        with self.open_body(capture_id, limit) as f:
            body = f.read()
        return StoredBody(f.capture_id, f.url, f.status, f.headers, body, f.fetched_at, f.content_type)

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
