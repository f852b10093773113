"""Large files never sit in memory: a download handler streams them to disk, then to the WARC.

Scrapy's HTTP handler keeps a whole response body in memory. `StreamingDownloadHandler`
is Scrapy's HTTP/1.1 handler (registered for http and https in DOWNLOAD_HANDLERS, a
public extension point) that answers GET requests for attachments and detail pages
itself: the body goes, as bytes arrive, into a temporary file (kept in memory up to
NIANBAO_STREAM_ABOVE, on disk beyond), hashed as it goes, up to NIANBAO_MAX_FILE_BYTES.
A body that stayed small is handed on as an ordinary response; a larger one arrives
with an empty body, the flag ``streamed`` and the file in ``request.meta``, and
`ArchiveStreamedFiles` copies it into a WARC file of its own, in a worker thread
(the reactor keeps serving the other hosts meanwhile), and indexes it.

Because this is the download itself — there is no second fetch — a large file is one
request like any other: the downloader's per-host slot (one connection, the delay),
robots.txt, the offsite and scope checks (crawler/scope.py), redirects, retries and
back-off all apply, and its address is checked by the crawl's resolver. A download
that fails for any reason (refused as too large, cut off, timed out) reaches
`ArchiveMiddleware.process_exception`: a `fetch_errors` row and an error in the run's
summary. Nothing here imports an optional extra.
"""
from __future__ import annotations

import hashlib
import logging
import tempfile
from dataclasses import dataclass
from typing import IO
from urllib.parse import urldefrag

from scrapy import signals
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.exceptions import IgnoreRequest, StopDownload
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import defer, threads
from twisted.internet.error import TimeoutError as TxTimeoutError
from twisted.internet.protocol import Protocol
from twisted.python.failure import Failure
from twisted.web.client import Agent, HTTPConnectionPool, PotentialDataLoss, ResponseDone
from twisted.web.http_headers import Headers as TxHeaders

from nianbao.crawler.middlewares import KIND, content_disposition_filename, headers_list, record_fetch_error

logger = logging.getLogger(__name__)

# What may be a file: an attachment, or a list item that is itself a PDF/DOC.
STREAMED_KINDS = ("attachment", "detail")
BODY_FILE = "nianbao_body_file"
STREAMED_FLAG = "streamed"


class TooLarge(Exception):
    """Over NIANBAO_MAX_FILE_BYTES: refused, not retried (not an OSError, which Scrapy retries)."""


@dataclass
class StreamedBody:
    file: IO[bytes]
    size: int
    sha256: str


def _stopped_by(results) -> StopDownload | None:
    """The StopDownload a headers_received/bytes_received handler raised, if any."""
    for _, result in results:
        if isinstance(result, Failure) and isinstance(result.value, StopDownload):
            return result.value
    return None


def _drop(txresponse) -> None:
    """Read no more of this answer: its connection is closed, not drained."""
    reader = Protocol()
    txresponse.deliverBody(reader)
    if reader.transport is not None:
        reader.transport.stopProducing()


class _BodyToFile(Protocol):
    """Receives a response body: to `sink`, hashed, counted, Scrapy's bytes_received sent."""

    def __init__(self, finished: defer.Deferred, sink, limit: int, crawler, request):
        self.finished, self.sink, self.limit = finished, sink, limit
        self.crawler, self.request = crawler, request
        self.size = 0
        self.digest = hashlib.sha256()
        self.partial = False
        self.stopped = False

    def _end(self, result) -> None:
        if not self.finished.called:
            if isinstance(result, Exception):
                self.finished.errback(Failure(result))
            else:
                self.finished.callback(result)

    def stop(self, error: Exception | None) -> None:
        """Stop reading (limit, timeout, a handler's StopDownload); the connection is dropped."""
        if self.transport is not None:
            self.transport.stopProducing()
        self._end(error)

    def dataReceived(self, data: bytes) -> None:
        if self.finished.called:
            return
        self.size += len(data)
        if self.limit and self.size > self.limit:
            self.stop(TooLarge(f"{self.request.url}: more than {self.limit:,} bytes (NIANBAO_MAX_FILE_BYTES)"))
            return
        self.digest.update(data)
        self.sink.write(data)
        stop = _stopped_by(self.crawler.signals.send_catch_log(
            signal=signals.bytes_received, data=data, request=self.request, spider=self.crawler.spider))
        if stop is not None:
            self.stopped = True
            self.stop(None)

    def connectionLost(self, reason=None) -> None:
        if reason is not None and reason.check(PotentialDataLoss):
            self.partial = True  # no length given, the server closed: that is the end
        if reason is None or reason.check(ResponseDone, PotentialDataLoss):
            self._end(None)
        else:
            self._end(reason.value)


class FileStreamer:
    """GET one URL with Twisted's Agent, the body streamed to a temporary file."""

    def __init__(self, crawler):
        from twisted.internet import reactor

        from nianbao.crawler.internals_scrapy import lenient_pool, tls_policy

        s = crawler.settings
        self.crawler = crawler
        # nothing over DOWNLOAD_MAXSIZE (Scrapy's limit for bodies in memory) stays in memory
        self.threshold = s.getint("NIANBAO_STREAM_ABOVE", 8 * 1024 * 1024)
        maxsize = s.getint("DOWNLOAD_MAXSIZE")
        if maxsize and 0 < maxsize < self.threshold:
            self.threshold = maxsize
        self.limit = s.getint("NIANBAO_MAX_FILE_BYTES", 1024 * 1024 * 1024)
        self.timeout = s.getfloat("DOWNLOAD_TIMEOUT", 180.0)
        self.pool = HTTPConnectionPool(reactor, persistent=True)
        self.pool.maxPersistentPerHost = s.getint("CONCURRENT_REQUESTS_PER_DOMAIN") or 1
        lenient_pool(self.pool)
        self.tls = tls_policy(crawler)

    def wants(self, request) -> bool:
        # proxied requests keep Scrapy's handler (it knows proxies and tunnels)
        return (self.threshold > 0 and request.method == "GET" and not request.meta.get("proxy")
                and request.meta.get(KIND) in STREAMED_KINDS)

    async def download(self, request) -> Response:
        from twisted.internet import reactor

        timeout = float(request.meta.get("download_timeout") or self.timeout)
        agent = Agent(reactor, contextFactory=self.tls, connectTimeout=timeout, pool=self.pool)
        url = urldefrag(request.url)[0]
        headers = TxHeaders({k: list(v) for k, v in request.headers.items()})
        state: dict = {"timed_out": False, "reader": None}

        def on_timeout():
            state["timed_out"] = True
            if state["reader"] is not None:
                state["reader"].stop(TxTimeoutError(string=f"{url}: no whole answer within {timeout:.0f} s"))
            else:
                answer.cancel()

        answer = agent.request(b"GET", url.encode("ascii"), headers, None)
        timer = reactor.callLater(timeout, on_timeout)
        sink = tempfile.SpooledTemporaryFile(max_size=self.threshold, prefix="nianbao-stream-")
        try:
            try:
                txresponse = await maybe_deferred_to_future(answer)
            except defer.CancelledError:
                if state["timed_out"]:
                    raise TxTimeoutError(string=f"{url}: no answer within {timeout:.0f} s") from None
                raise
            resp_headers = Headers(dict(txresponse.headers.getAllRawHeaders()))
            status = txresponse.code
            expected = txresponse.length if isinstance(txresponse.length, int) else None
            if expected is not None and self.limit and expected > self.limit:
                _drop(txresponse)
                raise TooLarge(f"{url}: {expected:,} bytes, more than {self.limit:,} (NIANBAO_MAX_FILE_BYTES)")
            stop = _stopped_by(self.crawler.signals.send_catch_log(
                signal=signals.headers_received, headers=resp_headers, body_length=expected,
                request=request, spider=self.crawler.spider))
            flags = []
            if stop is not None:
                flags.append("download_stopped")
                _drop(txresponse)
                body = None
            else:
                finished = defer.Deferred()
                reader = _BodyToFile(finished, sink, self.limit, self.crawler, request)
                state["reader"] = reader
                txresponse.deliverBody(reader)
                await maybe_deferred_to_future(finished)
                if reader.partial:
                    flags.append("partial")
                if reader.stopped:
                    flags.append("download_stopped")
                body = StreamedBody(sink, reader.size, reader.digest.hexdigest())
        except BaseException:
            sink.close()
            raise
        finally:
            if timer.active():
                timer.cancel()
        request.meta["download_latency"] = request.meta.get("download_latency", 0.0)
        if body is None or body.size <= self.threshold:
            sink.seek(0)
            data = sink.read()
            sink.close()
            cls = responsetypes.from_args(headers=resp_headers, url=url, body=data)
            return cls(url=url, status=status, headers=resp_headers, body=data, flags=flags, request=request)
        sink.seek(0)
        request.meta[BODY_FILE] = body
        cls = responsetypes.from_args(headers=resp_headers, url=url)
        return cls(url=url, status=status, headers=resp_headers, body=b"", flags=[*flags, STREAMED_FLAG],
                   request=request)

    async def close(self) -> None:
        await maybe_deferred_to_future(self.pool.closeCachedConnections())


class StreamingDownloadHandler(HTTP11DownloadHandler):
    """Scrapy's HTTP/1.1 handler; attachments and detail pages go through `FileStreamer`;
    every request waits for its host's turn (crawler/politeness.py) just before the socket."""

    def __init__(self, crawler):
        from nianbao.crawler.politeness import HostGate

        super().__init__(crawler)
        self.streamer = FileStreamer(crawler)
        self.gate = HostGate(crawler)

    async def download_request(self, request):
        async with self.gate.turn(request):
            if self.streamer.wants(request):
                return await self.streamer.download(request)
            return await super().download_request(request)

    async def close(self) -> None:
        await self.streamer.close()
        await super().close()


class ArchiveStreamedFiles:
    """Downloader middleware (closest to the handler): a streamed body into the archive.

    In a worker thread, with its own SQLite connection and its own WARC file, so the
    reactor keeps serving other hosts while a large file is copied and compressed."""

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def process_response(self, request, response, spider=None):
        body = request.meta.pop(BODY_FILE, None)
        if body is None:
            return response
        stats = self.crawler.stats
        try:
            capture_id = await maybe_deferred_to_future(
                threads.deferToThread(self._archive, request, response, body))
        except Exception as e:  # the disk, the database: the file is lost, say so
            message = f"archiving a streamed file failed: {e.__class__.__name__}: {e}"
            self._fetch_error(request, message)
            stats.inc_value("nianbao/download_errors")
            raise IgnoreRequest(message) from e
        finally:
            body.file.close()
        request.meta["capture_id"] = capture_id
        stats.inc_value("nianbao/archived")
        stats.inc_value("nianbao/archived_bytes", body.size)
        stats.inc_value(f"nianbao/status/{response.status}")
        stats.inc_value("nianbao/streamed_files")
        # the spider gets no body: the archived one's encoding no longer applies to it
        headers = response.headers.copy()
        for name in ("Content-Encoding", "Content-Length"):
            headers.pop(name, None)
        return response.replace(headers=headers, flags=[*response.flags, "archived"])

    def _archive(self, request, response, body: StreamedBody) -> int:
        from http import HTTPStatus

        from nianbao.archive.store import Archive
        from nianbao.db import connect

        s = self.crawler.settings
        headers = headers_list(response.headers)
        try:
            reason = HTTPStatus(response.status).phrase
        except ValueError:
            reason = ""
        db = connect(s.get("NIANBAO_DB"))
        archive = Archive(db, s.get("NIANBAO_ARCHIVE"), run_id=s.getint("NIANBAO_RUN_ID") or None)
        try:
            disposition = response.headers.get("Content-Disposition", b"").decode("latin-1") or None
            return archive.store_file(
                response.url, response.status, reason, headers, body.file, body.size, body.sha256,
                kind=request.meta.get(KIND) or "other",
                referer=(request.headers.get("Referer") or b"").decode("latin-1") or None,
                link_text=request.meta.get("link_text"), filename=content_disposition_filename(disposition),
                source=request.meta.get("source"))
        finally:
            archive.close()
            db.conn.close()

    def _fetch_error(self, request, message: str) -> None:
        from nianbao.db import connect

        db = connect(self.crawler.settings.get("NIANBAO_DB"))
        try:
            record_fetch_error(db, self.crawler.settings.getint("NIANBAO_RUN_ID") or None, request, message)
        finally:
            db.conn.close()
        logger.warning(message)
