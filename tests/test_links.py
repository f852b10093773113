"""What the generic spider takes from a column page (saved pages, no network)."""
from pathlib import Path

from nianbao.spiders.links import attachment_links, classify_list_links, create_page_urls

SITE = Path(__file__).resolve().parent.parent / "nianbao" / "demo_portal" / "site"
BASE = "http://www.example.gov.cn"


def _links(rel_path):
    html = (SITE / rel_path.lstrip("/")).read_text("utf-8")
    return classify_list_links(html, BASE + rel_path)


def test_hengyang_list_page_items_and_pagination():
    links = _links("/xxgk/szfxxgkml/zfxxgkndbg/hysmhwzndbg/index.html")
    pages = {l.url for l in links if l.kind == "page"}
    items = [l for l in links if l.kind == "item"]
    assert BASE + "/xxgk/szfxxgkml/zfxxgkndbg/hysmhwzndbg/pages/2.html" in pages
    assert items and all(l.date for l in items)
    assert any("年度报告" in l.text for l in items)
    # nothing from the site chrome (nav, footer) is taken for an item
    assert not [l for l in items if l.url.endswith(("/index.html", "/lxwm/", "/wzdt/"))]
    assert all(l.url.startswith(BASE) for l in links)


def test_trs_create_page_html_pagination():
    links = _links("/xxgk/szfxxgkml/zfxxgkndbg/szfgzbmndbg/index.html")
    pages = {l.url for l in links if l.kind == "page"}
    assert BASE + "/xxgk/szfxxgkml/zfxxgkndbg/szfgzbmndbg/index_1.html" in pages
    assert BASE + "/xxgk/szfxxgkml/zfxxgkndbg/szfgzbmndbg/index_2.html" in pages
    items = [l.url for l in links if l.kind == "item"]
    assert any("/szfgzbmndbg/20" in u and "/t20" in u for u in items)


def test_create_page_html_variants():
    page = "http://h/col/index.html"
    assert create_page_urls('createPageHTML(3, 0, "index", "html");', page) == [
        "http://h/col/index_1.html", "http://h/col/index_2.html"]
    assert create_page_urls("createPageHTML('page_div',2,1,'list','shtml',30);", page) == ["http://h/col/list_1.shtml"]
    assert create_page_urls("createPageHTML(1, 0, 'index', 'html')", page) == []


def test_hanweb_style_list_and_offsite_links():
    html = """<html><body><div class="nav"><a href="/col/col1/index.html">首页</a>
    <a href="http://www.gov.cn/">中国政府网</a></div>
    <table><tr><td><a href="/art/2022/1/20/art_3301_123.html" title="某县2021年政府信息公开工作年度报告">某县2021年政府信息公开…</a></td><td>2022-01-20</td></tr>
    <tr><td><a href="/art/2021/1/22/art_3301_99.html">某县2020年政府信息公开工作年度报告</a></td><td>2021-01-22</td></tr></table>
    <a href="/col/col3301/index.html?uid=1&pageNum=2">下一页</a></body></html>"""
    links = classify_list_links(html, "http://x.gov.cn/col/col3301/index.html")
    items = {l.url: l for l in links if l.kind == "item"}
    assert set(items) == {"http://x.gov.cn/art/2022/1/20/art_3301_123.html", "http://x.gov.cn/art/2021/1/22/art_3301_99.html"}
    assert items["http://x.gov.cn/art/2022/1/20/art_3301_123.html"].text == "某县2021年政府信息公开工作年度报告"  # title attr beats the cut text
    assert [l.url for l in links if l.kind == "page"] == ["http://x.gov.cn/col/col3301/index.html?uid=1&pageNum=2"]


def test_attachment_links_of_a_detail_page():
    html = """<div>附件：<a href="/attach/download.jsp?id=101">统计表.xls</a>
    <a href="./P0202.pdf">报告全文.pdf</a><a href="http://cdn.other.cn/x.pdf">外站</a>
    <a href="/20200101/i1.html">相关链接</a></div>"""
    links = attachment_links(html, "http://h.gov.cn/20210128/i3010001.html")
    assert [(l.url, l.text) for l in links] == [
        ("http://h.gov.cn/attach/download.jsp?id=101", "统计表.xls"),
        ("http://h.gov.cn/20210128/P0202.pdf", "报告全文.pdf"),
    ]


# --- Large list pages: linear parsing, and a cap on links followed per page ----------------

def _big_list(n: int, rows: bool) -> str:
    """A list page of n report links: in <li> rows, or (the costly case for row context) all
    straight under <body>, each followed by its date."""
    if rows:
        items = "".join(f'<li><a href="/xxgk/ndbg/2024{i % 12 + 1:02d}/t20240115_{i}.html">某单位{i}号政府信息公开工作'
                        f'年度报告</a><span>2024-01-15</span></li>' for i in range(n))
        return f"<html><body><ul>{items}</ul></body></html>"
    items = "".join(f'<a href="/xxgk/ndbg/2024{i % 12 + 1:02d}/t20240115_{i}.html">某单位{i}号政府信息公开工作年度报告</a>'
                    f" 2024-01-15<br>" for i in range(n))
    return f"<html><body>{items}</body></html>"


def test_twenty_thousand_link_list_page():
    for rows in (True, False):
        links = classify_list_links(_big_list(20_000, rows), "http://h.gov.cn/xxgk/ndbg/index.html")
        items = [l for l in links if l.kind == "item"]
        assert len(items) == 20_000 and all(l.date == "2024-01-15" for l in items)


def test_two_hundred_thousand_link_page_parses_with_bounded_memory():
    """In a child process, so its peak RSS is its own (the tree of a 17 MB page, not n² text)."""
    import json
    import subprocess
    import sys

    code = ("import json, resource, sys; sys.path.insert(0, 'tests'); from test_links import _big_list\n"
            "from nianbao.spiders.links import classify_list_links\n"
            "links = classify_list_links(_big_list(200_000, False), 'http://h.gov.cn/xxgk/ndbg/index.html')\n"
            "print(json.dumps([sum(l.kind == 'item' for l in links), len({l.date for l in links}),"
            " resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600,
                         cwd=Path(__file__).resolve().parent.parent)
    assert out.returncode == 0, out.stderr[-3000:]
    items, dates, peak_mb = json.loads(out.stdout)
    assert items == 200_000 and dates == 1
    assert peak_mb < 600, f"parsing a 200,000-link page peaked at {peak_mb} MB"


def test_crawl_follows_at_most_the_cap_of_links_per_page(tmp_path):
    """A real crawl of a 20,000-link list page with NIANBAO_MAX_LINKS_PER_PAGE=30 fetches 30
    report pages and records the cut (fetch_errors row) instead of queueing 20,000 requests."""
    import sqlite3
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from conftest import FAST, run_cli

    listing = _big_list(20_000, True).encode()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            if self.path == "/xxgk/ndbg/index.html":
                body, status = listing, 200
            elif self.path.startswith("/xxgk/ndbg/2024"):
                body, status = "<html><body><h1>某单位年度报告</h1></body></html>".encode(), 200
            else:
                body, status = b"not found", 404
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        start = f"http://127.0.0.1:{server.server_address[1]}/xxgk/ndbg/index.html"
        out = run_cli("crawl", "--db", tmp_path / "n.db", "--archive", tmp_path / "warc", "--start-url", start,
                      "--no-extract", *FAST, "-s", "NIANBAO_MAX_LINKS_PER_PAGE=30", "-s", "LOG_LEVEL=WARNING")
    finally:
        server.shutdown()
        server.server_close()
    conn = sqlite3.connect(tmp_path / "n.db")
    assert conn.execute("select count(*) from captures where kind = 'detail'").fetchone()[0] == 30
    errors = conn.execute("select url, kind, error from fetch_errors").fetchall()
    assert errors == [(start, "list", "link cap: followed the first 30 links of this page, not the rest "
                                      "(NIANBAO_MAX_LINKS_PER_PAGE=30)")]
    assert "link cap" in out.stderr
