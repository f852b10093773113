"""The crawler's own downloader middleware (back off politely) and what every stage's
Scrapy components share: the request kind and the `fetch_errors` row.

The middlewares that write and read the archive (ArchiveMiddleware, ArchiveStreamedFiles,
IncrementalMiddleware) are the archive stage's: archive/scrapy_middlewares.py.
"""
from __future__ import annotations

import time
from email.utils import parsedate_to_datetime
from urllib.parse import urlparse

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest

KIND = "nianbao_kind"


def record_fetch_error(db, run_id: int | None, request, message: str) -> None:
    """A request that produced no response to archive: a `fetch_errors` row.

    A table of the core (nianbao/db.py), written through the database, not the archive:
    the crawler's scope and link cap record here, as do the archive's middlewares."""
    from datetime import datetime, timezone

    db["fetch_errors"].insert({
        "crawl_run_id": run_id, "url": request.url, "kind": request.meta.get(KIND), "error": message[:500],
        "at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    })


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
