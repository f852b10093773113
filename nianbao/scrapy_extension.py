"""Scrapy extension: one `crawl_runs` row per crawl, however the crawl was started.

`nianbao crawl` opens and closes the run itself (it may run several spiders in
one run) and passes NIANBAO_RUN_ID. Started any other way — `scrapy crawl
column`, Scrapyd — this extension does the same job: recover the archive,
take the lock, record the run, and at the end extract what is new.
The progress line is crawler/progress.py's.

The lock holds for every way a crawl starts: a crawl started while another one
holds the database's lock does not run at all (see `RunRecorder.__init__`).
"""
from __future__ import annotations

import logging

from scrapy import signals

from nianbao.crawler.lock import AlreadyRunning

logger = logging.getLogger(__name__)


class CrawlRefused(AlreadyRunning):
    """Another crawl holds the database's lock: this one must not run at all."""


class RunRecorder:
    def __init__(self, crawler):
        self.crawler = crawler
        s = crawler.settings
        self.managed = not s.getint("NIANBAO_RUN_ID")
        self.lock = None
        if self.managed:
            from nianbao.crawler.lock import CrawlLock
            from nianbao.runner import begin_run

            self.lock = CrawlLock(s.get("NIANBAO_DB"))
            try:
                self.lock.__enter__()
            except AlreadyRunning as e:
                # Not NotConfigured: Scrapy would then crawl on without this extension,
                # unlocked and unrecorded, beside the running crawl. An exception here
                # fails the crawler before its engine (and the archive middleware) exists,
                # so nothing is fetched or written, and `scrapy crawl` exits non-zero.
                logger.error("nianbao: %s; this crawl does not start", e)
                raise CrawlRefused(f"{e}; this crawl does not start") from None
            self.run = begin_run(s.get("NIANBAO_DB"), s.get("NIANBAO_ARCHIVE"), start_urls=None, sources=None,
                                 overrides={}, resume=True, started_by="scrapy")
            # Settings are not frozen yet: the middlewares built next read these.
            s.set("NIANBAO_RUN_ID", self.run["run_id"], priority="cmdline")
            s.set("NIANBAO_RESUME_RUN", self.run["resume_run"] or 0, priority="cmdline")
            s.set("NIANBAO_RESUME_RUNS", ",".join(map(str, self.run["resume_runs"])), priority="cmdline")
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def spider_closed(self, spider, reason):
        if not self.managed:
            return
        from nianbao.runner import finish_run

        s = self.crawler.settings
        try:
            summary = finish_run(s.get("NIANBAO_DB"), s.get("NIANBAO_ARCHIVE"), self.run,
                                 [self.crawler.stats.get_stats()], extract=s.getbool("NIANBAO_EXTRACT", True))
            logger.info("nianbao run %s: %s", self.run["run_id"], summary)
        finally:
            self.lock.__exit__(None, None, None)
