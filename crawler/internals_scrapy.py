"""Every use of a private Scrapy internal, in one place (pinned in pyproject.toml;
tests/test_internals.py fails when one of them moves).

Each function says why no public API does the job. Everything else in the crawler
uses Scrapy's public extension points (download handlers, middlewares, signals,
stats, `engine.scheduler`).
"""
from __future__ import annotations


def tls_policy(crawler):
    """Scrapy's TLS client policy for this crawler (DOWNLOAD_TLS_* settings, no certificate
    verification: government portals often serve expired or self-signed certificates).
    The streaming download handler opens its own Twisted Agent and must speak TLS as
    Scrapy's does; the public `load_context_factory_from_settings` is deprecated in
    Scrapy 2.19 and only wraps this private function."""
    from scrapy.core.downloader.contextfactory import _load_context_factory_from_settings

    return _load_context_factory_from_settings(crawler)


def download_slot(crawler, request):
    """(slot key, the downloader's Slot for `request`, or None). The per-host delay lives on
    the slot (`slot.delay`, what AutoThrottle adjusts): Scrapy has no public API to read or
    change a host's delay at run time; AutoThrottle itself uses these attributes."""
    downloader = crawler.engine.downloader
    key = downloader.get_slot_key(request)
    return key, downloader.slots.get(key)


def requests_in_flight(crawler) -> int:
    """Requests this process still works on: downloading, or their answer being parsed,
    plus one while start requests are still being read. A distributed worker reports it so
    the others do not close while its pages may add more. `engine.downloader.active` and
    `engine.scraper.slot.active` are attributes without a public accessor; `engine._start`
    is private (no signal says the start requests are exhausted)."""
    engine = crawler.engine
    n = len(engine.downloader.active)
    slot = getattr(engine.scraper, "slot", None)
    if slot is not None:
        n += len(slot.active)
    if getattr(engine, "_start", None) is not None:
        n += 1
    return n


def downloads_waiting(crawler) -> int:
    """Requests handed to the downloader but not yet on the wire (`slot.transferring` has
    no public accessor): a distributed worker with a backlog leaves the queue to others."""
    downloader = crawler.engine.downloader
    on_the_wire = sum(len(s.transferring) for s in downloader.slots.values())
    return len(downloader.active) - on_the_wire


def wake_engine(crawler) -> None:
    """Ask the engine for the next request now rather than at its 5 s heartbeat (a shared
    queue got requests from another process). No public API: `engine._slot.nextcall`."""
    slot = getattr(crawler.engine, "_slot", None)
    if slot is not None:
        slot.nextcall.schedule()


def after_each_scrape(crawler, callback) -> None:
    """Call `callback(result, request)` once the engine is done with a downloaded request:
    its answer through the downloader middlewares and its callback's output queued, or its
    failure handled. Scrapy has no signal for that moment (request_left_downloader comes
    before the callback runs); the scraper's `enqueue_scrape` Deferred fires exactly then,
    so it is wrapped (a distributed worker keeps a request in Redis until then)."""
    scraper = crawler.engine.scraper
    enqueue_scrape = scraper.enqueue_scrape

    def tracked(result, request):
        d = enqueue_scrape(result, request)
        d.addBoth(callback, request)
        return d

    scraper.enqueue_scrape = tracked


def lenient_pool(pool) -> None:
    """Parse answers as leniently as Scrapy's own handler does (portals send malformed
    header lines that Twisted's strict parser rejects). Scrapy does it by setting the
    pool's private `_factory` to its private lenient protocol factory; there is no option."""
    from scrapy.core.downloader.handlers.http11 import _LenientHTTP11ClientFactory

    pool._factory = _LenientHTTP11ClientFactory
