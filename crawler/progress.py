"""Progress of a long crawl, from public Scrapy APIs: the stats and `engine.scheduler`.

Every NIANBAO_PROGRESS_INTERVAL seconds (default 30; 0: off) a plain log line:

    progress: 120 pages archived (3 not modified, 0 from the archive), 5 queued,
    41 in the downloader, 2 errors; 2.1 pages/s, about 22 s left

("in the downloader": handed to it, waiting for their host's turn or on the wire.)

"queued" is the scheduler's length (`len(engine.scheduler)`, or whether it
`has_pending_requests()` for schedulers without a length, such as a shared Redis queue
whose length is other processes' too); the estimate is what is queued and downloading
at the pace so far — a lower bound, since pages still to be parsed add more. On a
terminal (stderr is a TTY) a bar is redrawn every second as well.
"""
from __future__ import annotations

import logging
import sys
import time

from scrapy import signals
from scrapy.exceptions import NotConfigured

logger = logging.getLogger(__name__)


def _queued(engine) -> int | None:
    scheduler = getattr(engine, "scheduler", None)
    if scheduler is None:
        return None
    try:
        return len(scheduler)
    except TypeError:
        return 1 if scheduler.has_pending_requests() else 0


class Progress:
    def __init__(self, crawler):
        self.crawler = crawler
        self.every = crawler.settings.getfloat("NIANBAO_PROGRESS_INTERVAL", 30.0)
        if self.every <= 0:
            raise NotConfigured
        self.tty = sys.stderr.isatty()
        self.started = None
        self.loops = []
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def figures(self) -> dict:
        st = self.crawler.stats
        engine = self.crawler.engine
        done = (st.get_value("nianbao/archived", 0) + st.get_value("nianbao/resumed_from_archive", 0)
                + st.get_value("nianbao/download_errors", 0))
        queued = _queued(engine) or 0
        downloading = len(engine.downloader.active) if engine and engine.downloader else 0
        elapsed = max(time.monotonic() - (self.started or time.monotonic()), 1e-6)
        rate = done / elapsed
        left = (queued + downloading) / rate if rate > 0 else None
        return {"archived": st.get_value("nianbao/archived", 0),
                "not_modified": st.get_value("nianbao/not_modified", 0),
                "from_archive": st.get_value("nianbao/resumed_from_archive", 0),
                "errors": st.get_value("nianbao/download_errors", 0), "queued": queued,
                "downloading": downloading, "done": done, "rate": rate, "left": left}

    def line(self) -> str:
        f = self.figures()
        eta = f"about {f['left']:.0f} s left" if f["left"] is not None else "no estimate yet"
        return (f"progress: {f['archived']} pages archived ({f['not_modified']} not modified, "
                f"{f['from_archive']} from the archive), {f['queued']} queued, {f['downloading']} in the downloader, "
                f"{f['errors']} errors; {f['rate']:.1f} pages/s, {eta}")

    def log_line(self) -> None:
        logger.info(self.line())

    def draw_bar(self) -> None:
        f = self.figures()
        total = f["done"] + f["queued"] + f["downloading"]
        width = 30
        filled = int(width * f["done"] / total) if total else 0
        eta = f" ~{f['left']:.0f}s" if f["left"] is not None else ""
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {f['done']}/{total} pages,"
                         f" {f['errors']} errors, {f['rate']:.1f}/s{eta}  ")
        sys.stderr.flush()

    def spider_opened(self, spider):
        from twisted.internet import task

        self.started = time.monotonic()
        log = task.LoopingCall(self.log_line)
        log.start(self.every, now=False)
        self.loops.append(log)
        if self.tty:
            bar = task.LoopingCall(self.draw_bar)
            bar.start(1.0, now=False)
            self.loops.append(bar)

    def spider_closed(self, spider):
        for loop in self.loops:
            if loop.running:
                loop.stop()
        if self.tty:
            sys.stderr.write("\n")
        logger.info(self.line().replace("progress:", "done:", 1))
