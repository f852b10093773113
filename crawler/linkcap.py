"""At most NIANBAO_MAX_LINKS_PER_PAGE links followed from one page.

A real report column lists tens of reports per page (a TRS pager announces at most a
few hundred pages); a page of 200,000 links is a trap or a mistake, and following it
would fill the scheduler and the event loop for hours. This spider middleware stops
taking requests from a response once the cap is reached (the spider's generator is
closed, so the rest is never even built), and records it: a warning in the log, the
stats `nianbao/link_cap/pages` and `nianbao/link_cap/followed`, and a `fetch_errors` row
for the page, so the run says which page was cut.
"""
from __future__ import annotations

import logging

from scrapy import Request
from scrapy.spidermiddlewares.base import BaseSpiderMiddleware

logger = logging.getLogger(__name__)

DEFAULT_MAX_LINKS_PER_PAGE = 2000


class LinkCapMiddleware(BaseSpiderMiddleware):
    def __init__(self, crawler):
        super().__init__(crawler)
        self.cap = crawler.settings.getint("NIANBAO_MAX_LINKS_PER_PAGE", DEFAULT_MAX_LINKS_PER_PAGE)
        self._db = None

    def process_spider_output(self, response, result, spider=None):
        followed = 0
        for o in result:
            if isinstance(o, Request) and self.cap > 0:
                if followed >= self.cap:
                    self._record(response, followed)
                    return  # closes the spider's generator: the remaining links are never built
                followed += 1
            yield o

    async def process_spider_output_async(self, response, result, spider=None):
        followed = 0
        async for o in result:
            if isinstance(o, Request) and self.cap > 0:
                if followed >= self.cap:
                    self._record(response, followed)
                    await result.aclose() if hasattr(result, "aclose") else None
                    return
                followed += 1
            yield o

    def _record(self, response, followed: int) -> None:
        stats = self.crawler.stats
        stats.inc_value("nianbao/link_cap/pages")
        stats.inc_value("nianbao/link_cap/followed", followed)
        message = (f"link cap: followed the first {followed} links of this page, not the rest "
                   f"(NIANBAO_MAX_LINKS_PER_PAGE={self.cap})")
        logger.warning("%s: %s", response.url, message)
        settings = self.crawler.settings
        if not settings.get("NIANBAO_DB"):
            return
        from nianbao.crawler.middlewares import record_fetch_error
        from nianbao.db import connect

        if self._db is None:
            self._db = connect(settings.get("NIANBAO_DB"))
        record_fetch_error(self._db, settings.getint("NIANBAO_RUN_ID") or None, response.request, message)
