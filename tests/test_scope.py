"""Scope: a crawl stays on its column's scheme, host and port, and off private addresses
when its start URL is public (crawler/scope.py). Real crawls of portals on loopback; the
"public" portal is loopback behind a resolver override (tests/crawl_env/sitecustomize.py)."""
import json
import os
from pathlib import Path

from conftest import FAST, db_rows, run_cli

CRAWL_ENV = str(Path(__file__).resolve().parent / "crawl_env")
PUBLIC = "1.2.3.4"  # what the fake DNS answers for the "public" portal; routed to 127.0.0.1

PAGE = """<html><head><meta charset="utf-8"><title>{t}</title>{head}</head><body><h1>{t}</h1>
<p>本报告由县人民政府办公室编制。</p></body></html>"""


def _list(items):
    rows = "\n".join(f'<li><a href="{href}">某县{2016 + i}年政府信息公开工作年度报告</a><span>2020-01-0{i + 1}</span></li>'
                     for i, href in enumerate(items))
    return f'<html><head><meta charset="utf-8"></head><body><ul class="list">{rows}</ul></body></html>'


def _site(root: Path, items, quirks=None, pages=()):
    (root / "col").mkdir(parents=True)
    (root / "robots.txt").write_text("User-agent: *\nAllow: /\n")
    (root / "col" / "index.html").write_text(_list(items), "utf-8")
    for path, head in pages:
        p = root / path.lstrip("/")
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(PAGE.format(t="某县2019年政府信息公开工作年度报告", head=head), "utf-8")
    if quirks:
        (root / "quirks.json").write_text(json.dumps(quirks))
    return root


def _crawl(tmp_path, start_url, *extra, env=None):
    return run_cli("crawl", "--start-url", start_url, "--db", tmp_path / "n.db", "--archive", tmp_path / "warc",
                   "--no-extract", *FAST, *extra, env=env)


def _rows(tmp_path, sql):
    return db_rows(tmp_path / "n.db", sql)


def test_link_redirect_and_meta_refresh_to_another_port_are_refused(tmp_path):
    from nianbao.demo_portal.server import start_portal

    secret = start_portal(_site(tmp_path / "secret", [], pages=[("/s/a.html", ""), ("/s/b.html", ""),
                                                                 ("/s/c.html", "")]))
    other = f"http://127.0.0.1:{secret.port}"
    portal = start_portal(_site(
        tmp_path / "portal",
        ["/d/ok.html", f"{other}/s/a.html", "/d/moved.html", "/d/refresh.html"],
        quirks={"/d/moved.html": {"redirect": f"{other}/s/b.html"}},
        pages=[("/d/ok.html", ""), ("/d/refresh.html", f'<meta http-equiv="refresh" content="0;url={other}/s/c.html">')]))
    try:
        _crawl(tmp_path, portal.url + "/col/index.html")
    finally:
        portal.stop()
        secret.stop()
    assert not secret.requests.paths(), f"the other port was asked for {secret.requests.paths()}"
    assert "/d/ok.html" in portal.requests.paths()
    urls = {u for (u,) in _rows(tmp_path, "select url from captures")}
    assert not [u for u in urls if f":{secret.port}/" in u]
    refused = {u: e for u, e in _rows(tmp_path, "select url, error from fetch_errors")}
    for page in ("a", "b", "c"):
        assert refused.get(f"{other}/s/{page}.html", "").startswith("refused:"), refused


def _public_env(dns):
    return {"PYTHONPATH": os.pathsep.join([CRAWL_ENV, os.environ.get("PYTHONPATH", "")]),
            "NIANBAO_TEST_FAKE_DNS": json.dumps(dns), "NIANBAO_TEST_ROUTE_TO_LOOPBACK": PUBLIC}


def test_public_portal_cannot_lead_the_crawl_to_private_addresses(tmp_path):
    """Start URL on a public address: redirects to a private address and to a name that
    resolves to loopback are refused, and so is the portal's own name once it rebinds to
    loopback; the crawl of what is public goes on."""
    from nianbao.demo_portal.server import start_portal

    portal = start_portal(_site(
        tmp_path / "portal", ["/d/ok.html", "/d/to-private.html", "/d/to-intranet.html"],
        quirks={"/d/to-private.html": {"redirect": "http://10.20.30.40/admin/"},
                "/d/to-intranet.html": {"redirect": "/d/hop.html"},
                "/d/hop.html": {"redirect": "http://intranet.portal.test:{port}/secret.html"}},
        pages=[("/d/ok.html", "")]))
    quirks = portal.site_dir / "quirks.json"
    quirks.write_text(quirks.read_text().replace("{port}", str(portal.port)))
    portal.server.quirks = type(portal.server.quirks).load(portal.site_dir)
    start = f"http://www.portal.test:{portal.port}/col/index.html"
    try:
        _crawl(tmp_path, start, env=_public_env({"www.portal.test": PUBLIC, "intranet.portal.test": "127.0.0.1"}))
    finally:
        portal.stop()
    paths = portal.requests.paths()
    assert "/d/ok.html" in paths and "/secret.html" not in paths
    refused = {u: e for u, e in _rows(tmp_path, "select url, error from fetch_errors")}
    assert refused.get("http://10.20.30.40/admin/", "").startswith("refused:"), refused
    assert refused.get(f"http://intranet.portal.test:{portal.port}/secret.html", "").startswith("refused:"), refused

    # the portal's own name rebinds to loopback after two lookups (robots.txt, the list page)
    tmp2 = tmp_path / "rebind"
    tmp2.mkdir()
    portal = start_portal(portal.site_dir)
    portal.server.RequestHandlerClass = type("OneRequestPerConnection", (portal.server.RequestHandlerClass,),
                                             {"protocol_version": "HTTP/1.0"})
    start = f"http://www.portal.test:{portal.port}/col/index.html"
    try:
        out = _crawl(tmp2, start, "-s", "DNSCACHE_ENABLED=False",
                     env=_public_env({"www.portal.test": [PUBLIC, PUBLIC, "127.0.0.1"]}))
    finally:
        portal.stop()
    assert portal.requests.paths() == ["/robots.txt", "/col/index.html"], portal.requests.paths()
    errors = [e for (e,) in _rows(tmp2, "select error from fetch_errors where url like '%/d/ok.html'")]
    assert any("resolves to 127.0.0.1 (loopback address)" in e for e in errors), errors
    assert "errors            0" not in out.stdout


def test_setting_allows_private_addresses(tmp_path):
    """NIANBAO_ALLOW_PRIVATE_ADDRESSES: a public name that resolves to loopback is crawled."""
    from nianbao.demo_portal.server import start_portal

    portal = start_portal(_site(tmp_path / "portal", ["/d/ok.html"], pages=[("/d/ok.html", "")]))
    start = f"http://www.portal.test:{portal.port}/col/index.html"
    try:
        _crawl(tmp_path, start, "-s", "NIANBAO_ALLOW_PRIVATE_ADDRESSES=True", "-s", "DNSCACHE_ENABLED=False",
               env=_public_env({"www.portal.test": [PUBLIC, "127.0.0.1"]}))
    finally:
        portal.stop()
    assert "/d/ok.html" in portal.requests.paths()
