"""Build tests/portals/js/site: a report column that only exists once JavaScript runs.

* every ``.html`` page sits behind a Ruishu-style cookie gate (quirks.json
  ``cookie_gate``): a client without the cookie gets HTTP 412 and a script that
  sets the cookie and reloads;
* the list pages (index.html, index_1.html, index_2.html) hold no links: /js/ndbg-list.js
  reads list.json and writes the items and the pagination into the page;
* the detail pages are copies of the demo site's reports (one GBK), one page
  only says 详见附件 and links a PDF (tests/fixtures/attachments/report2018.pdf);
* robots.txt disallows /xxgk/ndbg/nbgl/, where list.json also points.

Run it again after changing it: ``python tests/portals/js/build.py``; it rewrites
site/ and manifest.json.
"""
from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent.parent
DEMO = ROOT / "nianbao" / "demo_portal" / "site"
FIX = ROOT / "tests" / "fixtures" / "attachments"
SITE = HERE / "site"
COLUMN = "/xxgk/ndbg/"
COOKIE = "FSSBBIl1UgzbN7N80T"
PAGE_SIZE = 2

SHELL = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>政府信息公开年报 - 示例市人民政府</title>
<script src="/js/common.js"></script></head>
<body>
<div class="head">示例市人民政府门户网站</div>
<div class="crumb">当前位置：首页 &gt; 政府信息公开 &gt; 政府信息公开年报</div>
<h2>政府信息公开年报</h2>
<ul class="list" id="list" data-page="{page}"><li class="loading">正在加载……</li></ul>
<div class="page" id="pager"></div>
<script src="/js/ndbg-list.js"></script>
</body></html>
"""

LIST_JS = r"""// The column list is data: list.json, rendered into #list and #pager.
(function () {
  var ul = document.getElementById('list');
  var page = parseInt(ul.getAttribute('data-page') || '0', 10);
  function name(n) { return n === 0 ? 'index.html' : 'index_' + n + '.html'; }
  var xhr = new XMLHttpRequest();
  xhr.open('GET', 'list.json');
  xhr.onload = function () {
    var data = JSON.parse(xhr.responseText);
    var size = data.pageSize, items = data.items, pages = Math.ceil(items.length / size);
    ul.innerHTML = '';
    items.slice(page * size, page * size + size).forEach(function (it) {
      var li = document.createElement('li');
      var a = document.createElement('a');
      a.href = it.url; a.title = it.title; a.textContent = it.title;
      var span = document.createElement('span');
      span.textContent = it.date;
      li.appendChild(a); li.appendChild(span); ul.appendChild(li);
    });
    var pager = document.getElementById('pager');
    function link(text, n) {
      var a = document.createElement('a');
      a.href = name(n); a.textContent = text; pager.appendChild(a); pager.appendChild(document.createTextNode(' '));
    }
    if (page > 0) link('上一页', page - 1);
    for (var n = 0; n < pages; n++) link(String(n + 1), n);
    if (page < pages - 1) link('下一页', page + 1);
  };
  xhr.send();
})();
"""

SEE_ATTACHMENT = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>湖南城陵矶新港区2018年政府信息公开年度报告</title></head>
<body><h1>湖南城陵矶新港区2018年政府信息公开年度报告</h1>
<div class="info">发布日期：2019-03-15</div>
<div class="content"><p>湖南城陵矶新港区2018年政府信息公开年度报告详见附件。</p>
<p>附件：<a href="/xxgk/ndbg/files/P020190315531234.pdf">湖南城陵矶新港区2018年政府信息公开年度报告.pdf</a></p>
</div></body></html>
"""

PRIVATE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>示例市内部管理2020年政府信息公开工作年度报告（内部稿）</title></head>
<body><h1>示例市内部管理2020年政府信息公开工作年度报告（内部稿）</h1><p>robots.txt 不允许抓取本页。</p></body></html>
"""


def _demo_page(demo_path: str) -> dict:
    manifest = json.loads((DEMO.parent / "manifest.json").read_text("utf-8"))
    page = next(p for p in manifest["pages"] if p["path"] == demo_path)
    return {k: page[k] for k in ("title", "body", "year", "template", "published")}


def build() -> dict:
    if SITE.exists():
        shutil.rmtree(SITE)
    (SITE / "js").mkdir(parents=True)
    col = SITE / COLUMN.strip("/")
    (col / "files").mkdir(parents=True)
    (SITE / "robots.txt").write_text("User-agent: *\nDisallow: /xxgk/ndbg/nbgl/\n", "utf-8")
    (SITE / "quirks.json").write_text(json.dumps({
        "_comment": "every page and file is behind the cookie gate; scripts and data are not",
        "*.html": {"cookie_gate": COOKIE},
        "*.pdf": {"cookie_gate": COOKIE},
    }, ensure_ascii=False, indent=1) + "\n", "utf-8")
    shutil.copy(DEMO / "js" / "common.js", SITE / "js" / "common.js")
    (SITE / "css").mkdir()
    shutil.copy(DEMO / "css" / "style.css", SITE / "css" / "style.css")  # the copied reports link it
    (SITE / "js" / "ndbg-list.js").write_text(LIST_JS, "utf-8")
    (SITE / "index.html").write_text(
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>示例市人民政府</title></head>'
        '<body><a href="/xxgk/ndbg/index.html">政府信息公开年报</a></body></html>\n', "utf-8")

    pages, items = [], []

    def detail(path: str, data: bytes, facts: dict, **extra) -> None:
        f = SITE / path.lstrip("/")
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_bytes(data)
        items.append({"title": facts["title"], "url": path, "date": facts["published"]})
        pages.append({"path": path, "kind": "detail", "status": 200, **facts, **extra})

    for demo_path, path in (("/20150323/i1234567.html", "/xxgk/ndbg/201503/t20150323_1234567.html"),
                            ("/20190328/i1789012.html", "/xxgk/ndbg/201903/t20190328_1789012.html"),
                            ("/20200121/i2001001.html", "/xxgk/ndbg/202001/t20200121_2001001.html")):
        facts = dict(_demo_page(demo_path), is_report=True)
        extra = {"charset": "gbk"} if demo_path == "/20200121/i2001001.html" else {}
        detail(path, (DEMO / demo_path.lstrip("/")).read_bytes(), facts, copied_from=demo_path, **extra)
    pdf_path = "/xxgk/ndbg/files/P020190315531234.pdf"
    pdf = (FIX / "report2018.pdf").read_bytes()
    (SITE / pdf_path.lstrip("/")).write_bytes(pdf)
    detail("/xxgk/ndbg/201903/t20190315_1788001.html", SEE_ATTACHMENT.encode("utf-8"), {
        "title": "湖南城陵矶新港区2018年政府信息公开年度报告", "body": "湖南城陵矶新港区", "year": 2018,
        "template": "gk2008", "published": "2019-03-15", "is_report": True}, attachments=[pdf_path])
    detail("/xxgk/ndbg/nbgl/t20210105_1.html", PRIVATE.encode("utf-8"), {
        "title": "示例市内部管理2020年政府信息公开工作年度报告（内部稿）", "body": "示例市内部管理", "year": 2020,
        "template": None, "published": "2021-01-05", "is_report": True}, robots_disallowed=True)
    pages.append({"path": pdf_path, "kind": "attachment", "status": 200, "is_report": True,
                  "via": "/xxgk/ndbg/201903/t20190315_1788001.html", "sha256": hashlib.sha256(pdf).hexdigest(),
                  "copied_from": "tests/fixtures/attachments/report2018.pdf"})

    items.sort(key=lambda it: it["date"], reverse=True)
    (col / "list.json").write_text(json.dumps({"pageSize": PAGE_SIZE, "items": items},
                                              ensure_ascii=False, indent=1) + "\n", "utf-8")
    n_pages = -(-len(items) // PAGE_SIZE)
    list_pages = []
    for n in range(n_pages):
        name = "index.html" if n == 0 else f"index_{n}.html"
        (col / name).write_text(SHELL.format(page=n), "utf-8")
        list_pages.append(COLUMN + name)
        pages.append({"path": COLUMN + name, "kind": "list", "status": 200, "is_report": False})

    manifest = {
        "portal": "js",
        "description": "示例市人民政府: a report column rendered by JavaScript behind a Ruishu-style "
                       "412 cookie gate; only a browser crawl (nianbao crawl --browser) finds its reports",
        "columns": [{"name": "政府信息公开年报", "path": COLUMN + "index.html",
                     "pagination": "written by /js/ndbg-list.js from list.json (index_N.html, N from 1)",
                     "pages": list_pages}],
        "cookie_gate": {"pattern": "*.html", "cookie": COOKIE, "status": 412},
        "robots_disallow": ["/xxgk/ndbg/nbgl/"],
        "pages": pages,
    }
    (HERE / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", "utf-8")
    return manifest


if __name__ == "__main__":
    m = build()
    print(f"{SITE}: {len(m['pages'])} pages")
