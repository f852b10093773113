"""`nianbao sources capture`: real pages of a source, written as the portal served them.

The family fixture pages (tests/fixtures/pages/<family>) are reconstructions; this command
replaces them with captured bytes when online. Here it captures the family fixture
portals (served on 127.0.0.1, a registry of one source via $NIANBAO_SOURCES, with the
trs portal's irs column and its POSTed list_api; the hanweb portal also with its proxy
called by POST) and checks that the folder holds the served bytes, that CAPTURED.json
says so, that the portal server serves the folder like the portal (query-string answers
routed by quirks.json, POSTed JSON queries by their page number), and that the family
spiders' parsers read the captured pages as they read the fixtures.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from conftest import FAST, free_port, run_cli
from test_every_spider import FAMILY_PORTALS, manifest_entry, registry_entry, target

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "pages"
BASE = "http://www.example.gov.cn"
OWN_FILES = {"CAPTURED.json", "quirks.json"}


def write_registry(work: Path, entries: list[dict]) -> dict:
    path = work / "sources.json"
    path.write_text(json.dumps(entries, ensure_ascii=False), "utf-8")
    return {"NIANBAO_SOURCES": str(path)}


def capture(source_id: str, out: Path, env: dict, *args, check=True):
    return run_cli("sources", "capture", source_id, "--to", out, *args, *FAST, check=check, env=env)


def fetch(url: str, body: bytes | None = None, ctype: str | None = None) -> tuple[bytes, str]:
    """GET `url`, or POST `body` to it."""
    request = urllib.request.Request(url, data=body, method="GET" if body is None else "POST",
                                     headers={"Content-Type": ctype} if ctype else {})
    with urllib.request.urlopen(request, timeout=10) as r:
        return r.read(), r.headers.get("Content-Type")


def replay(f: dict, url: str | None = None) -> tuple[bytes, str]:
    """The request a CAPTURED.json file answers (its method and body), sent to `url` (default its own)."""
    if f.get("method", "GET") == "GET":
        return fetch(url or f["url"])
    assert f["method"] == "POST"
    return fetch(url or f["url"], f["request_body"].encode("utf-8"), f.get("request_content_type"))


def on(portal, url: str) -> str:
    """The same path and query on another server."""
    parts = urlsplit(url)
    return portal.url + parts.path + (f"?{parts.query}" if parts.query else "")


def files_by_target(manifest: dict) -> dict[str, dict]:
    """GET answers by request target (a POSTed query's answers share one: see `posted`)."""
    return {target(f["url"]): f for f in manifest["files"] if "method" not in f}


def posted(manifest: dict, path: str) -> dict[int, dict]:
    """The answers to JSON queries POSTed to `path`, by the body's pageNo."""
    return {json.loads(f["request_body"])["pageNo"]: f for f in manifest["files"]
            if f.get("method") == "POST" and urlsplit(f["url"]).path == path}


def detail_paths(portal_manifest: dict) -> set[str]:
    return {p["path"] for p in portal_manifest["pages"] if p.get("kind") == "detail"}


# how the family's portal is captured: "hanweb-post" calls the Hanweb proxy by POST
SETTINGS = {"hanweb-post": ("-s", "NIANBAO_HANWEB_PROXY_METHOD=POST")}
IRS = "/irs/front/list"


@pytest.fixture(scope="module", params=["trs", "hanweb", "hanweb-post"])
def captured(request, tmp_path_factory):
    """Capture the family's fixture portal with the defaults (a registry entry made from its
    manifest: the trs irs column carries its list_api); (family, portal, portal manifest,
    capture dir, CAPTURED.json, CLI output, registry env)."""
    from nianbao.demo_portal.server import start_portal

    family = request.param.split("-")[0]
    work = tmp_path_factory.mktemp(f"capture-{request.param}")
    site, manifest_path = FAMILY_PORTALS[family]
    portal_manifest = json.loads(manifest_path.read_text("utf-8"))
    portal = start_portal(site)
    try:
        env = write_registry(work, [manifest_entry(f"{family}-fixture", family, portal.url, portal_manifest)])
        out = capture(f"{family}-fixture", work / "captured", env, *SETTINGS.get(request.param, ()))
        manifest = json.loads((work / "captured" / "CAPTURED.json").read_text("utf-8"))
        yield request.param, portal, portal_manifest, work / "captured", manifest, out, env
    finally:
        portal.stop()


def test_files_are_the_bytes_the_portal_serves(captured):
    param, portal, portal_manifest, out, manifest, cli, _ = captured
    family = param.split("-")[0]
    assert manifest["source"] == f"{family}-fixture" and manifest["spider"] == family
    assert "Wrote" in cli.stdout and "warning" not in cli.stdout
    on_disk = {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()} - OWN_FILES
    assert on_disk == {f["path"] for f in manifest["files"]}
    assert len(on_disk) == len(manifest["files"])  # one file per answer, POSTed queries too
    for f in manifest["files"]:
        data = (out / f["path"]).read_bytes()
        served, ctype = replay(f)
        assert data == served, f["url"]
        assert f["sha256"] == hashlib.sha256(data).hexdigest()
        assert f["status"] == 200 and f["content_type"] == ctype and f["fetched_at"]
        assert f["source"] == f"{family}-fixture" and f["kind"] in ("list", "detail", "attachment", "robots")
        assert "unrouted" not in f
    posts = [f for f in manifest["files"] if f.get("method")]
    assert {f["method"] for f in posts} <= {"POST"}
    assert len(posts) == {"trs": 2, "hanweb": 0, "hanweb-post": 4}[param]


def test_every_list_answer_and_at_most_three_details(captured):
    param, portal, portal_manifest, out, manifest, _, _ = captured
    details = detail_paths(portal_manifest)
    got = files_by_target(manifest)
    asked = {target(portal.url + r.path) for r in portal.requests if r.method == "GET"}
    list_targets = {t for t in asked if urlsplit(t).path not in details and t != "/robots.txt"}
    # every list page and JSON/XML list answer the crawl received (all 200 here) ...
    assert {t for t, f in got.items() if f["kind"] == "list"} == list_targets
    for column in portal_manifest["columns"]:
        assert got[target(portal.url + column["path"])]["kind"] == "list"
    # ... POSTed queries included, one file per request (target and body) ...
    asked_posts = {(target(portal.url + r.path), r.body.decode("utf-8")) for r in portal.requests
                   if r.method == "POST"}  # (the other tests here ask again: a set)
    got_posts = [(target(f["url"]), f["request_body"]) for f in manifest["files"] if f.get("method")]
    assert set(got_posts) == asked_posts and len(got_posts) == len(asked_posts)
    # ... and the default three detail pages: the crawl did not fetch more than it keeps
    kept = [f for f in manifest["files"] if f["kind"] in ("detail", "attachment")]
    assert len(kept) == 3 and {urlsplit(f["url"]).path for f in kept} <= details
    assert len([t for t in asked if urlsplit(t).path in details]) == 3
    assert got["/robots.txt"]["kind"] == "robots"


def test_query_string_answers_follow_the_fixture_portals_convention(captured):
    param, portal, _, out, manifest, _, _ = captured
    quirks = json.loads((out / "quirks.json").read_text("utf-8"))
    with_query = [f for f in manifest["files"] if urlsplit(f["url"]).query]
    if param == "trs":
        f = files_by_target(manifest)["/gkmlpt/api/all/2050?page=2&sid=755001"]
        assert f["path"] == "gkmlpt/api/all/2050_page2_sid755001.json" and f["kind"] == "list"
        assert quirks["/gkmlpt/api/all/2050?page=2&sid=755001"] == {
            "file": "/gkmlpt/api/all/2050_page2_sid755001.json", "content_type": "application/json;charset=UTF-8"}
    else:
        proxy = [f for f in with_query if "/dataproxy.jsp" in f["url"]]
        assert len(proxy) == 4  # startrecord=3, 5 of one column, page=1, 2 of the other
        assert all(f["path"].startswith("module/web/jpage/dataproxy_") and f["path"].endswith(".xml") for f in proxy)
        assert any("startrecord3_endrecord4_perpage1" in f["path"] for f in proxy)
        # by POST, the form is the body and the paging stays in the URL: one URL per page,
        # so the per-URL routes serve them; the form is in CAPTURED.json
        assert {f.get("method", "GET") for f in proxy} == {"POST" if param == "hanweb-post" else "GET"}
        if param == "hanweb-post":
            assert all("columnid=" in f["request_body"] and "columnid" not in f["url"] for f in proxy)
            assert {f["request_content_type"] for f in proxy} == {"application/x-www-form-urlencoded"}
            assert len({target(f["url"]) for f in proxy}) == 4
    assert with_query
    for f in with_query:  # routed, the query percent-decoded as the server matches it
        assert quirks[target(f["url"])]["file"] == "/" + f["path"]
        assert quirks[target(f["url"])]["content_type"] == f["content_type"]


def test_posted_irs_queries_each_have_a_file_and_a_json_body_route(captured):
    """The irs column's two POSTs to /irs/front/list (pageNo 1 and 2): two files, the
    portal's answers to those bodies, listed with their bodies and routed by pageNo."""
    param, portal, portal_manifest, out, manifest, _, _ = captured
    if param != "trs":
        assert not posted(manifest, IRS)
        return
    (api,) = [c["list_api"] for c in portal_manifest["columns"] if c.get("list_api")]
    pages = posted(manifest, IRS)
    assert sorted(pages) == [1, 2]
    for n, f in pages.items():
        body = json.loads(f["request_body"])
        assert body == {**api["body"], "pageNo": n}  # the body the spider sent, as sent
        assert f["method"] == "POST" and f["request_content_type"] == "application/json"
        assert f["path"] == f"irs/front/list_pageNo{n}.json" and f["kind"] == "list"
        data = (out / f["path"]).read_bytes()
        assert data == fetch(portal.url + IRS, json.dumps(body).encode())[0]
        assert data == (FIXTURES / "trs" / f"irs/answers/t_179d1430e47_page{n}.json").read_bytes()
    assert pages[1]["path"] != pages[2]["path"]
    quirks = json.loads((out / "quirks.json").read_text("utf-8"))
    assert quirks[IRS] == {
        "json_body": {"require": {"tenantId": 303, "tableName": "t_179d1430e47", "pageSize": 2},
                      "page_key": "pageNo",
                      "pages": {"1": "/irs/front/list_pageNo1.json", "2": "/irs/front/list_pageNo2.json"}},
        "content_type": "application/json;charset=UTF-8"}


def test_the_portal_server_serves_the_capture_like_the_portal(captured, tmp_path):
    """Served by the same test server, the folder answers every captured request, query
    strings and POSTed bodies included, with the portal's bytes and type; a capture of it
    gives the same list files."""
    from nianbao.demo_portal.server import start_portal

    param, portal, portal_manifest, out, manifest, _, _ = captured
    family = param.split("-")[0]
    again = start_portal(out)
    try:
        for f in manifest["files"]:
            assert replay(f, on(again, f["url"])) == replay(f), f["url"]
        if param == "trs":  # a POST with pageNo 2, made here, gets the page-2 file
            (api,) = [c["list_api"] for c in portal_manifest["columns"] if c.get("list_api")]
            body = json.dumps({**api["body"], "pageNo": 2}, ensure_ascii=False).encode("utf-8")
            page2 = (out / posted(manifest, IRS)[2]["path"]).read_bytes()
            assert fetch(again.url + IRS, body, "application/json") == \
                (page2, "application/json;charset=UTF-8") == fetch(portal.url + IRS, body)
            with pytest.raises(urllib.error.HTTPError) as e:  # a page the capture did not see
                fetch(again.url + IRS, body.replace(b'"pageNo": 2', b'"pageNo": 3'))
            assert e.value.code == 400
        env = write_registry(tmp_path, [manifest_entry(f"{family}-again", family, again.url, portal_manifest)])
        capture(f"{family}-again", tmp_path / "again", env, *SETTINGS.get(param, ()))
    finally:
        again.stop()
    second = json.loads((tmp_path / "again" / "CAPTURED.json").read_text("utf-8"))
    lists = {(f["path"], f["sha256"]) for f in manifest["files"] if f["kind"] == "list"}
    assert {(f["path"], f["sha256"]) for f in second["files"] if f["kind"] == "list"} == lists
    assert (tmp_path / "again" / "quirks.json").read_text("utf-8") == (out / "quirks.json").read_text("utf-8")


def _captured_text(out: Path, manifest: dict, tgt: str) -> str:
    return (out / files_by_target(manifest)[tgt]["path"]).read_text("utf-8")


def _fixture(family: str, path: str) -> str:
    return (FIXTURES / family / path.lstrip("/")).read_text("utf-8")


def _links(links):
    return [(urlsplit(l.url).path, urlsplit(l.url).query, l.text, l.kind, l.date) for l in links]


def test_family_parsers_read_the_capture_as_the_fixture(captured):
    param, portal, portal_manifest, out, manifest, _, _ = captured
    if param == "trs":
        from nianbao.spiders.family_trs import trs_page_urls
        from nianbao.spiders.links import classify_list_links, json_endpoints, json_list_links, json_page_urls

        col = "/xxgk/zfxxgknb/index.html"
        for path in (col, "/xxgk/zfxxgknb/index_1.html"):
            cap, fix = _captured_text(out, manifest, path), _fixture("trs", path)
            assert _links(classify_list_links(cap, BASE + path)) == _links(classify_list_links(fix, BASE + path))
        cap, fix = _captured_text(out, manifest, col), _fixture("trs", col)
        assert trs_page_urls(cap, BASE + col) == trs_page_urls(fix, BASE + col) == [BASE + "/xxgk/zfxxgknb/index_1.html"]
        script = "/zfxxgk/ndbg/index.html"
        assert json_endpoints(_captured_text(out, manifest, script), BASE + script) == \
            json_endpoints(_fixture("trs", script), BASE + script) == [BASE + "/zfxxgk/ndbg/index.json"]
        for answer, fixture in (("/zfxxgk/ndbg/index.json", "/zfxxgk/ndbg/index.json"),
                                ("/gkmlpt/api/all/2050?page=1&sid=755001", "/gkmlpt/api/all/2050_page1.json"),
                                ("/gkmlpt/api/all/2050?page=2&sid=755001", "/gkmlpt/api/all/2050_page2.json")):
            links, pages = json_list_links(_captured_text(out, manifest, answer), BASE + answer)
            want_links, want_pages = json_list_links(_fixture("trs", fixture), BASE + answer)
            assert _links(links) == _links(want_links) and links and pages == want_pages
            assert json_page_urls(BASE + answer, pages) == json_page_urls(BASE + answer, want_pages)
        # the irs answers, read by the column's field names as the spider reads them
        (fields,) = [c["list_api"]["fields"] for c in portal_manifest["columns"] if c.get("list_api")]
        for n, f in posted(manifest, IRS).items():
            links, pages = json_list_links((out / f["path"]).read_text("utf-8"), BASE + IRS, fields)
            want_links, want_pages = json_list_links(
                _fixture("trs", f"/irs/answers/t_179d1430e47_page{n}.json"), BASE + IRS, fields)
            assert _links(links) == _links(want_links) and links and pages == want_pages == 2
    else:
        from nianbao.spiders.family_hanweb import datastore_records, jpage_config, proxy_next_pages, proxy_requests

        for col in ("/col/col1229669626/index.html", "/col/col1229199350/index.html"):
            cap, fix = _captured_text(out, manifest, col), _fixture("hanweb", col)
            assert _links(datastore_records(cap, BASE + col)) == _links(datastore_records(fix, BASE + col))
            assert datastore_records(cap, BASE + col)
            assert jpage_config(cap) == jpage_config(fix)
            assert proxy_requests(cap, BASE + col) == proxy_requests(fix, BASE + col)
        # the proxy answers, found by the URL the spider asked for (its paging, by GET or POST)
        answers = {"startrecord=3": "col1229669626_start3.xml", "startrecord=5": "col1229669626_start5.xml",
                   "page=1": "col1229199350_page1.xml", "page=2": "col1229199350_page2.xml"}
        proxy = [f for f in manifest["files"] if "/dataproxy.jsp?" in f["url"]]
        for key, name in answers.items():
            (f,) = [f for f in proxy if f"&{urlsplit(f['url']).query}&".startswith(f"&{key}&")]
            url = BASE + target(f["url"])
            cap = (out / f["path"]).read_text("utf-8")
            fix = _fixture("hanweb", "/module/web/jpage/answers/" + name)
            assert _links(datastore_records(cap, url)) == _links(datastore_records(fix, url))
            assert datastore_records(cap, url)
            assert proxy_next_pages(cap, url) == proxy_next_pages(fix, url)


def test_one_column_and_smaller_limits(tmp_path):
    """--column takes one column of the source; --max-list-pages 1 one more list answer,
    --max-details 1 one detail page, and the crawl asked for no more."""
    from nianbao.demo_portal.server import start_portal

    site, manifest_path = FAMILY_PORTALS["hanweb"]
    portal_manifest = json.loads(manifest_path.read_text("utf-8"))
    portal = start_portal(site)
    col = portal.url + "/col/col1229669626/index.html"
    try:
        env = write_registry(tmp_path, [registry_entry("hanweb-fixture", "hanweb", portal.url,
                                                       [c["path"] for c in portal_manifest["columns"]])])
        capture("hanweb-fixture", tmp_path / "one", env, "--column", col, "--max-list-pages", "1",
                "--max-details", "1")
        asked = [r.path for r in portal.requests]
    finally:
        portal.stop()
    manifest = json.loads((tmp_path / "one" / "CAPTURED.json").read_text("utf-8"))
    assert manifest["columns"] == [col]
    kinds = sorted((f["kind"], urlsplit(f["url"]).path) for f in manifest["files"])
    assert kinds == [("detail", kinds[0][1]), ("list", "/col/col1229669626/index.html"),
                     ("list", "/module/web/jpage/dataproxy.jsp"), ("robots", "/robots.txt")]
    assert kinds[0][1].startswith("/art/") and "art_1229669626_" in kinds[0][1]
    assert not [p for p in asked if "1229199350" in p or "1229858680" in p]  # the other columns
    assert len([p for p in asked if p.startswith("/art/")]) == 1
    assert len([p for p in asked if "dataproxy.jsp" in p]) == 1


def test_unknown_source_id(tmp_path):
    env = write_registry(tmp_path, [registry_entry("only-one", "trs", "http://127.0.0.1:9", ["/a/index.html"])])
    out = capture("no-such-source", tmp_path / "out", env, check=False)
    assert out.returncode != 0
    assert "unknown source 'no-such-source'" in out.stderr and "nianbao sources" in out.stderr
    assert "Traceback" not in out.stderr and not (tmp_path / "out").exists()


def test_a_column_not_of_the_source(tmp_path):
    env = write_registry(tmp_path, [registry_entry("only-one", "trs", "http://127.0.0.1:9", ["/a/index.html"])])
    out = capture("only-one", tmp_path / "out", env, "--column", "http://127.0.0.1:9/b/", check=False)
    assert out.returncode != 0 and "is not a column of only-one" in out.stderr
    assert "http://127.0.0.1:9/a/index.html" in out.stderr and not (tmp_path / "out").exists()


def test_unreachable_portal_writes_nothing(tmp_path):
    dead = f"http://127.0.0.1:{free_port()}"
    env = write_registry(tmp_path, [registry_entry("gone", "trs", dead, ["/xxgk/ndbg/index.html"])])
    out = capture("gone", tmp_path / "out", env, check=False)
    assert out.returncode == 1
    assert "nothing written" in out.stderr and dead + "/xxgk/ndbg/index.html" in out.stderr
    assert "ConnectionRefused" in out.stderr.split("nothing written")[-1]
    assert "Wrote" not in out.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sources.json"]  # no folder, no half-written one


def test_a_column_that_answers_404_writes_nothing(tmp_path):
    from nianbao.demo_portal.server import start_portal

    site, _ = FAMILY_PORTALS["trs"]
    portal = start_portal(site)
    try:
        env = write_registry(tmp_path, [registry_entry("half", "trs", portal.url,
                                                       ["/xxgk/zfxxgknb/index.html", "/moved/away/index.html"])])
        out = capture("half", tmp_path / "out", env, "--max-details", "0", check=False)
    finally:
        portal.stop()
    assert out.returncode == 1
    assert "/moved/away/index.html: HTTP 404" in out.stderr and "--column" in out.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sources.json"]


def test_refuses_a_folder_that_is_not_empty(tmp_path):
    env = write_registry(tmp_path, [registry_entry("only-one", "trs", "http://127.0.0.1:9", ["/a/index.html"])])
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.html").write_text("mine")
    out = capture("only-one", tmp_path / "out", env, check=False)
    assert out.returncode == 1 and "not an empty folder" in out.stderr
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["keep.html"]


# ---------------------------------------------------------------- the export, without a crawl
def test_gbk_bytes_stay_gbk_and_content_encoding_is_undone(tmp_path):
    from tools.export import read_captures, write_capture_dir
    from nianbao.archive.store import Archive
    from nianbao.db import connect
    from nianbao.demo_portal.server import start_portal

    page = "<html><head><title>某县2023年政府信息公开工作年度报告</title></head><body>年报</body></html>".encode("gbk")
    archive = Archive(connect(tmp_path / "n.db"), tmp_path / "warc")
    ids = [archive.store("http://www.example.gov.cn/xxgk/ndbg/", 200, "OK",
                         [("Content-Type", "text/html; charset=GBK"), ("Content-Encoding", "gzip")],
                         gzip.compress(page), kind="list", source="s"),
           archive.store("http://www.example.gov.cn/xxgk/ndbg/index_1.html", 200, "OK",
                         [("Content-Type", "text/html")], page + b"<!-- 2 -->", kind="list", source="s")]
    archive.close()
    manifest = write_capture_dir(tmp_path / "out", read_captures(archive, ids))
    assert (tmp_path / "out" / "xxgk" / "ndbg" / "index.html").read_bytes() == page
    assert manifest["files"][0]["sha256"] == hashlib.sha256(page).hexdigest()
    quirks = json.loads((tmp_path / "out" / "quirks.json").read_text("utf-8"))
    assert quirks == {"/xxgk/ndbg/": {"content_type": "text/html; charset=GBK"}}  # the header names the charset
    portal = start_portal(tmp_path / "out")
    try:
        assert fetch(portal.url + "/xxgk/ndbg/") == (page, "text/html; charset=GBK")
        assert fetch(portal.url + "/xxgk/ndbg/index_1.html") == (page + b"<!-- 2 -->", "text/html")
    finally:
        portal.stop()


def test_awkward_urls_get_a_file_and_a_route(tmp_path):
    from tools.export import Exported, plan

    def item(url, body=b"<html></html>", ctype="text/html"):
        return Exported(0, url, 200, "list", "t", ctype, "s", body)

    items = [item("http://h/xxgk/ndbg"), item("http://h/xxgk/ndbg/1.html"),
             item("http://h/api/list?page=2&size=15", b'{"data": []}', "text/html;charset=utf-8"),
             item("http://h/api/list?page=2&size=15&x=%E4%B8%AD", b'{"data": [1]}', "text/html;charset=utf-8"),
             item("http://h/a/", b"A"), item("http://h/a/index.html", b"A"),
             item("http://h/b/", b"B1"), item("http://h/b/index.html", b"B2"),
             item("http://h/quirks.json", b"{}", "application/json")]
    quirks = plan(items, redirects=[("http://h/old/", 301, "http://h/xxgk/ndbg/1.html"),
                                    ("http://h/a/", 302, "/elsewhere")])
    paths = [i.path for i in items]
    assert paths[1] == "/xxgk/ndbg/1.html"
    assert paths[0] == "/xxgk/ndbg.html" and quirks["/xxgk/ndbg"] == {"file": "/xxgk/ndbg.html", "content_type": "text/html"}
    assert paths[2] == "/api/list_page2_size15.json"  # JSON sent as text/html is named for what it is
    assert paths[3] == "/api/list_page2_size15_x.json" and quirks["/api/list?page=2&size=15&x=中"]["file"] == paths[3]
    assert paths[4] == paths[5] == "/a/index.html"  # one body, one file
    assert paths[6] == "/b/index.html" and paths[7].startswith("/b/index_") and quirks["/b/index.html"]["file"] == paths[7]
    assert paths[8] != "/quirks.json" and quirks["/quirks.json"]["file"] == paths[8]
    assert quirks["/old/"] == {"redirect": "/xxgk/ndbg/1.html", "redirect_status": 301}
    assert "/a/" not in quirks  # a target that has a file is not redirected
    assert len(set(paths[6:])) == 3


def test_posted_queries_are_told_apart_by_their_bodies(tmp_path):
    """The archive's request records say which answer is which: JSON queries of two lists
    POSTed to one URL get a file per page and a rule per list; a GET has no request; two
    form POSTs to one URL that only their bodies tell apart are both written, the second
    marked unrouted (the portal server routes forms by URL only)."""
    from tools.export import read_captures, write_capture_dir
    from nianbao.archive.store import Archive
    from nianbao.db import connect
    from nianbao.demo_portal.server import start_portal

    api = "http://www.example.gov.cn/irs/front/list"
    json_type = [("Content-Type", "application/json;charset=UTF-8")]

    def query(table, page, channel):
        return {"tenantId": 303, "tableName": table, "pageNo": page, "pageSize": 2,
                "customFilter": {"filters": [{"property": "channel_id", "value": channel}]}}

    db = connect(tmp_path / "n.db")
    archive = Archive(db, tmp_path / "warc")
    ids, bodies = [], []
    ids.append(archive.store("http://www.example.gov.cn/zwgk/index.html", 200, "OK", [("Content-Type", "text/html")],
                             b"<html>col</html>", kind="list"))
    for table, channel in (("t_a", "1"), ("t_a", "2")):  # one table, two channels: only the filter differs
        for page in (1, 2):
            body = json.dumps(query(table, page, channel)).encode()
            # channel 2's page 2 is the same bytes as channel 1's: archived as a revisit
            answer = json.dumps({"data": {"list": ["1" if page == 2 else channel, page]}}).encode()
            bodies.append(body)
            ids.append(archive.store(api, 200, "OK", json_type, answer, kind="list",
                                     request=("POST", [("Content-Type", "application/json")], body)))
    archive.close()
    archive = Archive(db, tmp_path / "warc")  # a second WARC file: the request is found in its own file
    proxy = "http://www.example.gov.cn/module/web/jpage/dataproxy.jsp?startrecord=1&endrecord=45&perpage=15"
    form = [("Content-Type", "application/x-www-form-urlencoded")]
    for column in ("111", "222"):
        ids.append(archive.store(proxy, 200, "OK", [("Content-Type", "text/xml")], f"<datastore>{column}</datastore>".encode(),
                                 kind="list", request=("POST", form, f"col=1&columnid={column}".encode())))
    archive.close()

    assert archive.request_of(ids[0]) is None
    method, headers, body = archive.request_of(ids[3])
    assert (method, body, dict(headers)["Content-Type"]) == ("POST", bodies[2], "application/json")
    assert db.conn.execute("SELECT record_type FROM captures WHERE id = ?", [ids[4]]).fetchone()[0] == "revisit"
    assert archive.request_of(ids[4])[2] == bodies[3]
    assert archive.request_of(ids[-1])[2] == b"col=1&columnid=222"

    items = read_captures(archive, ids)
    manifest = write_capture_dir(tmp_path / "out", items)
    files = manifest["files"]
    assert [f.get("method") for f in files] == [None] + ["POST"] * 6
    assert [f["request_body"] for f in files[1:5]] == [b.decode() for b in bodies]
    assert len({f["path"] for f in files}) == len(files)
    assert [bool(f.get("unrouted")) for f in files] == [False] * 6 + [True]
    rules = json.loads((tmp_path / "out" / "quirks.json").read_text("utf-8"))["/irs/front/list"]["json_body"]
    assert isinstance(rules, list) and len(rules) == 2
    assert all(r["page_key"] == "pageNo" and set(r["pages"]) == {"1", "2"} for r in rules)
    assert {r["require"]["customFilter"]["filters"][0]["value"] for r in rules} == {"1", "2"}
    portal = start_portal(tmp_path / "out")
    try:
        for f, item in zip(files, items):
            if f.get("unrouted"):
                continue
            url = portal.url + target(f["url"])
            got = fetch(url, f["request_body"].encode(), "application/json") if f.get("method") else fetch(url)
            assert got[0] == item.body, f
    finally:
        portal.stop()


def test_page_key_given_by_the_registry_or_inferred():
    from tools.export import Exported, plan

    def post(page, body_extra=None, key="pageNo", answer=None):
        body = {"tenantId": 1, key: page, **(body_extra or {})}
        return Exported(0, "http://h/api/search", 200, "list", "t", "application/json", "s",
                        answer or json.dumps([page]).encode(), method="POST", request_body=json.dumps(body).encode())

    items = [post(1, key="current"), post(2, key="current")]
    quirks = plan(items)  # the one key whose value differs
    assert quirks["/api/search"]["json_body"]["page_key"] == "current"
    assert [i.path for i in items] == ["/api/search_current1.json", "/api/search_current2.json"]
    items = [post(3, {"p": 9})]
    assert plan(items, page_keys={"/api/search": "p"})["/api/search"]["json_body"] == {
        "require": {"tenantId": 1, "pageNo": 3}, "page_key": "p", "pages": {"9": "/api/search_p9.json"}}
    items = [post(1, key="q")]  # one body, nothing that pages: the URL's one answer, whatever the body
    assert plan(items) == {"/api/search": {"file": "/api/search.json", "content_type": "application/json"}}
    items = [post(1, {"b": 1}, key="a"), post(2, {"b": 2}, key="a")]  # which key pages? the second is not routed
    assert plan(items)["/api/search"]["file"] == items[0].path and [i.routed for i in items] == [True, False]


# ---------------------------------------------------------------- build_portals keeps captures
def build_portals(pages: Path, portals: Path) -> str:
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, str(FIXTURES / "build_portals.py"), "--pages", str(pages),
                           "--portals", str(portals)], capture_output=True, text=True, timeout=120, check=True)
    return proc.stdout


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_build_portals_keeps_captured_files(tmp_path):
    """A family folder's CAPTURED-*.json names files a capture brought in: rebuilding the
    reconstructions leaves them (in the family folder and in the portal's site) and the
    site's routes to them alone, rewrites everything else, and stays deterministic."""
    pages, portals = tmp_path / "pages", tmp_path / "portals"
    first = build_portals(pages, portals)
    assert "captured" not in first
    built = {**{f"pages/{k}": v for k, v in tree(pages).items()}, **{f"portals/{k}": v for k, v in tree(portals).items()}}
    for rel, data in built.items():  # the same bytes as the tracked fixtures (where nothing was captured)
        kind, fam, rest = rel.split("/", 2)
        tracked = (FIXTURES if kind == "pages" else FIXTURES.parent.parent / "portals") / fam / rest
        if not list((FIXTURES / fam).glob("CAPTURED*.json")):
            assert tracked.read_bytes() == data, rel

    # a capture copied in as the README says: a page the builder also writes, an answer it does not
    real_page, real_answer = b"<html>captured bytes</html>", b'{"articles": ["captured"]}'
    listing = {"source": "real-trs", "files": [
        {"url": "https://www.example.gov.cn/xxgk/zfxxgknb/index.html", "path": "xxgk/zfxxgknb/index.html"},
        {"url": "https://www.example.gov.cn/gkmlpt/api/all/2050?page=2&sid=755001",
         "path": "gkmlpt/api/all/2050_page2_sid755001.json"}]}
    (pages / "trs" / "CAPTURED-real-trs.json").write_text(json.dumps(listing), "utf-8")
    site = portals / "trs" / "site"
    for root in (pages / "trs", site):
        (root / "xxgk/zfxxgknb/index.html").write_bytes(real_page)
        (root / "gkmlpt/api/all/2050_page2_sid755001.json").write_bytes(real_answer)
    route = {"file": "/gkmlpt/api/all/2050_page2_sid755001.json", "content_type": "application/json"}
    quirks = json.loads((site / "quirks.json").read_text("utf-8"))
    quirks["/gkmlpt/api/all/2050?page=2&sid=755001"] = route
    (site / "quirks.json").write_text(json.dumps(quirks), "utf-8")
    # ... and what a rebuild must still replace: a changed generated page, a stray file
    (pages / "trs" / "xxgk/zfxxgknb/index_1.html").write_bytes(b"edited")
    (pages / "trs" / "stray.html").write_bytes(b"stray")
    (portals / "trs" / "site" / "stray.html").write_bytes(b"stray")

    second = build_portals(pages, portals)
    for root in (pages / "trs", site):
        assert (root / "xxgk/zfxxgknb/index.html").read_bytes() == real_page
        assert (root / "gkmlpt/api/all/2050_page2_sid755001.json").read_bytes() == real_answer
        assert not (root / "stray.html").exists()
    assert json.loads((pages / "trs" / "CAPTURED-real-trs.json").read_text("utf-8")) == listing
    assert (pages / "trs" / "xxgk/zfxxgknb/index_1.html").read_bytes() == built["pages/trs/xxgk/zfxxgknb/index_1.html"]
    assert json.loads((site / "quirks.json").read_text("utf-8"))["/gkmlpt/api/all/2050?page=2&sid=755001"] == route
    manifest = json.loads((portals / "trs" / "manifest.json").read_text("utf-8"))
    assert manifest["quirks"]["/gkmlpt/api/all/2050?page=2&sid=755001"] == route
    assert "trs/xxgk/zfxxgknb/index.html: captured" in second  # it says what it did not write
    assert "portal trs: site/xxgk/zfxxgknb/index.html: captured" in second
    assert "2050?page=2&sid=755001" in second and "kept" in second
    # the other families, and the trs files nobody captured, are as before
    for rel, data in tree(pages).items():
        if rel not in ("trs/xxgk/zfxxgknb/index.html", "trs/CAPTURED-real-trs.json",
                       "trs/gkmlpt/api/all/2050_page2_sid755001.json"):
            assert built[f"pages/{rel}"] == data, rel
    assert set(tree(pages)) == {k.split("/", 1)[1] for k in built if k.startswith("pages/")} | {
        "trs/CAPTURED-real-trs.json", "trs/gkmlpt/api/all/2050_page2_sid755001.json"}

    before = {**tree(pages), **{f"portals/{k}": v for k, v in tree(portals).items()}}
    assert build_portals(pages, portals) == second  # deterministic, captures and all
    assert {**tree(pages), **{f"portals/{k}": v for k, v in tree(portals).items()}} == before


def test_sources_subcommands_document_themselves(tmp_path):
    from click.testing import CliRunner

    from nianbao.cli import cli

    for sub in ("list", "check", "capture"):
        result = CliRunner().invoke(cli, ["sources", sub, "--help"])
        assert result.exit_code == 0 and "Example" in result.output, sub
    help_text = CliRunner().invoke(cli, ["sources", "capture", "--help"]).output
    assert "--to DIR" in help_text and "CAPTURED.json" in help_text and "quirks.json" in help_text
    # the group still lists without a subcommand, as before
    env = write_registry(tmp_path, [registry_entry("only-one", "trs", "http://127.0.0.1:9", ["/a/index.html"])])
    for args in (["sources"], ["sources", "list"], ["sources", "--json"], ["sources", "list", "--source", "only-one"]):
        result = CliRunner().invoke(cli, args, env=env)
        assert result.exit_code == 0 and "only-one" in result.output, args
