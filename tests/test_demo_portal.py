"""The bundled demo portal: real HTTP against the server on 127.0.0.1."""
from __future__ import annotations

import email.utils
import json
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from nianbao.demo_portal import DEMO_SITE, MANIFEST, start_portal
from nianbao.demo_portal.server import Quirks

COL_A = "/xxgk/szfxxgkml/zfxxgkndbg/hysmhwzndbg/"
COL_B = "/xxgk/szfxxgkml/zfxxgkndbg/szfgzbmndbg/"
GBK_PAGE = "/20200121/i2001001.html"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **k):
        return None


def fetch(url: str, headers: dict | None = None, method: str = "GET", follow: bool = True):
    req = urllib.request.Request(url, headers=headers or {}, method=method)
    opener = urllib.request.build_opener() if follow else urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(req, timeout=10) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


@pytest.fixture(scope="module")
def portal():
    h = start_portal()
    yield h
    h.stop()


@pytest.fixture(scope="module")
def manifest():
    return json.loads(MANIFEST.read_text("utf-8"))


# ---------------------------------------------------------------- basics
def test_serves_on_loopback_with_ephemeral_port(portal):
    assert portal.url.startswith("http://127.0.0.1:")
    assert portal.port > 0 and portal.url.endswith(str(portal.port))
    status, headers, body = fetch(portal.url + COL_A + "index.html")
    assert status == 200
    text = body.decode("utf-8")
    assert '<ul class="qiexian">' in text
    assert "当前位置：" in text and "政府信息公开年报" in text
    assert "主办单位：衡阳市人民政府办公室" in text
    assert "下一页" in text and "首页" in text and "尾页" in text
    assert 'href="pages/2.html"' in text


def test_html_has_no_charset_in_header(portal):
    for path in (COL_A + "index.html", GBK_PAGE, "/20150323/i1234567.html"):
        status, headers, _ = fetch(portal.url + path)
        assert status == 200
        assert headers["Content-Type"] == "text/html", path


def test_gbk_page_declares_charset_only_in_meta(portal):
    status, headers, body = fetch(portal.url + GBK_PAGE)
    assert status == 200 and headers["Content-Type"] == "text/html"
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    text = body.decode("gb18030")
    assert '<meta http-equiv="Content-Type" content="text/html; charset=gb2312" />' in text
    assert "蒸湘区2019年政府信息公开年度报告" in text
    # a sentence of the real report, read right
    assert "推进政府信息公开工作是我区贯彻实施《中华人民共和国政府信息公开条例》" in text


def test_directory_without_slash_redirects_and_dir_serves_index(portal):
    status, headers, _ = fetch(portal.url + COL_A.rstrip("/"), follow=False)
    assert status == 301 and headers["Location"] == COL_A
    status, _, body = fetch(portal.url + COL_A)
    assert status == 200 and b"qiexian" in body


def test_missing_page_is_404(portal):
    status, _, _ = fetch(portal.url + "/20160330/i1300001.html")
    assert status == 404
    status, _, _ = fetch(portal.url + "/../../etc/passwd")
    assert status == 404
    # quirks.json is configuration, not content
    assert fetch(portal.url + "/quirks.json")[0] == 404


def test_content_types_of_attachments(portal):
    status, headers, body = fetch(portal.url + "/attach/2021/P020210128356781234567.pdf")
    assert status == 200 and headers["Content-Type"] == "application/pdf" and body.startswith(b"%PDF-")
    assert headers["Content-Disposition"].startswith("attachment")
    status, headers, body = fetch(portal.url + "/attach/download.jsp?id=101")
    assert status == 200 and body[:2] == b"PK"
    assert headers["Content-Type"] == "application/octet-stream"
    assert "filename*=UTF-8''%E7%BB%9F%E8%AE%A1%E8%A1%A8.xlsx" in headers["Content-Disposition"]
    assert fetch(portal.url + "/attach/download.jsp?id=999")[0] == 404
    assert fetch(portal.url + "/robots.txt")[1]["Content-Type"] == "text/plain"


def test_head_request(portal):
    status, headers, body = fetch(portal.url + "/robots.txt", method="HEAD")
    assert status == 200 and body == b"" and int(headers["Content-Length"]) > 0


# ---------------------------------------------------------------- caching
def test_etag_and_if_none_match(portal):
    url = portal.url + "/20150323/i1234567.html"
    status, headers, body = fetch(url)
    etag, lm = headers["ETag"], headers["Last-Modified"]
    assert status == 200 and etag.startswith('"') and lm.endswith("GMT")
    status, headers2, body2 = fetch(url, {"If-None-Match": etag})
    assert status == 304 and body2 == b"" and headers2["ETag"] == etag
    assert fetch(url, {"If-None-Match": '"stale"'})[0] == 200
    assert fetch(url, {"If-Modified-Since": lm})[0] == 304
    assert fetch(url, {"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"})[0] == 200


def test_etag_changes_when_the_file_changes(tmp_path):
    (tmp_path / "a.html").write_text("<p>one</p>", "utf-8")
    with start_portal(tmp_path) as h:
        _, headers, _ = fetch(h.url + "/a.html")
        etag, lm = headers["ETag"], headers["Last-Modified"]
        time.sleep(1.1)
        (tmp_path / "a.html").write_text("<p>two, changed</p>", "utf-8")
        status, headers2, body = fetch(h.url + "/a.html", {"If-None-Match": etag})
        assert status == 200 and body == "<p>two, changed</p>".encode() and headers2["ETag"] != etag
        assert fetch(h.url + "/a.html", {"If-Modified-Since": lm})[0] == 200


# ---------------------------------------------------------------- quirks
@pytest.fixture()
def quirky(tmp_path):
    (tmp_path / "ok.html").write_text("<p>ok</p>", "utf-8")
    (tmp_path / "list").mkdir()
    for n in (1, 2):
        (tmp_path / "list" / f"p{n}.html").write_text(f"<p>page {n}</p>", "utf-8")
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "7.xls").write_bytes(b"\xd0\xcf\x11\xe0fake-xls")
    quirks = {
        "_comment": "ignored",
        "/flaky.html": {"status": 500, "times": 1, "file": "/ok.html"},
        "/list/*.html": {"status": 500, "times": 2},
        "/gone.html": {"status": 404},
        "/busy.html": {"status": 429, "retry_after": 1, "times": 1, "file": "/ok.html"},
        "/waf.html": {"status": 412, "times": 1, "file": "/ok.html"},
        "/slow.html": {"delay": 0.8, "file": "/ok.html"},
        "/old.html": {"redirect": "/ok.html"},
        "/download.jsp?id=7": {"file": "/files/7.xls", "content_disposition": "attachment; filename*=UTF-8''统计表.xls"},
    }
    (tmp_path / "quirks.json").write_text(json.dumps(quirks, ensure_ascii=False), "utf-8")
    with start_portal(tmp_path) as h:
        yield h


def test_quirk_500_once_then_200(quirky):
    assert fetch(quirky.url + "/flaky.html")[0] == 500
    status, _, body = fetch(quirky.url + "/flaky.html")
    assert status == 200 and body == b"<p>ok</p>"
    assert fetch(quirky.url + "/flaky.html")[0] == 200
    quirky.reset()
    assert fetch(quirky.url + "/flaky.html")[0] == 500


def test_quirk_glob_counts_per_pattern(quirky):
    assert fetch(quirky.url + "/list/p1.html")[0] == 500
    assert fetch(quirky.url + "/list/p2.html")[0] == 500
    assert fetch(quirky.url + "/list/p1.html")[0] == 200
    assert fetch(quirky.url + "/list/p2.html")[2] == b"<p>page 2</p>"


def test_quirk_404_always(quirky):
    for _ in range(3):
        assert fetch(quirky.url + "/gone.html")[0] == 404


def test_quirk_429_retry_after(quirky):
    status, headers, _ = fetch(quirky.url + "/busy.html")
    assert status == 429 and headers["Retry-After"] == "1"
    assert fetch(quirky.url + "/busy.html")[0] == 200


def test_quirk_412_script_page(quirky):
    status, _, body = fetch(quirky.url + "/waf.html")
    assert status == 412 and b"<script" in body
    assert fetch(quirky.url + "/waf.html")[0] == 200


def test_quirk_slow(quirky):
    t = time.monotonic()
    status, _, _ = fetch(quirky.url + "/slow.html")
    assert status == 200 and time.monotonic() - t >= 0.8
    # other requests are not blocked meanwhile (threaded server)
    done = []
    th = threading.Thread(target=lambda: done.append(fetch(quirky.url + "/slow.html")[0]))
    th.start()
    time.sleep(0.1)
    t = time.monotonic()
    assert fetch(quirky.url + "/ok.html")[0] == 200 and time.monotonic() - t < 0.5
    th.join()
    assert done == [200]


def test_quirk_redirect(quirky):
    status, headers, _ = fetch(quirky.url + "/old.html", follow=False)
    assert status == 302 and headers["Location"] == "/ok.html"
    assert fetch(quirky.url + "/old.html")[2] == b"<p>ok</p>"


def test_quirk_download_jsp_with_raw_utf8_filename(quirky):
    status, headers, body = fetch(quirky.url + "/download.jsp?id=7")
    assert status == 200 and body.startswith(b"\xd0\xcf\x11\xe0")
    assert headers["Content-Type"] == "application/vnd.ms-excel"
    # raw UTF-8 bytes on the wire, as many portals send them
    raw = headers["Content-Disposition"].encode("latin-1").decode("utf-8")
    assert raw == "attachment; filename*=UTF-8''统计表.xls"
    assert fetch(quirky.url + "/download.jsp?id=8")[0] == 404


def test_quirks_matching_rules():
    q = Quirks({"/a/*": {"status": 500}, "/a/b.html": {"status": 404}, "/d.jsp?id=1": {"file": "/x"}, "_c": {}})
    assert q.match("/a/b.html")[0] == "/a/b.html"  # exact beats glob
    assert q.match("/a/c/d.html")[0] == "/a/*"
    assert q.match("/d.jsp?id=1")[0] == "/d.jsp?id=1"
    assert q.match("/d.jsp?id=2") is None
    assert q.match("/b.html") is None and "_c" not in q.rules


# ---------------------------------------------------------------- request log
def test_request_log_records_method_path_headers(tmp_path):
    (tmp_path / "x.html").write_text("x", "utf-8")
    with start_portal(tmp_path) as h:
        fetch(h.url + "/x.html?a=1", {"User-Agent": "nianbao-test/1.0"})
        fetch(h.url + "/x.html", method="HEAD")
        threads = [threading.Thread(target=fetch, args=(h.url + f"/x.html?n={i}",)) for i in range(20)]
        [t.start() for t in threads]
        [t.join() for t in threads]
        reqs = list(h.requests)
        assert len(reqs) == 22
        method, path, headers, body = reqs[0]
        assert (method, path) == ("GET", "/x.html?a=1") and headers["User-Agent"] == "nianbao-test/1.0"
        assert body == b""
        assert reqs[1].method == "HEAD"
        assert h.requests.paths().count("/x.html") == 22


# ---------------------------------------------------------------- site content
def test_robots_txt(portal, manifest):
    status, _, body = fetch(portal.url + "/robots.txt")
    text = body.decode()
    assert status == 200
    assert "Disallow: /search/" in text and "Disallow: /private/" in text
    assert manifest["robots_disallow"] == ["/search/", "/private/"]
    # the disallowed paths are really linked from the column, so a crawler meets them
    html = "".join(fetch(portal.url + p)[2].decode() for p in manifest["columns"][0]["pages"])
    assert "../../../../private/20170331/i1400001.html" in html
    assert "/search/" in html


def test_manifest_entries_exist(portal, manifest):
    pages = manifest["pages"]
    assert len(pages) > 30
    for p in pages:
        status, headers, body = fetch(portal.url + p["path"])
        assert status == p.get("status", 200), p["path"]
        if status == 200 and p.get("kind") == "detail":
            text = body.decode(p.get("charset", "utf-8").replace("gbk", "gb18030"))
            assert p["title"] in text
            assert p["published"] in text
            for a in p.get("attachments", []):
                assert a in text


def test_manifest_facts(manifest):
    details = [p for p in manifest["pages"] if p.get("kind") == "detail"]
    reports = [p for p in details if p["is_report"]]
    templates = {p["template"] for p in reports}
    assert {"gk2008", "gk2019", "gk2021", "narrative"} <= templates
    assert len([p for p in details if not p["is_report"]]) >= 4
    for p in reports:
        assert isinstance(p["year"], int) and 2008 <= p["year"] < int(p["published"][:4]) + 1
        assert p["body"] and p["title"]
    seeds = {p["seed"]: p for p in details if p.get("seed")}
    assert sorted(seeds) == ["000", "001", "002", "003", "004"]
    assert seeds["004"]["year"] == 2014 and seeds["004"]["published"] == "2015-03-23"
    assert seeds["004"]["metrics"]["old.requests.received"] == 78
    assert seeds["002"]["metrics"]["old.proactive.total"] == 1429
    assert seeds["000"]["metrics"]["old.capacity.staff"] == 4
    assert seeds["001"]["charset"] == "gbk"


def test_every_list_link_is_in_the_manifest(portal, manifest):
    known = {p["path"] for p in manifest["pages"]} | {p.get("href") for p in manifest["pages"]}
    for col in manifest["columns"]:
        for page in col["pages"]:
            html = fetch(portal.url + page)[2].decode()
            items = re.findall(r'<li><a href="([^"]+)" title="([^"]+)"', html)
            assert items, page
            for href, title in items:
                absolute = urllib.parse.urljoin(page, href)
                assert absolute in known or href in known, (page, href)


def test_trs_column_paginates_only_by_script(portal):
    status, _, body = fetch(portal.url + COL_B + "index.html")
    html = body.decode()
    assert 'createPageHTML(3, 0, "index", "html");' in html
    assert "index_1.html" not in html  # only the script knows
    assert 'href="./202301/t20230130_8801234.html"' in html
    for i in (1, 2):
        status, _, body = fetch(portal.url + COL_B + f"index_{i}.html")
        assert status == 200 and f'createPageHTML(3, {i}, "index", "html");' in body.decode()
    assert fetch(portal.url + COL_B + "index_3.html")[0] == 404


def test_detail_page_chrome_and_offsite_links(portal, manifest):
    html = fetch(portal.url + "/20210128/i3010001.html")[2].decode()
    for s in ("发布时间：2021-01-28", "来源：衡阳县人民政府", "浏览量", "字体", "分享到", "相关链接", "打印本页", "关闭窗口",
              '<div class="article-content" id="zoom">', "备", "主办单位"):
        assert s in html, s
    assert "http://www.gov.cn/" in html
    assert set(manifest["offsite_links"]) >= {"http://www.gov.cn/"}
    # the national gk2019 form with the two-level applicant header and row-spanning groups
    for s in ('<td colspan="5">法人或其他组织</td>', '<td rowspan="8">（三）不予公开</td>', "第二十条第（九）项",
              "未经复议直接起诉", "复议后起诉"):
        assert s in html, s


def test_word_pasted_table(portal):
    html = fetch(portal.url + "/20190328/i1789012.html")[2].decode()
    assert 'class="MsoNormal"' in html and "&nbsp;" in html and "<span style=" in html
    assert re.search(r'<td rowspan="\d+"[^>]*>.*?一、主动公开情况', html, re.S)


def test_redirected_report(portal):
    status, headers, _ = fetch(portal.url + "/art/2018/3/30/art_3301_1500001.html", follow=False)
    assert status == 301 and headers["Location"] == "/20180330/i1500002.html"


def test_committed_site_matches_generator(tmp_path):
    from tools.demo_portal.build import build

    build(tmp_path)
    new = {p.relative_to(tmp_path / "site"): p.read_bytes() for p in (tmp_path / "site").rglob("*") if p.is_file()}
    old = {p.relative_to(DEMO_SITE): p.read_bytes() for p in DEMO_SITE.rglob("*") if p.is_file()}
    assert sorted(new) == sorted(old)
    changed = [str(k) for k in new if new[k] != old[k]]
    assert changed == [], "site/ is stale: run python -m tools.demo_portal.build"
    assert (tmp_path / "manifest.json").read_text("utf-8") == MANIFEST.read_text("utf-8")


# ---------------------------------------------------------------- CLI
def test_cli_prints_url_and_serves():
    proc = subprocess.Popen(
        [sys.executable, "-m", "nianbao.demo_portal", "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        line = proc.stdout.readline().strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/", line), line
        assert fetch(line + "robots.txt")[0] == 200
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_last_modified_is_http_date(portal):
    _, headers, _ = fetch(portal.url + "/robots.txt")
    assert email.utils.parsedate_to_datetime(headers["Last-Modified"]) is not None


# ---------------------------------------------------------------- json_body (a POSTed search query)
def test_json_body_quirk_answers_by_page_and_logs_the_body(tmp_path):
    for n in ("1", "2", "empty"):
        (tmp_path / f"p{n}.json").write_text(f'{{"page": "{n}"}}', "utf-8")
    (tmp_path / "quirks.json").write_text(json.dumps({"/irs/front/list": {"json_body": {
        "require": {"tenantId": 7}, "page_key": "pageNo", "pages": {"1": "/p1.json", "2": "/p2.json"},
        "empty": "/pempty.json"}, "content_type": "application/json"}}), "utf-8")

    def post(body: bytes):
        req = urllib.request.Request(h.url + "/irs/front/list", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    with start_portal(tmp_path) as h:
        assert post(b'{"tenantId": 7, "pageNo": 2}') == (200, {"page": "2"})
        assert post(b'{"tenantId": 7, "pageNo": 9}') == (200, {"page": "empty"})
        assert post(b'{"tenantId": 8, "pageNo": 1}')[0] == 400  # not this site's query
        assert post(b"pageNo=1")[0] == 400  # not JSON
        assert [r.body for r in h.requests][0] == b'{"tenantId": 7, "pageNo": 2}'
