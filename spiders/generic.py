"""The generic spider: any report column, given its list page URL.

It pages through the column (next links, `pages/N.html`, `index_N.html`,
`createPageHTML`), fetches every list item and the attachments of the pages it
fetches, and stays on the column's host. It yields no items: every response is
archived by `ArchiveMiddleware` (archive/scrapy_middlewares.py), and extraction works
from the archive.
"""
from __future__ import annotations

from urllib.parse import urlparse

import scrapy
from scrapy.http import TextResponse

from nianbao.spiders.links import attachment_links, classify_list_links, column_prefix


class ReportColumnSpider(scrapy.Spider):
    name = "column"

    def __init__(self, start_urls=None, sources=None, render=None, *args, **kwargs):
        """start_urls: column list pages; sources: [(source id, url)] or, from
        `scrapy crawl -a sources=a,b` / Scrapyd, a comma-separated list of registry ids.
        Neither: the whole registry."""
        super().__init__(*args, **kwargs)
        if isinstance(start_urls, str):
            start_urls = [u for u in start_urls.split(",") if u]
        if isinstance(sources, str) or (not start_urls and not sources):
            from nianbao.spiders.registry import load_sources

            wanted = {x for x in (sources or "").split(",") if x}
            sources = [(e["id"], c["url"]) for e in load_sources() if not wanted or e["id"] in wanted
                       for c in e["columns"]]
        # [(url, source_id)]: from --start-url, or from the sources registry
        self.columns: list[tuple[str, str | None]] = [(u, None) for u in (start_urls or [])]
        for source_id, url in sources or []:
            self.columns.append((url, source_id))
        self.allowed_domains = sorted({urlparse(u).hostname for u, _ in self.columns if urlparse(u).hostname})
        self.pages_seen: dict[str, int] = {}
        # render="browser": pages go through headless Chromium (portals that need JS); the
        # crawler acts on it (crawler/render.py), the spider only says so
        self.render = render

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        # read by the crawler's add-on (crawler/render.py), which Scrapy loads after this
        if spider.render and not crawler.settings.frozen:
            crawler.settings.set("NIANBAO_RENDER", spider.render, priority="spider")
        return spider

    async def start(self):
        for url, source_id in self.columns:
            yield scrapy.Request(url, callback=self.parse_list, meta={
                "nianbao_kind": "list", "column": column_prefix(url), "source": source_id,
                "start_url": url,
            })

    def _meta(self, response, kind: str, text: str | None = None) -> dict:
        return {"nianbao_kind": kind, "column": response.meta.get("column"),
                "source": response.meta.get("source"), "start_url": response.meta.get("start_url"),
                "link_text": text}

    def page_budget(self, response) -> bool:
        """Count one more list page of this start URL; False once NIANBAO_MAX_LIST_PAGES is spent."""
        start = response.meta.get("start_url") or response.url
        if self.pages_seen.get(start, 0) >= self.settings.getint("NIANBAO_MAX_LIST_PAGES", 200):
            return False
        self.pages_seen[start] = self.pages_seen.get(start, 0) + 1
        return True

    def follow_link(self, response, link):
        """The request for a link found on a list page, by what it is (None: page budget spent)."""
        if link.kind == "page":
            if not self.page_budget(response):
                return None
            return response.follow(link.url, callback=self.parse_list, meta=self._meta(response, "list"))
        if link.kind == "item":
            return response.follow(link.url, callback=self.parse_detail, meta=self._meta(response, "detail", link.text))
        return response.follow(link.url, callback=self.parse_attachment,
                               meta=self._meta(response, "attachment", link.text))

    def parse_list(self, response):
        if not isinstance(response, TextResponse):
            return  # a start URL that is itself a file: archived, nothing to follow
        for link in classify_list_links(response.text, response.url, response.meta.get("column")):
            request = self.follow_link(response, link)
            if request is not None:
                yield request

    def parse_detail(self, response):
        if not isinstance(response, TextResponse):
            return  # an item that is a file (PDF listed directly): archived as is
        for link in attachment_links(response.text, response.url):
            yield response.follow(link.url, callback=self.parse_attachment,
                                  meta=self._meta(response, "attachment", link.text))

    def parse_attachment(self, response):
        return None
