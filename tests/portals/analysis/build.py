"""Generate the *analysis* test portal (site/, before/, manifest.json): four bodies of
衡阳 reporting on 2018-2022 under varying names, with reports missing, late, corrected
and edited - what coverage, aliases, rates and the feed are tested on.

    .venv/bin/python tests/portals/analysis/build.py

One column, /xxgk/ndbg/index.html + pages/2.html (Hengyang chrome of the demo portal).
`site/` is the portal as it is at the second crawl; `before/` holds the files that were
different at the first crawl (the list pages without the late 2022 report of 衡阳市档案局,
and the first version of 衡阳市卫生健康委员会's 2021 report, edited afterwards).

Bodies (name as the report writes it -> the one body it is):
  衡阳市人民政府   2019 on time; 2020 as 衡阳市政府, late; 2021 missing; 2022 on time, then a
                  更正说明 and a republished 修订版 (counts once, by the first publication)
  衡阳市蒸湘区人民政府  2019 as 蒸湘区人民政府 on the deadline day; 2020 late by 1 day;
                  2021 on time; 2022 missing
  衡阳市卫生健康委员会  2018 as 衡阳市卫生和计划生育委员会 (gk2008); 2019 late; 2020, 2021
                  (edited between the crawls), 2022 on time
  衡阳市档案局     2021: no request at all (rates must be empty, not 0); 2022 late, and its
                  table breaks a consistency rule; only at the second crawl
"""
from __future__ import annotations

import json
import random
import sys
from pathlib import Path

from nianbao.demo_portal import forms
from tools.demo_portal.build import CSS, Doc, hy_article, hy_page, rel_href
from tools.demo_portal.forms import esc
from tools.demo_portal.sitekit import Site, gk2008_report_html, modern_report_html, paras_html

HERE = Path(__file__).resolve().parent
COL = "/xxgk/ndbg/"
TITLE = "{name}{year}年政府信息公开工作年度报告"

# (name as written, canonical body, year, template, published, path, options)
REPORTS = [
    ("衡阳市人民政府", "衡阳市人民政府", 2019, "gk2019", "2020-01-20", "/20200120/i4019001.html", {}),
    ("衡阳市政府", "衡阳市人民政府", 2020, "gk2019", "2021-03-05", "/20210305/i4020001.html", {}),
    ("衡阳市人民政府", "衡阳市人民政府", 2022, "gk2021", "2023-01-16", "/20230116/i4022001.html", {}),
    ("衡阳市人民政府", "衡阳市人民政府", 2022, "gk2021", "2023-02-20", "/20230220/i4022002.html",
     {"title_suffix": "（修订版）", "republished_of": "/20230116/i4022001.html"}),
    ("蒸湘区人民政府", "衡阳市蒸湘区人民政府", 2019, "gk2019", "2020-01-31", "/20200131/i4119001.html", {}),
    ("衡阳市蒸湘区人民政府", "衡阳市蒸湘区人民政府", 2020, "gk2019", "2021-02-01", "/20210201/i4120001.html", {}),
    ("衡阳市蒸湘区人民政府", "衡阳市蒸湘区人民政府", 2021, "gk2021", "2022-01-28", "/20220128/i4121001.html", {}),
    ("衡阳市卫生和计划生育委员会", "衡阳市卫生健康委员会", 2018, "gk2008", "2019-03-29", "/20190329/i4218001.html", {}),
    ("衡阳市卫生健康委员会", "衡阳市卫生健康委员会", 2019, "gk2019", "2020-02-15", "/20200215/i4219001.html", {}),
    ("衡阳市卫生健康委员会", "衡阳市卫生健康委员会", 2020, "gk2019", "2021-01-25", "/20210125/i4220001.html", {}),
    ("衡阳市卫生健康委员会", "衡阳市卫生健康委员会", 2021, "gk2021", "2022-01-30", "/20220130/i4221001.html", {"edited": True}),
    ("衡阳市卫生健康委员会", "衡阳市卫生健康委员会", 2022, "gk2021", "2023-01-20", "/20230120/i4222001.html", {}),
    ("衡阳市档案局", "衡阳市档案局", 2021, "gk2021", "2022-01-26", "/20220126/i4321001.html", {"no_requests": True}),
    ("衡阳市档案局", "衡阳市档案局", 2022, "gk2021", "2023-04-10", "/20230410/i4322001.html",
     {"breaks_rule": True, "second_crawl_only": True}),
]
CORRECTION = ("/20230210/i4022009.html", "关于衡阳市人民政府2022年政府信息公开工作年度报告的更正说明", "2023-02-10")


def _zero_requests(m: dict) -> None:
    for k in list(m):
        if k.startswith(("requests.", "review.", "litigation_direct.", "litigation_after_review.")):
            m[k] = 0


def report_doc(written, canonical, year, template, published, path, opts, version=1) -> Doc:
    rng = random.Random(f"{canonical}{year}{opts.get('title_suffix', '')}v{version}")
    title = TITLE.format(name=written, year=year) + opts.get("title_suffix", "")
    facts: dict = {"canonical_body": canonical}
    if template == "gk2008":
        rows = forms.synth_gk2008(rng, scale=3)
        content = gk2008_report_html(written, year, rows)
        facts["metrics"] = forms.gk2008_metrics(rows)
    else:
        m = forms.synth_modern(rng, template, county=True, busy=2)
        if opts.get("no_requests"):
            _zero_requests(m)
        forms.check_modern(m, template)
        if opts.get("breaks_rule"):  # the table's total no longer adds up
            m["requests.result.total.total"] += 5
        content = modern_report_html(written, year, template, m, rng, written)
        facts["metrics"] = m
    facts.update({k: v for k, v in opts.items() if k != "title_suffix"})
    return Doc(path, title, published, content, written, True, written, year, template, facts=facts)


def correction_doc() -> Doc:
    path, title, published = CORRECTION
    content = paras_html([
        "我府于2023年1月16日发布的《衡阳市人民政府2022年政府信息公开工作年度报告》中“收到和处理政府信息公开申请情况”表格部分数据填报有误，现予以更正。",
        "更正后的年度报告已重新发布，原报告同时保留，特此说明。",
        "衡阳市人民政府办公室",
        "2023年2月10日",
    ])
    return Doc(path, title, published, content, "衡阳市人民政府办公室", False,
               facts={"kind_of_document": "correction", "corrects": "/20230116/i4022001.html"})


def _list_pages(docs: list[Doc], per: int = 8) -> dict[str, str]:
    docs = sorted(docs, key=lambda d: (d.published, d.path), reverse=True)
    chunks = [docs[i: i + per] for i in range(0, len(docs), per)]
    paths = [COL + "index.html"] + [f"{COL}pages/{i}.html" for i in range(2, len(chunks) + 1)]
    crumbs = [("/", "首页"), ("/xxgk/", "信息公开"), (COL + "index.html", "政府信息公开年报")]
    out = {}
    for i, (chunk, ppath) in enumerate(zip(chunks, paths)):
        pdir = ppath.rsplit("/", 1)[0] + "/"
        items = "\n".join(
            f'<li><a href="{esc(rel_href(pdir, d.path))}" title="{esc(d.title)}" target="_blank">{esc(d.title)}</a>'
            f'<span>{d.published}</span></li>' for d in chunk)
        pager = []
        if i > 0:
            pager.append(f'<a href="{rel_href(pdir, paths[i - 1])}">上一页</a>')
        if i < len(chunks) - 1:
            pager.append(f'<a href="{rel_href(pdir, paths[i + 1])}">下一页</a>')
        main = (f'<div class="list-right"><div class="list-title">政府信息公开年报</div>\n<ul class="qiexian">\n{items}\n</ul>\n'
                f'<div class="page">{" ".join(pager)} <span>共{len(chunks)}页</span></div></div>')
        out[ppath] = hy_page("政府信息公开年报", crumbs, main, meta={"ColumnName": "政府信息公开年报"})
    return out


def _detail_html(d: Doc) -> str:
    crumbs = [("/", "首页"), ("/xxgk/", "信息公开"), (COL + "index.html", "政府信息公开年报")]
    meta = {"ArticleTitle": d.title, "PubDate": d.published + " 00:00", "ContentSource": d.source,
            "ColumnName": "政府信息公开年报"}
    return hy_page(d.title, crumbs, hy_article(d, [], 500), meta=meta)


def build(out: Path = HERE) -> Site:
    site = Site("analysis", "衡阳 bodies over 2018-2022: missing, late, corrected and edited reports (analysis tests)")
    site.add("/robots.txt", "User-agent: *\nDisallow: /search/\n")
    site.add("/css/style.css", CSS)
    site.add("/js/common.js", "function doZoom(size){document.getElementById('zoom').style.fontSize=size+'px';}\n")
    reports = [report_doc(*spec) for spec in REPORTS]
    docs = reports + [correction_doc()]
    first_crawl = [d for d in docs if not d.facts.get("second_crawl_only")]
    final_lists, before_lists = _list_pages(docs), _list_pages(first_crawl)
    for path, html_text in final_lists.items():
        site.add(path, html_text, kind="list", is_report=False, column=COL)
    for d in docs:
        facts = {"kind": "detail", "is_report": d.is_report, "title": d.title, "published": d.published, "column": COL}
        if d.is_report:
            facts.update(body=d.body, year=d.year, template=d.template)
        facts.update(d.facts)
        site.add(d.path, _detail_html(d), **facts)
    site.columns.append({"name": "政府信息公开年报", "path": COL + "index.html", "pagination": "pages/N.html",
                         "pages": list(final_lists)})
    site.write(out)

    # before/: the files as they were at the first crawl
    before = out / "before"
    import shutil

    shutil.rmtree(before, ignore_errors=True)
    assert set(before_lists) == set(final_lists)  # the same list pages, one item fewer
    files = dict(before_lists)
    for spec, d in zip(REPORTS, reports):
        if spec[6].get("edited"):
            files[d.path] = _detail_html(report_doc(*spec, version=0))
    for path, html_text in files.items():
        f = before / path.lstrip("/")
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(html_text, "utf-8")
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    manifest["before"] = sorted(files)  # files that were different at the first crawl
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", "utf-8")
    return site


def main(argv: list[str] | None = None) -> int:
    site = build(Path(argv[0]) if argv else HERE)
    print(f"wrote {len(site.files)} files, {len(site.pages)} manifest entries")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
