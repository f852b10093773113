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


def is_attachment(url: str, path: str | None = None) -> bool:
    """Does the URL name a file (by extension, or a download.jsp-like script)? `path`: its
    already parsed path."""
    path = (urlparse(url).path if path is None else path).lower()
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


def _join(page_url: str, origin: str, href: str) -> str:
    """urljoin(page_url, href) without its fragment; a plain absolute path (`/a/b.html?x=1`,
    most list links) is joined without parsing both URLs again (a third of the time of a
    200,000-link page). `origin` is the page's `scheme://netloc`."""
    if (href[:1] == "/" and href[1:2] != "/" and "/." not in href and "?#" not in href
            and not href.endswith("?") and not any(c in href for c in ";\t\r\n\\")):
        return (origin + href).split("#")[0]
    return urljoin(page_url, href).split("#")[0]


def _anchors(html: str):
    """(anchor element, href) of every `<a href>` of a page, in document order (lxml elements:
    parsel's per-node Selector objects cost ~1 KB each, too much on a page of 200,000 links)."""
    root = Selector(text=html).root
    for a in root.iter("a"):
        href = a.get("href")
        if href is not None:
            yield a, href.strip()


def _text(node) -> str:
    """Text of a node's subtree, pieces stripped and joined by spaces (as `.//text()`)."""
    return " ".join(t.strip() for t in node.itertext()).strip()


def _row_and_container(anchor):
    """The list row holding an anchor (nearest li, else tr, else dd, else its parent) and
    the list holding it (nearest ul, else table, else dl, else div; None: the page).

    One walk up the ancestors: per anchor this costs the page's depth, not its size."""
    first: dict[str, object] = {}
    for node in anchor.iterancestors():
        tag = node.tag if isinstance(node.tag, str) else ""
        if tag in ("li", "tr", "dd", "ul", "table", "dl", "div") and tag not in first:
            first[tag] = node
    # (not `or`: an lxml element without children is falsy)
    row = next((first[t] for t in ("li", "tr", "dd") if t in first), anchor.getparent())
    container = next((first[t] for t in ("ul", "table", "dl", "div") if t in first), None)
    return row, container


def classify_list_links(html: str, page_url: str, column: str | None = None) -> list[Link]:
    """Pagination, items and attachments of a column list page, on the page's host.

    Items are anchors in list rows that carry a date or look like an article
    URL. Items of the page's main list (the container with most items) are all
    kept; dated links elsewhere (side boxes) only when their text looks like a report.

    Linear in the page: a row's date is looked for once per row, however many anchors
    share it (an anchor straight under <body> has the whole body as its row, and on a
    page of 200,000 such links, reading the row per anchor cost hours).
    """
    column = column or column_prefix(page_url)
    links: list[Link] = []
    seen: set[str] = set()
    candidates = []
    row_dates: dict[object, str | None] = {}  # long row element -> first date in its text
    parts = urlparse(page_url)
    origin = f"{parts.scheme}://{parts.netloc}/"
    for a, href in _anchors(html):
        if not href or href.startswith(("javascript:", "mailto:", "#")):
            continue
        url = _join(page_url, origin[:-1], href)
        # a URL under the page's own scheme://host:port/ needs no parsing to be on the page's host
        if not url.startswith(origin) and not _same_host(url, page_url):
            continue
        text = _text(a)
        title = (a.get("title") or "").strip()
        label = title if len(title) > len(text) else text
        path = urlparse(url).path
        if _NEXT_TEXT.match(text) or (_PAGE_TEXT.match(text) and path.startswith(column)) or (
            _PAGE_HREF.search(url) and path.startswith(column) and len(text) < 8
        ):
            if path.startswith(column) and url not in seen:
                seen.add(url)
                links.append(Link(url, text, "page"))
            continue
        if is_attachment(url, path):
            if url not in seen:
                seen.add(url)
                links.append(Link(url, label, "attachment"))
            continue
        if len(label) < 4:
            continue
        row, container = _row_and_container(a)
        if row is None:
            date = None
        elif row in row_dates:
            date = row_dates[row]
        else:
            row_text = _text(row)
            m = _DATE.search(row_text)
            date = m.group(0) if m else None
            if len(row_text) > 512:  # only a long row is worth remembering (many anchors share it)
                row_dates[row] = date
        if date or _DETAIL_HREF.search(url):
            candidates.append((container, url, label, date))
    containers = Counter(container for container, *_ in candidates)
    main = containers.most_common(1)[0][0] if containers else None
    for container, url, label, date in candidates:
        if url in seen:
            continue
        if container is main or REPORT_WORDS.search(label):
            seen.add(url)
            links.append(Link(url, label, "item", date))
    for url in create_page_urls(html, page_url):
        if url not in seen and _same_host(url, page_url):
            seen.add(url)
            links.append(Link(url, "", "page"))
    return links


def attachment_links(html: str, page_url: str) -> list[Link]:
    """Attachments linked from a detail page (附件: 统计表.xls, download.jsp?id=...)."""
    out, seen = [], set()
    for a, href in _anchors(html):
        if not href or href.startswith(("javascript:", "mailto:", "#")):
            continue
        url = urljoin(page_url, href).split("#")[0]
        if url in seen or not _same_host(url, page_url) or not is_attachment(url):
            continue
        seen.add(url)
        out.append(Link(url, _text(a) or (a.get("title") or ""), "attachment"))
    return out


# --- Lists a page's script fetches as JSON (TRS 政府信息公开平台, 广东 gkmlpt, irs ...) -------------

_JSON_LIST_KEYS = ("datas", "data", "list", "records", "articles", "dataList", "datalist", "rows", "items",
                   "results", "result", "docs", "documents", "content", "contents", "infolist", "page")
_JSON_TITLE_KEYS = ("title", "doctitle", "listtitle", "showtitle", "articletitle", "maintitle", "subject", "name",
                    "biaoti")
_JSON_URL_KEYS = ("url", "docpuburl", "doc_pub_url", "puburl", "pub_url", "post_url", "posturl", "link", "href",
                  "linkurl", "articleurl", "detailurl", "htmlurl", "weburl", "pageurl", "path")
_JSON_DATE_KEYS = ("date", "docpubtime", "docreltime", "docrelpubtime", "pubdate", "publishdate", "publishtime",
                   "publish_time", "pubtime", "pub_time", "first_publish_time", "releasetime", "created_at",
                   "createtime", "save_time", "time", "fbsj", "fwrq", "crtime")
_JSON_PAGES_KEYS = ("totalpage", "totalpages", "total_page", "total_pages", "pagecount", "page_count", "pagetotal",
                    "pages", "countpage", "pagenum_total")
_JSON_TOTAL_KEYS = ("total", "totalcount", "total_count", "totalsize", "totalrecord", "totalrecords", "recordcount",
                    "totalelements", "totalnum", "count", "post_count", "totalhits")
_JSON_SIZE_KEYS = ("pagesize", "page_size", "size", "perpage", "per_page", "limit", "rows_per_page", "pagerows")
_PAGE_PARAMS = ("page", "pageno", "pageindex", "pagenum", "curpage", "currentpage", "current", "pn", "p", "page_no",
                "page_index", "pagenumber")
# URL literals in inline scripts / data-* attributes that fetch a list as JSON
_JSON_URL_LITERAL = re.compile(
    r"""["']((?:https?:)?[^"'\s<>()]*?(?:[\w-]\.json(?:\?[^"'\s<>]*)?|/api[-/][^"'\s<>]*|"""
    r"""[?&](?:page|pageNo|pageIndex|pageNum|curPage)=\d+[^"'\s<>]*))["']""")


def _lower_keys(d: dict) -> dict:
    return {str(k).lower(): v for k, v in d.items()}


def _first_value(d: dict, keys) -> object:
    low = _lower_keys(d)
    for k in keys:
        v = low.get(k)
        if v not in (None, "", [], {}):
            return v
    return None


def json_date(value) -> str | None:
    """'2024-01-25', 1706140800 (s) or 1706140800000 (ms, China time) -> '2024-01-25'."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)) or (isinstance(value, str) and value.strip().isdigit() and len(value.strip()) >= 9):
        from datetime import datetime, timedelta, timezone

        n = float(value)
        if n > 1e12:
            n /= 1000.0
        if n < 1e8:
            return None
        return datetime.fromtimestamp(n, tz=timezone(timedelta(hours=8))).strftime("%Y-%m-%d")
    m = re.search(r"((?:19|20)\d{2})\s*[-./年]\s*(\d{1,2})\s*[-./月]\s*(\d{1,2})", str(value))
    return f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d}" if m else None


def _record_list(data, depth: int = 0, url_keys=_JSON_URL_KEYS) -> list[dict] | None:
    """The list of records in a JSON answer: a list of objects that carry a URL."""
    if depth > 4:
        return None
    if isinstance(data, list):
        dicts = [x for x in data if isinstance(x, dict)]
        if dicts and any(_first_value(x, url_keys) for x in dicts):
            return dicts
        return None
    if not isinstance(data, dict):
        return None
    low = _lower_keys(data)
    for key in _JSON_LIST_KEYS:
        if key.lower() in low:
            found = _record_list(low[key.lower()], depth + 1, url_keys)
            if found is not None:
                return found
    for value in data.values():  # any other nesting: {"res": {"body": [...]}}
        if isinstance(value, (dict, list)):
            found = _record_list(value, depth + 1, url_keys)
            if found is not None:
                return found
    return None


def _find_number(data, keys, depth: int = 0) -> int | None:
    if depth > 3 or not isinstance(data, dict):
        return None
    low = _lower_keys(data)
    for k in keys:
        v = low.get(k)
        if isinstance(v, bool):
            continue
        if isinstance(v, int) or (isinstance(v, str) and v.strip().isdigit()):
            return int(v)
    for v in data.values():
        if isinstance(v, dict):
            n = _find_number(v, keys, depth + 1)
            if n is not None:
                return n
    return None


def json_total_pages(data, n_records: int) -> int | None:
    """Pages of the list: a page count if the answer has one, else total / page size."""
    pages = _find_number(data, _JSON_PAGES_KEYS)
    if pages is not None:
        return pages
    total = _find_number(data, _JSON_TOTAL_KEYS)
    if total is None:
        return None
    size = _find_number(data, _JSON_SIZE_KEYS) or n_records
    if not size:
        return 1
    return -(-total // size)


def json_list_links(text: str, page_url: str, fields: dict[str, str] | None = None) -> tuple[list[Link], int | None]:
    """Items of a JSON list answer ({title, url, date} records under datas/data/list/records/
    articles/...) on the page's host, and its page count (None when it does not say).

    `fields` names a site's own record keys first, {"title": "f_2023419305471", "url": ...,
    "date": ...}: TRS irs tables call their columns by generated codes."""
    import json

    try:
        data = json.loads(text)
    except ValueError:
        return [], None
    fields = {k: v.lower() for k, v in (fields or {}).items()}
    url_keys, title_keys, date_keys = (((fields[f],) if f in fields else ()) + keys for f, keys in (
        ("url", _JSON_URL_KEYS), ("title", _JSON_TITLE_KEYS), ("date", _JSON_DATE_KEYS)))
    records = _record_list(data, url_keys=url_keys) or []
    links, seen = [], set()
    for rec in records:
        raw = _first_value(rec, url_keys)
        if not isinstance(raw, str) or raw.strip().startswith(("javascript:", "#", "mailto:")):
            continue
        url = urljoin(page_url, raw.strip()).split("#")[0]
        if url in seen or not _same_host(url, page_url):
            continue
        seen.add(url)
        title = _first_value(rec, title_keys)
        title = re.sub(r"<[^>]+>", "", str(title)).strip() if title is not None else ""
        links.append(Link(url, title, "attachment" if is_attachment(url) else "item",
                          json_date(_first_value(rec, date_keys))))
    return links, json_total_pages(data, len(records))


def json_page_urls(url: str, total_pages: int | None, limit: int = 500) -> list[str]:
    """The other pages of a JSON list: its page parameter (page, pageNo, pageIndex ...; kept
    0-based if it is 0) or TRS-style `index_N.json` / `N.json` file names."""
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

    if not total_pages or total_pages <= 1:
        return []
    total_pages = min(total_pages, limit)
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    for i, (k, v) in enumerate(query):
        if k.lower() in _PAGE_PARAMS and v.isdigit():
            first = int(v)
            base = 0 if first == 0 else 1
            out = []
            for n in range(base, base + total_pages):
                if n == first:
                    continue
                q = list(query)
                q[i] = (k, str(n))
                out.append(urlunsplit(parts._replace(query=urlencode(q))))
            return out
    m = re.search(r"/(index|list|data)(?:_(\d+))?\.json$", parts.path)
    if m:
        stem = parts.path[: m.start()] + "/" + m.group(1)
        current = int(m.group(2) or 0)
        return [urlunsplit(parts._replace(path=f"{stem}.json" if n == 0 else f"{stem}_{n}.json"))
                for n in range(0, total_pages) if n != current]
    m = re.search(r"/(\d+)\.json$", parts.path)
    if m:
        stem, current = parts.path[: m.start()], int(m.group(1))
        return [urlunsplit(parts._replace(path=f"{stem}/{n}.json")) for n in range(1, total_pages + 1) if n != current]
    return []


def json_endpoints(html: str, page_url: str) -> list[str]:
    """JSON list URLs a column page's inline scripts (or data-url/data-api attributes) fetch."""
    sel = Selector(text=html)
    texts = [t for t in sel.xpath("//script[not(@src)]/text()").getall()]
    texts += [f'"{v}"' for v in sel.xpath("//@data-url | //@data-api | //@data-src | //@data-list-url").getall()]
    out: list[str] = []
    for text in texts:
        for m in _JSON_URL_LITERAL.finditer(text):
            raw = m.group(1)
            if re.search(r"\.(js|css|png|jpe?g|gif|svg|ico)(\?|$)", raw, re.I):
                continue
            url = urljoin(page_url, raw).split("#")[0]
            if _same_host(url, page_url) and url != page_url and url not in out:
                out.append(url)
    return out
