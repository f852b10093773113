"""The archive's Scrapy components: every response a crawl receives goes into the WARC here.

Downloader middlewares named by dotted path in crawler/settings.py (DOWNLOADER_MIDDLEWARES):

* `ArchiveMiddleware` (990, closest to the network but for the next one): every response,
  whatever its status, as received, into the WARC and `captures`; a failed download
  (refused, reset, timed out, too large) a `fetch_errors` row.
* `ArchiveStreamedFiles` (995, closest to the download handler): a body the crawl's
  streaming handler (crawler/streaming.py) left on disk, flagged ``streamed`` with the
  file in ``request.meta[BODY_FILE]``, copied into a WARC file of its own in a worker
  thread, so the reactor keeps serving other hosts.
* `IncrementalMiddleware` (980): conditional requests for what the archive already
  holds, and the archived body for what an interrupted run already fetched.

They live in the archive stage because they write and read the archive; the crawler
stage hands them bodies and request metadata and imports nothing of this stage.
"""
from __future__ import annotations

import logging
import re
from urllib.parse import unquote

from scrapy import signals
from scrapy.exceptions import IgnoreRequest
from scrapy.responsetypes import responsetypes
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import threads

from nianbao.archive.store import Archive
from nianbao.crawler.middlewares import KIND, record_fetch_error
from nianbao.crawler.streaming import BODY_FILE, StreamedBody
from nianbao.db import connect

logger = logging.getLogger(__name__)


def content_disposition_filename(value: str | None) -> str | None:
    """File name from a Content-Disposition header (RFC 6266 filename* first)."""
    if not value:
        return None
    m = re.search(r"filename\*\s*=\s*([^']*)'[^']*'([^;]+)", value, re.I)
    if m:
        try:
            return unquote(m.group(2).strip().strip('"'), encoding=m.group(1) or "utf-8")
        except LookupError:
            return unquote(m.group(2).strip().strip('"'))
    m = re.search(r'filename\s*=\s*"?([^";]+)"?', value, re.I)
    if not m:
        return None
    name = m.group(1).strip()
    if "%" in name:
        name = unquote(name)
    # Chinese servers often send raw GBK bytes, which arrive here as latin-1.
    try:
        raw = name.encode("latin-1")
        for enc in ("utf-8", "gb18030"):
            try:
                return raw.decode(enc)
            except UnicodeDecodeError:
                continue
    except UnicodeEncodeError:
        pass
    return name


def headers_list(headers) -> list[tuple[str, str]]:
    out = []
    for key, values in headers.items():
        k = key.decode("latin-1")
        for v in values:
            out.append((k, v.decode("latin-1")))
    return out


class ArchiveMiddleware:
    """Write every response, whatever its status, to WARC + the captures index."""

    def __init__(self, crawler):
        s = crawler.settings
        self.db = connect(s.get("NIANBAO_DB"))
        self.archive = Archive(self.db, s.get("NIANBAO_ARCHIVE"), run_id=s.getint("NIANBAO_RUN_ID") or None)
        self.stats = crawler.stats
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_response(self, request, response, spider=None):
        if "archived" in response.flags:
            return response
        kind = request.meta.get(KIND) or ("robots" if request.url.endswith("/robots.txt") else "other")
        headers = headers_list(response.headers)
        if "rendered" in response.flags:  # a DOM Chromium rendered, not the bytes sent (crawler/browser.py)
            headers += request.meta.get("nianbao_rendered_headers") or [("X-Nianbao-Rendered", "chromium")]
        filename = content_disposition_filename(
            response.headers.get("Content-Disposition", b"").decode("latin-1") or None)
        reason = ""
        try:
            from http import HTTPStatus

            reason = HTTPStatus(response.status).phrase
        except ValueError:
            pass
        capture_id = self.archive.store(
            response.url, response.status, reason, headers, response.body, kind=kind,
            referer=(request.headers.get("Referer") or b"").decode("latin-1") or None,
            link_text=request.meta.get("link_text"), filename=filename, source=request.meta.get("source"),
            # a GET is its URL; any other request is also its body (which list page was asked for)
            request=None if request.method == "GET" else (request.method, headers_list(request.headers),
                                                          request.body),
        )
        request.meta["capture_id"] = capture_id
        self.stats.inc_value("nianbao/archived")
        self.stats.inc_value("nianbao/archived_bytes", len(response.body))
        self.stats.inc_value(f"nianbao/status/{response.status}")
        return response

    def process_exception(self, request, exception, spider=None):
        if isinstance(exception, IgnoreRequest):
            # robots.txt, off-site or error budget said no: a decision, not a failure
            self.stats.inc_value("nianbao/ignored_requests")
            return None
        self.stats.inc_value("nianbao/download_errors")
        logger.warning("download failed: %s (%s)", request.url, exception.__class__.__name__)
        record_fetch_error(self.db, self.archive.run_id, request, f"{exception.__class__.__name__}: {exception}")

    def spider_closed(self, spider):
        self.archive.close()


class IncrementalMiddleware:
    """Don't download again what the archive already holds unchanged.

    Detail pages and attachments already archived are asked for with
    If-None-Match / If-Modified-Since; a 304 is archived (it was received) and
    the spider gets the archived body. Pages captured by an interrupted run that
    this run resumes are not requested at all.
    """

    def __init__(self, crawler):
        s = crawler.settings
        self.db = connect(s.get("NIANBAO_DB"))
        self.archive = Archive(self.db, s.get("NIANBAO_ARCHIVE"))
        # every interrupted run since the last finished one (NIANBAO_RESUME_RUNS), not only the newest
        self.resume_runs = {int(x) for x in str(s.get("NIANBAO_RESUME_RUNS") or "").split(",") if x.strip()}
        if s.getint("NIANBAO_RESUME_RUN"):
            self.resume_runs.add(s.getint("NIANBAO_RESUME_RUN"))
        self.enabled = s.getbool("NIANBAO_INCREMENTAL", True)
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def _archived_response(self, request, capture_id: int, flag: str):
        stored = self.archive.read(capture_id)
        headers = {k: v for k, v in stored.headers.items() if k not in ("content-encoding", "content-length")}
        cls = responsetypes.from_args(headers=headers, url=stored.url, body=stored.body)
        request.meta["capture_id"] = capture_id
        return cls(url=stored.url, status=200, headers=headers, body=stored.body,
                   flags=["archived", flag], request=request)

    def process_request(self, request, spider=None):
        if not self.enabled or request.meta.get(KIND) not in ("detail", "attachment"):
            return None
        row = self.db.execute(
            "SELECT id, etag, last_modified, crawl_run_id FROM captures WHERE url = ? AND status = 200 "
            "ORDER BY id DESC LIMIT 1", [request.url]
        ).fetchone()
        if row is None:
            return None
        capture_id, etag, last_modified, run_id = row
        if self.resume_runs:
            # asked by an interrupted run (a 200, or a 304 confirming the archived copy): not again
            last = self.db.execute("SELECT crawl_run_id FROM captures WHERE url = ? AND status IN (200, 304) "
                                   "ORDER BY id DESC LIMIT 1", [request.url]).fetchone()
            if last and last[0] in self.resume_runs:
                self.stats.inc_value("nianbao/resumed_from_archive")
                return self._archived_response(request, capture_id, "resumed")
        request.meta["nianbao_prev_capture"] = capture_id
        if etag:
            request.headers.setdefault("If-None-Match", etag)
        if last_modified:
            request.headers.setdefault("If-Modified-Since", last_modified)
        return None

    def process_response(self, request, response, spider=None):
        prev = request.meta.get("nianbao_prev_capture")
        if response.status == 304 and prev:
            self.stats.inc_value("nianbao/not_modified")
            return self._archived_response(request, prev, "not-modified")
        return response



class ArchiveStreamedFiles:
    """Downloader middleware (closest to the handler): a body crawler/streaming.py streamed
    to disk (flag ``streamed``, the file in ``request.meta[BODY_FILE]``) into the archive.

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
        db = connect(self.crawler.settings.get("NIANBAO_DB"))
        try:
            record_fetch_error(db, self.crawler.settings.getint("NIANBAO_RUN_ID") or None, request, message)
        finally:
            db.conn.close()
        logger.warning(message)
