"""The analysis layer in Datasette: pick-lists for canned query parameters and the
body × year coverage matrix.

- Datasette renders every canned query parameter as a text box; a reader cannot guess a
  body id or a figure's spec name. `extra_body_script` turns the boxes named `body`,
  `region`, `year`, `level`, `figure`, `template` into drop-down lists filled from the
  live database (and keeps the box for anything else), on every canned query page.
- `/-/nianbao/coverage` is the matrix: one row per expected body, one column per year,
  each cell the `coverage` view's status linking to the report (or to the coverage row).
"""
from __future__ import annotations

import json
import re
import urllib.parse
from html import escape

from datasette import hookimpl
from datasette.utils.asgi import Response

from nianbao.extract.analysis_views import RATES

LEVEL_LABELS = {"province": "省级 province", "city": "市级 city", "county": "县级 county",
                "township": "乡镇 township", "department": "部门 department"}
RATE_LABELS = {
    "share_granted": "予以公开占比 share granted", "share_partly_granted": "部分公开占比 share partly granted",
    "share_refused": "不予公开占比 share refused", "review_per_100_requests": "每百件申请行政复议数 reviews per 100 requests",
    "litigation_per_100_requests": "每百件申请行政诉讼数 lawsuits per 100 requests",
    "review_correction_rate": "行政复议纠错率 review correction rate",
    "litigation_correction_rate": "行政诉讼纠错率 litigation correction rate",
}
STATUS_LABELS = {"on_time": "按时", "late": "逾期", "missing": "未发布", "not_yet_due": "未到期", "undated": "日期不详"}
PICKLIST_PARAMS = ("body", "region", "year", "level", "figure", "template")
# Chinese names of the canned queries' parameters (Datasette labels the boxes with the bare name)
PARAM_LABELS = {"body": "机关 body", "region": "地区 region", "year": "年度 year", "level": "级别 level",
                "figure": "指标 figure", "template": "统计表格式 template", "q": "检索词 q", "name": "可比指标 name",
                "since": "上次访问日期 since", "report_id": "报告编号 report_id"}


def code_label(column: str, value) -> str | None:
    """A coverage status or body level code in words ("逾期 late"), for cells and lists."""
    if not isinstance(value, str):
        return None
    if column == "status" and value in STATUS_LABELS:
        return f"{STATUS_LABELS[value]} {value}"
    if column == "level" and value in LEVEL_LABELS:
        return LEVEL_LABELS[value]
    return None


def _database_name(datasette, request=None) -> str | None:
    wanted = request.args.get("db") if request is not None else None
    if wanted and wanted in datasette.databases:
        return wanted
    return next((name for name, db in datasette.databases.items() if not db.is_memory and name != "_internal"), None)


def region_prefixes(regions) -> list[str]:
    """Every region and the regions enclosing it (湖南省衡阳市衡南县 -> 湖南省, 湖南省衡阳市, …)."""
    out = set()
    for region in regions:
        if not region:
            continue
        for m in re.finditer(r"(省|自治区|市|州|盟|地区|县|区|旗)", region):
            out.add(region[: m.end()])
        out.add(region)
    return sorted(out)


async def picklist_options(db) -> dict[str, list[list]]:
    """Param name -> [[value, label], …] from the live database."""
    tables = set(await db.table_names())
    views = set(await db.view_names())
    if "bodies" not in tables or "report_figures" not in views:
        return {}
    bodies = await db.execute("select id, name, region from bodies where reports > 0 order by region, level, name")
    regions = await db.execute("select distinct region from bodies where reports > 0")
    years = await db.execute("select distinct year from reports where year is not null order by year desc")
    templates = await db.execute("select distinct template from reports where template is not null order by template")
    names = await db.execute("select name, label_zh from harmonized_names order by id")
    return {
        "body": [[r["id"], f"{r['name']}（{r['region']}）" if r["region"] else r["name"]] for r in bodies.rows],
        "region": [[r, r] for r in region_prefixes(r[0] for r in regions.rows)],
        "year": [[r[0], str(r[0])] for r in years.rows],
        "level": [[k, v] for k, v in LEVEL_LABELS.items()],
        "figure": [[r["name"], f"{r['label_zh']} {r['name']}"] for r in names.rows]
                  + [[k, RATE_LABELS.get(k, k)] for k in RATES],
        "template": [[r[0], r[0]] for r in templates.rows],
    }


PICKLIST_JS = """
(function () {
  var labels = %s;
  Object.keys(labels).forEach(function (name) {
    var box = document.querySelector('form [name="' + name + '"]');
    var label = box && box.id && document.querySelector('form label[for="' + box.id + '"]');
    if (label) label.textContent = labels[name];
  });
  var lists = %s;
  Object.keys(lists).forEach(function (name) {
    var box = document.querySelector('form input[type="text"][name="' + name + '"]');
    if (!box) return;
    var select = document.createElement('select');
    select.name = name; select.id = box.id; select.className = 'nianbao-picklist';
    var any = document.createElement('option'); any.value = ''; any.textContent = '（不限 any）';
    select.appendChild(any);
    lists[name].forEach(function (pair) {
      var o = document.createElement('option');
      o.value = String(pair[0]); o.textContent = pair[1];
      if (String(pair[0]) === box.value) o.selected = true;
      select.appendChild(o);
    });
    box.replaceWith(select);
  });
})();
"""


# The dashboard (datasette-dashboards) shows its select filters' values as they are
# (requests_received, county): this puts the Chinese labels on the options, and Chinese on
# its button and breadcrumbs. The values sent stay the codes the charts' SQL expects.
DASHBOARD_JS = """
(function () {
  var labels = %s;
  Array.prototype.forEach.call(document.querySelectorAll('.dashboard-filters select'), function (select) {
    var names = labels[select.name] || {};
    Array.prototype.forEach.call(select.options, function (o) {
      if (o.value && names[o.value]) o.textContent = names[o.value];
      if (!o.value) o.textContent = '（不限 any）';
    });
  });
  var apply = document.querySelector('.dashboard-filters input[type="submit"]');
  if (apply) apply.value = '应用 Apply';
  Array.prototype.forEach.call(document.querySelectorAll('p.crumbs a'), function (a) {
    var t = a.textContent.trim();
    if (t === 'home') a.textContent = '首页 home';
    if (t === 'dashboards') a.textContent = '图表 dashboards';
  });
})();
"""


async def dashboard_labels(datasette) -> dict[str, dict[str, str]]:
    name = _database_name(datasette)
    figures = {k: v for k, v in RATE_LABELS.items()}
    if name is not None:
        db = datasette.get_database(name)
        if "harmonized_names" in set(await db.table_names()):
            for r in (await db.execute("select name, label_zh from harmonized_names")).rows:
                figures[r[0]] = f"{r[1]} {r[0]}"
    return {"figure": figures, "level": dict(LEVEL_LABELS)}


@hookimpl
def extra_body_script(template, database, view_name, request, datasette):
    if template in ("dashboard_view.html", "dashboard_chart.html"):
        async def dashboard_script():
            return DASHBOARD_JS % json.dumps(await dashboard_labels(datasette), ensure_ascii=False)
        return dashboard_script
    if not template or not template.startswith("query") or not database:
        return None

    async def script():
        db = datasette.get_database(database)
        queries = await datasette.get_canned_queries(database, request.actor if request else None)
        name = request.url_vars.get("table") if request is not None else None
        query = queries.get(name) if name else None
        if query is None:
            return ""
        wanted = set(query.get("params") or re.findall(r":(\w+)", query.get("sql", "")))
        options = {k: v for k, v in (await picklist_options(db)).items() if k in wanted}
        labels = {k: v for k, v in PARAM_LABELS.items() if k in wanted}
        if not options and not labels:
            return ""
        return PICKLIST_JS % (json.dumps(labels, ensure_ascii=False), json.dumps(options, ensure_ascii=False))

    return script


# ------------------------------------------------------------------ coverage matrix
MATRIX_TEMPLATE = """{% extends "base.html" %}
{% block title %}年报发布情况 Coverage{% endblock %}
{% block extra_head %}<style>
table.coverage-matrix { border-collapse: collapse; font-size: 0.85rem; }
table.coverage-matrix th, table.coverage-matrix td { border: 1px solid #ccc; padding: 2px 6px; text-align: center; }
table.coverage-matrix th.body { text-align: left; }
td.status-on_time { background: #d9f2d9; } td.status-late { background: #ffe3b3; }
td.status-missing { background: #f7c6c6; } td.status-not_yet_due { background: #eee; color: #777; }
td.status-undated { background: #e6e0f5; }
</style>{% endblock %}
{% block body_class %}nianbao-coverage{% endblock %}
{% block content %}
<h1>年报发布情况 <small style="font-weight:normal">Who published, who was late, who is missing</small></h1>
<p>截止日期：2019年及以后的年报为次年1月31日，此前为次年3月31日。同一年报发布两次（更正）按首次发布计。
Deadline: 31 January of the next year for reports on 2019 and later, 31 March before.
<br>每一格取自 <a href="{{ urls.table(db, 'coverage') }}">按时发布情况（coverage）</a> 视图，点开可看报告。
Rows come from the <a href="{{ urls.table(db, 'coverage') }}">coverage</a> view.</p>
<form method="get" action="">
<label>地区 region <select name="region"><option value="">（不限 any）</option>
{% for r in regions %}<option value="{{ r }}"{% if r == region %} selected{% endif %}>{{ r }}</option>{% endfor %}</select></label>
<label>级别 level <select name="level"><option value="">（不限 any）</option>
{% for k, v in levels %}<option value="{{ k }}"{% if k == level %} selected{% endif %}>{{ v }}</option>{% endfor %}</select></label>
{% if request.args.get("db") %}<input type="hidden" name="db" value="{{ request.args.get("db") }}">{% endif %}
<input type="submit" value="显示 Show">
</form>
<p>{% for k, v in status_labels %}<span class="legend">{{ v }} {{ k }}: {{ totals.get(k, 0) }}</span>{% if not loop.last %} · {% endif %}{% endfor %}</p>
{% if rows %}
<table class="coverage-matrix">
<thead><tr><th class="body">机关 body</th>{% for y in years %}<th>{{ y }}</th>{% endfor %}</tr></thead>
<tbody>
{% for body in rows %}<tr data-body-id="{{ body.id }}"><th class="body"><a href="{{ urls.row(db, 'bodies', body.id) }}">{{ body.name }}</a></th>
{% for y in years %}{% set c = body.cells.get(y) %}{% if c %}<td class="status-{{ c.status }}" data-year="{{ y }}" data-status="{{ c.status }}" title="{{ c.title }}">{% if c.report_id %}<a href="{{ urls.row(db, 'reports', c.report_id) }}">{{ c.label }}</a>{% else %}{{ c.label }}{% endif %}</td>{% else %}<td></td>{% endif %}{% endfor %}
</tr>
{% endfor %}</tbody></table>
{% else %}<p>没有符合条件的机关和年度。 No expected reports for this choice.</p>{% endif %}
{% endblock %}
"""


async def coverage_matrix(request, datasette):
    name = _database_name(datasette, request)
    if name is None:
        return Response.text("no database", status=404)
    db = datasette.get_database(name)
    if not request.args.get("db") and "coverage" not in set(await db.view_names()):
        # the menu's link names no database: show the first one that has the view
        for other, candidate in datasette.databases.items():
            if other != "_internal" and not candidate.is_memory and "coverage" in set(await candidate.view_names()):
                name, db = other, candidate
                break
    if "coverage" not in set(await db.view_names()):
        return Response.text("no coverage view yet: run `nianbao extract`", status=404)
    region, level = request.args.get("region") or "", request.args.get("level") or ""
    result = await db.execute(
        "select body_id, body, year, status, published, deadline, days_late, report_id, reports, corrections "
        "from coverage where (:region = '' or region like :region || '%') and (:level = '' or level = :level) "
        "order by region, level, body, year", {"region": region, "level": level})
    bodies: dict[int, dict] = {}
    years, totals = set(), {}
    for r in result.rows:
        years.add(r["year"])
        totals[r["status"]] = totals.get(r["status"], 0) + 1
        label = STATUS_LABELS.get(r["status"], r["status"])
        if r["status"] == "late":
            label += f" {r['days_late']}天"
        if r["corrections"]:
            label += " 更正"
        title = f"{r['body']} {r['year']} 年：{STATUS_LABELS.get(r['status'], r['status'])}，截止 {r['deadline']}" + (
            f"，发布于 {r['published']}" if r["published"] else "") + f"（{r['status']}）"
        bodies.setdefault(r["body_id"], {"id": r["body_id"], "name": r["body"], "cells": {}})["cells"][r["year"]] = {
            "status": r["status"], "report_id": r["report_id"], "label": label, "title": title}
    regions = await db.execute("select distinct region from bodies where region is not null")
    template = datasette.jinja_env.from_string(MATRIX_TEMPLATE)
    html = await datasette.render_template(template, {
        "db": name, "rows": list(bodies.values()), "years": sorted(years), "region": region, "level": level,
        "regions": region_prefixes(r[0] for r in regions.rows), "levels": list(LEVEL_LABELS.items()),
        "status_labels": list(STATUS_LABELS.items()), "totals": totals,
    }, request=request)
    return Response.html(html)


ROUTES = [(r"^/-/nianbao/coverage$", coverage_matrix)]


def analysis_links(datasette, database: str | None = None) -> list[dict]:
    """The analysis pages (coverage matrix, dashboard): in the menu and in the home page's guide.
    The matrix shows the first database unless told another (`database`, as ?db=)."""
    coverage = "/-/nianbao/coverage"
    if database is not None and database != _database_name(datasette):
        coverage += "?" + urllib.parse.urlencode({"db": database})
    links = [{"href": datasette.urls.path(coverage), "zh": "年报发布情况", "en": "Coverage",
              "hint": "每个机关每年：按时、逾期或未发布（矩阵）。"}]
    if (datasette.plugin_config("datasette-dashboards") or {}).get("nianbao-analysis"):
        links.append({"href": datasette.urls.path("/-/dashboards/nianbao-analysis"), "zh": "图表", "en": "Dashboard",
                      "hint": "历年数字、机关间分布、发布情况和一致性检查的图表。"})
    return links


@hookimpl
def menu_links(datasette, actor):
    return [{"href": link["href"], "label": f"{link['zh']} {link['en']}"} for link in analysis_links(datasette)]
