"""Fetch through headless Chromium, for portals that need JavaScript (scrapy-playwright).

A source or column with ``"render": "browser"`` in the registry, or ``nianbao crawl
--browser --start-url …``, runs in its own crawler whose http/https download
handler is scrapy-playwright's (subclassed in crawler/internals_playwright.py), driving Debian's Chromium (``/usr/bin/chromium``;
no browser is ever downloaded). Every page request of that crawler is given
``browser_request_meta()`` by `BrowserRequests`; attachments are not (they get
``playwright: False``), so PDFs and spreadsheets are downloaded by Scrapy's
own HTTP handler and archived byte for byte, as on any other portal. robots.txt
is fetched by the normal handler too and obeyed as always.

**What the archive holds for a rendered page.** The body Scrapy gets, and that
``ArchiveMiddleware`` (archive/scrapy_middlewares.py) stores, is the DOM after the
scripts ran (``page.content()``, re-encoded in the charset the page declares), *not*
the bytes the server sent.
The status and headers are those of the last main-frame navigation (the page the
DOM belongs to). Such captures carry the response flag ``rendered`` and the
archived headers ``X-Nianbao-Rendered: chromium`` and ``X-Nianbao-Navigations``
(every main-frame navigation the page went through, e.g. ``412 URL, 200 URL``).
Requests the page's scripts make (list.json, XHR) are not archived separately.

**Anti-bot gates** (Ruishu/瑞数 answers 412, Jiasule 521, with a script that sets a
cookie and reloads): in the browser the script runs and the page reloads by
itself. ``BrowserDownloadHandler`` waits for that reload (up to
``NIANBAO_BROWSER_GATE_WAIT`` seconds, ``NIANBAO_BROWSER_GATE_ROUNDS`` times) and
answers with the final page and *its* status, so the gate's 412 never reaches
``BackoffRetryMiddleware`` and is not retried; only a page still gated after the
dance keeps its 412 (and is retried like any 412). All browser requests share
one browser context, so the cookie the gate set is sent with every following
request to that host. The page's own request carries Scrapy's headers (our
User-Agent, Referer) plus the browser's cookies (``request_headers``).

**Conditional GET.** Chromium aborts a navigation answered ``304``, so a page the
archive already holds is first asked for by Scrapy's own handler, with
``If-None-Match`` / ``If-Modified-Since`` and the browser's cookies; a 304 is
answered as for any portal (the archive's ``IncrementalMiddleware`` uses the archived DOM),
anything else is rendered in the browser.
"""
from __future__ import annotations

import logging
import os
import shutil
from urllib.parse import urlparse

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeoutError
from scrapy_playwright.page import PageMethod

logger = logging.getLogger(__name__)

CHROMIUM = "/usr/bin/chromium"
# What the closed network needs: no sandbox (containers), no QUIC, nothing phoning home.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
RENDERED_HEADER = "X-Nianbao-Rendered"
NAVIGATIONS_HEADER = "X-Nianbao-Navigations"
RENDERED_FLAG = "rendered"
# Statuses with which WAFs answer before their cookie is set (Ruishu 412, Jiasule 521).
GATE_STATUSES = (412, 521)
# Resource types a report page does not need to be rendered.
_SKIPPED_RESOURCES = {"image", "media", "font"}


def chromium_path() -> str:
    """$NIANBAO_CHROMIUM, else Debian's /usr/bin/chromium, else `chromium` on PATH."""
    path = os.environ.get("NIANBAO_CHROMIUM")
    if path:
        return path
    if os.path.exists(CHROMIUM):
        return CHROMIUM
    return shutil.which("chromium") or shutil.which("chromium-browser") or CHROMIUM


def browser_settings() -> dict:
    """Scrapy settings of a crawler that fetches through Chromium (see run.run_crawl)."""
    handler = "nianbao.crawler.internals_playwright.BrowserDownloadHandler"
    return {
        "DOWNLOAD_HANDLERS": {"http": handler, "https": handler},
        # pages (not files, not robots.txt) go through Chromium
        "DOWNLOADER_MIDDLEWARES": {"nianbao.crawler.browser.BrowserRequests": 45},
        "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
        "PLAYWRIGHT_BROWSER_TYPE": "chromium",
        "PLAYWRIGHT_LAUNCH_OPTIONS": {"executable_path": chromium_path(), "args": list(CHROMIUM_ARGS),
                                     "headless": True, "timeout": 60_000},
        "PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT": 30_000,  # ms; a slow portal still fits DOWNLOAD_TIMEOUT
        # one request per host at a time anyway (CONCURRENT_REQUESTS_PER_DOMAIN = 1): a few pages suffice
        "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT": 4,
        "PLAYWRIGHT_MAX_CONTEXTS": 1,  # one context: the gate's cookie is shared by all requests
        "PLAYWRIGHT_ABORT_REQUEST": "nianbao.crawler.browser.abort_request",
        "PLAYWRIGHT_PROCESS_REQUEST_HEADERS": "nianbao.crawler.browser.request_headers",
        "NIANBAO_BROWSER_GATE_WAIT": 10.0,
        "NIANBAO_BROWSER_GATE_ROUNDS": 3,
    }


async def wait_until_settled(page, quiet_ms: int = 300, timeout_ms: int = 5_000) -> None:
    """Wait until the network is idle and the DOM stopped changing for `quiet_ms`
    (a list written by a script after a timer, not only after a request)."""
    try:
        await page.wait_for_load_state("networkidle", timeout=timeout_ms)
    except PlaywrightTimeoutError:
        pass  # a page that keeps polling: take what is there
    try:
        await page.evaluate(
            """([quiet, limit]) => new Promise(resolve => {
                   let timer = setTimeout(done, quiet);
                   const stop = setTimeout(done, limit);
                   const obs = new MutationObserver(() => { clearTimeout(timer); timer = setTimeout(done, quiet); });
                   function done() { obs.disconnect(); clearTimeout(timer); clearTimeout(stop); resolve(); }
                   obs.observe(document, {childList: true, subtree: true, characterData: true});
               })""", [quiet_ms, timeout_ms])
    except PlaywrightError:
        pass  # the page navigated away meanwhile; the handler waits for it


def browser_request_meta() -> dict:
    """Request meta of a browser crawl: render in Chromium, wait until the page settled."""
    return {
        "playwright": True,
        "playwright_page_goto_kwargs": {"wait_until": "load"},
        "playwright_page_methods": [PageMethod(wait_until_settled)],
    }


class BrowserRequests:
    """Downloader middleware of a browser crawl: the spider's pages are rendered in Chromium;
    attachments and robots.txt are not (Scrapy's handler archives their bytes)."""

    def process_request(self, request, spider=None):
        kind = request.meta.get("nianbao_kind")
        if kind is None or "playwright" in request.meta:
            return None  # robots.txt (Scrapy asks for it itself), or decided already
        if kind == "attachment":
            request.meta["playwright"] = False
        else:
            request.meta.update(browser_request_meta())
        return None


def abort_request(request) -> bool:
    """Don't let the browser fetch images, media and fonts, nor anything off the page's host,
    nor navigate off the columns' scheme, host and port (crawler/scope.py)."""
    if request.resource_type in _SKIPPED_RESOURCES:
        return True
    if request.is_navigation_request():
        # a page (or its redirect, or its script) may not take the browser off the columns' sites
        from nianbao.crawler.scope import POLICY, origin

        target = origin(request.url)  # None: about:, data: … (nothing on the network)
        return bool(POLICY.origins) and target is not None and target not in POLICY.origins
    try:
        page_url = request.frame.page.url
    except PlaywrightError:
        return False
    host = (urlparse(page_url).hostname or "").lower()
    return bool(host) and (urlparse(request.url).hostname or "").lower() != host


async def request_headers(*, browser_type_name, playwright_request, scrapy_request_data) -> dict:
    """Scrapy's headers for the page itself (User-Agent, conditional GET), the browser's
    own for what its scripts fetch; the browser's cookies (a gate's) are always kept."""
    browser = await playwright_request.all_headers()
    scrapy_headers = scrapy_request_data["headers"].to_unicode_dict()
    if not playwright_request.is_navigation_request():
        if scrapy_headers.get("user-agent"):
            browser["user-agent"] = scrapy_headers["user-agent"]
        return browser
    # conditional GETs were answered by BrowserDownloadHandler._conditional_get already
    headers = {k.lower(): v for k, v in scrapy_headers.items()
               if k.lower() not in ("if-none-match", "if-modified-since")}
    headers.setdefault("user-agent", browser.get("user-agent"))
    for key in ("cookie", "referer"):
        if browser.get(key):
            if key == "cookie" and headers.get("cookie"):
                names = {c.split("=", 1)[0].strip() for c in headers["cookie"].split(";")}
                extra = [c for c in browser["cookie"].split(";") if c.split("=", 1)[0].strip() not in names]
                if extra:
                    headers["cookie"] = "; ".join([headers["cookie"], *(c.strip() for c in extra)])
            else:
                headers.setdefault(key, browser[key])
    return {k: v for k, v in headers.items() if v is not None}


def __getattr__(name):
    # settings written before the handler moved name it here
    if name == "BrowserDownloadHandler":
        from nianbao.crawler.internals_playwright import BrowserDownloadHandler

        return BrowserDownloadHandler
    raise AttributeError(name)
