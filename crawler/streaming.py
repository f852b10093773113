"""Large attachments never sit in memory: they go from the socket to disk to the WARC.

Scrapy keeps a response body in memory. For attachments whose Content-Length (or,
without one, whose bytes so far) pass NIANBAO_STREAM_ABOVE, `StreamLargeFiles` stops
Scrapy's download at the headers (StopDownload) and fetches the file again in a
worker thread, chunk by chunk into a temporary file, hashing as it goes, up to
NIANBAO_MAX_FILE_BYTES. That thread then appends it to a WARC file of its own
(gzip-streamed) and indexes it, and the spider gets an empty, archived response.
The second request is a request to the host like any other: it waits the slot's delay
after the stopped one, takes the host's one connection (Scrapy's slot starts nothing
else until it ends; in a distributed crawl it holds the host in Redis too), and the
next request waits the delay after it. Extraction later refuses files over its own
limit without reading them.
"""
from __future__ import annotations

import contextlib
import hashlib
import logging
import tempfile
import time
import urllib.error
import urllib.request

from scrapy import signals
from scrapy.exceptions import IgnoreRequest, StopDownload
from scrapy.http import Response
from twisted.internet import threads

from nianbao.crawler.middlewares import KIND, content_disposition_filename, record_fetch_error

logger = logging.getLogger(__name__)
CHUNK = 1 << 20


class TooLarge(Exception):
    pass


def download_to_file(url: str, headers: dict[str, str], limit: int, timeout: float):
    """(status, reason, response headers, temp file, size, sha256 hex) of a streamed GET."""
    req = urllib.request.Request(url, headers=headers)
    try:
        resp = urllib.request.urlopen(req, timeout=timeout)
    except urllib.error.HTTPError as e:  # an error answer is still an answer: archive it
        resp = e
    tmp = tempfile.TemporaryFile(prefix="nianbao-stream-")
    digest, size = hashlib.sha256(), 0
    with resp:
        while True:
            chunk = resp.read(CHUNK)
            if not chunk:
                break
            size += len(chunk)
            if size > limit:
                tmp.close()
                raise TooLarge(f"{url}: more than {limit:,} bytes (NIANBAO_MAX_FILE_BYTES)")
            digest.update(chunk)
            tmp.write(chunk)
    tmp.seek(0)
    return resp.status, getattr(resp, "reason", "") or "", list(resp.headers.items()), tmp, size, digest.hexdigest()


class StreamLargeFiles:
    """Signal handlers (stop big attachments) + downloader middleware (fetch them by streaming)."""

    def __init__(self, crawler):
        s = crawler.settings
        self.crawler = crawler
        self.threshold = s.getint("NIANBAO_STREAM_ABOVE", 8 * 1024 * 1024)
        self.limit = s.getint("NIANBAO_MAX_FILE_BYTES", 1024 * 1024 * 1024)
        self.delay = s.getfloat("DOWNLOAD_DELAY", 1.0)
        self.timeout = s.getfloat("DOWNLOAD_TIMEOUT", 60.0)
        self.user_agent = s.get("USER_AGENT")
        crawler.signals.connect(self.headers_received, signal=signals.headers_received)
        crawler.signals.connect(self.bytes_received, signal=signals.bytes_received)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def _big(self, request) -> bool:
        return request.meta.get(KIND) == "attachment" and self.threshold > 0

    def headers_received(self, headers, body_length, request, spider):
        if self._big(request) and body_length and body_length > self.threshold:
            request.meta["nianbao_stream"] = True
            raise StopDownload(fail=False)

    def bytes_received(self, data, request, spider):
        if not self._big(request):
            return
        seen = request.meta.get("nianbao_bytes_seen", 0) + len(data)
        request.meta["nianbao_bytes_seen"] = seen
        if seen > self.threshold:  # no Content-Length: stop once it is clearly large
            request.meta["nianbao_stream"] = True
            raise StopDownload(fail=False)

    async def process_response(self, request, response, spider=None):
        if not request.meta.pop("nianbao_stream", False):
            return response
        from scrapy.utils.defer import maybe_deferred_to_future

        try:
            async with self._host_turn(request):
                capture_id, status, headers = await maybe_deferred_to_future(
                    threads.deferToThread(self._stream_and_archive, request))
        except TooLarge as e:
            self._fetch_error(request, str(e))
            raise IgnoreRequest(str(e))
        except (OSError, urllib.error.URLError) as e:
            self._fetch_error(request, f"streaming download failed: {e}")
            raise IgnoreRequest(str(e))
        request.meta["capture_id"] = capture_id
        self.crawler.stats.inc_value("nianbao/streamed_files")
        return Response(response.url, status=status, headers=headers, body=b"",
                        flags=["archived", "streamed"], request=request)

    @contextlib.asynccontextmanager
    async def _host_turn(self, request):
        """The streamed fetch's turn at its host, as Scrapy's downloader would give it."""
        from nianbao.crawler.distributed import _sleep

        downloader = self.crawler.engine.downloader
        slot = downloader.slots.get(downloader.get_slot_key(request))
        if slot is None:  # the slot is gone (never, in practice): just be late enough
            await _sleep(self.delay)
            yield
            return
        placeholder = object()
        slot.transferring.add(placeholder)  # the host's connection is taken
        try:
            await _sleep(slot.download_delay())  # the stopped request just reached this host
            held = getattr(downloader, "host_held", None)  # a distributed crawl's shared slot
            if held is not None and slot.download_delay() > 0:
                async with held(request, slot):
                    yield
            else:
                yield
        finally:
            slot.transferring.discard(placeholder)
            slot.lastseen = time.monotonic()  # the next request waits the delay from now
            # Scrapy's own step that starts what waited for the slot (it runs when a download
            # ends; this fetch was not one of its downloads)
            process_queue = getattr(downloader, "_process_queue", None)
            if process_queue is not None:
                process_queue(slot)

    def _stream_and_archive(self, request):
        """In a worker thread: its own SQLite connection and its own WARC file."""
        from nianbao.archive.store import Archive
        from nianbao.db import connect

        headers = {"User-Agent": self.user_agent}
        referer = request.headers.get("Referer")
        if referer:
            headers["Referer"] = referer.decode("latin-1")
        status, reason, resp_headers, tmp, size, sha = download_to_file(
            request.url, headers, self.limit, self.timeout)
        s = self.crawler.settings
        db = connect(s.get("NIANBAO_DB"))
        archive = Archive(db, s.get("NIANBAO_ARCHIVE"), run_id=s.getint("NIANBAO_RUN_ID") or None)
        try:
            disposition = next((v for k, v in resp_headers if k.lower() == "content-disposition"), None)
            capture_id = archive.store_file(
                request.url, status, reason, resp_headers, tmp, size, sha, kind=request.meta.get(KIND),
                referer=headers.get("Referer"), link_text=request.meta.get("link_text"),
                filename=content_disposition_filename(disposition), source=request.meta.get("source"))
        finally:
            tmp.close()
            archive.close()
            db.conn.close()
        return capture_id, status, dict(resp_headers)

    def _fetch_error(self, request, message: str) -> None:
        from nianbao.db import connect

        db = connect(self.crawler.settings.get("NIANBAO_DB"))
        record_fetch_error(db, self.crawler.settings.getint("NIANBAO_RUN_ID") or None, request, message)
        db.conn.close()
        logger.warning(message)
