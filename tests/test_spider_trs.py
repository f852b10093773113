"""The TRS family spider: createPageHTML/index_N.html/tYYYYMMDD_ID.html columns and lists a
script fetches as JSON (TRS index.json, 广东 gkmlpt API, irs answers); saved pages in
tests/fixtures/pages/trs, then a real crawl of the served portal."""
import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from nianbao.spiders.family_trs import trs_page_urls
from nianbao.spiders.links import (classify_list_links, json_date, json_endpoints, json_list_links,
                                   json_page_urls)
from test_every_spider import check_family_crawl, crawl_family, rows

PAGES = Path(__file__).resolve().parent / "fixtures" / "pages" / "trs"
BASE = "http://www.example.gov.cn"


def _page(path):
    return (PAGES / path.lstrip("/")).read_text("utf-8")


def test_static_column_pages_and_articles():
    col = "/xxgk/zfxxgknb/"
    links = classify_list_links(_page(col + "index.html"), BASE + col + "index.html")
    # createPageHTML(countPage, currentPage, ...) with the counts in script variables
    assert [l for l in links if l.kind == "page"] == []  # the generic spider cannot read it
    assert trs_page_urls(_page(col + "index.html"), BASE + col + "index.html") == [BASE + col + "index_1.html"]
    assert trs_page_urls("<script>createPageHTML(3, 0, 'index', 'html')</script>", BASE + col) == []
    items = [l for l in links if l.kind == "item"]
    assert [urlsplit(l.url).path for l in items] == [col + "202401/t20240125_7101.html", col + "202301/t20230130_7102.html"]
    assert items[0].date == "2024-01-25"


def test_script_fetched_json_list_is_found_and_read():
    col = "/zfxxgk/ndbg/"
    html = _page(col + "index.html")
    assert [l for l in classify_list_links(html, BASE + col + "index.html") if l.kind == "item"] == []
    assert json_endpoints(html, BASE + col + "index.html") == [BASE + col + "index.json"]
    links, pages = json_list_links(_page(col + "index.json"), BASE + col + "index.json")
    assert pages == 2
    assert [(urlsplit(l.url).path, l.date) for l in links] == [
        (col + "202501/t20250120_8201.html", "2025-01-20"), (col + "202401/t20240122_8202.html", "2024-01-22")]
    assert links[0].text == "某市财政局2024年政府信息公开工作年度报告"
    assert json_page_urls(BASE + col + "index.json", pages) == [BASE + col + "index_1.json"]


def test_gkmlpt_api_answer():
    url = BASE + "/gkmlpt/api/all/2050?page=1&sid=755001"
    links, pages = json_list_links(_page("/gkmlpt/api/all/2050_page1.json"), url)
    assert pages == 2  # total 3, two a page
    assert [urlsplit(l.url).path for l in links] == ["/gkmlpt/content/3/3255/post_3255421.html",
                                                     "/gkmlpt/content/2/2998/post_2998102.html"]
    assert links[0].date == "2025-01-21"  # unix seconds, China time
    assert json_page_urls(url, pages) == [BASE + "/gkmlpt/api/all/2050?page=2&sid=755001"]


@pytest.mark.parametrize("answer,expected_pages", [
    # TRS irs /irs/front/list
    ({"success": True, "data": {"list": [{"doc_pub_url": "/a/202401/t20240125_1.html", "f_202163261554": "x",
                                          "DOCTITLE": "某局2023年政府信息公开工作年度报告", "save_time": "2024-01-25 10:00:00"}],
                                "pager": {"pageNo": 1, "pageSize": 15, "pageCount": 4, "total": 52}}}, 4),
    # TRS WCM search export
    ({"totalSize": 41, "pageSize": 20, "currentPage": 1,
      "data": [{"doctitle": "某局2023年政府信息公开工作年度报告", "docpuburl": "/a/202401/t20240125_1.html",
                "docpubtime": 1706148000000}]}, 3),
    # records/list nested, no count at all
    ({"code": 200, "result": {"records": [{"title": "某局2023年政府信息公开工作年度报告", "url": "/a/202401/t20240125_1.html",
                                           "publishDate": "2024年1月25日"}]}}, None),
])
def test_json_shapes(answer, expected_pages):
    links, pages = json_list_links(json.dumps(answer, ensure_ascii=False), BASE + "/api/list?pageNo=1")
    assert [(urlsplit(l.url).path, l.text, l.date) for l in links] == [
        ("/a/202401/t20240125_1.html", "某局2023年政府信息公开工作年度报告", "2024-01-25")]
    assert pages == expected_pages


def test_json_records_off_the_host_and_non_json_are_dropped():
    answer = {"datas": [{"title": "外站", "url": "http://www.gov.cn/a/t20240101_1.html"},
                        {"title": "某局2023年度报告.pdf", "url": "/a/P020240125.pdf"}]}
    links, _ = json_list_links(json.dumps(answer, ensure_ascii=False), BASE + "/a/index.json")
    assert [(l.kind, urlsplit(l.url).path) for l in links] == [("attachment", "/a/P020240125.pdf")]
    assert json_list_links("<html>not json</html>", BASE + "/a/index.json") == ([], None)


def test_page_urls_by_parameter():
    assert json_page_urls(BASE + "/api/list?pageIndex=0&size=10", 3) == [
        BASE + "/api/list?pageIndex=1&size=10", BASE + "/api/list?pageIndex=2&size=10"]
    assert json_page_urls(BASE + "/data/1.json", 2) == [BASE + "/data/2.json"]
    assert json_page_urls(BASE + "/api/list?x=1", 3) == []  # no page parameter: nothing guessed
    assert json_page_urls(BASE + "/api/list?page=1", 1) == []
    assert json_date(1706148000) == "2024-01-25" and json_date("2024/1/5 10:00") == "2024-01-05"


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    portal, manifest, db, out = crawl_family("trs", tmp_path_factory.mktemp("trs"))
    yield portal, manifest, db, out
    portal.stop()


def test_crawl_finds_every_report_and_nothing_else(crawled):
    portal, manifest, db, _ = crawled
    check_family_crawl(portal, manifest, db)


def test_crawl_fetched_the_json_pages_once(crawled):
    portal, _, db, _ = crawled
    targets = [r.path for r in portal.requests]
    for t in ("/zfxxgk/ndbg/index.json", "/zfxxgk/ndbg/index_1.json",
              "/gkmlpt/api/all/2050?page=1&sid=755001", "/gkmlpt/api/all/2050?page=2&sid=755001"):
        assert targets.count(t) == 1, (t, targets)
    kinds = {urlsplit(r["url"]).path: r["kind"] for r in rows(db, "select url, kind from captures")}
    assert kinds["/zfxxgk/ndbg/index_1.json"] == "list"


IRS_COLUMN = "/zwgk/zfxxgkndbg/index.html"
IRS_FIELDS = {"title": "f_202121500898", "date": "f_202146838317"}


def test_irs_answer_read_by_the_columns_field_names():
    answer = _page("/irs/answers/t_179d1430e47_page1.json")
    links, pages = json_list_links(answer, BASE + "/irs/front/list", IRS_FIELDS)
    assert [(urlsplit(l.url).path, l.text, l.date) for l in links] == [
        ("/zwgk/zfxxgkndbg/202501/t20250123_9301.html", "某市生态环境局2024年政府信息公开工作年度报告", "2025-01-23"),
        ("/zwgk/zfxxgkndbg/202401/t20240119_9302.html", "某市生态环境局2023年政府信息公开工作年度报告", "2024-01-19")]
    assert pages == 2
    # without the field names the records have no title (irs names its columns f_<digits>)
    assert [l.text for l in json_list_links(answer, BASE + "/irs/front/list")[0]] == ["", ""]
    # and the column page's script is not mistaken for a list URL of its own
    assert json_endpoints(_page(IRS_COLUMN), BASE + IRS_COLUMN) == []


def test_list_api_requests_carry_the_page_in_the_body():
    from nianbao.spiders.family_trs import list_api_request

    api = {"url": BASE + "/irs/front/list", "body": {"tenantId": 303, "pageNo": 1, "pageSize": 2}}
    one, two = (list_api_request(api, n, None, {"source": "s"}) for n in (1, 2))
    assert (one.method, one.url) == ("POST", BASE + "/irs/front/list") and one.url == two.url
    assert json.loads(two.body) == {"tenantId": 303, "pageNo": 2, "pageSize": 2}
    assert one.headers[b"Content-Type"] == b"application/json"
    assert two.meta["nianbao_list_api_page"] == 2 and two.meta["source"] == "s"
    from scrapy.utils.request import fingerprint
    assert fingerprint(one) != fingerprint(two)  # the dupe filter keeps both pages
    get = list_api_request({**api, "method": "GET", "page_key": "pageNo"}, 3, None, {})
    assert get.method == "GET" and "pageNo=3" in get.url and "tenantId=303" in get.url


def test_crawl_posts_the_irs_query_page_by_page(crawled):
    """pageNo 1 and 2 (the answer's pageCount), once each, with the registry's body; each
    answer archived with a WARC request record holding the body it answers."""
    from warcio.archiveiterator import ArchiveIterator

    portal, manifest, db, _ = crawled
    posts = [json.loads(r.body) for r in portal.requests if r.method == "POST"]
    assert sorted(p["pageNo"] for p in posts) == [1, 2]
    assert all(p["tenantId"] == 303 and p["tableName"] == "t_179d1430e47" for p in posts)
    captures = rows(db, "select url, warc_file, warc_offset, kind from captures where url like '%/irs/front/list'")
    assert len(captures) == 2 and {c["kind"] for c in captures} == {"list"}
    requests, responses = {}, {}
    for name in {c["warc_file"] for c in captures}:
        with open(db.parent / "warc" / name, "rb") as fh:
            for rec in ArchiveIterator(fh):
                if rec.rec_headers.get_header("WARC-Target-URI", "").endswith("/irs/front/list"):
                    rid = rec.rec_headers.get_header("WARC-Record-ID")
                    if rec.rec_type == "request":
                        assert rec.http_headers.protocol == "POST"
                        requests[rid] = json.loads(rec.content_stream().read())["pageNo"]
                    elif rec.rec_type == "response":
                        pager = json.loads(rec.content_stream().read())["data"]["pager"]
                        responses[rec.rec_headers.get_header("WARC-Concurrent-To")] = pager["pageNo"]
    assert sorted(requests.values()) == [1, 2]
    assert responses == requests  # every answer names the request whose page it is
