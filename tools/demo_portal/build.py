"""Generate the bundled demo portal (``site/``, ``manifest.json``).

    .venv/bin/python -m tools.demo_portal.build        # rewrites nianbao/demo_portal/site

The site imitates the report column of www.hengyang.gov.cn:

* column A  /xxgk/szfxxgkml/zfxxgkndbg/hysmhwzndbg/index.html  (+ pages/2.html, pages/3.html)
  list ``<ul class="qiexian">``, detail pages at /YYYYMMDD/i<id>.html
* column B  /xxgk/szfxxgkml/zfxxgkndbg/szfgzbmndbg/index.html  (+ index_1.html, index_2.html)
  TRS WCM style: pages only reachable through ``createPageHTML(3, 0, "index", "html")``,
  detail links ``./202103/t20210315_123456.html``

Everything is deterministic (fixed random seeds), so a rebuild is byte-identical.
"""
from __future__ import annotations

import random
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from tools.demo_portal import forms
from tools.demo_portal.forms import esc
from tools.demo_portal.sitekit import (
    Site,
    gk2008_report_html,
    make_pdf,
    make_xlsx,
    modern_report_html,
    modern_table_rows,
    parse_cells_000,
    parse_cells_002,
    parse_cells_004,
    paragraphs,
    paras_html,
    seed_text,
)

HERE = Path(__file__).resolve().parents[2] / "nianbao" / "demo_portal"  # the built site ships in the package
GOV_CN_REGS = "http://www.gov.cn/zhengce/content/2019-04/15/content_5382991.htm"
GOV_CN_FORMAT = "http://www.gov.cn/zhengce/xxgk/2021-09/30/content_5640214.htm"

COL_A = "/xxgk/szfxxgkml/zfxxgkndbg/hysmhwzndbg/"
COL_B = "/xxgk/szfxxgkml/zfxxgkndbg/szfgzbmndbg/"


@dataclass
class Doc:
    """One document in a column."""

    path: str
    title: str
    published: str  # YYYY-MM-DD
    content: str  # HTML inside the article div
    source: str
    is_report: bool
    body: str | None = None
    year: int | None = None
    template: str | None = None
    list_title: str | None = None  # text shown in the list when it differs (truncated)
    href: str | None = None  # link used in the list (when it is not `path`)
    encoding: str = "utf-8"
    attachments: list[tuple[str, str]] = field(default_factory=list)  # (href, text)
    facts: dict[str, Any] = field(default_factory=dict)
    exists: bool = True


# ---------------------------------------------------------------- Hengyang chrome
CSS = """body{margin:0;font:14px/1.8 "Microsoft YaHei",SimSun,sans-serif;color:#333}
a{color:#333;text-decoration:none}.w1200{width:1200px;margin:0 auto}
.top{background:#f5f5f5;height:32px;line-height:32px;font-size:12px}.top a{margin-left:12px}
.header{height:120px;background:#0f5ba7;color:#fff}.header .logo{float:left;font-size:30px;padding:30px 0}
.header .search{float:right;padding:40px 0}.nav{background:#0a4a8a}.nav li{display:inline-block;padding:0 24px}
.nav a{color:#fff;line-height:46px}.location{padding:12px 0;border-bottom:1px solid #ddd}
.qiexian li{list-style:none;border-bottom:1px dashed #ddd;line-height:40px}.qiexian li span{float:right;color:#999}
.page{text-align:center;padding:20px}.page a,.page span{margin:0 4px}
.article h1{text-align:center;font-size:24px}.article-info{text-align:center;color:#888;border-bottom:1px solid #ddd}
.article-content table{border-collapse:collapse}.article-content td{border:1px solid #333;padding:4px}
.footer{background:#0f5ba7;color:#fff;text-align:center;padding:20px;margin-top:30px}.footer a{color:#fff}
"""
PAGE_JS = """/* TRS WCM pagination helper */
function createPageHTML(_nPageCount, _nCurrIndex, _sPageName, _sPageExt){
  if(_nPageCount == null || _nPageCount<=1){ return; }
  var nCurrIndex = _nCurrIndex || 0;
  if(nCurrIndex == 0)
    document.write("<span>首页</span> <span>上一页</span> ");
  else {
    document.write("<a href=\\"" + _sPageName + "." + _sPageExt + "\\">首页</a> ");
    if(nCurrIndex == 1) document.write("<a href=\\"" + _sPageName + "." + _sPageExt + "\\">上一页</a> ");
    else document.write("<a href=\\"" + _sPageName + "_" + (nCurrIndex-1) + "." + _sPageExt + "\\">上一页</a> ");
  }
  if(nCurrIndex < _nPageCount-1){
    document.write("<a href=\\"" + _sPageName + "_" + (nCurrIndex+1) + "." + _sPageExt + "\\">下一页</a> ");
    document.write("<a href=\\"" + _sPageName + "_" + (_nPageCount-1) + "." + _sPageExt + "\\">尾页</a>");
  } else document.write("<span>下一页</span> <span>尾页</span>");
  document.write(" 共" + _nPageCount + "页");
}
"""
NAV = [("/", "首页"), ("/zwdt/", "政务动态"), ("/xxgk/", "信息公开"), ("/zwfw/", "政务服务"), ("/hdjl/", "互动交流"), ("/zjhy/", "走进衡阳")]


def hy_page(title: str, crumbs: list[tuple[str, str]], main: str, charset: str = "utf-8", meta: dict[str, str] | None = None) -> str:
    if charset == "utf-8":
        head_charset = '<meta http-equiv="Content-Type" content="text/html; charset=utf-8" />'
    else:
        head_charset = f'<meta http-equiv="Content-Type" content="text/html; charset={charset}" />'
    metas = "".join(f'\n<meta name="{k}" content="{esc(v)}" />' for k, v in (meta or {}).items())
    crumb = " &gt; ".join(f'<a href="{h}">{esc(t)}</a>' if h else esc(t) for h, t in crumbs)
    nav = "".join(f'<li><a href="{h}">{t}</a></li>' for h, t in NAV)
    return f"""<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">
<head>
{head_charset}
<meta http-equiv="X-UA-Compatible" content="IE=edge" />
<meta name="SiteName" content="衡阳市人民政府门户网站" />
<meta name="SiteDomain" content="www.hengyang.gov.cn" />
<meta name="SiteIDCode" content="4304000001" />{metas}
<title>{esc(title)}_衡阳市人民政府门户网站</title>
<link rel="stylesheet" type="text/css" href="/css/style.css" />
<script type="text/javascript" src="/js/common.js"></script>
</head>
<body>
<div class="top"><div class="w1200"><span>欢迎访问衡阳市人民政府门户网站！</span>
<a href="javascript:void(0);" id="wza">无障碍浏览</a><a href="/wap/index.html">手机版</a><a href="javascript:void(0);">繁體</a>
<a href="http://www.hunan.gov.cn/" target="_blank">湖南省人民政府</a></div></div>
<div class="header"><div class="w1200">
<div class="logo"><a href="/" style="color:#fff">衡阳市人民政府门户网站</a></div>
<div class="search"><form action="/search/search.jsp" method="get" target="_blank"><input type="text" name="q" placeholder="请输入关键字" /><input type="submit" value="搜索" /></form>
<a href="/search/advanced.html" style="color:#fff">高级搜索</a></div>
</div></div>
<div class="nav"><div class="w1200"><ul>{nav}</ul></div></div>
<div class="w1200">
<div class="location">当前位置：{crumb}</div>
{main}
</div>
<div class="footer"><div class="w1200">
<p><a href="/wzdt/index.html">网站地图</a> | <a href="/lxwm/index.html">联系我们</a> | <a href="/sybz/index.html">使用帮助</a> | <a href="http://www.gov.cn/" target="_blank">中国政府网</a> | <a href="http://www.hunan.gov.cn/" target="_blank">湖南省人民政府</a></p>
<p>主办单位：衡阳市人民政府办公室&nbsp;&nbsp;承办单位：衡阳市电子政务服务中心&nbsp;&nbsp;联系电话：0734-8868000</p>
<p><a href="https://beian.miit.gov.cn/" target="_blank">湘ICP备05004249号</a>&nbsp;&nbsp;湘公网安备 43040702000016号&nbsp;&nbsp;网站标识码：4304000001</p>
<p>建议使用1366*768以上分辨率浏览本网站</p>
</div></div>
</body>
</html>
"""


def hy_article(doc: Doc, related: list[tuple[str, str]], hits: int, trs: bool = False) -> str:
    cls = "TRS_Editor" if trs else "article-content"
    att = ""
    if doc.attachments:
        att = '<div class="fujian"><p>附件：</p><ul>' + "".join(
            f'<li><a href="{esc(h)}" target="_blank">{esc(t)}</a></li>' for h, t in doc.attachments
        ) + "</ul></div>"
    rel = "".join(f'<li><a href="{esc(h)}" target="_blank">{esc(t)}</a></li>' for h, t in related)
    return f"""<div class="article">
<h1 class="article-title">{esc(doc.title)}</h1>
<div class="article-info">发布时间：{doc.published} {"09:30" if trs else "00:00"}&nbsp;&nbsp;&nbsp;&nbsp;来源：{esc(doc.source)}&nbsp;&nbsp;&nbsp;&nbsp;浏览量：<span id="hits">{hits}</span>
&nbsp;&nbsp;&nbsp;&nbsp;<span class="fontsize">字体：<a href="javascript:doZoom(18)">大</a> <a href="javascript:doZoom(16)">中</a> <a href="javascript:doZoom(14)">小</a></span></div>
<div class="{cls}" id="zoom">
{doc.content}
</div>
{att}
<div class="share">分享到：<a href="javascript:void(0)" class="wx">微信</a> <a href="javascript:void(0)" class="wb">新浪微博</a> <a href="javascript:void(0)" class="qz">QQ空间</a></div>
<div class="print"><a href="javascript:window.print()">【打印本页】</a> <a href="javascript:window.close()">【关闭窗口】</a></div>
<div class="related"><h3>相关链接</h3><ul>{rel}</ul></div>
<div class="ewm">扫一扫在手机打开当前页</div>
</div>"""


def rel_href(from_dir: str, to_path: str) -> str:
    """Relative link from a directory (ending in /) to an absolute path."""
    import posixpath

    return posixpath.relpath(to_path, from_dir.rstrip("/") or "/")


# ---------------------------------------------------------------- content
def seed_docs() -> list[Doc]:
    docs: list[Doc] = []

    # 004: 衡阳市人民政府 2014, gk2008 one cell per line ------------------------------
    t = seed_text(4)
    lines = t.split("\n")
    start = next(i for i, l in enumerate(lines) if l.strip() == "十一、附表")
    end = next(i for i, l in enumerate(lines) if l.startswith("相关阅读"))
    body_paras = paragraphs("\n".join(lines[3:start]))  # drop the scraped page header
    rows = parse_cells_004(lines[start + 1 : end])
    header, rows = rows[0], rows[1:]
    assert header[0] == "统计指标", header
    content = (
        paras_html(body_paras[:2], indent=False).replace("<p>", '<p style="text-align:center;">', 2)
        + "\n"
        + paras_html(body_paras[2:])
        + '\n<p style="text-indent:2em;">十一、附表</p>\n'
        + forms.gk2008_html(rows, "rowspan")
    )
    docs.append(
        Doc("/20150323/i1234567.html", "衡阳市人民政府2014年政府信息公开工作年度报告", "2015-03-23", content,
            "衡阳市人民政府", True, "衡阳市人民政府", 2014, "gk2008",
            facts={"seed": "004", "metrics": forms.gk2008_metrics(rows), "table_layout": "rowspan"})
    )

    # 000: 衡阳高新区 2018, tab-indented cells, pasted from Word ------------------
    t = seed_text(0)
    lines = t.split("\n")
    start = next(i for i, l in enumerate(lines) if l.startswith("\t指"))
    cut = next(i for i, l in enumerate(lines) if l.startswith("信息回应情况"))
    rows = parse_cells_000(lines[start:cut])
    header, rows = rows[0], [r for r in rows[1:] if r[0].strip()]
    intro = paragraphs("\n".join(lines[:start]))
    content = (
        '<div class="WordSection1" style="layout-grid:15.6pt">\n'
        + paras_html(intro, word=True)
        + "\n"
        + forms.gk2008_html(rows, "word")
        + "\n<p class=\"MsoNormal\"><span lang=\"EN-US\">&nbsp;</span></p>\n</div>"
    )
    docs.append(
        Doc("/20190328/i1789012.html", "衡阳高新区管委会2018年政府信息公开工作年度报告", "2019-03-28", content,
            "衡阳高新区管委会", True, "衡阳高新区管委会", 2018, "gk2008",
            facts={"seed": "000", "metrics": forms.gk2008_metrics(rows), "table_layout": "word"})
    )

    # 002: 湖南城陵矶新港区 2018, pipe table -------------------------------------
    t = seed_text(2)
    lines = t.split("\n")
    start = next(i for i, l in enumerate(lines) if l.startswith("统 计 指 标"))
    rows = parse_cells_002(lines[start:])
    header, rows = rows[0], rows[1:]
    before = paragraphs("\n".join(lines[1:start]))
    after = paragraphs("\n".join(l for l in lines[start:] if not l.rstrip().endswith("|")))
    content = (
        paras_html(before)
        + "\n"
        + forms.gk2008_html(rows, "rowspan")
        + "\n"
        + paras_html(after, indent=False)
    )
    docs.append(
        Doc("/20190315/i1788001.html", "湖南城陵矶新港区2018年政府信息公开年度报告", "2019-03-15", content,
            "湖南城陵矶新港区政务服务中心", True, "湖南城陵矶新港区", 2018, "gk2008",
            facts={"seed": "002", "metrics": forms.gk2008_metrics(rows), "table_layout": "rowspan"})
    )

    # 001: 蒸湘区 2019, narrative, served in GBK --------------------------------
    t = seed_text(1)
    paras = paragraphs(t)
    title = paras[0].replace(" ", "")
    content = paras_html(paras[1:])
    docs.append(
        Doc("/20200121/i2001001.html", "蒸湘区2019年政府信息公开年度报告", "2020-01-21", content,
            "蒸湘区人民政府", True, "蒸湘区", 2019, "narrative", encoding="gbk",
            facts={"seed": "001", "title_in_text": title})
    )

    # 003: 宝鸡高新区管委会 2019, narrative ------------------------------------
    t = seed_text(3)
    paras = paragraphs(t)
    content = '<p style="text-align:center;"><strong>' + esc(paras[0]) + "<br />" + esc(paras[1]) + "</strong></p>\n" + paras_html(paras[2:])
    docs.append(
        Doc("/20200320/i2003003.html", "宝鸡高新区管委会2019年度信息公开工作报告", "2020-03-20", content,
            "宝鸡高新区管委会", True, "宝鸡高新区管委会", 2019, "narrative", facts={"seed": "003"})
    )
    return docs


def synthetic_docs_a(site: Site) -> list[Doc]:
    docs: list[Doc] = []
    # 衡阳县 2020 gk2019 with attachments --------------------------------------
    rng = random.Random(2020)
    m = forms.synth_modern(rng, "gk2019", county=True)
    forms.check_modern(m, "gk2019")
    content = modern_report_html("衡阳县人民政府", 2020, "gk2019", m, rng, "衡阳县人民政府")
    xlsx = make_xlsx("衡阳县人民政府2020年政府信息公开工作年度报告统计表", modern_table_rows(m, "gk2019"))
    site.add("/attach/files/101.xlsx", xlsx, kind="attachment", is_report=False,
             title="衡阳县2020年政府信息公开统计表", via="/attach/download.jsp?id=101")
    site.quirks["/attach/download.jsp?id=101"] = {
        "file": "/attach/files/101.xlsx",
        "content_type": "application/octet-stream",
        "content_disposition": "attachment; filename*=UTF-8''%E7%BB%9F%E8%AE%A1%E8%A1%A8.xlsx",
    }
    site.add("/attach/2021/P020210128356781234567.pdf", make_pdf(["Hengyang County 2020 annual report", "(placeholder attachment)"]),
             kind="attachment", is_report=False, title="placeholder pdf")
    site.quirks["/attach/2021/P020210128356781234567.pdf"] = {"content_disposition": "attachment; filename=\"P020210128356781234567.pdf\""}
    docs.append(
        Doc("/20210128/i3010001.html", "衡阳县人民政府2020年政府信息公开工作年度报告", "2021-01-28", content,
            "衡阳县人民政府", True, "衡阳县人民政府", 2020, "gk2019",
            attachments=[("/attach/download.jsp?id=101", "衡阳县2020年政府信息公开工作年度报告统计表.xlsx"),
                         ("/attach/2021/P020210128356781234567.pdf", "衡阳县2020年政府信息公开工作年度报告（PDF版）.pdf"),
                         ("/attach/2021/P020210128000000000404.doc", "衡阳县2020年政府信息公开工作年度报告（Word版）.doc")],
            facts={"metrics": m})
    )
    site.fact(path="/attach/2021/P020210128000000000404.doc", kind="missing", status=404, is_report=None,
              linked_from="/20210128/i3010001.html")

    # 衡南县 2021 gk2021 --------------------------------------------------------
    rng = random.Random(2021)
    m = forms.synth_modern(rng, "gk2021", county=True)
    forms.check_modern(m, "gk2021")
    content = modern_report_html("衡南县人民政府", 2021, "gk2021", m, rng, "衡南县人民政府")
    docs.append(Doc("/20220125/i3020002.html", "衡南县人民政府2021年政府信息公开工作年度报告", "2022-01-25", content,
                    "衡南县人民政府", True, "衡南县人民政府", 2021, "gk2021", facts={"metrics": m}))

    # 衡阳市人民政府 2022 gk2021 ------------------------------------------------
    rng = random.Random(2022)
    m = forms.synth_modern(rng, "gk2021", county=False, busy=3)
    forms.check_modern(m, "gk2021")
    content = modern_report_html("衡阳市人民政府", 2022, "gk2021", m, rng, "衡阳市人民政府")
    docs.append(Doc("/20230118/i3030003.html", "衡阳市人民政府2022年政府信息公开工作年度报告", "2023-01-18", content,
                    "衡阳市人民政府办公室", True, "衡阳市人民政府", 2022, "gk2021", facts={"metrics": m}))

    # 衡阳市人民政府 2017 gk2008 - linked through an old URL that redirects ----------
    rng = random.Random(2017)
    rows = forms.synth_gk2008(rng, scale=20)
    docs.append(Doc("/20180330/i1500002.html", "衡阳市人民政府2017年政府信息公开工作年度报告", "2018-03-30",
                    gk2008_report_html("衡阳市人民政府", 2017, rows, "plain"), "衡阳市人民政府", True, "衡阳市人民政府", 2017, "gk2008",
                    href="/art/2018/3/30/art_3301_1500001.html",
                    facts={"metrics": forms.gk2008_metrics(rows), "table_layout": "plain",
                           "reached_via_redirect": "/art/2018/3/30/art_3301_1500001.html"}))
    site.quirks["/art/2018/3/30/art_3301_1500001.html"] = {"redirect": "/20180330/i1500002.html", "redirect_status": 301}

    # 衡阳市人民政府 2016 gk2008 - under a robots-disallowed path ----------------------
    rng = random.Random(2016)
    rows = forms.synth_gk2008(rng, scale=20)
    docs.append(Doc("/private/20170331/i1400001.html", "衡阳市人民政府2016年政府信息公开工作年度报告", "2017-03-31",
                    gk2008_report_html("衡阳市人民政府", 2016, rows), "衡阳市人民政府", True, "衡阳市人民政府", 2016, "gk2008",
                    facts={"metrics": forms.gk2008_metrics(rows), "robots_disallowed": True}))

    # 2015: a dead link --------------------------------------------------------
    docs.append(Doc("/20160330/i1300001.html", "衡阳市人民政府2015年政府信息公开工作年度报告", "2016-03-30", "", "衡阳市人民政府",
                    True, "衡阳市人民政府", 2015, "gk2008", exists=False))

    # non-reports ---------------------------------------------------------------
    docs.append(Doc("/20200110/i2000110.html", "关于做好2019年政府信息公开工作年度报告编制发布工作的通知", "2020-01-10",
                    paras_html([
                        "各县市区人民政府，市直和中央、省驻衡各单位：",
                        "为做好2019年政府信息公开工作年度报告（以下简称年度报告）编制发布工作，根据《中华人民共和国政府信息公开条例》和国务院办公厅政府信息与政务公开办公室有关要求，现将有关事项通知如下：",
                        "一、各单位要严格按照新修订的年度报告格式编制年度报告，于2020年1月31日前在本级政府门户网站政府信息公开专栏发布。",
                        "二、年度报告中的统计数据要真实准确，表格填报要规范完整，不得漏项。",
                        "三、各单位发布年度报告后，请将链接地址报送市政务公开办。",
                        "衡阳市政务公开办公室",
                        "2020年1月10日",
                    ]), "衡阳市政务公开办公室", False, list_title="关于做好2019年政府信息公开工作年度报告编制发布工...",
                    facts={"body": "衡阳市政务公开办公室", "kind_of_document": "notice"}))
    docs.append(Doc("/20200402/i2000402.html", "2020年政务公开工作要点", "2020-04-02",
                    paras_html([
                        "为深入贯彻落实党中央、国务院关于全面推进政务公开工作的决策部署，进一步做好2020年政务公开工作，制定本要点。",
                        "一、围绕打赢疫情防控阻击战加强信息公开。",
                        "二、围绕推动经济高质量发展加强政策解读。",
                        "三、围绕优化营商环境加强公开。各单位要按时编制发布政府信息公开工作年度报告。",
                    ]), "衡阳市人民政府办公室", False, facts={"kind_of_document": "work_plan"}))
    docs.append(Doc("/20210310/i3000310.html", "衡阳市2020年法治政府建设年度报告", "2021-03-10",
                    paras_html([
                        "2020年，在市委的坚强领导下，市人民政府深入学习贯彻习近平法治思想，全面推进依法行政，法治政府建设取得新成效。现将有关情况报告如下：",
                        "一、深化“放管服”改革，优化法治化营商环境。",
                        "二、推进政务公开，全年主动公开政府信息12000余条，依申请公开办结率100%。",
                        "三、健全依法决策机制，加强行政规范性文件监督管理。",
                    ]), "衡阳市司法局", False, facts={"kind_of_document": "rule_of_law_report"}))
    docs.append(Doc("/20190506/i1900506.html", "关于衡阳市2018年政府信息公开工作年度报告的更正说明", "2019-05-06",
                    paras_html([
                        "我市于2019年3月29日发布的《衡阳市人民政府2018年政府信息公开工作年度报告》附表中“政府网站公开政府信息数”一项数据有误，现更正如下：",
                        "原“政府网站公开政府信息数 843579条”更正为“政府网站公开政府信息数 84357条”。",
                        "特此说明。",
                    ]), "衡阳市政务公开办公室", False, facts={"kind_of_document": "correction"}))
    return docs


# ---------------------------------------------------------------- series for the analysis layer
# Enough bodies over enough years that the demo answers, without SQL, "how did 衡阳市人民政府's
# requests change year by year", "who in 衡阳 did not publish on 2022, who was late" and
# "which departments refuse the largest share": some reports late (after 31 January), some
# missing, bodies under old names (衡阳市卫生和计划生育委员会) and short names (蒸湘区).
def _modern_doc(path: str, body: str, year: int, template: str, published: str, written: str | None = None,
                refuse: int = 0, href: str | None = None) -> Doc:
    rng = random.Random(f"series{body}{year}")
    m = forms.synth_modern(rng, template, county=True, busy=2)
    if refuse:  # a body that refuses more: move requests from 予以公开 to 不予公开 (totals unchanged)
        k = min(refuse, m["requests.result.disclosed.natural_person"])
        for a in ("natural_person", "total"):
            m[f"requests.result.disclosed.{a}"] -= k
            m[f"requests.result.refused.process_info.{a}"] += k
    forms.check_modern(m, template)
    written = written or body
    content = modern_report_html(written, year, template, m, rng, written)
    return Doc(path, f"{written}{year}年政府信息公开工作年度报告", published, content, written, True, written, year,
               template, href=href, facts={"metrics": m})


def series_docs_a() -> list[Doc]:
    docs = []
    rng = random.Random("city2018")
    rows = forms.synth_gk2008(rng, scale=20)
    # the report the 更正说明 of 2019-05-06 corrects
    docs.append(Doc("/20190329/i1800329.html", "衡阳市人民政府2018年政府信息公开工作年度报告", "2019-03-29",
                    gk2008_report_html("衡阳市人民政府", 2018, rows, "plain"), "衡阳市人民政府", True, "衡阳市人民政府", 2018,
                    "gk2008", facts={"metrics": forms.gk2008_metrics(rows), "table_layout": "plain"}))
    for path, year, template, published in (
        ("/20200121/i2001121.html", 2019, "gk2019", "2020-01-21"),
        ("/20210129/i3001129.html", 2020, "gk2019", "2021-01-29"),
        ("/20220128/i3101128.html", 2021, "gk2021", "2022-01-28"),
        ("/20240126/i3301126.html", 2023, "gk2021", "2024-01-26"),
    ):
        docs.append(_modern_doc(path, "衡阳市人民政府", year, template, published))
    docs.append(_modern_doc("/20230215/i3202215.html", "衡南县人民政府", 2022, "gk2021", "2023-02-15"))  # late
    docs.append(_modern_doc("/20220127/i3102127.html", "衡阳县人民政府", 2021, "gk2021", "2022-01-27"))  # 2022 missing
    docs.append(_modern_doc("/20230310/i3203310.html", "衡阳市蒸湘区人民政府", 2022, "gk2021", "2023-03-10"))  # late
    return docs


def series_docs_b() -> list[Doc]:
    docs = []
    rng = random.Random("wjw2017")
    rows = forms.synth_gk2008(rng)
    docs.append(Doc(f"{COL_B}201803/t20180328_3301234.html", "衡阳市卫生和计划生育委员会2017年政府信息公开工作年度报告",
                    "2018-03-28", gk2008_report_html("衡阳市卫生和计划生育委员会", 2017, rows, "rowspan"),
                    "衡阳市卫生和计划生育委员会", True, "衡阳市卫生和计划生育委员会", 2017, "gk2008",
                    href="./201803/t20180328_3301234.html",
                    facts={"metrics": forms.gk2008_metrics(rows), "table_layout": "rowspan"}))
    for month, stem, body, year, published, refuse in (
        ("202301", "t20230129_8802345", "衡阳市卫生健康委员会", 2022, "2023-01-29", 0),
        ("202301", "t20230131_8803456", "衡阳市公安局", 2022, "2023-01-31", 12),
        ("202302", "t20230208_8804567", "衡阳市住房和城乡建设局", 2022, "2023-02-08", 5),  # late
        ("202301", "t20230119_8805678", "衡阳市教育局", 2022, "2023-01-19", 0),
    ):
        docs.append(_modern_doc(f"{COL_B}{month}/{stem}.html", body, year, "gk2021", published, refuse=refuse,
                                href=f"./{month}/{stem}.html"))
    return docs


def trs_docs() -> list[Doc]:
    docs: list[Doc] = []
    specs = [
        ("202301", "t20230130_8801234", "衡阳市生态环境局", 2022, "gk2021", "2023-01-30"),
        ("202201", "t20220120_7701234", "衡阳市教育局", 2021, "gk2021", "2022-01-20"),
        ("202101", "t20210129_6601234", "衡阳市财政局", 2020, "gk2019", "2021-01-29"),
        ("202001", "t20200131_5501234", "衡阳市自然资源和规划局", 2019, "gk2019", "2020-01-31"),
    ]
    for month, stem, body, year, tpl, pub in specs:
        rng = random.Random(f"{body}{year}")
        m = forms.synth_modern(rng, tpl, county=True)
        forms.check_modern(m, tpl)
        content = modern_report_html(body, year, tpl, m, rng, "衡阳市人民政府")
        docs.append(Doc(f"{COL_B}{month}/{stem}.html", f"{body}{year}年政府信息公开工作年度报告", pub, content, body, True,
                        body, year, tpl, href=f"./{month}/{stem}.html", facts={"metrics": m}))
    rng = random.Random("wjw2018")
    rows = forms.synth_gk2008(rng)
    docs.append(Doc(f"{COL_B}201902/t20190228_4401234.html", "衡阳市卫生健康委员会2018年政府信息公开工作年度报告", "2019-02-28",
                    gk2008_report_html("衡阳市卫生健康委员会", 2018, rows, "rowspan"), "衡阳市卫生健康委员会", True,
                    "衡阳市卫生健康委员会", 2018, "gk2008", href="./201902/t20190228_4401234.html",
                    facts={"metrics": forms.gk2008_metrics(rows), "table_layout": "rowspan"}))
    docs.append(Doc(f"{COL_B}202102/t20210205_6609876.html", "衡阳市教育局政府信息公开指南", "2021-02-05",
                    paras_html([
                        "为了更好地为公民、法人和其他组织获取政府信息提供服务，根据《中华人民共和国政府信息公开条例》，编制本指南。",
                        "一、主动公开。本机关主动公开的政府信息通过衡阳市人民政府门户网站信息公开专栏发布。",
                        "二、依申请公开。公民、法人或者其他组织可以向本机关申请获取相关政府信息。",
                        "三、本机关每年1月31日前公布上一年度政府信息公开工作年度报告。",
                    ]), "衡阳市教育局", False, href="./202102/t20210205_6609876.html", facts={"kind_of_document": "guide"}))
    docs.append(Doc(f"{COL_B}202203/t20220315_7709876.html", "衡阳市教育局2021年部门决算公开", "2022-03-15",
                    paras_html([
                        "根据预决算公开有关规定，现将衡阳市教育局2021年部门决算公开如下。",
                        "一、部门基本情况。二、收入支出决算总表。三、“三公”经费支出情况说明。",
                    ]), "衡阳市教育局", False, href="./202203/t20220315_7709876.html", facts={"kind_of_document": "final_accounts"}))
    return docs


def _list_item(doc: Doc, from_dir: str) -> str:
    target = doc.href or doc.path
    href = target if target.startswith("./") or target.startswith("http") else rel_href(from_dir, target)
    text = doc.list_title or doc.title
    return f'<li><a href="{esc(href)}" title="{esc(doc.title)}" target="_blank">{esc(text)}</a><span>{doc.published}</span></li>'


def build(out: Path = HERE) -> Site:
    site = Site("demo", "衡阳市人民政府门户网站 (www.hengyang.gov.cn) 政府信息公开年报 columns, rebuilt offline")
    site.robots_disallow = ["/search/", "/private/"]
    site.add("/robots.txt", "User-agent: *\nDisallow: /search/\nDisallow: /private/\n\nUser-agent: Baiduspider\nDisallow: /search/\n")
    site.add("/css/style.css", CSS)
    site.add("/js/common.js", "function doZoom(size){document.getElementById('zoom').style.fontSize=size+'px';}\n")
    site.add("/js/page.js", PAGE_JS)

    docs_a = sorted(seed_docs() + synthetic_docs_a(site) + series_docs_a(), key=lambda d: d.published, reverse=True)
    docs_b = sorted(trs_docs() + series_docs_b(), key=lambda d: d.published, reverse=True)

    # ---- column A: pages index.html, pages/2.html, pages/3.html --------------
    per = 6
    chunks = [docs_a[i : i + per] for i in range(0, len(docs_a), per)]
    n = len(chunks)
    page_paths = [COL_A + "index.html"] + [f"{COL_A}pages/{i}.html" for i in range(2, n + 1)]
    crumbs = [("/", "首页"), ("/xxgk/", "信息公开"), (COL_A + "index.html", "政府信息公开年报")]
    for i, (chunk, ppath) in enumerate(zip(chunks, page_paths)):
        pdir = ppath.rsplit("/", 1)[0] + "/"
        items = "\n".join(_list_item(d, pdir) for d in chunk)
        link = lambda k: rel_href(pdir, page_paths[k])  # noqa: E731
        pager = [f'<a href="{link(0)}">首页</a>']
        pager.append(f'<a href="{link(i - 1)}">上一页</a>' if i > 0 else "<span>上一页</span>")
        pager += [f'<span class="current">{k + 1}</span>' if k == i else f'<a href="{link(k)}">{k + 1}</a>' for k in range(n)]
        pager.append(f'<a href="{link(i + 1)}">下一页</a>' if i < n - 1 else "<span>下一页</span>")
        pager.append(f'<a href="{link(n - 1)}">尾页</a> <span>共{n}页 {len(docs_a)}条</span>')
        side = (
            '<div class="left-menu"><h2>政府信息公开年报</h2><ul>'
            f'<li class="on"><a href="{rel_href(pdir, COL_A + "index.html")}">市本级年报</a></li>'
            f'<li><a href="{rel_href(pdir, COL_B + "index.html")}">市政府工作部门年报</a></li>'
            f'<li><a href="{GOV_CN_REGS}" target="_blank">中华人民共和国政府信息公开条例</a></li></ul></div>'
        )
        main = (
            f'{side}\n<div class="list-right"><div class="list-title">政府信息公开年报</div>\n<ul class="qiexian">\n{items}\n</ul>\n'
            f'<div class="page">{" ".join(pager)}</div></div>'
        )
        if i == n - 1:
            main += f'\n<div class="more"><a href="{rel_href(pdir, "/search/index.html")}?q=年度报告">查看更多年度报告（站内搜索）</a></div>'
        site.add(ppath, hy_page("政府信息公开年报", crumbs, main, meta={"ColumnName": "政府信息公开年报"}),
                 kind="list", column=COL_A, is_report=False, page=i + 1)
    site.columns.append({"name": "政府信息公开年报（市本级）", "path": COL_A + "index.html", "pagination": "pages/N.html",
                         "pages": page_paths, "detail_pattern": "/YYYYMMDD/i<id>.html"})

    # ---- column B: TRS createPageHTML -------------------------------------------
    per = 5  # three pages, as the TRS column of the portal
    chunks = [docs_b[i : i + per] for i in range(0, len(docs_b), per)]
    n = len(chunks)
    page_paths_b = [COL_B + "index.html"] + [f"{COL_B}index_{i}.html" for i in range(1, n)]
    crumbs_b = [("/", "首页"), ("/xxgk/", "信息公开"), (COL_A + "index.html", "政府信息公开年报"), (COL_B + "index.html", "市政府工作部门年报")]
    for i, (chunk, ppath) in enumerate(zip(chunks, page_paths_b)):
        items = "\n".join(_list_item(d, COL_B) for d in chunk)
        main = (
            f'<div class="list-right"><div class="list-title">市政府工作部门年报</div>\n<ul class="qiexian">\n{items}\n</ul>\n'
            f'<div class="page"><script type="text/javascript" src="/js/page.js"></script>'
            f'<script type="text/javascript">createPageHTML({n}, {i}, "index", "html");</script></div></div>'
        )
        site.add(ppath, hy_page("市政府工作部门年报", crumbs_b, main, meta={"ColumnName": "市政府工作部门年报"}),
                 kind="list", column=COL_B, is_report=False, page=i + 1)
    site.columns.append({"name": "市政府工作部门年报（TRS）", "path": COL_B + "index.html",
                         "pagination": 'createPageHTML(n, i, "index", "html") -> index_N.html', "pages": page_paths_b,
                         "detail_pattern": "./YYYYMM/tYYYYMMDD_<id>.html"})

    # ---- detail pages ----------------------------------------------------------------
    all_docs = docs_a + docs_b
    reports = [d for d in all_docs if d.is_report and d.exists]
    for k, d in enumerate(all_docs):
        col = COL_B if d in docs_b else COL_A
        if not d.exists:
            site.fact(path=d.path, kind="missing", status=404, is_report=d.is_report, title=d.title, body=d.body,
                      year=d.year, template=d.template, published=d.published, column=col)
            continue
        related = [(r.path, r.title) for r in reports if r is not d][k % 3 :: 4][:3]
        related.append((GOV_CN_REGS, "中华人民共和国政府信息公开条例"))
        related.append((GOV_CN_FORMAT, "中华人民共和国政府信息公开工作年度报告格式"))
        site.offsite_links.update({GOV_CN_REGS, GOV_CN_FORMAT, "http://www.gov.cn/", "http://www.hunan.gov.cn/"})
        crumbs_d = crumbs_b if col == COL_B else crumbs
        meta = {"ArticleTitle": d.title, "PubDate": d.published + " 00:00", "ContentSource": d.source, "ColumnName": crumbs_d[-1][1]}
        charset = "gb2312" if d.encoding == "gbk" else "utf-8"
        html_text = hy_page(d.title, crumbs_d, hy_article(d, related, 1000 + 37 * k, trs=col == COL_B), charset=charset, meta=meta)
        facts = {
            "kind": "detail",
            "column": col,
            "status": 200,
            "is_report": d.is_report,
            "title": d.title,
            "body": d.body if d.is_report else d.facts.get("body"),
            "year": d.year,
            "template": d.template,
            "published": d.published,
        }
        if d.href and d.href != d.path:
            facts["href"] = d.href
        if d.attachments:
            facts["attachments"] = [h for h, _ in d.attachments]
        facts.update({k2: v for k2, v in d.facts.items() if k2 != "body"})
        site.add(d.path, html_text, encoding=d.encoding, **facts)

    # ---- home, 信息公开, stubs, search --------------------------------------------
    home_main = (
        '<div class="home"><h2>信息公开</h2><ul>'
        f'<li><a href="{COL_A}index.html">政府信息公开年报</a></li>'
        f'<li><a href="{COL_B}index.html">市政府工作部门年报</a></li>'
        '<li><a href="/xxgk/index.html">政府信息公开</a></li></ul></div>'
    )
    site.add("/index.html", hy_page("首页", [("/", "首页")], home_main), kind="home", is_report=False)
    site.add("/xxgk/index.html", hy_page("信息公开", [("/", "首页"), ("/xxgk/", "信息公开")], home_main), kind="other", is_report=False)
    for href, name in NAV[1:]:
        if href != "/xxgk/":
            site.add(href + "index.html", hy_page(name, [("/", "首页"), (href, name)], f"<p>{name}栏目</p>"), kind="other", is_report=False)
    for p, name in (("/wzdt/", "网站地图"), ("/lxwm/", "联系我们"), ("/sybz/", "使用帮助"), ("/wap/", "手机版")):
        site.add(p + "index.html", hy_page(name, [("/", "首页"), (None, name)], f"<p>{name}</p>"), kind="other", is_report=False)
    # robots-disallowed search pages (linked from every page's header and from column A)
    search = hy_page("站内搜索", [("/", "首页"), (None, "站内搜索")], "<p>搜索结果：共0条</p>")
    for p in ("/search/index.html", "/search/advanced.html", "/search/search.jsp"):
        site.add(p, search, kind="other", is_report=False, robots_disallowed=True)
    site.write(out)
    return site


def main(argv: list[str] | None = None) -> int:
    out = Path(argv[0]) if argv else HERE
    site = build(out)
    print(f"wrote {len(site.files)} files, {len(site.pages)} manifest entries to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
