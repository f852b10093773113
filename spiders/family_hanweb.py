"""大汉 Hanweb (jcms) portals: ``/col/colNNN/index.html`` columns, ``/art/YYYY/M/D/art_C_D.html`` articles.

A Hanweb column page does not list its articles in the markup. They sit in a script
block the page's ``jpage`` script renders::

    <script type="text/xml"><datastore>
      <nextgroup><![CDATA[<a href="/module/web/jpage/dataproxy.jsp?page=1&webid=1&columnid=33718..."></a>]]></nextgroup>
      <recordset><record><![CDATA[<li><a href="/art/2021/3/15/art_123_456.html">…</a><span>2021-03-15</span></li>]]></record>…</recordset>
    </datastore></script>
    <script>var param_212860 = {col:1,appid:1,webid:1,path:'/',columnid:33718,sourceContentType:1,
            unitid:'212860',webname:'…',permissiontype:0};
      $('#212860').jpage({dataStore:dataStore, perPage:15, totalRecord:4895, groupSize:3,
                          proxyUrl:'/module/web/jpage/dataproxy.jsp', ajaxParam:param_212860, …});</script>

The page holds the first group of records (``perPage × groupSize``, 45 by default); the
rest come from ``dataproxy.jsp?startrecord=46&endrecord=90&perpage=15`` with the
``param_`` object as parameters, which answers with the same ``<datastore>`` XML
(``<totalrecord>``, ``<totalpage>``, ``<recordset>``). Newer sites page the proxy by
``page=N`` instead (their ``nextgroup`` link says so; the answer carries ``<totalpage>``).

Proxy requests are ordinary Scrapy requests (the archive keeps every answer), GET by
default, or POST form requests with ``-s NIANBAO_HANWEB_PROXY_METHOD=POST``.

Hanweb's newer platform (jpaas, 2021 on: 浙江, 江苏 and ministry sites) builds the list
in the browser from a "page build unit". The column page carries a script tag::

    <script src="/module/jslib/…/unitbuild.js" url="/api-gateway/jpaas-publish-server/front/page/build/unit"
            queryData="{'webId':'3630','pageId':'1229858680','tplSetId':'5HrZiF…','pageType':'column',
                        'tagId':'当前栏目list','editType':'null'}"></script>

and the script GETs that URL with those parameters (plus ``parseType=bulidstatic``, the
platform's own spelling), answered by ``{"success": true, "data": {"html": "<ul>…</ul>"}}``.
Later pages add ``paramJson={"pageNo":N,"pageSize":15}``; a page past the end has no
records. This spider asks for them one after the other until a page brings nothing new.
"""
from __future__ import annotations

import html as htmlmod
import json
import re
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import scrapy
from scrapy.http import TextResponse

from nianbao.spiders.catalog import register
from nianbao.spiders.generic import ReportColumnSpider
from nianbao.spiders.links import REPORT_WORDS, Link, _DATE, _same_host, classify_list_links, is_attachment

PROXY_PATH = "/module/web/jpage/dataproxy.jsp"
_PAGING = ("startrecord", "endrecord", "perpage", "page")
_DATASTORE = re.compile(r"<datastore\b.*?(?:</datastore>|$)", re.S | re.I)
_RECORD = re.compile(r"<record\b[^>]*>\s*(?:<!\[CDATA\[(.*?)\]\]>|(.*?))\s*</record>", re.S | re.I)
_NEXTGROUP = re.compile(r"<nextgroup\b[^>]*>\s*(?:<!\[CDATA\[(.*?)\]\]>|(.*?))\s*</nextgroup>", re.S | re.I)
_PARAM_OBJ = re.compile(r"var\s+(param_\w+)\s*=\s*\{(.*?)\}\s*;?", re.S)
_JS_PAIR = re.compile(r"""(\w+)\s*:\s*(?:'([^']*)'|"([^"]*)"|([^,}\s]+))""")
_ANCHOR = re.compile(r"""<a\b[^>]*?\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))[^>]*>(.*?)</a>""", re.S | re.I)
_TITLE_ATTR = re.compile(r"""\btitle\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.I)


def _tag_int(text: str, tag: str) -> int | None:
    m = re.search(rf"<{tag}>\s*(\d+)\s*</{tag}>", text, re.I)
    return int(m.group(1)) if m else None


def _js_int(text: str, name: str) -> int | None:
    m = re.search(rf"\b{name}\s*[:=]\s*['\"]?(\d+)", text)
    return int(m.group(1)) if m else None


def datastore_records(text: str, page_url: str) -> list[Link]:
    """The articles (items) and files (attachments) of every ``<record>`` in a page's or a
    proxy answer's ``<datastore>``, on the page's host, with the date the record shows."""
    out, seen = [], set()
    for block in _DATASTORE.findall(text):
        for m in _RECORD.finditer(block):
            fragment = m.group(1) if m.group(1) is not None else htmlmod.unescape(m.group(2) or "")
            plain = re.sub(r"<[^>]+>", " ", fragment)
            date = _DATE.search(plain)
            for a in _ANCHOR.finditer(fragment):
                href = htmlmod.unescape(next(g for g in a.groups()[:3] if g is not None)).strip()
                if not href or href.startswith(("javascript:", "#", "mailto:")):
                    continue
                url = urljoin(page_url, href).split("#")[0]
                if url in seen or not _same_host(url, page_url):
                    continue
                seen.add(url)
                t = _TITLE_ATTR.search(a.group(0))
                label = htmlmod.unescape(re.sub(r"<[^>]+>", "", a.group(4))).strip()
                title = htmlmod.unescape(next(g for g in t.groups() if g is not None)).strip() if t else ""
                out.append(Link(url, title if len(title) > len(label) else label,
                                "attachment" if is_attachment(url) else "item",
                                date.group(0) if date else None))
    return out


def jpage_params(html: str) -> dict[str, str]:
    """The ``var param_NNN = {...}`` object a column page posts to the proxy."""
    for m in _PARAM_OBJ.finditer(html):
        body = m.group(2)
        if "columnid" not in body.lower():
            continue
        return _js_pairs(body)
    return {}


def _js_pairs(body: str) -> dict[str, str]:
    """key: 'value' pairs of a script's object literal (quoted or bare values)."""
    return {p.group(1): next(g for g in p.groups()[1:] if g is not None).strip() for p in _JS_PAIR.finditer(body)}


def jpage_config(html: str) -> dict:
    """What the page tells its jpage script: proxy URL, parameters, totals, embedded records."""
    block = (_DATASTORE.findall(html) or [""])[0]
    nextgroup = None
    m = _NEXTGROUP.search(block)
    if m:
        a = _ANCHOR.search(m.group(1) or htmlmod.unescape(m.group(2) or ""))
        if a:
            nextgroup = htmlmod.unescape(next(g for g in a.groups()[:3] if g is not None)).strip()
    proxy = re.search(r"""proxyUrl\s*:\s*['"]([^'"]+)['"]""", html)
    return {
        "params": jpage_params(html),
        "proxy": proxy.group(1) if proxy else None,
        "nextgroup": nextgroup,
        "total": _js_int(html, "totalRecord") or _tag_int(block, "totalrecord"),
        "per_page": _js_int(html, "perPage") or 15,
        "group_size": _js_int(html, "groupSize") or 3,
        "embedded": len(_RECORD.findall(block)),
    }


def proxy_requests(html: str, page_url: str) -> list[tuple[str, dict[str, str]]]:
    """(URL, form parameters) of the proxy calls that fetch the records a column page does
    not hold itself. The URL carries the parameters too, so a GET works and each call has
    its own archive URL."""
    cfg = jpage_config(html)
    params = dict(cfg["params"])
    nextgroup = cfg["nextgroup"]
    if not params and not nextgroup and not cfg["proxy"]:
        return []
    proxy = urljoin(page_url, cfg["proxy"] or (nextgroup.split("?")[0] if nextgroup else PROXY_PATH))
    if not _same_host(proxy, page_url):
        return []
    if nextgroup and re.search(r"[?&]page=\d+", nextgroup) and not cfg["total"]:
        # page-numbered proxy: ask for page 1 (its answer says how many pages there are)
        query = dict(parse_qsl(urlsplit(nextgroup).query, keep_blank_values=True))
        query.update({k: v for k, v in params.items() if k not in query})
        query["page"] = "1"
        url = _with_query(proxy, query)
        return [(url, query)]
    if not params and nextgroup:
        params = {k: v for k, v in parse_qsl(urlsplit(nextgroup).query, keep_blank_values=True)
                  if k not in ("page", "startrecord", "endrecord", "perpage")}
    total, per_page = cfg["total"], cfg["per_page"]
    group = per_page * cfg["group_size"]
    if not total:
        return []
    embedded = cfg["embedded"]
    # the page holds the first group; if it holds fewer records than that, ask from the start
    first = 1 + group if embedded and (embedded >= min(group, total)) else 1
    out = []
    for start in range(first, total + 1, group):
        query = {"startrecord": str(start), "endrecord": str(start + group - 1), "perpage": str(per_page)}
        query.update(params)
        out.append((_with_query(proxy, query), params))
    return out


def proxy_next_pages(text: str, url: str) -> list[str]:
    """Pages 2..N of a page-numbered proxy, from the ``<totalpage>`` of its page-1 answer."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    current = dict(query).get("page")
    if current != "1":
        return []
    total = _tag_int(text, "totalpage")
    if not total or total <= 1:
        return []
    out = []
    for n in range(2, min(total, 500) + 1):
        q = [(k, str(n) if k == "page" else v) for k, v in query]
        out.append(urlunsplit(parts._replace(query=urlencode(q))))
    return out


UNIT_PATH = "/api-gateway/jpaas-publish-server/front/page/build/unit"
UNIT_PAGE_SIZE = 15
_UNIT_SCRIPT = re.compile(r"<script\b[^>]*\bquerydata\s*=\s*(?:\"([^\"]*)\"|'([^']*)')[^>]*>", re.S | re.I)
_UNIT_URL_ATTR = re.compile(r"""\burl\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.I)
_UNIT_KEYS = ("webId", "pageId", "tplSetId", "pageType", "tagId", "editType", "parseType")


def _loose_object(text: str) -> dict[str, str]:
    """{'webId':'3630', pageType:"column"} as the templates write it (single quotes, bare keys)."""
    try:
        data = json.loads(text.replace("'", '"'))
        if isinstance(data, dict):
            return {str(k): str(v) for k, v in data.items()}
    except ValueError:
        pass
    return _js_pairs(text)


def unit_requests(html: str, page_url: str) -> list[str]:
    """The jpaas "page build unit" calls a column page's unitbuild scripts make (first page)."""
    out = []
    for m in _UNIT_SCRIPT.finditer(html):
        params = _loose_object(htmlmod.unescape(m.group(1) if m.group(1) is not None else m.group(2)))
        if not {"webId", "pageId"} <= set(params):
            continue
        u = _UNIT_URL_ATTR.search(m.group(0))
        endpoint = urljoin(page_url, htmlmod.unescape(next(g for g in u.groups() if g is not None)) if u else UNIT_PATH)
        if not _same_host(endpoint, page_url) or "jpaas" not in endpoint and "build/unit" not in endpoint:
            continue
        query = {"parseType": "bulidstatic", **{k: params[k] for k in _UNIT_KEYS if k in params}}
        url = _with_query(endpoint.split("?")[0], query)
        if url not in out:
            out.append(url)
    return out


def unit_fragment(text: str) -> str | None:
    """The list markup of a build-unit answer ({"data": {"html": …}}), None if it is not one."""
    try:
        data = json.loads(text)
    except ValueError:
        return None
    inner = data.get("data") if isinstance(data, dict) else None
    html = inner.get("html") if isinstance(inner, dict) else None
    return html if isinstance(html, str) else None


def unit_page_url(url: str, page: int, page_size: int = UNIT_PAGE_SIZE) -> str:
    """Page `page` of a build unit: its first-page URL plus ``paramJson``."""
    query = {k: v for k, v in parse_qsl(urlsplit(url).query, keep_blank_values=True) if k != "paramJson"}
    query["paramJson"] = json.dumps({"pageNo": page, "pageSize": page_size}, separators=(",", ":"))
    return _with_query(url, query)


def _with_query(url: str, query: dict[str, str]) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(query=urlencode(query)))


@register
class HanwebSpider(ReportColumnSpider):
    name = "hanweb"

    def _proxy_request(self, response, url: str, form: dict[str, str]):
        meta = self._meta(response, "list")
        meta["nianbao_hanweb_proxy"] = True
        form = {k: v for k, v in form.items() if k not in _PAGING}  # paging goes in the URL
        meta["nianbao_hanweb_form"] = form
        if self.settings.get("NIANBAO_HANWEB_PROXY_METHOD", "GET").upper() == "POST":
            parts = urlsplit(url)
            keep = {k: v for k, v in parse_qsl(parts.query) if k in _PAGING}
            return scrapy.FormRequest(_with_query(url, keep), method="POST", formdata=form, callback=self.parse_list,
                                      meta=meta)
        return scrapy.Request(url, callback=self.parse_list, meta=meta)

    def parse_unit(self, response):
        """One page of a jpaas build unit: its list links, then the next page if this one
        brought links no earlier page did (a page past the end is empty, or repeats one)."""
        fragment = unit_fragment(response.text)
        if fragment is None:
            self.logger.warning("not a build-unit answer: %s", response.url)
            return
        links = [l for l in classify_list_links(fragment, response.url, response.meta.get("column"))
                 if l.kind != "page"]
        seen = response.meta.get("nianbao_unit_seen") or frozenset()
        fresh = {l.url for l in links} - seen
        for link in links:
            request = self.follow_link(response, link)
            if request is not None:
                yield request
        page = response.meta.get("nianbao_unit_page", 1)
        if fresh and self.page_budget(response):
            meta = self._meta(response, "list")
            meta.update(nianbao_unit_page=page + 1, nianbao_unit_seen=seen | fresh)
            yield scrapy.Request(unit_page_url(response.url, page + 1), callback=self.parse_unit, meta=meta)

    def parse_list(self, response):
        if not isinstance(response, TextResponse):
            return
        units = [] if response.meta.get("nianbao_hanweb_proxy") else unit_requests(response.text, response.url)
        for url in units:
            if self.page_budget(response):
                yield scrapy.Request(url, callback=self.parse_unit, meta=self._meta(response, "list"))
        records = datastore_records(response.text, response.url)
        links = list(records)
        if not response.meta.get("nianbao_hanweb_proxy"):
            # the column page's ordinary links too (static pages, attachments); when the
            # datastore or a build unit is the list, dated links in side boxes count only
            # if they name a report
            for link in classify_list_links(response.text, response.url, response.meta.get("column")):
                if link.kind == "item" and (records or units) and not REPORT_WORDS.search(link.text):
                    continue
                links.append(link)
        for link in links:
            request = self.follow_link(response, link)
            if request is not None:
                yield request
        if response.meta.get("nianbao_hanweb_proxy"):
            calls = [(u, {}) for u in proxy_next_pages(response.text, response.url)]
        else:
            calls = proxy_requests(response.text, response.url)
        for url, form in calls:
            if not self.page_budget(response):
                break
            if not form:  # a next page of the proxy: the parameters of the call before
                form = response.meta.get("nianbao_hanweb_form") or {
                    k: v for k, v in parse_qsl(urlsplit(url).query)
                    if k not in _PAGING}
            yield self._proxy_request(response, url, form)
