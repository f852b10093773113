"""Polite Scrapy defaults for crawling government portals.

Anything here can be overridden with `nianbao crawl -s NAME=VALUE`, exactly as
with `scrapy crawl -s`.
"""
import os

from nianbao import __version__

PROJECT_URL = "https://github.com/nianbao/nianbao"

BOT_NAME = "nianbao"
SPIDER_MODULES = ["nianbao.spiders"]
NEWSPIDER_MODULE = "nianbao.spiders"

# Say who we are and where to complain: portal operators do read their logs.
USER_AGENT = f"Nianbao/{__version__} (+{PROJECT_URL}; archive of government information-disclosure annual reports)"
ROBOTSTXT_OBEY = True

# At most one request per second per host: one connection per host, a fixed
# 1 s floor (no random jitter below it), AutoThrottle only ever slows down.
CONCURRENT_REQUESTS = 64
# Spider output handled in parallel per response. The spiders yield requests, not
# items, and there is no item pipeline: Scrapy's 100 costs 100 asyncio tasks per
# response, which at 200 hosts delayed each second's burst (bench_politeness: 1.18x -> 1.13x).
CONCURRENT_ITEMS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 1
DOWNLOAD_DELAY = 1.0
DOWNLOAD_DELAY_JITTER = 0  # no random variation: the 1 s floor is a floor
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

# Bounded retries; 412 is what anti-bot gateways answer before their cookie is set.
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429, 412]
NIANBAO_BACKOFF_BASE = 2.0       # seconds; doubled per retry of the same request
NIANBAO_BACKOFF_MAX = 120.0

DOWNLOAD_TIMEOUT = 60
DOWNLOAD_MAXSIZE = 50 * 1024 * 1024    # pages larger than this are refused mid-download
# Attachments and detail pages are downloaded by crawler/streaming.py's handler: a body
# over this many bytes is streamed to disk and then into the WARC (by the archive stage's
# ArchiveStreamedFiles), never held in memory, up to NIANBAO_MAX_FILE_BYTES; larger ones
# are refused (a fetch_errors row).
NIANBAO_STREAM_ABOVE = 8 * 1024 * 1024
NIANBAO_MAX_FILE_BYTES = 1024 * 1024 * 1024
DOWNLOAD_WARNSIZE = 20 * 1024 * 1024

# How far a generic column crawl may page (a runaway `下一页` loop stops here).
NIANBAO_MAX_LIST_PAGES = 200
# At most this many links followed from one page (crawler/linkcap.py): a page of 200,000
# links is a trap; the cut is logged and recorded in fetch_errors and the stats.
NIANBAO_MAX_LINKS_PER_PAGE = 2000
SPIDER_MIDDLEWARES = {
    "nianbao.crawler.linkcap.LinkCapMiddleware": 950,  # next to the spider: sees its output first
}

DOWNLOADER_MIDDLEWARES = {
    # First: a request off the columns' scheme/host/port is refused before anything else
    # (robots.txt included) is asked for (crawler/scope.py).
    "nianbao.crawler.scope.ScopeMiddleware": 40,
    # Replaced by the back-off variant below.
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "nianbao.crawler.middlewares.BackoffRetryMiddleware": 550,
    # The archive stage's middlewares (archive/scrapy_middlewares.py), named here as
    # configuration: the crawler stage imports none of them.
    # Closest to the network, so it sees every response exactly as received
    # (before decompression, redirects and retries change anything).
    "nianbao.archive.scrapy_middlewares.ArchiveMiddleware": 990,
    # Closer still: a body the download handler streamed to disk goes into the WARC.
    "nianbao.archive.scrapy_middlewares.ArchiveStreamedFiles": 995,
    # Conditional requests for pages already archived (ETag / Last-Modified).
    "nianbao.archive.scrapy_middlewares.IncrementalMiddleware": 980,
}

# Every address a name resolves to is checked at connection time: no private, loopback,
# link-local … addresses unless the column itself is on one (crawler/scope.py).
TWISTED_DNS_RESOLVER = "nianbao.crawler.scope.ScopedResolver"
NIANBAO_ALLOW_PRIVATE_ADDRESSES = False

# Scrapy's HTTP/1.1 handler, except that attachments and detail pages stream to disk.
DOWNLOAD_HANDLERS = {
    "http": "nianbao.crawler.streaming.StreamingDownloadHandler",
    "https": "nianbao.crawler.streaming.StreamingDownloadHandler",
}

# Rendering a spider asks for (render="browser") is put in place by the crawler.
ADDONS = {"nianbao.crawler.render.RenderAddon": 0}

EXTENSIONS = {
    # Records the run (and extracts at its end) when started by `scrapy crawl` or Scrapyd.
    "nianbao.scrapy_extension.RunRecorder": 100,
    # A progress line every NIANBAO_PROGRESS_INTERVAL s, a bar on a terminal (crawler/progress.py).
    "nianbao.crawler.progress.Progress": 110,
}
# Where the archive lives when a crawl is not started by `nianbao crawl` (Scrapyd, `scrapy crawl`).
NIANBAO_DB = os.environ.get("NIANBAO_DB", "data/nianbao.db")
NIANBAO_ARCHIVE = os.environ.get("NIANBAO_ARCHIVE", "data/warc")
NIANBAO_PROGRESS_INTERVAL = 30.0  # seconds between progress lines on long runs

TELNETCONSOLE_ENABLED = False
LOG_LEVEL = "INFO"
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
FEED_EXPORT_ENCODING = "utf-8"
