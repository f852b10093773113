"""The unseen fixture portal (tests/portals/unseen): layout and misbehaviour."""
from __future__ import annotations

import importlib.util
import io
import json
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

import pytest

from nianbao.demo_portal import start_portal
from tools.demo_portal import forms

ROOT = Path(__file__).resolve().parent / "portals" / "unseen"
SITE = ROOT / "site"
U1 = "/zwgk/zfxxgknb/"
U2 = "/bmxxgk/nb/"


def fetch(url: str, headers: dict | None = None):
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


@pytest.fixture()
def portal():
    with start_portal(SITE) as h:
        yield h


@pytest.fixture(scope="module")
def manifest():
    return json.loads((ROOT / "manifest.json").read_text("utf-8"))


def test_list_page_500_once_then_ok(portal):
    assert fetch(portal.url + U1 + "index_2.html")[0] == 500
    status, _, body = fetch(portal.url + U1 + "index_2.html")
    assert status == 200 and "下一页" in body.decode()


def test_429_with_retry_after_once(portal):
    status, headers, _ = fetch(portal.url + U2 + "index_1.html")
    assert status == 429 and headers["Retry-After"] == "1"
    status, _, body = fetch(portal.url + U2 + "index_1.html")
    assert status == 200 and 'createPageHTML(2, 1, "index", "html")' in body.decode()


@pytest.mark.slow
def test_slow_pages_take_two_seconds(portal):
    for path in (U2 + "index.html", U1 + "202101/t20210126_90006.html"):
        t = time.monotonic()
        status, _, _ = fetch(portal.url + path)
        assert status == 200 and time.monotonic() - t >= 2.0, path


def test_gbk_list_page(portal):
    status, headers, body = fetch(portal.url + U1 + "index_3.html")
    assert status == 200 and headers["Content-Type"] == "text/html"
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    text = body.decode("gb18030")
    assert '<meta charset="gbk">' in text
    assert "攸县人民政府2009年政府信息公开工作年度报告" in text and "[2010-03-25]" in text
    # the GBK details it links to read right too
    body = fetch(portal.url + U1 + "201003/t20100325_90001.html")[2]
    assert b"charset" not in fetch(portal.url + U1 + "201003/t20100325_90001.html")[1]["Content-Type"].encode()
    assert "2009年度攸县人民政府政府信息公开工作年度报告" in body.decode("gb18030")


def test_dead_link_and_robots(portal, manifest):
    missing = [p for p in manifest["pages"] if p.get("kind") == "missing"]
    assert len(missing) == 2
    for p in missing:
        assert fetch(portal.url + p["path"])[0] == 404
    robots = fetch(portal.url + "/robots.txt")[2].decode()
    assert "Disallow: /admin/" in robots
    assert 'href="/admin/login.html"' in fetch(portal.url + U1 + "index.html")[2].decode()


def test_offsite_links_present(portal, manifest):
    html = fetch(portal.url + U1 + "index.html")[2].decode()
    for link in manifest["offsite_links"]:
        assert f'href="{link}"' in html


def test_attachment_only_report(portal, manifest):
    page = next(p for p in manifest["pages"] if p.get("report_in_attachment"))
    html = fetch(portal.url + page["path"])[2].decode()
    href = page["report_in_attachment"]
    assert f'href="{href.replace("&", "&amp;")}"' in html
    status, headers, body = fetch(portal.url + href)
    assert status == 200 and headers["Content-Type"] == "application/octet-stream"
    fname = headers["Content-Disposition"].encode("latin-1").decode("utf-8")
    assert fname.endswith("攸县卫生健康局2020年政府信息公开工作年度报告.docx")
    doc = zipfile.ZipFile(io.BytesIO(body)).read("word/document.xml").decode("utf-8")
    assert "攸县卫生健康局2020年政府信息公开工作年度报告" in doc and "本年新收政府信息公开申请数量" in doc


def test_every_manifest_entry_is_served(portal, manifest):
    for p in manifest["pages"]:
        status = None
        for _ in range(3):  # the quirky ones succeed on a retry
            status, headers, body = fetch(portal.url + p["path"])
            if status not in (500, 429):
                break
        assert status == p.get("status", 200), p["path"]
        if status == 200 and p.get("kind") == "detail":
            text = body.decode("gb18030" if p.get("charset") == "gbk" else "utf-8")
            assert p["title"] in text and p["published"] in text


def test_manifest_facts(manifest):
    reports = [p for p in manifest["pages"] if p.get("is_report") and p.get("status", 200) == 200]
    years = {p["year"] for p in reports}
    assert min(years) <= 2009 and max(years) >= 2023
    assert {p["template"] for p in reports} >= {"gk2008", "gk2019", "gk2021", "narrative"}
    titles = {p["title"] for p in manifest["pages"] if p.get("title")}
    for t in ("2016年度政府信息公开工作报告", "攸县交通运输局关于2022年度政府信息公开工作的年度报告",
              "关于报送2019年政府信息公开工作年度报告的通知", "攸县2021年度法治政府建设工作报告", "攸县人民政府政府信息公开指南"):
        assert t in titles
    for p in reports:
        if p.get("template") in ("gk2019", "gk2021") and p.get("kind") == "detail" and p.get("metrics"):
            forms.check_modern(p["metrics"], p["template"])


def test_committed_site_matches_generator(tmp_path):
    spec = importlib.util.spec_from_file_location("unseen_build", ROOT / "build.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["unseen_build"] = mod  # dataclasses need their module registered
    spec.loader.exec_module(mod)
    mod.build(tmp_path)
    new = {p.relative_to(tmp_path / "site"): p.read_bytes() for p in (tmp_path / "site").rglob("*") if p.is_file()}
    old = {p.relative_to(SITE): p.read_bytes() for p in SITE.rglob("*") if p.is_file()}
    assert sorted(new) == sorted(old)
    assert [str(k) for k in new if new[k] != old[k]] == []
    assert (tmp_path / "manifest.json").read_text("utf-8") == (ROOT / "manifest.json").read_text("utf-8")
