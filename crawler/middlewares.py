"""Downloader middlewares: archive everything, fetch conditionally, back off politely."""
from __future__ import annotations

import logging
import re
import time
from email.utils import parsedate_to_datetime
from urllib.parse import unquote, urlparse

from scrapy import signals
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.responsetypes import responsetypes

from nianbao.archive.store import Archive
from nianbao.db import connect

logger = logging.getLogger(__name__)

KIND = "nianbao_kind"


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


def record_fetch_error(db, run_id: int | None, request, message: str) -> None:
    """A request that produced no response to archive: a `fetch_errors` row."""
    from datetime import datetime, timezone

    db["fetch_errors"].insert({
        "crawl_run_id": run_id, "url": request.url, "kind": request.meta.get(KIND), "error": message[:500],
        "at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    })


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


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retry, plus back-off: a 429/503/412/5xx slows the whole host down, for a while.

    The host's download slot waits Retry-After (else NIANBAO_BACKOFF_BASE doubled per
    attempt), at most NIANBAO_BACKOFF_MAX seconds, before its next request; the first
    answer that is not an error puts the slot's delay back where it was (DOWNLOAD_DELAY,
    or what AutoThrottle had made of it), whether AutoThrottle is on or off. A host that
    keeps failing past its error budget is left alone for the rest of the run.
    """

    def __init__(self, settings):
        super().__init__(settings)
        self.base = settings.getfloat("NIANBAO_BACKOFF_BASE", 2.0)
        self.cap = settings.getfloat("NIANBAO_BACKOFF_MAX", 120.0)
        self.budget = settings.getint("NIANBAO_HOST_ERROR_BUDGET", 30)
        self.errors: dict[str, int] = {}
        self.normal_delay: dict[str, float] = {}  # slot key -> its delay before the back-off
        self.crawler = None

    @classmethod
    def from_crawler(cls, crawler):
        mw = cls(crawler.settings)
        mw.crawler = crawler
        return mw

    def _slot(self, request):
        from nianbao.crawler.internals_scrapy import download_slot

        return download_slot(self.crawler, request)

    def _retry_after(self, response) -> float | None:
        value = response.headers.get("Retry-After")
        if not value:
            return None
        value = value.decode("latin-1").strip()
        if value.isdigit():
            return float(value)
        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            return None

    def process_request(self, request, spider=None):
        host = urlparse(request.url).hostname or ""
        if self.budget and self.errors.get(host, 0) >= self.budget:
            self.crawler.stats.inc_value("nianbao/skipped_host_over_error_budget")
            raise IgnoreRequest(f"{host} exceeded its error budget of {self.budget}")
        return None

    def process_response(self, request, response, spider=None):
        key, slot = self._slot(request)
        if response.status in self.retry_http_codes and not request.meta.get("dont_retry"):
            host = urlparse(request.url).hostname or ""
            self.errors[host] = self.errors.get(host, 0) + 1
            attempt = request.meta.get("retry_times", 0)
            delay = self._retry_after(response)
            if delay is None:
                delay = self.base * (2 ** attempt)
            delay = min(delay, self.cap)
            if slot is not None:
                self.normal_delay.setdefault(key, slot.delay)
                slot.delay = max(slot.delay, delay)
            # a distributed crawl's downloader shares the back-off with the other processes
            hold_off = getattr(self.crawler.engine.downloader, "hold_off", None)
            if hold_off is not None:
                hold_off(request, delay)
            self.crawler.stats.inc_value("nianbao/backoff")
        elif slot is not None and key in self.normal_delay:
            # the host answers normally again: its usual pace, not the back-off's
            slot.delay = self.normal_delay.pop(key)
            self.crawler.stats.inc_value("nianbao/backoff_ended")
        return super().process_response(request, response)

    def process_exception(self, request, exception, spider=None):
        host = urlparse(request.url).hostname or ""
        self.errors[host] = self.errors.get(host, 0) + 1
        return super().process_exception(request, exception)
