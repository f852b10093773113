"""Scope: a crawl stays on its columns' sites and off private networks.

Two checks, both on every request Scrapy downloads — links, start requests, redirects
(3xx and meta refresh: Scrapy schedules them as new requests), retries, robots.txt and
large files (crawler/streaming.py is Scrapy's download handler, not a side channel):

* **Origin** (`ScopeMiddleware`, a downloader middleware ahead of robots.txt, also
  called when a request is scheduled, as Scrapy's offsite check is): the
  scheme, host and port of the request must be those of one of the spider's columns
  (its start URLs; registry columns' list APIs are validated to be on the same host).
  One exception: an ``http`` column may move to ``https`` on the same host with the
  default ports (portals that upgrade). `127.0.0.1:8000` is not `127.0.0.1:9000`.
* **Address** (`ScopedResolver`, Scrapy's TWISTED_DNS_RESOLVER, so it is the lookup the
  connection uses — a name that rebinds between check and connect gains nothing): an
  address that is not globally routable (private, loopback, link-local, multicast,
  shared/CGNAT — e.g. cloud metadata at 169.254.169.254 or 100.100.100.200 — reserved,
  unspecified) is refused, unless the host is a column's own host and it was on such an
  address from its first lookup (a crawl of an intranet or loopback portal), or
  NIANBAO_ALLOW_PRIVATE_ADDRESSES is set. A column host that was public and later
  resolves privately (DNS rebinding) is refused.

A refusal is a warning in the log, the stat ``nianbao/scope/refused`` (and one per
reason), and a `fetch_errors` row starting "refused:". The policy is process-wide, as
the reactor's resolver is: every crawler of a `nianbao crawl` adds its columns' hosts.
Chromium (browser crawls) resolves names itself: there only the origin check applies,
to the requests Scrapy sends and to every navigation of a page, redirects included
(`abort_request` in crawler/browser.py).
"""
from __future__ import annotations

import ipaddress
import logging
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.exceptions import IgnoreRequest
from scrapy.resolver import CachingThreadedResolver

logger = logging.getLogger(__name__)

DEFAULT_PORTS = {"http": 80, "https": 443}


class OutOfScope(IgnoreRequest):
    """Refused by the scope rules (a decision, not a failure of the portal)."""


class RefusedAddress(Exception):
    """A name resolved to an address the crawl may not connect to."""


def origin(url: str) -> tuple[str, str, int] | None:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    if not host or scheme not in DEFAULT_PORTS:
        return None
    return scheme, host, port or DEFAULT_PORTS[scheme]


def _ip(text: str):
    try:
        return ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return None


def address_kind(address: str) -> str | None:
    """Why `address` is not a public Internet address (None: it is one)."""
    ip = _ip(address)
    if ip is None:
        return None
    if getattr(ip, "ipv4_mapped", None):
        ip = ip.ipv4_mapped
    for kind in ("loopback", "link_local", "multicast", "unspecified", "private", "reserved"):
        if getattr(ip, f"is_{kind}"):
            return kind.replace("_", "-")
    if not ip.is_global:
        return "not globally routable"
    return None


class ScopePolicy:
    """Which hosts may be on private addresses: process-wide, like the resolver."""

    def __init__(self):
        self.allow_private = False
        self.column_hosts: set[str] = set()
        self.origins: set[tuple[str, str, int]] = set()  # every crawler's columns (browser navigations)
        self.first_kind: dict[str, str | None] = {}  # a column host's first lookup: private kind or None
        self.refused: dict[str, str] = {}             # host -> why its last lookup was refused

    def reset(self) -> None:
        self.__init__()

    def check(self, host: str, address: str) -> str | None:
        """None if `host` may be reached at `address`, else the reason for refusing."""
        host = host.lower().rstrip(".")
        kind = address_kind(address)
        if host in self.column_hosts and host not in self.first_kind:
            self.first_kind[host] = kind
        if kind is None or self.allow_private:
            self.refused.pop(host, None)
            return None
        if host in self.column_hosts and self.first_kind.get(host) is not None:
            return None  # the column itself is on a private network: so is its crawl
        why = (f"{host} resolves to {address} ({kind} address); set NIANBAO_ALLOW_PRIVATE_ADDRESSES"
               f" to crawl private networks" if host != address else
               f"{address} is a {kind} address; set NIANBAO_ALLOW_PRIVATE_ADDRESSES to crawl private networks")
        self.refused[host] = why
        return why


POLICY = ScopePolicy()


class ScopedResolver(CachingThreadedResolver):
    """Scrapy's caching resolver; every answer (cached or not) passes `POLICY.check`."""

    @classmethod
    def from_crawler(cls, crawler, reactor):
        POLICY.allow_private = crawler.settings.getbool("NIANBAO_ALLOW_PRIVATE_ADDRESSES", False)
        return super().from_crawler(crawler, reactor)

    def getHostByName(self, name, timeout=()):
        d = super().getHostByName(name, timeout)
        d.addCallback(self._checked, name)
        return d

    @staticmethod
    def _checked(address: str, name: str) -> str:
        why = POLICY.check(name, address)
        if why:
            logger.warning("refused: %s", why)
            raise RefusedAddress(why)
        return address


class ScopeMiddleware:
    """Downloader middleware: refuse (and record) requests off the columns' origins."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.origins: set[tuple[str, str, int]] = set()
        self.db = None
        if crawler.settings.getbool("NIANBAO_ALLOW_PRIVATE_ADDRESSES", False):
            POLICY.allow_private = True
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        # Scrapy's OffsiteMiddleware drops off-host requests (redirects too) when they are
        # scheduled: refuse them then as well, so that every refusal is recorded
        crawler.signals.connect(self.request_scheduled, signal=signals.request_scheduled)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def spider_opened(self, spider):
        urls = [u for u, _ in getattr(spider, "columns", [])] + list(getattr(spider, "start_urls", []) or [])
        for url in urls:
            o = origin(url)
            if o is None:
                continue
            self.origins.add(o)
            if o[0] == "http" and o[2] == 80:
                self.origins.add(("https", o[1], 443))
            POLICY.column_hosts.add(o[1])
        POLICY.origins |= self.origins

    def spider_closed(self, spider):
        if self.db is not None:
            self.db.conn.close()

    def request_scheduled(self, request, spider=None):
        self.process_request(request)

    def process_request(self, request, spider=None):
        o = origin(request.url)
        if o is None:
            return None  # data:, file: … are not network requests
        if self.origins and o not in self.origins:
            self.refuse(request, "off-site", f"{o[0]}://{o[1]}:{o[2]} is not the origin of any column")
        why = POLICY.refused.get(o[1])  # a lookup was refused: do not ask again
        if why is None and _ip(o[1]) is not None:
            why = POLICY.check(o[1], o[1])
        if why:
            self.refuse(request, "address", why)
        return None

    def process_exception(self, request, exception, spider=None):
        if isinstance(exception, RefusedAddress) or any(
                isinstance(e, RefusedAddress) for e in getattr(exception, "reasons", []) or []):
            self.refuse(request, "address", str(exception))
        return None

    def refuse(self, request, reason: str, why: str):
        from nianbao.crawler.middlewares import record_fetch_error

        stats = self.crawler.stats
        stats.inc_value("nianbao/scope/refused")
        stats.inc_value(f"nianbao/scope/refused/{reason}")
        logger.warning("refused %s: %s", request.url, why)
        if self.db is None:
            from nianbao.db import connect

            self.db = connect(self.crawler.settings.get("NIANBAO_DB"))
        record_fetch_error(self.db, self.crawler.settings.getint("NIANBAO_RUN_ID") or None, request,
                           f"refused: {why}")
        raise OutOfScope(f"refused {request.url}: {why}")
