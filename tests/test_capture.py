"""`nianbao sources capture`: real pages of a source, written as the portal served them.

The family fixture pages (tests/fixtures/pages/<family>) are reconstructions; this command
replaces them with captured bytes when online. Here it captures the family fixture
portals (served on 127.0.0.1, a registry of one source via $NIANBAO_SOURCES) and checks
that the folder holds the served bytes, that CAPTURED.json says so, that the portal server
serves the folder like the portal (query-string answers routed by quirks.json), and that
the family spiders' parsers read the captured pages as they read the fixtures.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from conftest import FAST, free_port, run_cli
from test_every_spider import FAMILY_PORTALS, registry_entry, target

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "pages"
BASE = "http://www.example.gov.cn"
OWN_FILES = {"CAPTURED.json", "quirks.json"}


def write_registry(work: Path, entries: list[dict]) -> dict:
    path = work / "sources.json"
    path.write_text(json.dumps(entries, ensure_ascii=False), "utf-8")
    return {"NIANBAO_SOURCES": str(path)}


def capture(source_id: str, out: Path, env: dict, *args, check=True):
    return run_cli("sources", "capture", source_id, "--to", out, *args, *FAST, check=check, env=env)


def fetch(url: str) -> tuple[bytes, str]:
    with urllib.request.urlopen(url, timeout=10) as r:
        return r.read(), r.headers.get("Content-Type")


def on(portal, url: str) -> str:
    """The same path and query on another server."""
    parts = urlsplit(url)
    return portal.url + parts.path + (f"?{parts.query}" if parts.query else "")


def files_by_target(manifest: dict) -> dict[str, dict]:
    return {target(f["url"]): f for f in manifest["files"]}


def detail_paths(portal_manifest: dict) -> set[str]:
    return {p["path"] for p in portal_manifest["pages"] if p.get("kind") == "detail"}


@pytest.fixture(scope="module", params=["trs", "hanweb"])
def captured(request, tmp_path_factory):
    """Capture the family's fixture portal with the defaults; (family, portal, portal manifest,
    capture dir, CAPTURED.json, CLI output, registry env)."""
    from nianbao.demo_portal.server import start_portal

    family = request.param
    work = tmp_path_factory.mktemp(f"capture-{family}")
    site, manifest_path = FAMILY_PORTALS[family]
    portal_manifest = json.loads(manifest_path.read_text("utf-8"))
    portal = start_portal(site)
    try:
        env = write_registry(work, [registry_entry(f"{family}-fixture", family, portal.url,
                                                   [c["path"] for c in portal_manifest["columns"]])])
        out = capture(f"{family}-fixture", work / "captured", env)
        manifest = json.loads((work / "captured" / "CAPTURED.json").read_text("utf-8"))
        yield family, portal, portal_manifest, work / "captured", manifest, out, env
    finally:
        portal.stop()


def test_files_are_the_bytes_the_portal_serves(captured):
    family, portal, portal_manifest, out, manifest, cli, _ = captured
    assert manifest["source"] == f"{family}-fixture" and manifest["spider"] == family
    assert "Wrote" in cli.stdout
    on_disk = {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()} - OWN_FILES
    assert on_disk == {f["path"] for f in manifest["files"]}
    for f in manifest["files"]:
        data = (out / f["path"]).read_bytes()
        served, ctype = fetch(f["url"])
        assert data == served, f["url"]
        assert f["sha256"] == hashlib.sha256(data).hexdigest()
        assert f["status"] == 200 and f["content_type"] == ctype and f["fetched_at"]
        assert f["source"] == f"{family}-fixture" and f["kind"] in ("list", "detail", "attachment", "robots")


def test_every_list_answer_and_at_most_three_details(captured):
    family, portal, portal_manifest, out, manifest, _, _ = captured
    details = detail_paths(portal_manifest)
    got = files_by_target(manifest)
    asked = {t for t in (r.path for r in portal.requests)}
    asked = {target(portal.url + t) for t in asked}
    list_targets = {t for t in asked if urlsplit(t).path not in details and t != "/robots.txt"}
    # every list page and JSON/XML list answer the crawl received (all 200 here) ...
    assert {t for t, f in got.items() if f["kind"] == "list"} == list_targets
    for column in portal_manifest["columns"]:
        assert got[target(portal.url + column["path"])]["kind"] == "list"
    # ... and the default three detail pages: the crawl did not fetch more than it keeps
    kept = [f for f in manifest["files"] if f["kind"] in ("detail", "attachment")]
    assert len(kept) == 3 and {urlsplit(f["url"]).path for f in kept} <= details
    assert len([t for t in asked if urlsplit(t).path in details]) == 3
    assert got["/robots.txt"]["kind"] == "robots"


def test_query_string_answers_follow_the_fixture_portals_convention(captured):
    family, portal, _, out, manifest, _, _ = captured
    quirks = json.loads((out / "quirks.json").read_text("utf-8"))
    with_query = [f for f in manifest["files"] if urlsplit(f["url"]).query]
    if family == "trs":
        f = files_by_target(manifest)["/gkmlpt/api/all/2050?page=2&sid=755001"]
        assert f["path"] == "gkmlpt/api/all/2050_page2_sid755001.json" and f["kind"] == "list"
        assert quirks["/gkmlpt/api/all/2050?page=2&sid=755001"] == {
            "file": "/gkmlpt/api/all/2050_page2_sid755001.json", "content_type": "application/json;charset=UTF-8"}
    else:
        proxy = [f for f in with_query if "/dataproxy.jsp" in f["url"]]
        assert len(proxy) == 4  # startrecord=3, 5 of one column, page=1, 2 of the other
        assert all(f["path"].startswith("module/web/jpage/dataproxy_") and f["path"].endswith(".xml") for f in proxy)
        assert any("startrecord3_endrecord4_perpage1" in f["path"] for f in proxy)
    assert with_query
    for f in with_query:  # routed, the query percent-decoded as the server matches it
        assert quirks[target(f["url"])]["file"] == "/" + f["path"]
        assert quirks[target(f["url"])]["content_type"] == f["content_type"]


def test_the_portal_server_serves_the_capture_like_the_portal(captured, tmp_path):
    """Served by the same test server, the folder answers every captured URL, query
    strings included, with the portal's bytes and type; a capture of it gives the same list files."""
    from nianbao.demo_portal.server import start_portal

    family, portal, portal_manifest, out, manifest, _, _ = captured
    again = start_portal(out)
    try:
        for f in manifest["files"]:
            assert fetch(on(again, f["url"])) == fetch(f["url"]), f["url"]
        env = write_registry(tmp_path, [registry_entry(f"{family}-again", family, again.url,
                                                       [c["path"] for c in portal_manifest["columns"]])])
        capture(f"{family}-again", tmp_path / "again", env)
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
    family, portal, _, out, manifest, _, _ = captured
    if family == "trs":
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
    else:
        from nianbao.spiders.family_hanweb import datastore_records, jpage_config, proxy_next_pages, proxy_requests

        for col in ("/col/col1229669626/index.html", "/col/col1229199350/index.html"):
            cap, fix = _captured_text(out, manifest, col), _fixture("hanweb", col)
            assert _links(datastore_records(cap, BASE + col)) == _links(datastore_records(fix, BASE + col))
            assert datastore_records(cap, BASE + col)
            assert jpage_config(cap) == jpage_config(fix)
            assert proxy_requests(cap, BASE + col) == proxy_requests(fix, BASE + col)
        # the proxy answers, found by the URL the spider asked for
        answers = {"startrecord=3": "col1229669626_start3.xml", "startrecord=5": "col1229669626_start5.xml",
                   "page=1": "col1229199350_page1.xml", "page=2": "col1229199350_page2.xml"}
        proxy = [f for f in manifest["files"] if "/dataproxy.jsp?" in f["url"]]
        for key, name in answers.items():
            (f,) = [f for f in proxy if urlsplit(f["url"]).query.startswith(key + "&")]
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
    from nianbao.archive.export import read_captures, write_capture_dir
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
    from nianbao.archive.export import Exported, plan

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
