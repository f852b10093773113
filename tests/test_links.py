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
