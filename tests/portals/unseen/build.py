"""Generate the *unseen* test portal (site/, manifest.json) - a portal the crawler
and the extractor were not tuned on: 攸县人民政府 (株洲市) and its departments,
reports on 2009-2023, a different page layout and nastier habits.

    .venv/bin/python tests/portals/unseen/build.py

Columns
  /zwgk/zfxxgknb/index.html    index.html, index_2.html, index_3.html (plain links; index_3 is GBK)
  /bmxxgk/nb/index.html        TRS createPageHTML(2, i, "index", "html") -> index_1.html

Quirks (site/quirks.json): a list page that answers 500 once, a list page that
answers 429 + Retry-After once, two slow pages (2 s), a dead detail link, a
Hanweb-style downfile.jsp attachment with a raw UTF-8 filename, robots.txt
disallowing /admin/ which the footer links to, links off the host.
"""
from __future__ import annotations

import random
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sys as _sys
from pathlib import Path as _Path

_sys.path.insert(0, str(_Path(__file__).resolve().parents[3]))  # run as a script: the checkout's tools/
from tools.demo_portal import forms
from tools.demo_portal.build import PAGE_JS
from tools.demo_portal.forms import esc
from tools.demo_portal.sitekit import (
    Site,
    gk2008_report_html,
    make_docx,
    modern_report_html,
    modern_table_rows,
    paras_html,
)

HERE = Path(__file__).resolve().parent
U1 = "/zwgk/zfxxgknb/"
U2 = "/bmxxgk/nb/"
OFFSITE = ["http://www.zhuzhou.gov.cn/", "http://www.gov.cn/zhengce/xxgk/index.htm", "https://www.hunan.gov.cn/"]


@dataclass
class Doc:
    path: str
    title: str
    published: str
    content: str
    source: str
    is_report: bool
    body: str | None = None
    year: int | None = None
    template: str | None = None
    list_title: str | None = None
    href: str | None = None
    encoding: str = "utf-8"
    attachments: list[tuple[str, str]] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)
    exists: bool = True


def yx_page(title: str, crumbs: list[tuple[str | None, str]], main: str, charset: str = "utf-8") -> str:
    crumb = " &gt;&gt; ".join(f'<a href="{h}">{esc(t)}</a>' if h else f"<span>{esc(t)}</span>" for h, t in crumbs)
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="{charset}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)}-攸县人民政府</title>
<link rel="stylesheet" href="/static/css/main.css">
</head>
<body>
<div class="head"><div class="wrap"><div class="logo"><a href="/">攸县人民政府</a></div>
<div class="tools"><a href="/">首页</a> | <a href="http://www.zhuzhou.gov.cn/" target="_blank">株洲市人民政府</a> | <a href="/admin/login.html">管理登录</a></div></div></div>
<div class="menu"><div class="wrap"><a href="/">首 页</a><a href="/zwgk/index.html">政务公开</a><a href="/bmxxgk/index.html">部门信息公开</a><a href="/hdjl/index.html">政民互动</a></div></div>
<div class="wrap">
<div class="position">您当前的位置：{crumb}</div>
{main}
</div>
<div class="foot"><div class="wrap">
<p>版权所有：攸县人民政府 &nbsp; 主办：攸县人民政府办公室 &nbsp; 承办：攸县政务服务中心</p>
<p>湘ICP备12003561号-1 &nbsp; 网站标识码：4302230001 &nbsp; <a href="https://www.hunan.gov.cn/" target="_blank">湖南省人民政府</a> &nbsp; <a href="http://www.gov.cn/zhengce/xxgk/index.htm" target="_blank">中国政府网信息公开</a></p>
</div></div>
</body>
</html>
"""


def yx_detail(d: Doc) -> str:
    att = ""
    if d.attachments:
        att = "<div class=\"fj\"><b>附件下载：</b>" + "".join(
            f'<p><a href="{esc(h)}">{esc(t)}</a></p>' for h, t in d.attachments
        ) + "</div>"
    return f"""<div class="detail">
<div class="detail_title">{esc(d.title)}</div>
<div class="detail_info"><span>信息来源：{esc(d.source)}</span><span>发布日期：{d.published}</span><span>点击数：<em id="clicks">0</em></span>
<span>【字号 <a href="javascript:setFont(18)">大</a> <a href="javascript:setFont(16)">中</a> <a href="javascript:setFont(14)">小</a>】</span></div>
<div class="detail_con" id="zoomcon">
{d.content}
</div>
{att}
<div class="detail_foot"><a href="javascript:window.print();">打印</a> <a href="javascript:window.close();">关闭</a></div>
</div>"""


def docs_u1(site: Site) -> list[Doc]:
    out: list[Doc] = []

    def gk2008(year: int, pub: str, ident: str, title: str, body: str, enc: str = "utf-8", style: str = "plain", **kw):
        rng = random.Random(f"yx{year}{body}")
        rows = forms.synth_gk2008(rng)
        path = f"{U1}{pub[:4]}{pub[5:7]}/t{pub.replace('-', '')}_{ident}.html"
        out.append(Doc(path, title, pub, gk2008_report_html(body, year, rows, style), body + "办公室", True, body, year,
                       "gk2008", encoding=enc, href=path, facts={"metrics": forms.gk2008_metrics(rows), "table_layout": style}, **kw))

    def modern(year: int, pub: str, ident: str, title: str, body: str, tpl: str, **kw):
        rng = random.Random(f"yx{year}{body}")
        m = forms.synth_modern(rng, tpl, county=True)
        forms.check_modern(m, tpl)
        path = f"{U1}{pub[:4]}{pub[5:7]}/t{pub.replace('-', '')}_{ident}.html"
        out.append(Doc(path, title, pub, modern_report_html(body, year, tpl, m, rng, "攸县人民政府"), body, True, body, year, tpl,
                       href=path, facts={"metrics": m}, **kw))

    gk2008(2009, "2010-03-25", "90001", "攸县人民政府2009年政府信息公开工作年度报告", "攸县人民政府", enc="gbk")
    gk2008(2011, "2012-03-29", "90002", "攸县人民政府2011年政府信息公开工作年度报告", "攸县人民政府", enc="gbk", style="rowspan")
    gk2008(2012, "2013-03-28", "90003", "攸县人民政府2012年政府信息公开工作年度报告", "攸县人民政府", style="word")
    # irregular title: no body in the title
    gk2008(2016, "2017-03-30", "90004", "2016年度政府信息公开工作报告", "攸县人民政府", style="rowspan")
    modern(2019, "2020-01-20", "90005", "攸县人民政府2019年政府信息公开工作年度报告", "攸县人民政府", "gk2019")
    modern(2020, "2021-01-26", "90006", "攸县人民政府2020年政府信息公开工作年度报告", "攸县人民政府", "gk2019")
    site.quirks[out[-1].path] = {"delay": 2.0}
    out[-1].facts["quirk"] = "slow 2 s"
    modern(2021, "2022-01-24", "90007", "攸县网岭镇2021年政府信息公开工作年度报告", "攸县网岭镇人民政府", "gk2021")
    modern(2023, "2024-01-25", "90008", "攸县人民政府2023年政府信息公开工作年度报告", "攸县人民政府", "gk2021")
    # dead link
    out.append(Doc(f"{U1}201503/t20150327_90009.html", "攸县人民政府2014年政府信息公开工作年度报告", "2015-03-27", "", "攸县人民政府",
                   True, "攸县人民政府", 2014, "gk2008", href=f"{U1}201503/t20150327_90009.html", exists=False))
    # non-reports with deceptive titles
    out.append(Doc(f"{U1}202001/t20200106_90010.html", "关于报送2019年政府信息公开工作年度报告的通知", "2020-01-06", paras_html([
        "各乡镇人民政府，县直各单位：",
        "根据《中华人民共和国政府信息公开条例》规定，请各单位于2020年1月20日前将本单位2019年政府信息公开工作年度报告报送县政务公开办，并在县政府门户网站发布。",
        "年度报告应当严格按照国务院办公厅政府信息与政务公开办公室印发的新格式编制。",
        "攸县人民政府办公室",
        "2020年1月6日"]), "攸县人民政府办公室", False, href=f"{U1}202001/t20200106_90010.html", facts={"kind_of_document": "notice"}))
    out.append(Doc(f"{U1}202202/t20220220_90011.html", "攸县2021年度法治政府建设工作报告", "2022-02-20", paras_html([
        "2021年，攸县坚持以习近平法治思想为指导，全面推进法治政府建设，现将有关情况报告如下。",
        "一、主要举措和成效。（一）深化“放管服”改革。（二）推进政务公开，全年主动公开政府信息8000余条。",
        "二、存在的不足和下一步打算。"]), "攸县司法局", False, href=f"{U1}202202/t20220220_90011.html", facts={"kind_of_document": "rule_of_law_report"}))
    out.append(Doc(f"{U1}201906/t20190601_90012.html", "攸县人民政府政府信息公开指南", "2019-06-01", paras_html([
        "为了更好地为公民、法人和其他组织获取政府信息提供服务，根据《中华人民共和国政府信息公开条例》，编制本指南。",
        "一、主动公开 二、依申请公开 三、政府信息公开工作年度报告：本机关于每年1月31日前公布上一年度政府信息公开工作年度报告。"]),
        "攸县人民政府办公室", False, href=f"{U1}201906/t20190601_90012.html", facts={"kind_of_document": "guide"}))
    return out


def docs_u2(site: Site) -> list[Doc]:
    out: list[Doc] = []
    # 交通运输局 2022, irregular title
    rng = random.Random("yxjt2022")
    m = forms.synth_modern(rng, "gk2021", county=True)
    forms.check_modern(m, "gk2021")
    out.append(Doc(f"{U2}202301/t20230116_80001.html", "攸县交通运输局关于2022年度政府信息公开工作的年度报告", "2023-01-16",
                   modern_report_html("攸县交通运输局", 2022, "gk2021", m, rng, "攸县人民政府"), "攸县交通运输局", True, "攸县交通运输局",
                   2022, "gk2021", href="./202301/t20230116_80001.html", facts={"metrics": m}))
    # 年报 only in the page: the title says 工作情况
    rng = random.Random("yxtj2018")
    rows = forms.synth_gk2008(rng)
    content = gk2008_report_html("攸县统计局", 2018, rows, "rowspan").replace(
        "特向社会公布2018年度攸县统计局政府信息公开工作年度报告", "现公布攸县统计局2018年政府信息公开工作年报")
    out.append(Doc(f"{U2}201903/t20190315_80002.html", "攸县统计局2018年政府信息公开工作情况", "2019-03-15", content, "攸县统计局", True,
                   "攸县统计局", 2018, "gk2008", href="./201903/t20190315_80002.html",
                   facts={"metrics": forms.gk2008_metrics(rows), "title_has_no_report_word": True}))
    # published as an attachment only
    rng = random.Random("yxwj2020")
    m = forms.synth_modern(rng, "gk2019", county=True)
    forms.check_modern(m, "gk2019")
    paras = [
        "本报告根据《中华人民共和国政府信息公开条例》和《中华人民共和国政府信息公开工作年度报告格式》（国办公开办函〔2019〕60号）编制。本报告所列数据的统计期限自2020年1月1日起至2020年12月31日止。",
        f"一、总体情况。2020年，攸县卫生健康局新收政府信息公开申请{m['requests.new.total']}件，上年结转{m['requests.carried_in.total']}件，办结{m['requests.result.total.total']}件。",
        "三、收到和处理政府信息公开申请情况（见下表）",
    ]
    t3 = [[str(c) for c in r] for r in modern_table_rows(m, "gk2019")]
    docx = make_docx("攸县卫生健康局2020年政府信息公开工作年度报告", paras, t3)
    t3_metrics = {k: v for k, v in m.items() if k.startswith("requests.")}
    site.add("/module/download/files/yxwjj2020nb.docx", docx, kind="attachment", is_report=True,
             title="攸县卫生健康局2020年政府信息公开工作年度报告", body="攸县卫生健康局", year=2020, template="gk2019",
             published="2021-01-29", via="/module/download/downfile.jsp?classid=0&filename=yxwjj2020nb.docx",
             metrics=t3_metrics, note="only table 三 is in the document")
    site.quirks["/module/download/downfile.jsp?classid=0&filename=yxwjj2020nb.docx"] = {
        "file": "/module/download/files/yxwjj2020nb.docx",
        "content_type": "application/octet-stream",
        "content_disposition": "attachment; filename=攸县卫生健康局2020年政府信息公开工作年度报告.docx",
    }
    out.append(Doc(f"{U2}202101/t20210129_80003.html", "攸县卫生健康局2020年政府信息公开工作年度报告", "2021-01-29",
                   '<p style="text-align:center;">（详见附件）</p>', "攸县卫生健康局", True, "攸县卫生健康局", 2020, "gk2019",
                   href="./202101/t20210129_80003.html",
                   attachments=[("/module/download/downfile.jsp?classid=0&filename=yxwjj2020nb.docx", "攸县卫生健康局2020年政府信息公开工作年度报告.docx")],
                   facts={"report_in_attachment": "/module/download/downfile.jsp?classid=0&filename=yxwjj2020nb.docx"}))
    # short title, narrative
    out.append(Doc(f"{U2}201502/t20150210_80004.html", "攸县发展和改革局2014年政府信息公开年报", "2015-02-10", paras_html([
        "根据《中华人民共和国政府信息公开条例》要求，现将攸县发展和改革局2014年政府信息公开工作情况报告如下：",
        "一、概述。2014年，我局主动公开政府信息326条，其中规范性文件4件。",
        "二、依申请公开情况。全年共受理政府信息公开申请3件，均按时答复。",
        "三、行政复议和行政诉讼情况。全年未发生因政府信息公开引起的行政复议和行政诉讼。",
        "四、存在的问题及改进措施。信息更新不够及时，下一步将加强培训。"]), "攸县发展和改革局", True, "攸县发展和改革局", 2014,
        "narrative", href="./201502/t20150210_80004.html"))
    # 2013 department report
    rng = random.Random("yxjy2013")
    rows = forms.synth_gk2008(rng)
    out.append(Doc(f"{U2}201403/t20140320_80005.html", "攸县教育局2013年政府信息公开工作年度报告", "2014-03-20",
                   gk2008_report_html("攸县教育局", 2013, rows, "plain"), "攸县教育局", True, "攸县教育局", 2013, "gk2008",
                   href="./201403/t20140320_80005.html", facts={"metrics": forms.gk2008_metrics(rows), "table_layout": "plain"}))
    # dead link
    out.append(Doc(f"{U2}201803/t20180320_80006.html", "攸县教育局2017年政府信息公开工作年度报告", "2018-03-20", "", "攸县教育局", True,
                   "攸县教育局", 2017, "gk2008", href="./201803/t20180320_80006.html", exists=False))
    return out


def _row(d: Doc, from_dir: str) -> str:
    return (f'<tr><td class="t"><a href="{esc(d.href or d.path)}" target="_blank" title="{esc(d.title)}">{esc(d.list_title or d.title)}</a></td>'
            f'<td class="d">[{d.published}]</td></tr>')


def build(out: Path = HERE) -> Site:
    site = Site("unseen", "攸县人民政府门户网站 (株洲市), a second CMS layout with misbehaving pages, for tests")
    site.robots_disallow = ["/admin/"]
    site.offsite_links.update(OFFSITE)
    site.add("/robots.txt", "User-agent: *\nDisallow: /admin/\nCrawl-delay: 0\n")
    site.add("/static/css/main.css", "body{font:14px/1.8 sans-serif}.wrap{width:1100px;margin:0 auto}.list td.d{color:#999}\n")
    site.add("/static/js/page.js", PAGE_JS)
    site.add("/admin/login.html", yx_page("管理登录", [("/", "首页"), (None, "管理登录")], "<form><input name=u><input name=p type=password></form>"),
             kind="other", is_report=False, robots_disallowed=True)

    d1 = sorted(docs_u1(site), key=lambda d: d.published, reverse=True)
    d2 = sorted(docs_u2(site), key=lambda d: d.published, reverse=True)

    # ---- U1: index.html, index_2.html, index_3.html (GBK) -------------------------
    per = 5
    chunks = [d1[i : i + per] for i in range(0, len(d1), per)]
    names = ["index.html"] + [f"index_{i}.html" for i in range(2, len(chunks) + 1)]
    crumbs = [("/", "首页"), ("/zwgk/index.html", "政务公开"), (None, "政府信息公开年报")]
    for i, (chunk, name) in enumerate(zip(chunks, names)):
        rows = "\n".join(_row(d, U1) for d in chunk)
        pager = [f'<a href="{names[0]}">首页</a>']
        if i > 0:
            pager.append(f'<a href="{names[i - 1]}">上一页</a>')
        if i < len(names) - 1:
            pager.append(f'<a href="{names[i + 1]}">下一页</a>')
        pager.append(f'<a href="{names[-1]}">末页</a>')
        main = (f'<div class="list_box"><h3>政府信息公开年报</h3><table class="list" width="100%">\n{rows}\n</table>'
                f'<div class="pagination">{"".join(pager)} 当前第{i + 1}/{len(names)}页</div></div>')
        charset = "gbk" if i == len(names) - 1 else "utf-8"
        facts: dict[str, Any] = {"kind": "list", "column": U1, "is_report": False, "page": i + 1}
        site.add(U1 + name, yx_page("政府信息公开年报", crumbs, main, charset=charset), encoding=charset, **facts)
    site.quirks[U1 + "index_2.html"] = {"status": 500, "times": 1}
    site.columns.append({"name": "政府信息公开年报", "path": U1 + "index.html", "pagination": "index_N.html (N from 2), plain links",
                         "pages": [U1 + n for n in names]})

    # ---- U2: TRS createPageHTML ----------------------------------------------------
    per = 3
    chunks = [d2[i : i + per] for i in range(0, len(d2), per)]
    names2 = ["index.html"] + [f"index_{i}.html" for i in range(1, len(chunks))]
    crumbs2 = [("/", "首页"), ("/bmxxgk/index.html", "部门信息公开"), (None, "部门年报")]
    for i, (chunk, name) in enumerate(zip(chunks, names2)):
        rows = "\n".join(_row(d, U2) for d in chunk)
        main = (f'<div class="list_box"><h3>部门政府信息公开年报</h3><table class="list" width="100%">\n{rows}\n</table>'
                f'<div class="pagination"><script src="/static/js/page.js"></script>'
                f'<script>createPageHTML({len(names2)}, {i}, "index", "html");</script></div></div>')
        site.add(U2 + name, yx_page("部门年报", crumbs2, main), kind="list", column=U2, is_report=False, page=i + 1)
    site.quirks[U2 + "index_1.html"] = {"status": 429, "retry_after": 1, "times": 1}
    site.quirks[U2 + "index.html"] = {"delay": 2.0}
    site.columns.append({"name": "部门年报（TRS）", "path": U2 + "index.html", "pagination": 'createPageHTML(n, i, "index", "html")',
                         "pages": [U2 + n for n in names2]})

    # ---- details --------------------------------------------------------------------
    for d in d1 + d2:
        col = U1 if d in d1 else U2
        if not d.exists:
            site.fact(path=d.path, kind="missing", status=404, is_report=d.is_report, title=d.title, body=d.body,
                      year=d.year, template=d.template, published=d.published, column=col)
            continue
        crumbs_d = (crumbs if col == U1 else crumbs2)[:-1] + [(None, "正文")]
        charset = "gbk" if d.encoding == "gbk" else "utf-8"
        facts = {"kind": "detail", "column": col, "status": 200, "is_report": d.is_report, "title": d.title,
                 "body": d.body, "year": d.year, "template": d.template, "published": d.published}
        if d.href and d.href != d.path:
            facts["href"] = d.href
        if d.attachments:
            facts["attachments"] = [h for h, _ in d.attachments]
        if d.path in site.quirks:
            facts["quirk"] = site.quirks[d.path]
        facts.update(d.facts)
        site.add(d.path, yx_page(d.title, crumbs_d, yx_detail(d), charset=charset), encoding=d.encoding, **facts)

    home = (f'<ul><li><a href="{U1}index.html">政府信息公开年报</a></li><li><a href="{U2}index.html">部门年报</a></li>'
            f'<li><a href="http://www.zhuzhou.gov.cn/">株洲市人民政府</a></li></ul>')
    site.add("/index.html", yx_page("首页", [("/", "首页")], home), kind="home", is_report=False)
    for p, n in (("/zwgk/index.html", "政务公开"), ("/bmxxgk/index.html", "部门信息公开"), ("/hdjl/index.html", "政民互动")):
        site.add(p, yx_page(n, [("/", "首页"), (None, n)], home), kind="other", is_report=False)
    # list-page quirks in the manifest
    for p in site.pages:
        if p["path"] in site.quirks and "quirk" not in p:
            p["quirk"] = site.quirks[p["path"]]
    site.write(out)
    return site


if __name__ == "__main__":
    s = build(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
    print(f"wrote {len(s.files)} files, {len(s.pages)} manifest entries")
