"""The Hanweb (大汉) family spider: the <datastore> records a column page embeds and the
dataproxy.jsp paging (startrecord/endrecord and page=N); saved pages in
tests/fixtures/pages/hanweb, then real crawls of the served portal (GET and POST)."""
import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from nianbao.spiders.family_hanweb import (HanwebSpider, datastore_records, jpage_config, proxy_next_pages,
                                           proxy_requests)
from test_every_spider import check_family_crawl, crawl_family, rows

PAGES = Path(__file__).resolve().parent / "fixtures" / "pages" / "hanweb"
BASE = "http://www.nbhtz.gov.cn"
COL1 = "/col/col1229669626/index.html"
COL2 = "/col/col1229199350/index.html"


def _page(path):
    return (PAGES / path.lstrip("/")).read_text("utf-8")


def test_embedded_records_are_the_list():
    links = datastore_records(_page(COL1), BASE + COL1)
    assert [(urlsplit(l.url).path, l.kind, l.date) for l in links] == [
        ("/art/2024/1/26/art_1229669626_58910.html", "item", "2024-01-26"),
        ("/art/2023/1/30/art_1229669626_51502.html", "item", "2023-01-30")]
    assert links[0].text == "宁波国家高新区管委会2023年政府信息公开工作年度报告"


def test_jpage_settings_and_the_proxy_calls():
    cfg = jpage_config(_page(COL1))
    assert (cfg["total"], cfg["per_page"], cfg["group_size"], cfg["embedded"]) == (5, 1, 2, 2)
    assert cfg["params"]["columnid"] == "1229669626" and cfg["params"]["unitid"] == "4536567"
    calls = proxy_requests(_page(COL1), BASE + COL1)
    queries = [parse_qs(urlsplit(u).query) for u, _ in calls]
    assert [(q["startrecord"], q["endrecord"], q["perpage"]) for q in queries] == [
        (["3"], ["4"], ["1"]), (["5"], ["6"], ["1"])]
    assert all(q["columnid"] == ["1229669626"] and q["webname"] == ["宁波国家高新区"] for q in queries)
    assert all(u.startswith(BASE + "/module/web/jpage/dataproxy.jsp?") for u, _ in calls)
    assert calls[0][1]["webid"] == "3059"  # the POST form


def test_proxy_answer_records():
    xml = _page("/module/web/jpage/answers/col1229669626_start3.xml")
    url = BASE + "/module/web/jpage/dataproxy.jsp?startrecord=3&endrecord=4&perpage=1"
    assert [urlsplit(l.url).path for l in datastore_records(xml, url)] == [
        "/art/2022/1/28/art_1229669626_43311.html", "/art/2021/1/29/art_1229669626_35007.html"]
    assert proxy_next_pages(xml, url) == []  # startrecord paging: the column page planned every call


def test_page_numbered_proxy():
    calls = proxy_requests(_page(COL2), BASE + COL2)
    assert len(calls) == 1 and parse_qs(urlsplit(calls[0][0]).query)["page"] == ["1"]
    assert parse_qs(urlsplit(calls[0][0]).query)["columnid"] == ["1229199350"]
    answer = _page("/module/web/jpage/answers/col1229199350_page1.xml")
    nxt = proxy_next_pages(answer, calls[0][0])
    assert len(nxt) == 1 and parse_qs(urlsplit(nxt[0]).query)["page"] == ["2"]


def test_plain_pages_and_escaped_records():
    assert proxy_requests("<html><body><ul><li>静态列表</li></ul></body></html>", BASE + "/col/col1/index.html") == []
    xml = ("<datastore><recordset><record>&lt;li&gt;&lt;a href=\"/art/2021/3/15/art_123_456.html\"&gt;某县2020年政府信息公开"
           "工作年度报告&lt;/a&gt;&lt;span&gt;2021-03-15&lt;/span&gt;&lt;/li&gt;</record>"
           "<record><![CDATA[<li><a href='http://www.gov.cn/x.html'>外站</a></li>]]></record>"
           "<record><![CDATA[<li><a href='/module/download/downfile.jsp?classid=0&amp;filename=nb.pdf'>年报.pdf</a></li>]]></record>"
           "</recordset></datastore>")
    links = datastore_records(xml, BASE + "/col/col123/index.html")
    assert [(l.kind, urlsplit(l.url).path, l.date) for l in links] == [
        ("item", "/art/2021/3/15/art_123_456.html", "2021-03-15"),
        ("attachment", "/module/download/downfile.jsp", None)]


def test_side_box_news_is_not_an_item():
    from scrapy.http import HtmlResponse, Request

    spider = HanwebSpider(start_urls=[BASE + COL1])
    from scrapy.settings import Settings
    spider.settings = Settings()
    req = Request(BASE + COL1, meta={"nianbao_kind": "list", "column": "/col/col1229669626/", "source": None,
                                     "start_url": BASE + COL1})
    resp = HtmlResponse(BASE + COL1, body=_page(COL1).encode("utf-8"), encoding="utf-8", request=req)
    out = list(spider.parse_list(resp))
    urls = [r.url for r in out]
    assert not [u for u in urls if "art_1229669700" in u]  # 工作动态 side box
    assert sum("/art/" in u for u in urls) == 2 and sum("dataproxy.jsp" in u for u in urls) == 2
    assert {r.meta["nianbao_kind"] for r in out if "dataproxy" in r.url} == {"list"}


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    portal, manifest, db, out = crawl_family("hanweb", tmp_path_factory.mktemp("hanweb"))
    yield portal, manifest, db, out
    portal.stop()


def test_crawl_finds_every_report_and_nothing_else(crawled):
    portal, manifest, db, _ = crawled
    check_family_crawl(portal, manifest, db)


def test_every_proxy_answer_archived(crawled):
    portal, _, db, _ = crawled
    proxy = [r for r in portal.requests if r.path.startswith("/module/web/jpage/dataproxy.jsp")]
    assert len(proxy) == 4 and {r.method for r in proxy} == {"GET"}
    captured = [r for r in rows(db, "select url, kind, status from captures") if "dataproxy.jsp" in r["url"]]
    assert len(captured) == 4 and {(r["kind"], r["status"]) for r in captured} == {("list", 200)}


def test_crawl_by_post(tmp_path):
    portal, manifest, db, _ = crawl_family("hanweb", tmp_path, "-s", "NIANBAO_HANWEB_PROXY_METHOD=POST")
    try:
        check_family_crawl(portal, manifest, db)
        proxy = [r for r in portal.requests if r.path.startswith("/module/web/jpage/dataproxy.jsp")]
        assert len(proxy) == 4 and {r.method for r in proxy} == {"POST"}
        assert all("columnid" not in r.path for r in proxy)  # the parameters went in the body
    finally:
        portal.stop()


JPAAS = "/col/col1229858680/index.html"
UNIT = "/api-gateway/jpaas-publish-server/front/page/build/unit"


def test_jpaas_build_unit_call_read_from_the_column_page():
    from nianbao.spiders.family_hanweb import unit_requests

    (url,) = unit_requests(_page(JPAAS), BASE + JPAAS)
    parts = urlsplit(url)
    assert BASE + parts.path == BASE + UNIT
    q = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert q == {"parseType": "bulidstatic", "webId": "3630", "pageId": "1229858680", "tplSetId": "5HrZiFGOR8vHklhTYqM4B",
                 "pageType": "column", "tagId": "当前栏目list", "editType": "null"}
    assert datastore_records(_page(JPAAS), BASE + JPAAS) == []  # no datastore on these pages
    # a unit on another host, or a page without one, asks for nothing
    assert unit_requests(_page(JPAAS).replace(f'url="{UNIT}"', f'url="http://x.example.com{UNIT}"'), BASE + JPAAS) == []
    assert unit_requests(_page(COL1), BASE + COL1) == []


def test_jpaas_answer_and_its_pages():
    from nianbao.spiders.family_hanweb import unit_fragment, unit_page_url
    from nianbao.spiders.links import classify_list_links

    answer = _page("/module/jslib/jpaas/answers/unit_1229858680_page1.json")
    links = classify_list_links(unit_fragment(answer), BASE + UNIT, "/col/col1229858680/")
    assert [(urlsplit(l.url).path, l.kind, l.date) for l in links] == [
        ("/art/2025/1/24/art_1229858680_59310021.html", "item", "2025-01-24"),
        ("/art/2024/1/29/art_1229858680_58813344.html", "item", "2024-01-29")]
    assert unit_fragment(_page("/module/jslib/jpaas/answers/unit_1229858680_page3.json")) == ""
    assert unit_fragment("<html>not json</html>") is None and unit_fragment('{"data": []}') is None
    url = unit_page_url(BASE + UNIT + "?webId=1&pageId=2&paramJson=%7B%7D", 3)
    assert parse_qs(urlsplit(url).query)["paramJson"] == ['{"pageNo":3,"pageSize":15}']


def test_crawl_pages_the_build_unit_until_a_page_is_empty(crawled):
    portal, _, db, _ = crawled
    calls = [parse_qs(urlsplit(r.path).query) for r in portal.requests if r.path.startswith(UNIT)]
    pages = sorted(json.loads(q["paramJson"][0])["pageNo"] if "paramJson" in q else 1 for q in calls)
    assert pages == [1, 2, 3]  # page 3 was empty: no page 4
    captured = [r for r in rows(db, "select url, kind, status from captures") if UNIT in r["url"]]
    assert len(captured) == 3 and {(r["kind"], r["status"]) for r in captured} == {("list", 200)}
