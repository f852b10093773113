"""TRS WCM portals, and the 政府信息公开平台 columns whose list a script fetches as JSON.

Static TRS columns are mostly what the generic spider knows: ``createPageHTML(n, i,
"index", "html")`` pagination, ``index_N.html`` pages, ``./YYYYMM/tYYYYMMDD_ID.html``
articles (`links.classify_list_links`); this spider also reads the template's usual
``var countPage = 5; createPageHTML(countPage, currentPage, "index", "html")``.

Many TRS and 政府信息公开平台 columns, though, ship an empty list and fill it from an XHR
to a JSON endpoint. This spider

* reads the endpoints a column page's inline scripts (or ``data-url`` attributes) name:
  ``./index.json``, ``/api-gateway/…``, ``…/list?page=1`` (`links.json_endpoints`);
* takes a start URL that *is* such an endpoint as it is (广东 gkmlpt:
  ``/gkmlpt/api/all/<column>?page=1&sid=<site>``);
* reads a JSON answer's records (a list of objects with a URL and a title under
  ``datas``/``data``/``list``/``records``/``articles``…, as TRS, gkmlpt and irs
  ``{"data": {"list": […], "pager": {"pageCount": n}}}`` answer) and its page count
  (``totalPage``/``pageCount``, or ``total`` over the page size), and asks for the other
  pages by the page parameter (``page``, ``pageNo``, ``pageIndex``…) or TRS's
  ``index_N.json`` file names (`links.json_list_links`, `links.json_page_urls`).

Endpoints that want a JSON POST body assembled by the site's script (TRS irs
``POST /irs/front/list`` with ``{"tenantId", "tableName", "pageNo", "pageSize", "sorts",
"customFilter": {… channel filter …}}``, answering ``{"data": {"list": […], "pager":
{"pageCount", "total"}}}``) are not guessed from the script: the column's registry entry
names the request (``list_api``, see `registry.LIST_API_KEYS`), copied once from the
browser's network panel. The spider posts it page by page (the body's ``pageNo``), reads
the records by the column's field names (irs tables name their fields ``f_<digits>``), and
the archive keeps each request body beside its answer.
"""
from __future__ import annotations

import json
import re
from urllib.parse import urlencode, urlparse

import scrapy
from scrapy.http import JsonRequest, TextResponse

from nianbao.spiders.catalog import register
from nianbao.spiders.generic import ReportColumnSpider
from nianbao.spiders.links import column_prefix, create_page_urls, json_endpoints, json_list_links, json_page_urls

_JS_NUMBER_VAR = re.compile(r"\bvar\s+(\w+)\s*=\s*(\d+)\s*[;/\n]")
_CREATE_PAGE_CALL = re.compile(r"createPageHTML\s*\(([^)]*)\)", re.I)


def trs_page_urls(html: str, page_url: str) -> list[str]:
    """Pages of ``createPageHTML(countPage, currentPage, "index", "html")`` whose counts are
    script variables (``var countPage = 5//共多少页``), as TRS templates write it."""
    numbers = dict(_JS_NUMBER_VAR.findall(html))
    if not numbers:
        return []
    calls = []
    for m in _CREATE_PAGE_CALL.finditer(html):
        args = [numbers.get(a.strip(), a.strip()) for a in m.group(1).split(",")]
        calls.append(f"createPageHTML({', '.join(args)})")
    return create_page_urls(";".join(calls), page_url) if calls else []


def is_json_response(response) -> bool:
    ctype = (response.headers.get("Content-Type") or b"").decode("latin-1").lower()
    if "json" in ctype:
        return True
    head = response.body[:64].lstrip()
    return head[:1] in (b"{", b"[") and "html" not in ctype


def list_api_request(cfg: dict, page: int, callback, meta: dict) -> scrapy.Request:
    """The request for page `page` of a column's ``list_api`` (a JSON body, or a GET query)."""
    body = dict(cfg.get("body") or {})
    body[cfg.get("page_key", "pageNo")] = page
    meta = {**meta, "nianbao_list_api": cfg, "nianbao_list_api_page": page}
    if str(cfg.get("method", "POST")).upper() == "GET":
        sep = "&" if "?" in cfg["url"] else "?"
        query = urlencode({k: v if isinstance(v, (str, int, float)) else json.dumps(v, ensure_ascii=False)
                           for k, v in body.items()})
        return scrapy.Request(cfg["url"] + sep + query, callback=callback, meta=meta)
    # the page number is in the body: Scrapy's fingerprint (and the dupe filter) counts it
    return JsonRequest(cfg["url"], data=body, callback=callback, meta=meta)


@register
class TrsSpider(ReportColumnSpider):
    name = "trs"

    async def start(self):
        from nianbao.spiders.registry import column_config, load_sources

        registry = load_sources() if any(source for _, source in self.columns) else []
        async for request in super().start():
            meta = dict(request.meta)  # as built: the engine may add its own keys once it has it
            yield request
            cfg = column_config(meta.get("source"), meta.get("start_url"), registry)
            if cfg.get("list_api"):
                api = cfg["list_api"]
                first = int((api.get("body") or {}).get(api.get("page_key", "pageNo"), 1))
                yield list_api_request(api, first, self.parse_list, meta)

    def parse_list(self, response):
        if not isinstance(response, TextResponse):
            return
        if response.meta.get("nianbao_list_api"):
            yield from self.parse_list_api(response)
            return
        if is_json_response(response):
            yield from self.parse_json_list(response)
            return
        yield from super().parse_list(response)
        column = response.meta.get("column") or column_prefix(response.url)
        for url in trs_page_urls(response.text, response.url):
            if urlparse(url).path.startswith(column) and url != response.url and self.page_budget(response):
                yield response.follow(url, callback=self.parse_list, meta=self._meta(response, "list"))
        for url in json_endpoints(response.text, response.url):
            if self.page_budget(response):
                yield response.follow(url, callback=self.parse_list, meta=self._meta(response, "list"))

    def parse_json_list(self, response):
        links, total_pages = json_list_links(response.text, response.url)
        for link in links:
            request = self.follow_link(response, link)
            if request is not None:
                yield request
        if response.meta.get("nianbao_json_page"):
            return  # the first page scheduled the others
        for url in json_page_urls(response.url, total_pages):
            if not self.page_budget(response):
                break
            meta = self._meta(response, "list")
            meta["nianbao_json_page"] = True
            yield response.follow(url, callback=self.parse_list, meta=meta)

    def parse_list_api(self, response):
        """One page of a column's ``list_api``: its records, then the other pages (all at once
        when the answer says how many there are, else the next one while pages have records)."""
        cfg, page = response.meta["nianbao_list_api"], response.meta["nianbao_list_api_page"]
        links, total_pages = json_list_links(response.text, response.url, cfg.get("fields"))
        for link in links:
            request = self.follow_link(response, link)
            if request is not None:
                yield request
        if response.meta.get("nianbao_json_page"):
            pages = [] if total_pages or not links else [page + 1]
        else:
            pages = list(range(page + 1, page + min(total_pages, 500))) if total_pages else (
                [page + 1] if links else [])
        for n in pages:
            if not self.page_budget(response):
                break
            meta = {**self._meta(response, "list"), "nianbao_json_page": True}
            yield list_api_request(cfg, n, self.parse_list, meta)
