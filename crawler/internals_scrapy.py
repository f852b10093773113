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
