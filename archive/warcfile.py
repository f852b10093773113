"""Append-only WARC files that survive `kill -9`.

Each record is its own gzip member, written and flushed before the SQLite index
row that points at it is committed. A crash can therefore leave, at the end of
the newest file, (a) whole records that are not indexed yet, which `scan_tail`
finds so they can be indexed, and (b) at most one torn record, which
`truncate_torn_tail` cuts off. Nothing that was indexed is ever rewritten.
"""
from __future__ import annotations

import hashlib
import io
import os
import socket
import zlib
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from nianbao import __version__

ROTATE_BYTES = 1 << 30  # start a new file after 1 GiB, as Heritrix and wget do


def warc_date(dt: datetime | None = None) -> str:
    """WARC-Date with microseconds (WARC 1.1 allows it; keeps captures ordered)."""
    dt = dt or datetime.now(timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class WarcFile:
    """One open WARC file we append to."""

    def __init__(self, directory: Path, prefix: str = "nianbao"):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S%f")
        self.name = f"{prefix}-{stamp}-{os.getpid()}.warc.gz"
        self.path = self.directory / self.name
        self._fh = open(self.path, "ab")
        self._writer = WARCWriter(self._fh, gzip=True)
        self._write_warcinfo()

    def _write_warcinfo(self) -> None:
        info = {
            "software": f"nianbao/{__version__} (warcio)",
            "hostname": socket.gethostname(),
            "format": "WARC File Format 1.1",
        }
        record = self._writer.create_warcinfo_record(self.name, info)
        self._append(record)

    def _append(self, record) -> tuple[int, int]:
        offset = self._fh.tell()
        self._writer.write_record(record)
        # flush() hands the bytes to the kernel: they survive the process being
        # killed. (fsync per record would cost a disk flush per page.)
        self._fh.flush()
        return offset, self._fh.tell() - offset

    def size(self) -> int:
        return self._fh.tell()

    def write_request(self, url: str, method: str, headers: list[tuple[str, str]], body: bytes,
                      fetched_at: str) -> str:
        """The request a response answers, when its method and body say which answer it is
        (a POSTed list query); returns its WARC-Record-ID for the response's WARC-Concurrent-To."""
        from urllib.parse import urlsplit

        parts = urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        http_headers = StatusAndHeaders(f"{method} {target} HTTP/1.1", headers, is_http_request=True)
        record = self._writer.create_warc_record(
            url, "request", payload=io.BytesIO(body), length=len(body), http_headers=http_headers,
            warc_headers_dict={"WARC-Date": fetched_at},
        )
        self._append(record)
        return record.rec_headers.get_header("WARC-Record-ID")

    def write_response(self, url: str, status: int, reason: str, headers: list[tuple[str, str]],
                       body, fetched_at: str, digest: str, length: int | None = None,
                       concurrent_to: str | None = None) -> tuple[int, int]:
        """`body` is bytes, or a binary file object of `length` bytes (copied in chunks)."""
        if isinstance(body, (bytes, bytearray)):
            body, length = io.BytesIO(body), len(body)
        http_headers = StatusAndHeaders(f"{status} {reason}".strip(), headers, protocol="HTTP/1.1")
        warc_headers = {"WARC-Date": fetched_at, "WARC-Payload-Digest": digest}
        if concurrent_to:
            warc_headers["WARC-Concurrent-To"] = concurrent_to
        record = self._writer.create_warc_record(
            url, "response", payload=body, length=length,
            http_headers=http_headers, warc_headers_dict=warc_headers,
        )
        return self._append(record)

    def write_revisit(self, url: str, status: int, reason: str, headers: list[tuple[str, str]],
                      fetched_at: str, digest: str, refers_to_uri: str, refers_to_date: str,
                      concurrent_to: str | None = None) -> tuple[int, int]:
        """Same payload as an earlier capture: store headers only (WARC identical-payload-digest profile)."""
        http_headers = StatusAndHeaders(f"{status} {reason}".strip(), headers, protocol="HTTP/1.1")
        warc_headers = {"WARC-Date": fetched_at}
        if concurrent_to:
            warc_headers["WARC-Concurrent-To"] = concurrent_to
        record = self._writer.create_revisit_record(
            url, digest, refers_to_uri, refers_to_date, http_headers=http_headers,
            warc_headers_dict=warc_headers,
        )
        return self._append(record)

    def close(self) -> None:
        if not self._fh.closed:
            self._fh.flush()
            os.fsync(self._fh.fileno())
            self._fh.close()


def read_record(path: Path, offset: int):
    """The (record, raw file handle) at `offset`; caller reads then closes."""
    fh = open(path, "rb")
    fh.seek(offset)
    it = ArchiveIterator(fh)
    record = next(iter(it))
    return record, fh


def members(path: Path, start: int) -> Iterator[tuple[int, int]]:
    """(offset, length) of every complete gzip member (= WARC record) from `start` on.

    Stops at a torn member: that is where a killed writer stopped.
    """
    with open(path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        pos = start
        while pos < size:
            fh.seek(pos)
            try:
                end = _gzip_member_end(fh, pos)
            except zlib.error:
                return
            if end is None:
                return
            yield pos, end - pos
            pos = end


def scan_tail(path: Path, start: int) -> Iterator[tuple[int, int, object]]:
    """Yield (offset, length, (record, payload length, payload SHA-256 hex)) for every
    complete record at or after `start`.

    The payload is measured as stored (Content-Encoding kept, as `Archive.store` got it),
    streamed in chunks: a gzip bomb costs one chunk of memory and is not inflated."""
    for offset, length in members(path, start):
        record, fh = read_record(path, offset)
        try:
            sha, size = hashlib.sha256(), 0
            for chunk in iter(lambda: record.raw_stream.read(65536), b""):
                sha.update(chunk)
                size += len(chunk)
        finally:
            fh.close()
        yield offset, length, (record, size, sha.hexdigest())


def last_good_end(path: Path, start: int) -> int:
    """Offset just past the last complete record at or after `start`."""
    end = start
    for offset, length in members(path, start):
        end = offset + length
    return end


def _gzip_member_end(fh, pos: int) -> int | None:
    """End offset of the gzip member starting at `pos`, or None if it is torn."""
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    consumed = 0
    while True:
        chunk = fh.read(65536)
        if not chunk:
            return None  # ran out of bytes before the member ended
        # inflate in bounded steps, output discarded: a record of 1 GB of zeros is a few
        # MB of gzip and must not become 1 GB of memory here
        data = chunk
        while data and not d.eof:
            d.decompress(data, 1 << 20)
            data = d.unconsumed_tail
        if d.eof:
            used = len(chunk) - len(d.unused_data)
            return pos + consumed + used
        consumed += len(chunk)


def truncate_torn_tail(path: Path, indexed_end: int) -> int:
    """Cut off an incomplete last record; returns the number of bytes removed."""
    good = last_good_end(path, indexed_end)
    size = path.stat().st_size
    if good < size:
        with open(path, "r+b") as fh:
            fh.truncate(good)
        return size - good
    return 0
