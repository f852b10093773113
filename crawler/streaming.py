"""Large files never sit in memory: a download handler streams them to disk, then to the WARC.

Scrapy's HTTP handler keeps a whole response body in memory. `StreamingDownloadHandler`
is Scrapy's HTTP/1.1 handler (registered for http and https in DOWNLOAD_HANDLERS, a
public extension point) that answers GET requests for attachments and detail pages
itself: the body goes, as bytes arrive, into a temporary file (kept in memory up to
NIANBAO_STREAM_ABOVE, on disk beyond), hashed as it goes, up to NIANBAO_MAX_FILE_BYTES.
A body that stayed small is handed on as an ordinary response; a larger one arrives
with an empty body, the flag ``streamed`` and the file (a `StreamedBody`) in
``request.meta[BODY_FILE]``. Storing it is the archive stage's job, not this one's:
`ArchiveStreamedFiles` (archive/scrapy_middlewares.py, the downloader middleware closest
to this handler) copies the file into a WARC file of its own, in a worker thread (the
reactor keeps serving the other hosts meanwhile), indexes it and closes the file. This
module imports nothing of the archive.

Because this is the download itself — there is no second fetch — a large file is one
request like any other: the downloader's per-host slot (one connection, the delay),
robots.txt, the offsite and scope checks (crawler/scope.py), redirects, retries and
back-off all apply, and its address is checked by the crawl's resolver. A download
that fails for any reason (refused as too large, cut off, timed out) reaches
`ArchiveMiddleware.process_exception` (archive/scrapy_middlewares.py): a `fetch_errors`
row and an error in the run's summary. Nothing here imports an optional extra.
"""
from __future__ import annotations

import hashlib
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO
from urllib.parse import urldefrag

from scrapy import signals
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.exceptions import (CannotResolveHostError, DownloadCancelledError, DownloadConnectionRefusedError,
                               DownloadFailedError, DownloadTimeoutError, StopDownload)
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import defer
from twisted.internet.error import ConnectionRefusedError as TxConnectionRefusedError
from twisted.internet.error import DNSLookupError
from twisted.internet.error import TimeoutError as TxTimeoutError
from twisted.internet.protocol import Protocol
from twisted.python.failure import Failure
from twisted.web.client import Agent, HTTPConnectionPool, PotentialDataLoss, ResponseDone, ResponseFailed
from twisted.web.http_headers import Headers as TxHeaders

from nianbao.crawler.middlewares import KIND

# What may be a file: an attachment, or a list item that is itself a PDF/DOC.
STREAMED_KINDS = ("attachment", "detail")
# The hand-over to the archive stage: a streamed body's file, in request.meta, and the
# response's flag (archive/scrapy_middlewares.py ArchiveStreamedFiles stores it).
BODY_FILE = "nianbao_body_file"
STREAMED_FLAG = "streamed"


class TooLarge(Exception):
    """Over NIANBAO_MAX_FILE_BYTES: refused, not retried (not an OSError, which Scrapy retries)."""


@dataclass
class StreamedBody:
    file: IO[bytes]
    size: int
    sha256: str


@contextmanager
def _as_scrapy_errors():
    """Twisted's download failures as the exceptions Scrapy's own HTTP handler raises
    (scrapy.exceptions, public): RETRY_EXCEPTIONS names those, so a streamed download
    that is reset, cut off or timed out is retried like any other request. TooLarge is
    not mapped: a file over the cap is refused, not retried."""
    try:
        yield
    except defer.CancelledError as e:
        raise DownloadCancelledError(str(e)) from e
    except TxConnectionRefusedError as e:
        raise DownloadConnectionRefusedError(str(e)) from e
    except DNSLookupError as e:
        raise CannotResolveHostError(str(e)) from e
    except ResponseFailed as e:
        raise DownloadFailedError(str(e)) from e
    except TxTimeoutError as e:
        raise DownloadTimeoutError(str(e)) from e


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
        with _as_scrapy_errors():
            return await self._download(request)

    async def _download(self, request) -> Response:
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
