"""Portals that need JavaScript (issue 5): `nianbao crawl --browser` and "render": "browser".

tests/portals/js is a report column whose list is written by a script from
list.json, behind a Ruishu-style gate (412 + a script that sets a cookie and
reloads). Without the browser a crawl finds nothing; through Debian's Chromium
(scrapy-playwright) it finds every report, downloads the attachment with Scrapy's
own handler, obeys robots.txt and archives the rendered list page, marked as such.
"""
import hashlib
import importlib.util
import json
import os
import sqlite3
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest

from conftest import FAST, run_cli

JS = Path(__file__).parent / "portals" / "js"
MANIFEST = json.loads((JS / "manifest.json").read_text("utf-8"))
LIST = MANIFEST["columns"][0]["path"]
COOKIE = MANIFEST["cookie_gate"]["cookie"]

_missing = None
if not os.path.exists("/usr/bin/chromium"):
    _missing = "/usr/bin/chromium not installed (./run tests installs it)"
elif importlib.util.find_spec("scrapy_playwright") is None:
    _missing = "scrapy-playwright not installed (pip install -e '.[all]')"


def needs_browser(fn):
    """Drives Chromium: skipped where it is missing, except in CI (where ./run installs it)."""
    fn = pytest.mark.browser(fn)
    return pytest.mark.skipif(bool(_missing) and not os.environ.get("CI"), reason=_missing or "")(fn)


def _expected_reports():
    return [p for p in MANIFEST["pages"] if p.get("is_report") and p["kind"] == "detail"
            and not p.get("robots_disallowed")]


def _get(url, cookie=None):
    req = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def _warc_http_headers(archive_dir: Path, warc_file: str, offset: int) -> dict:
    from nianbao.archive.warcfile import read_record

    record, fh = read_record(archive_dir / warc_file, offset)
    try:
        return {k.lower(): v for k, v in record.http_headers.headers}
    finally:
        fh.close()


@pytest.fixture(scope="module")
def portal():
    from nianbao.demo_portal.server import start_portal

    handle = start_portal(JS / "site")
    yield handle
    handle.stop()


# -- the fixture portal itself ---------------------------------------------------

def test_cookie_gate_quirk(portal):
    status, body = _get(portal.url_for(LIST))
    assert status == 412
    assert f"document.cookie='{COOKIE}=".encode() in body and b"location.reload()" in body
    status, body = _get(portal.url_for(LIST), cookie=f"other=1; {COOKIE}=x")
    assert status == 200 and b'id="list"' in body
    # scripts, data, files and robots.txt are not gated
    for path in ("/robots.txt", "/js/ndbg-list.js", "/xxgk/ndbg/list.json"):
        assert _get(portal.url_for(path))[0] == 200, path


def test_list_pages_hold_no_links_until_script_runs():
    from nianbao.spiders.links import classify_list_links

    for path in MANIFEST["columns"][0]["pages"]:
        html = (JS / "site" / path.lstrip("/")).read_text("utf-8")
        assert not classify_list_links(html, "http://127.0.0.1" + path), path
        assert "<a " not in html and "createPageHTML" not in html


# -- without the browser: nothing ----------------------------------------------------

def test_crawl_without_browser_finds_no_report(portal, tmp_path):
    portal.reset()
    out = run_cli("crawl", "--start-url", portal.url_for(LIST), "--db", tmp_path / "n.db",
                  "--archive", tmp_path / "warc", *FAST, check=False)
    assert out.returncode == 3, out.stderr[-2000:]   # the gated list page failed in the end: said in the exit status
    conn = sqlite3.connect(tmp_path / "n.db")
    assert conn.execute("select count(*) from reports").fetchone()[0] == 0
    lists = conn.execute("select status from captures where kind = 'list'").fetchall()
    assert lists and {s for (s,) in lists} == {412}  # the gate, retried (RETRY_TIMES) and archived each time
    assert not [p for p in portal.requests.paths() if p.endswith(".pdf")]


# -- through Chromium ---------------------------------------------------------------

@pytest.fixture(scope="module")
def browser_crawl(portal, tmp_path_factory):
    work = tmp_path_factory.mktemp("js")
    portal.reset()
    out = run_cli("crawl", "--browser", "--start-url", portal.url_for(LIST), "--db", work / "n.db",
                  "--archive", work / "warc", *FAST)
    conn = sqlite3.connect(work / "n.db")
    conn.row_factory = sqlite3.Row
    yield conn, work, portal.requests.snapshot(), out


@needs_browser
def test_browser_crawl_finds_every_report(browser_crawl):
    conn, _, _, _ = browser_crawl
    got = {urlparse(r["url"]).path: r for r in conn.execute("select * from reports")}
    wrong = []
    for page in _expected_reports():
        r = got.get(page["path"])
        if r is None:
            wrong.append(f"missing {page['path']} {page['title']}")
            continue
        for key in ("body", "year", "template"):
            if r[key] != page[key]:
                wrong.append(f"{page['path']}: {key} {r[key]!r} != {page[key]!r}")
    assert not wrong, "\n".join(wrong)
    assert len(got) == len(_expected_reports())
    # every list page the script paginates to was fetched
    lists = {urlparse(u).path for (u,) in conn.execute("select url from captures where kind = 'list'")}
    assert lists == set(MANIFEST["columns"][0]["pages"])


@needs_browser
def test_attachment_downloaded_by_scrapy_not_the_browser(browser_crawl):
    conn, work, requests, _ = browser_crawl
    page = next(p for p in MANIFEST["pages"] if p["kind"] == "attachment")
    row = conn.execute("select * from captures where url like ? and status = 200", ["%" + page["path"]]).fetchone()
    assert row is not None and row["kind"] == "attachment"
    data = (JS / "site" / page["path"].lstrip("/")).read_bytes()
    assert row["sha256"] == page["sha256"] == hashlib.sha256(data).hexdigest()
    assert row["content_length"] == len(data) and row["content_type"] == "application/pdf"
    headers = _warc_http_headers(work / "warc", row["warc_file"], row["warc_offset"])
    assert "x-nianbao-rendered" not in headers
    # the request came from Scrapy (no Chromium fetch metadata), carrying the cookie the
    # browser got at the gate (the file is gated too): one request, no 412
    pdf_requests = [r for r in requests if urllib.parse.unquote(r.path) == page["path"]]
    assert len(pdf_requests) == 1
    sent = {k.lower(): v for k, v in pdf_requests[0].headers.items()}
    assert not any(k.startswith("sec-") for k in sent), sent
    assert COOKIE in sent.get("cookie", "")
    # the report it belongs to has its figures
    report = conn.execute("select id from reports where url like ?", ["%" + page["via"]]).fetchone()
    figures = dict(conn.execute("select code, value from metric_values where report_id = ?", [report["id"]]).fetchall())
    assert figures["old.proactive.total"] == 1429


@needs_browser
def test_browser_crawl_obeys_robots_and_stays_on_host(browser_crawl):
    conn, _, requests, _ = browser_crawl
    paths = [urllib.parse.unquote(urllib.parse.urlsplit(r.path).path) for r in requests]
    assert "/robots.txt" in paths
    for prefix in MANIFEST["robots_disallow"]:
        assert not [p for p in paths if p.startswith(prefix)], prefix
    hosts = {urlparse(u).hostname for (u,) in conn.execute("select url from captures")}
    assert hosts == {"127.0.0.1"}


@needs_browser
def test_gate_passed_once_and_cookie_kept(browser_crawl):
    conn, _, requests, _ = browser_crawl
    pages = [r for r in requests if urllib.parse.urlsplit(r.path).path.endswith(".html")]
    without_cookie = [r.path for r in pages if COOKIE not in {k.lower(): v for k, v in r.headers.items()}.get("cookie", "")]
    assert without_cookie == [LIST]  # only the very first page met the gate
    # the 412 never reached Scrapy: no retry, no 412 capture; the list was asked for twice (412, reload)
    assert conn.execute("select count(*) from captures where status = 412").fetchone()[0] == 0
    assert [r.path for r in requests].count(LIST) == 2
    # Scrapy's User-Agent, not Chromium's, on the page requests
    assert all("Nianbao/" in {k.lower(): v for k, v in r.headers.items()}.get("user-agent", "") for r in pages)


@needs_browser
def test_list_capture_is_the_rendered_dom(browser_crawl):
    from nianbao.archive.store import Archive
    from nianbao.db import connect

    conn, work, _, _ = browser_crawl
    row = conn.execute("select * from captures where kind = 'list' and url like ?", ["%" + LIST]).fetchone()
    assert row["status"] == 200
    body = Archive(connect(work / "n.db"), work / "warc").read(row["id"]).body
    assert body != (JS / "site" / LIST.lstrip("/")).read_bytes()
    html = body.decode("utf-8")
    for item in json.loads((JS / "site" / "xxgk" / "ndbg" / "list.json").read_text("utf-8"))["items"][:2]:
        assert f'href="{item["url"]}"' in html  # written by the script
    assert ">下一页</a>" in html
    headers = _warc_http_headers(work / "warc", row["warc_file"], row["warc_offset"])
    assert headers["x-nianbao-rendered"] == "chromium"
    statuses = [n.split()[0] for n in headers["x-nianbao-navigations"].split(", ")]
    assert statuses == ["412", "200"]
    assert "content-length" not in headers  # the server's length was that of the gate page / the shell
    # detail pages are rendered too, and a GBK page is stored in its declared charset
    gbk = next(p for p in _expected_reports() if p.get("charset") == "gbk")
    row = conn.execute("select * from captures where url like ?", ["%" + gbk["path"]]).fetchone()
    body = Archive(connect(work / "n.db"), work / "warc").read(row["id"]).body
    assert gbk["title"] in body.decode("gb18030")


@needs_browser
def test_second_browser_crawl_asks_conditionally(browser_crawl, portal):
    conn, work, _, _ = browser_crawl
    portal.reset()
    out = run_cli("crawl", "--browser", "--start-url", portal.url_for(LIST), "--db", work / "n.db",
                  "--archive", work / "warc", *FAST)
    run = conn.execute("select max(id) from crawl_runs").fetchone()[0]
    statuses = dict(conn.execute("select url, status from captures where crawl_run_id = ? and kind = 'detail'", [run]))
    assert statuses and set(statuses.values()) == {304}, out.stdout
    assert conn.execute("select count(*) from reports").fetchone()[0] == len(_expected_reports())


@needs_browser
def test_registry_source_with_render_browser(portal, tmp_path):
    import inspect

    from nianbao.spiders import registry

    if "NIANBAO_SOURCES" not in inspect.getsource(registry.load_sources):
        pytest.skip("spiders/registry.py has no $NIANBAO_SOURCES override yet")
    sources = [{
        "id": "js-demo", "name": "示例市人民政府", "level": "city", "region": "示例省示例市",
        "portal": portal.url + "/", "parent": None, "spider": "column", "render": "browser",
        "columns": [{"url": portal.url_for(LIST), "evidence": "tests/portals/js", "verified": True}],
    }]
    assert registry.validate(sources) == []
    path = tmp_path / "sources.json"
    path.write_text(json.dumps(sources, ensure_ascii=False), "utf-8")
    portal.reset()
    run_cli("crawl", "--source", "js-demo", "--db", tmp_path / "n.db", "--archive", tmp_path / "warc", *FAST,
            env={"NIANBAO_SOURCES": str(path)})
    conn = sqlite3.connect(tmp_path / "n.db")
    got = {urlparse(u).path for (u,) in conn.execute("select url from reports")}
    assert got == {p["path"] for p in _expected_reports()}
    row = conn.execute("select warc_file, warc_offset from captures where kind = 'list' and url like ?",
                       ["%" + LIST]).fetchone()
    assert _warc_http_headers(tmp_path / "warc", *row).get("x-nianbao-rendered") == "chromium"


@needs_browser
def test_scrapy_crawl_with_render_browser_argument(portal, tmp_path):
    """What Scrapyd runs: `scrapy crawl column -a render=browser` gets the browser too."""
    import shutil
    import subprocess
    import sys

    shutil.copy(Path(__file__).resolve().parent.parent / "scrapy.cfg", tmp_path / "scrapy.cfg")
    env = {**os.environ, "NIANBAO_DB": str(tmp_path / "n.db"), "NIANBAO_ARCHIVE": str(tmp_path / "warc")}
    args = [sys.executable, "-m", "scrapy", "crawl", "column", "-a", f"start_urls={portal.url}{LIST}",
            "-a", "render=browser", "-L", "WARNING"]
    for i in range(0, len(FAST), 2):
        if FAST[i + 1].startswith("LOG_LEVEL"):
            continue
        args += [FAST[i], FAST[i + 1]]
    proc = subprocess.run(args, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    conn = sqlite3.connect(tmp_path / "n.db")
    got = {urlparse(u).path for (u,) in conn.execute("select url from reports")}
    assert {p["path"] for p in _expected_reports()} <= got
