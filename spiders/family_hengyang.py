"""The Hengyang portal family: www.hengyang.gov.cn and the county sites on the same CMS.

The city's report columns moved over the years::

    /xxgk/szfxxgkml/zfxxgkndbg/hysmhwzndbg/                         市本级 (old)
    /xxgk/szfxxgkml/zfxxgkndbg/szfgzbmndbg/<dept>/                  one folder per department
    /xxgk/szfxxgkml/zfxxgkndbg/szfxxgk/<YYYY>nd/szfgzbmxxgkndbg/    year folders: departments ...
    /xxgk/szfxxgkml/zfxxgkndbg/szfxxgk/<YYYY>nd/xsqzfxxgkndbg/      ... and counties

Started at a report-column root (any of these folders, or the folder above them), this
spider crawls the column like the generic one (``ul.qiexian`` lists, ``pages/N.html``,
``<column>/YYYYMMDD/i<id>.html`` detail pages) and also follows the sub-columns the page
links to in its side navigation and tab lists: year folders, department and county
folders, as deep as they go, but never above the folder it was started in.
"""
from __future__ import annotations

import re
from urllib.parse import urljoin, urlparse

from parsel import Selector
from scrapy.http import TextResponse

from nianbao.spiders.catalog import register
from nianbao.spiders.generic import ReportColumnSpider
from nianbao.spiders.links import REPORT_WORDS, classify_list_links, column_prefix

# a column's own page: the folder, or its index file
_COLUMN_PAGE = re.compile(r"/(index\.s?html?)?$", re.I)
_NOT_COLUMN = re.compile(r"/(pages?)/\d+\.s?html?$|/\d{8}/|/i\d+\.s?html?$", re.I)


def sub_columns(html: str, page_url: str, root: str) -> list[tuple[str, str]]:
    """(url, link text) of the column folders under `root` that a page links to."""
    sel = Selector(text=html)
    here = column_prefix(page_url)
    host = (urlparse(page_url).hostname or "").lower()
    out: list[tuple[str, str]] = []
    seen = {here}
    for a in sel.xpath("//a[@href]"):
        href = (a.attrib.get("href") or "").strip()
        if not href or href.startswith(("javascript:", "mailto:", "#")):
            continue
        url = urljoin(page_url, href).split("#")[0].split("?")[0]
        u = urlparse(url)
        if (u.hostname or "").lower() != host or not _COLUMN_PAGE.search(u.path) or _NOT_COLUMN.search(u.path):
            continue
        folder = column_prefix(url)
        if not folder.startswith(root) or folder in seen:
            continue
        seen.add(folder)
        text = " ".join(t.strip() for t in a.xpath(".//text()").getall()).strip()
        out.append((url, text))
    return out


@register
class HengyangSpider(ReportColumnSpider):
    name = "hengyang"

    def _sub_meta(self, response, url: str, text: str) -> dict:
        meta = self._meta(response, "list", text)
        meta["column"] = column_prefix(url)
        meta["nianbao_root"] = response.meta.get("nianbao_root") or response.meta.get("column")
        return meta

    def parse_list(self, response):
        if not isinstance(response, TextResponse):
            return
        root = response.meta.get("nianbao_root") or response.meta.get("column") or column_prefix(response.url)
        for link in classify_list_links(response.text, response.url, response.meta.get("column")):
            # a folder page (tabs only) has no list: its side boxes' news are no items.
            # Reports live under the column root or say what they are.
            if link.kind == "item" and not urlparse(link.url).path.startswith(root) \
                    and not REPORT_WORDS.search(link.text):
                continue
            request = self.follow_link(response, link)
            if request is not None:
                yield request
        for url, text in sub_columns(response.text, response.url, root):
            yield response.follow(url, callback=self.parse_list, meta=self._sub_meta(response, url, text))
