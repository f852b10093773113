"""Every private internal of Scrapy, scrapy-redis and scrapy-playwright the crawler still
uses, checked where it lives (crawler/internals_*.py say why each one is needed). A new
release that moves one fails here, not in the middle of a crawl. The ranges these ran on
are pinned in pyproject.toml."""
import inspect

import pytest


def test_scrapy_internals():
    from scrapy.core import downloader as dl
    from scrapy.core.downloader import contextfactory
    from scrapy.core.engine import ExecutionEngine
    from scrapy.core.scraper import Scraper

    # tls_policy
    assert list(inspect.signature(contextfactory._load_context_factory_from_settings).parameters) == ["crawler"]
    # lenient_pool: Scrapy's handler sets the same private attribute to the same factory
    from scrapy.core.downloader.handlers import http11
    from twisted.web.client import HTTPConnectionPool

    assert "self._pool._factory = _LenientHTTP11ClientFactory" in inspect.getsource(http11.HTTP11DownloadHandler)
    assert "_factory" in vars(HTTPConnectionPool)
    # download_slot, downloads_waiting (AutoThrottle uses the same attributes)
    assert "get_slot_key" in vars(dl.Downloader)
    slot = dl.Slot(concurrency=1, delay=1.0, jitter=0)
    for name in ("delay", "transferring", "active"):
        assert hasattr(slot, name), name
    # wake_engine, requests_in_flight: engine._slot.nextcall, engine._start, scraper.slot.active
    src = inspect.getsource(ExecutionEngine)
    assert "self._slot" in src and "nextcall" in src and "self._start" in src
    assert "self.slot" in inspect.getsource(Scraper.__init__) or "self.slot" in inspect.getsource(Scraper)
    # after_each_scrape wraps enqueue_scrape(result, request)
    assert list(inspect.signature(Scraper.enqueue_scrape).parameters)[1:3] == ["result", "request"]
    # the engine hands a downloaded result to it: the wrap sees every answer and failure
    assert "enqueue_scrape" in src
    # progress: the public scheduler API it relies on
    from scrapy.core.scheduler import Scheduler

    assert hasattr(Scheduler, "__len__") and hasattr(Scheduler, "has_pending_requests")


def test_scrapy_redis_internals():
    pytest.importorskip("scrapy_redis")
    from scrapy import Request, Spider
    from scrapy_redis import picklecompat
    from scrapy_redis.queue import PriorityQueue

    from nianbao.crawler.internals_redis import decode_request, encode_request

    queue = PriorityQueue(server=None, spider=Spider("s"), key="k", serializer=picklecompat)
    assert queue.serializer is picklecompat
    request = Request("http://example.gov.cn/a.html", meta={"nianbao_kind": "detail"}, priority=3)
    back = decode_request(queue, encode_request(queue, request, queue.spider), queue.spider)
    assert (back.url, back.meta["nianbao_kind"], back.priority) == (request.url, "detail", 3)
    # what scrapy-redis itself stores: the same bytes either way
    assert queue._decode_request(encode_request(queue, request, queue.spider)).url == request.url


def test_scrapy_playwright_internals():
    pytest.importorskip("scrapy_playwright")
    from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler

    from nianbao.crawler.internals_playwright import OVERRIDDEN, SCRAPY_ASYNC_API

    assert isinstance(SCRAPY_ASYNC_API, bool)
    for name, params in OVERRIDDEN.items():
        method = getattr(ScrapyPlaywrightDownloadHandler, name)
        assert tuple(list(inspect.signature(method).parameters)[1:]) == params, name
    assert "context_wrappers" in inspect.getsource(ScrapyPlaywrightDownloadHandler.__init__)
