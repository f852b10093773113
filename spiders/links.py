"""What the links on a government portal's column page are.

Portals of the same CMS families (TRS WCM, Hanweb 大汉, the Hengyang portal's
own) share a few conventions; these functions know them, so spiders stay short.
"""
from __future__ import annotations

import posixpath
import re
from collections import Counter
from dataclasses import dataclass
from urllib.parse import urljoin, urlparse

from parsel import Selector

ATTACHMENT_EXT = (".pdf", ".doc", ".docx", ".wps", ".xls", ".xlsx", ".et", ".zip", ".rar", ".ofd")
_ATTACHMENT_HINT = re.compile(r"(download|downfile|filedown|getfile|attach|fujian)", re.I)
_NEXT_TEXT = re.compile(r"^\s*(下一页|下页|后一页|next|>|›|»)\s*$", re.I)
_PAGE_TEXT = re.compile(r"^\s*(\d{1,4}|首页|尾页|末页|上一页|上页|前一页|下一页|下页|后一页)\s*$")
_PAGE_HREF = re.compile(
    r"(/pages?/\d+\.s?html?$|/index_\d+\.s?html?$|/list_\d+\.s?html?$|"
    r"[?&](page|pageno|pageindex|currentpage|pn|curpage)=\d+)",
    re.I,
)
_DATE = re.compile(r"(19|20)\d{2}\s*[-./年]\s*\d{1,2}\s*[-./月]\s*\d{1,2}")
_DETAIL_HREF = re.compile(
    r"(/\d{8}/|/t\d{8}_\d+|/art/\d{4}/\d{1,2}/\d{1,2}/|/art_\d+|content_\d+|/i\d{3,}\.s?html?$|"
    r"/\d{5,}\.s?html?$|detail|/show|article|/info/\d+|newsid=|id=\d+)",
    re.I,
)
# createPageHTML(3, 0, "index", "html") and its variants ('page_div', 3, 1, 'index', 'html', 45)
_CREATE_PAGE = re.compile(r"createPageHTML\s*\(([^)]*)\)", re.I)
REPORT_WORDS = re.compile(r"(年报|年度报告|工作报告|报告|信息公开|政务公开|统计表)")


@dataclass
class Link:
    url: str
    text: str
    kind: str  # "page", "item", "attachment"
    date: str | None = None


def is_attachment(url: str) -> bool:
    path = urlparse(url).path.lower()
    return path.endswith(ATTACHMENT_EXT) or bool(_ATTACHMENT_HINT.search(url))


def create_page_urls(html: str, page_url: str) -> list[str]:
    """Pages announced by TRS's `createPageHTML(total, current, prefix, ext)` script."""
    urls = []
    for m in _CREATE_PAGE.finditer(html):
        args = [a.strip().strip("'\"") for a in m.group(1).split(",")]
        numbers = [int(a) for a in args if a.isdigit()]
        words = [a for a in args if a and not a.isdigit()]
        if not numbers:
            continue
        total = numbers[0]
        # ('page_div', total, current, prefix, ext, count): first word is a div id
        if len(words) >= 3:
            words = words[1:]
        prefix = words[0] if words else "index"
        ext = words[1] if len(words) > 1 else "html"
        for n in range(1, min(total, 500)):
            urls.append(urljoin(page_url, f"{prefix}_{n}.{ext}"))
    return urls


def column_prefix(url: str) -> str:
    """The directory a column's pages live in: '/a/b/' for '/a/b/index.html'."""
    path = urlparse(url).path or "/"
    if not path.endswith("/"):
        path = posixpath.dirname(path) + "/"
    return path


def _same_host(a: str, b: str) -> bool:
    return (urlparse(a).hostname or "").lower() == (urlparse(b).hostname or "").lower()


def _context_text(anchor) -> str:
    """Text of the list row holding an anchor (li, tr, dd or the parent)."""
    for xp in ("ancestor::li[1]", "ancestor::tr[1]", "ancestor::dd[1]", ".."):
        node = anchor.xpath(xp)
        if node:
            return " ".join(t.strip() for t in node.xpath(".//text()").getall())
    return ""


def _container_key(anchor) -> str:
    for xp in ("ancestor::ul[1]", "ancestor::table[1]", "ancestor::dl[1]", "ancestor::div[1]"):
        node = anchor.xpath(xp)
        if node:
            # a stable identity for the container: its position in the document
            return xp + str(len(node.xpath("preceding::*")))
    return "page"


def classify_list_links(html: str, page_url: str, column: str | None = None) -> list[Link]:
    """Pagination, items and attachments of a column list page, on the page's host.

    Items are anchors in list rows that carry a date or look like an article
    URL. Items of the page's main list (the container with most items) are all
    kept; dated links elsewhere (side boxes) only when their text looks like a report.
    """
    sel = Selector(text=html)
    column = column or column_prefix(page_url)
    links: list[Link] = []
    seen: set[str] = set()
    candidates = []
    for a in sel.xpath("//a[@href]"):
        href = (a.attrib.get("href") or "").strip()
        if not href or href.startswith(("javascript:", "mailto:", "#")):
            continue
        url = urljoin(page_url, href).split("#")[0]
        if not _same_host(url, page_url):
            continue
        text = " ".join(t.strip() for t in a.xpath(".//text()").getall()).strip()
        title = (a.attrib.get("title") or "").strip()
        label = title if len(title) > len(text) else text
        path = urlparse(url).path
        if _NEXT_TEXT.match(text) or (_PAGE_TEXT.match(text) and path.startswith(column)) or (
            _PAGE_HREF.search(url) and path.startswith(column) and len(text) < 8
        ):
            if path.startswith(column) and url not in seen:
                seen.add(url)
                links.append(Link(url, text, "page"))
            continue
        if is_attachment(url):
            if url not in seen:
                seen.add(url)
                links.append(Link(url, label, "attachment"))
            continue
        context = _context_text(a)
        date = _DATE.search(context)
        if len(label) < 4:
            continue
        if date or _DETAIL_HREF.search(url):
            candidates.append((a, url, label, date.group(0) if date else None))
    containers = Counter(_container_key(a) for a, *_ in candidates)
    main = containers.most_common(1)[0][0] if containers else None
    for a, url, label, date in candidates:
        if url in seen:
            continue
        if _container_key(a) == main or REPORT_WORDS.search(label):
            seen.add(url)
            links.append(Link(url, label, "item", date))
    for url in create_page_urls(html, page_url):
        if url not in seen and _same_host(url, page_url):
            seen.add(url)
            links.append(Link(url, "", "page"))
    return links


def attachment_links(html: str, page_url: str) -> list[Link]:
    """Attachments linked from a detail page (附件: 统计表.xls, download.jsp?id=...)."""
    sel = Selector(text=html)
    out, seen = [], set()
    for a in sel.xpath("//a[@href]"):
        href = (a.attrib.get("href") or "").strip()
        if not href or href.startswith(("javascript:", "mailto:", "#")):
            continue
        url = urljoin(page_url, href).split("#")[0]
        if url in seen or not _same_host(url, page_url) or not is_attachment(url):
            continue
        seen.add(url)
        text = " ".join(t.strip() for t in a.xpath(".//text()").getall()).strip()
        out.append(Link(url, text or (a.attrib.get("title") or ""), "attachment"))
    return out
