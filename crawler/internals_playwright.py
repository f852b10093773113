"""Every use of scrapy-playwright's private internals, in one place (pinned in
pyproject.toml; tests/test_internals.py fails when one of them moves).

scrapy-playwright reports the status and headers of a page's *first* navigation and has no
public hook for what happens between navigation and response, nor for answering some
requests without the browser. `BrowserDownloadHandler` therefore overrides its private
steps: `_download_request` (a conditional GET through Scrapy's handler first: Chromium
aborts a navigation answered 304), `_get_response_and_download` (follow an anti-bot
gate's reload to the final page), `_download_request_with_page` (mark the rendered DOM),
and reads `context_wrappers` (the browser context's cookies) and `_SCRAPY_ASYNC_API`
(which download_request signature the installed Scrapy calls).
"""
from __future__ import annotations

import logging

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeoutError
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy_playwright.handler import _SCRAPY_ASYNC_API, ScrapyPlaywrightDownloadHandler
from twisted.internet.defer import Deferred

from nianbao.crawler.browser import (GATE_STATUSES, NAVIGATIONS_HEADER, RENDERED_FLAG, RENDERED_HEADER,
                                     wait_until_settled)

logger = logging.getLogger(__name__)

# what tests/test_internals.py checks: (name, parameters after self)
OVERRIDDEN = {
    "_download_request": ("request", "spider"),
    "_get_response_and_download": ("request", "page", "spider"),
    "_download_request_with_page": ("request", "page", "spider"),
}
SCRAPY_ASYNC_API = _SCRAPY_ASYNC_API


class BrowserDownloadHandler(ScrapyPlaywrightDownloadHandler):
    """scrapy-playwright's handler, answering with the page a gate's reload ends on.

    scrapy-playwright reports the status and headers of the first navigation
    (`page.goto`), which for a gated page is the 412 although the DOM is the
    reloaded report. This waits for the gate's reload and reports the last
    main-frame navigation, and marks rendered responses (flag ``rendered``,
    ``nianbao_rendered_headers`` in the request's meta for the archive).
    """

    def __init__(self, crawler) -> None:
        from nianbao.crawler.politeness import HostGate
        from nianbao.crawler.streaming import FileStreamer

        super().__init__(crawler)
        self.gate = HostGate(crawler)
        self.streamer = FileStreamer(crawler)
        self.gate_wait_ms = int(crawler.settings.getfloat("NIANBAO_BROWSER_GATE_WAIT", 10.0) * 1000)
        self.gate_rounds = crawler.settings.getint("NIANBAO_BROWSER_GATE_ROUNDS", 3)

    async def _download_request(self, request, spider=None):
        if request.headers.get("If-None-Match") or request.headers.get("If-Modified-Since"):
            # Chromium aborts a navigation answered 304: ask Scrapy's own handler first,
            # with the browser's cookies; render only what changed (or what it cannot get).
            response = await self._conditional_get(request, spider)
            if response is not None:
                return response
        return await super()._download_request(request, spider)

    async def _with_browser_cookies(self, request):
        """The request with the browser context's cookies for its URL (a gate's among them)."""
        wrapper = self.context_wrappers.get(request.meta.get("playwright_context") or "default")
        if wrapper is None:
            return request
        try:
            cookies = await wrapper.context.cookies(request.url)
        except PlaywrightError:
            cookies = []
        if not cookies:
            return request
        headers = request.headers.copy()
        headers["Cookie"] = "; ".join(f"{c['name']}={c['value']}" for c in cookies)
        return request.replace(headers=headers)

    if _SCRAPY_ASYNC_API:

        async def download_request(self, request):
            # Files are fetched without the browser, but behind the same gate: send
            # the cookie the browser got, so a gated PDF does not answer 412. They stream
            # to disk as in any crawl (crawler/streaming.py).
            async with self.gate.turn(request):
                if not request.meta.get("playwright"):
                    request = await self._with_browser_cookies(request)
                    if self.streamer.wants(request):
                        return await self.streamer.download(request)
                return await super().download_request(request)

    async def _conditional_get(self, request, spider):
        plain = await self._with_browser_cookies(request.replace(meta={**request.meta, "playwright": False}))
        if _SCRAPY_ASYNC_API:
            result = HTTP11DownloadHandler.download_request(self, plain)
        else:
            result = HTTP11DownloadHandler.download_request(self, plain, spider)
        if isinstance(result, Deferred):
            result = maybe_deferred_to_future(result)
        response = await result
        if response.status == 304:
            self.stats.inc_value("nianbao/browser/not_modified")
            return response.replace(request=request)
        return None

    async def _get_response_and_download(self, request, page, spider):
        navigations = []

        def on_response(resp) -> None:
            try:
                if resp.frame == page.main_frame and resp.request.is_navigation_request():
                    navigations.append(resp)
            except PlaywrightError:
                pass

        page.on("response", on_response)
        try:
            response, download = await super()._get_response_and_download(request, page, spider)
            if response is not None and download is None:
                response = await self._through_gate(page, response, navigations)
                request.meta["nianbao_rendered_headers"] = [
                    (RENDERED_HEADER, "chromium"),
                    (NAVIGATIONS_HEADER, ", ".join(f"{r.status} {r.url}" for r in navigations or [response])),
                ]
        finally:
            page.remove_listener("response", on_response)
        return response, download

    async def _through_gate(self, page, response, navigations):
        final = response
        for _ in range(self.gate_rounds + 1):
            await wait_until_settled(page, timeout_ms=min(self.gate_wait_ms, 5_000))
            final = navigations[-1] if navigations else final
            if final.status not in GATE_STATUSES:
                break
            # the gate's script sets its cookie and reloads: wait for the next page
            try:
                await page.wait_for_event("framenavigated", predicate=lambda f: f == page.main_frame,
                                          timeout=self.gate_wait_ms)
                await page.wait_for_load_state("load", timeout=self.gate_wait_ms)
            except (PlaywrightTimeoutError, PlaywrightError):
                break
            self.stats.inc_value("nianbao/browser/gate_reloads")
        if final.status in GATE_STATUSES:
            self.stats.inc_value("nianbao/browser/gate_unpassed")
            logger.warning("still gated after the browser ran the gate's script: %s %s", final.status, final.url)
        return final

    async def _download_request_with_page(self, request, page, spider):
        response = await super()._download_request_with_page(request, page, spider)
        if "nianbao_rendered_headers" in request.meta and not request.meta.get("playwright_suggested_filename"):
            # the body is the serialized DOM: the server's length and encoding no longer apply
            headers = response.headers.copy()
            for name in ("Content-Length", "Content-Encoding", "Transfer-Encoding"):
                headers.pop(name, None)
            response = response.replace(headers=headers, flags=[*response.flags, RENDERED_FLAG])
        return response
