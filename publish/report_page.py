"""The report page: one report laid out as it prints, every figure linked to its source.

`report_context(conn, report_id, ...)` gathers, from the database alone (and the archive
for earlier versions), what templates/row-nianbao-reports.html shows:

- the report's facts and its links (the live URL, the archived copy);
- its statistics in the tables of its template, with the official Chinese row and column
  labels of metric_codes (the gk2008 table; tables 二, 三, 四 of gk2019/gk2021), blank
  cells blank; each figure links to the archived copy at the cell it was read from;
- the comparable figures (harmonized), the only figures of narrative and variant reports,
  each linked to the sentence or cell it came from;
- the consistency checks in words (check_words.py), the attachments, and the versions with
  what changed between consecutive ones.

Tables are built here as rows of cell dicts (text, colspan, rowspan, header, figure) so the
template stays a dumb loop and the layout can be tested without a browser.
"""
from __future__ import annotations

import difflib
import functools
import json
import re

from nianbao.extract.templates import strip_numbering

from .capture_view import add_db, figure_url
from .check_words import describe

ARCHIVE_ROUTE = "/-/nianbao/capture/{id}"   # capture_view.py's route (figure_url builds the links)
TEMPLATE_NAMES = {
    "gk2008": "2008 年版统计表（国务院办公厅 2008–2018 年报告格式）",
    "gk2019": "2019 年版格式（国办公开办函〔2019〕60号）",
    "gk2021": "2021 年版格式（国办公开办函〔2021〕30号）",
    "variant": "地方自定统计表（不同于全国格式）",
    "narrative": "无统计表，数字见正文",
}
METHOD_NAMES = {"table": "表格", "text-layout": "正文中的表格", "flattened-decoded": "拆开的表格文字",
                "narrative": "正文句子", "ocr": "扫描件文字识别"}
T3_RESULTS = "三、本年度办理结果"
T3_CORNER = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"


# ------------------------------------------------------------------ numbers and links

def format_value(value, unit: str | None = None) -> str:
    """Counts as integers (94, never 94.0); amounts keep their decimals (万元)."""
    if value is None or value == "":
        return ""
    if isinstance(value, float):
        if value.is_integer() and unit != "万元":
            return str(int(value))
        return f"{value:.6f}".rstrip("0").rstrip(".")
    return str(value)


def capture_href(capture_id, grid=None, row=None, col=None, raw=None, base: str = "", method: str | None = "table",
                 db: str | None = None) -> str | None:
    """Link to the archived copy at a table cell (grid/row/col) or a sentence (q): the viewer's
    own URL (capture_view.figure_url), under Datasette's base URL."""
    if capture_id is None:
        return None
    return base + figure_url(capture_id, raw=str(raw) if raw else None, method=method, src_grid=grid,
                             src_row=row, src_col=col, db=db)


# ------------------------------------------------------------------ labels

def _pick(label: str | None, template: str) -> str:
    """The spec writes labels that differ between the 2019 and 2021 forms as "A / B"."""
    label = (label or "").strip()
    if " / " in label:
        parts = [p.strip() for p in label.split(" / ")]
        return parts[-1] if template == "gk2021" else parts[0]
    return label


def _cell(text="", *, colspan=1, rowspan=1, header=False, figure=None, cls=""):
    return {"text": text, "colspan": colspan, "rowspan": rowspan, "header": header, "figure": figure,
            "cls": cls}


def _figure(metric: dict | None, unit: str | None, base: str) -> dict | None:
    if metric is None:
        return None
    return {"text": format_value(metric["value"], unit), "raw": metric["raw"],
            "approximate": bool(metric["approximate"]), "method": metric["method"],
            "code": metric["code"],
            "href": capture_href(metric["capture_id"], metric["src_grid"], metric["src_row"], metric["src_col"],
                                 metric["raw"] or format_value(metric["value"], unit), base, metric["method"])}


def _value_cell(code: str | None, spec: dict, metrics: dict, base: str) -> dict:
    if code is None:
        return _cell(cls="na")
    m = metrics.get(code)
    fig = _figure(m, spec[code]["unit"], base)
    return _cell(figure=fig, cls="num" + ("" if fig else " blank"))


def formula_words(formula: str | None, codes: dict) -> str | None:
    """A harmonized.tsv formula in the words of the table: `review.total` -> 「行政复议：总计」."""
    if not formula:
        return None
    words = []
    for term in formula.split("+"):
        term = term.strip()
        m = re.fullmatch(r"sum\((.+)\.\*\.(\w+)\)", term)
        if m:
            prefix, column = m.groups()
            rows = [info for code, info in codes.items() if code.startswith(prefix + ".") and code.endswith("." + column)]
            group = rows[0][1].split(" ")[0] if rows else prefix
            words.append(f"「{strip_numbering(group.split('、', 1)[-1])}」各项（{rows[0][2] if rows else column}）之和")
            continue
        info = codes.get(term) or codes.get(term + ".total")
        words.append(f"「{info[0]}」" if info else term)
    return " + ".join(words)


# ------------------------------------------------------------------ the templates' tables

def _table_gk2008(codes: list[dict], spec: dict, metrics: dict, base: str) -> dict:
    head = [[_cell("统计指标", header=True), _cell("单位", header=True), _cell("统计数", header=True)]]
    rows, section = [], None
    for c in codes:
        label = c["row_label"]
        if c["section"] != section:
            section = c["section"]
            if label != section:          # a section row with its own figure is written below
                rows.append([_cell(section, colspan=3, header=True, cls="section")])
        cls = "section" if label == section else "item"
        rows.append([_cell(label, header=True, cls=cls), _cell(c["unit"] or "", cls="unit"),
                     _value_cell(c["code"], spec, metrics, base)])
    return {"title": "政府信息公开情况统计表", "kind": "gk2008", "head": head, "rows": rows}


def _tables_t2(codes: list[dict], template: str, spec: dict, metrics: dict, base: str) -> list[dict]:
    """Table 二: one block per 第二十条 item, 信息内容 rows × that item's columns."""
    blocks: dict[str, list[dict]] = {}
    for c in codes:
        blocks.setdefault(c["section"], []).append(c)
    out = []
    for section, items in blocks.items():
        heading, _, article = section.partition(" ")
        columns = list(dict.fromkeys(_pick(c["column_label"], template) for c in items))
        row_names = list(dict.fromkeys(_pick(c["row_label"], template) for c in items))
        by_pos = {(_pick(c["row_label"], template), _pick(c["column_label"], template)): c for c in items}
        head_cells = [_cell("信息内容", header=True)]
        for col in columns:
            unit = next(c["unit"] for c in items if _pick(c["column_label"], template) == col)
            shown = col if unit != "万元" or "万元" in col else f"{col}（万元）"
            head_cells.append(_cell(shown, header=True))
        rows = []
        for name in row_names:
            row = [_cell(name, header=True, cls="item")]
            for col in columns:
                c = by_pos.get((name, col))
                row.append(_value_cell(c["code"] if c else None, spec, metrics, base))
            rows.append(row)
        out.append({"title": heading, "subtitle": article, "kind": "t2", "head": [head_cells], "rows": rows})
    return out


def _split_t3_row(label: str) -> list[str | None]:
    """"三、（三）不予公开 1.属于国家秘密" -> [三、本年度办理结果, （三）不予公开, 1.属于国家秘密]."""
    m = re.match(r"^三、(（[^）]+）\S*)(?:\s+(\S.*))?$", label)
    if not m:
        return [label, None, None]
    return [T3_RESULTS, m.group(1), m.group(2)]


def _table_t3(codes: list[dict], template: str, spec: dict, metrics: dict, base: str) -> dict:
    columns = list(dict.fromkeys(c["column_label"] for c in codes))
    groups = [col.split(" ", 1) if " " in col else [col] for col in columns]
    head = [[_cell(T3_CORNER, header=True, colspan=3, rowspan=3, cls="corner"),
             _cell("申请人情况", header=True, colspan=len(columns))], [], []]
    i = 0
    while i < len(groups):
        g = groups[i]
        if len(g) == 1:
            head[1].append(_cell(g[0], header=True, rowspan=2))
            i += 1
            continue
        span = 1
        while i + span < len(groups) and len(groups[i + span]) == 2 and groups[i + span][0] == g[0]:
            span += 1
        head[1].append(_cell(g[0], header=True, colspan=span))
        head[2] += [_cell(groups[j][1], header=True) for j in range(i, i + span)]
        i += span
    row_labels = list(dict.fromkeys(c["row_label"] for c in codes))
    by_pos = {(c["row_label"], c["column_label"]): c["code"] for c in codes}
    parts = [_split_t3_row(r) for r in row_labels]
    rows = []
    for k, (label, (top, group, item)) in enumerate(zip(row_labels, parts)):
        cells = []
        if group is None:
            cells.append(_cell(top, header=True, colspan=3, cls="item"))
        else:
            if k == 0 or parts[k - 1][0] != top:
                span = sum(1 for p in parts[k:] if p[0] == top)   # result rows are consecutive
                cells.append(_cell(top, header=True, rowspan=span, cls="group"))
            if item is None:
                cells.append(_cell(group, header=True, colspan=2, cls="item"))
            else:
                if parts[k - 1][1] != group:
                    span = 0
                    for p in parts[k:]:
                        if p[1] != group:
                            break
                        span += 1
                    cells.append(_cell(group, header=True, rowspan=span, cls="group"))
                cells.append(_cell(item, header=True, cls="item"))
        cells += [_value_cell(by_pos.get((label, col)), spec, metrics, base) for col in columns]
        rows.append(cells)
    return {"title": codes[0]["section"], "kind": "t3", "head": head, "rows": rows}


def _table_t4(codes: list[dict], spec: dict, metrics: dict, base: str) -> dict:
    groups = list(dict.fromkeys(c["row_label"] for c in codes))        # 行政复议, 行政诉讼 未经…, 行政诉讼 复议后…
    outcomes = list(dict.fromkeys(c["column_label"] for c in codes))
    by_pos = {(c["row_label"], c["column_label"]): c["code"] for c in codes}
    top = [g.split(" ", 1) for g in groups]
    head = [[], [], []]
    i = 0
    while i < len(top):
        if len(top[i]) == 1:
            head[0].append(_cell(top[i][0], header=True, colspan=len(outcomes)))
            head[1] += [_cell(o, header=True, rowspan=2) for o in outcomes]
            i += 1
            continue
        span = 1
        while i + span < len(top) and len(top[i + span]) == 2 and top[i + span][0] == top[i][0]:
            span += 1
        head[0].append(_cell(top[i][0], header=True, colspan=span * len(outcomes)))
        for j in range(i, i + span):
            head[1].append(_cell(top[j][1], header=True, colspan=len(outcomes)))
            head[2] += [_cell(o, header=True) for o in outcomes]
        i += span
    row = [_value_cell(by_pos.get((g, o)), spec, metrics, base) for g in groups for o in outcomes]
    return {"title": codes[0]["section"], "kind": "t4", "head": head, "rows": [row]}


def statistics_tables(template: str | None, spec_rows: list[dict], metrics: dict, base: str = "") -> list[dict]:
    """The tables of `template` filled with `metrics` (code -> metric row)."""
    if template not in ("gk2008", "gk2019", "gk2021"):
        return []
    mine = [c for c in spec_rows if template in (c["templates"] or "").split(",")]
    spec = {c["code"]: c for c in spec_rows}
    if template == "gk2008":
        return [_table_gk2008(mine, spec, metrics, base)]
    t2 = [c for c in mine if c["section"].startswith("二、")]
    t3 = [c for c in mine if c["section"].startswith("三、")]
    t4 = [c for c in mine if c["section"].startswith("四、")]
    tables = _tables_t2(t2, template, spec, metrics, base)
    if t3:
        tables.append(_table_t3(t3, template, spec, metrics, base))
    if t4:
        tables.append(_table_t4(t4, spec, metrics, base))
    return tables


# ------------------------------------------------------------------ versions

def _text_diff(old: str, new: str, limit: int = 400) -> list[dict]:
    """Changed lines with one line of context: [{"kind": "del"|"ins"|"ctx"|"gap", "text"}]."""
    a, b = (old or "").splitlines(), (new or "").splitlines()
    out = []
    for group in difflib.SequenceMatcher(None, a, b, autojunk=False).get_grouped_opcodes(1):
        if out:
            out.append({"kind": "gap", "text": "…"})
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                out += [{"kind": "ctx", "text": t} for t in a[i1:i2]]
            if tag in ("replace", "delete"):
                out += [{"kind": "del", "text": t} for t in a[i1:i2]]
            if tag in ("replace", "insert"):
                out += [{"kind": "ins", "text": t} for t in b[j1:j2]]
        if len(out) > limit:
            out.append({"kind": "gap", "text": "（差异过长，以下从略 / diff truncated）"})
            break
    return out


@functools.lru_cache(maxsize=64)
def _archived_figures(archive_dir: str, db_path: str, capture_id: int) -> dict:
    """Figures of one archived version, read again from its bytes (which never change, so cached)."""
    import sqlite3

    from nianbao.archive.store import Archive
    from nianbao.extract.document import analyse

    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        stored = Archive(conn, archive_dir).read(capture_id)
    finally:
        conn.close()
    a = analyse(stored.body, stored.headers.get("content-type"))
    return {m.code: m.value for m in a.stats.metrics}


def _versions(conn, report_id: int, codes: dict, archive_dir: str | None, db_path: str | None, base: str) -> list[dict]:
    """Every version of the report; from the second on, the lines and figures that changed.

    report_versions keeps no text: each version's text is read again from the archive
    (extract/versions.py `version_text`; the newest is reports.text)."""
    from nianbao.extract.versions import version_text

    rows = conn.execute("SELECT id, report_id, version, capture_id, fetched_at, title FROM report_versions "
                        "WHERE report_id = ? ORDER BY version", [report_id]).fetchall()
    out, previous = [], None
    for vid, rid, version, capture_id, fetched_at, title in rows:
        entry = {"version": version, "capture_id": capture_id, "fetched_at": fetched_at, "title": title,
                 "href": capture_href(capture_id, base=base), "diff": [], "figures": [], "note": None}
        text = figures = None
        if len(rows) > 1:
            if not archive_dir:
                entry["note"] = "服务器未配置存档目录，无法比较各版本 / the server has no archive directory to compare versions"
            else:
                try:
                    text = version_text(conn, archive_dir, {"report_id": rid, "capture_id": capture_id})
                    if db_path:
                        figures = _archived_figures(str(archive_dir), str(db_path), capture_id)
                except Exception as e:       # an unreadable old version must not take the page down
                    entry["note"] = f"存档读取失败 / could not read the archived copy: {e}"
        entry["_text"], entry["_figures"] = text, figures
        if previous is not None:
            if previous["_text"] is not None and text is not None:
                entry["diff"] = _text_diff(previous["_text"], text)
            else:
                entry["note"] = entry["note"] or "没有可比较的文本 / no text to compare for this version"
            if previous["_figures"] is not None and figures is not None:
                for code in sorted(set(previous["_figures"]) | set(figures)):
                    old, new = previous["_figures"].get(code), figures.get(code)
                    if old != new:
                        info = codes.get(code)
                        unit = info[3] if info else None
                        entry["figures"].append({"code": code, "label": info[0] if info else code,
                                                 "old": format_value(old, unit), "new": format_value(new, unit)})
        out.append(entry)
        previous = entry
    for e in out:
        e.pop("_text"), e.pop("_figures")
    return out


# ------------------------------------------------------------------ the page

def _links_with_db(obj, db: str):
    """Every viewer link ("href") of the page's context with ?db= (the report's database)."""
    if isinstance(obj, dict):
        return {k: add_db(v, db) if k.endswith("href") and isinstance(v, str) else _links_with_db(v, db)
                for k, v in obj.items()}
    if isinstance(obj, list):
        return [_links_with_db(v, db) for v in obj]
    return obj


def report_context(conn, report_id: int, base: str = "", archive_dir: str | None = None,
                   db_path: str | None = None, db: str | None = None) -> dict | None:
    """Everything the report page shows. `db`: the database's name when the archived-copy
    viewer would not open it by default (capture_view.db_param): every viewer link carries it."""
    context = _report_context(conn, report_id, base, archive_dir, db_path)
    return _links_with_db(context, db) if context and db else context


def _report_context(conn, report_id: int, base: str, archive_dir: str | None, db_path: str | None) -> dict | None:
    cur = conn.execute("SELECT * FROM reports WHERE id = ?", [report_id])
    names = [d[0] for d in cur.description]
    row = cur.fetchone()
    if row is None:
        return None
    report = dict(zip(names, row))
    spec_rows = [dict(zip(("code", "templates", "section", "row_label", "column_label", "unit", "label_zh"), r))
                 for r in conn.execute("SELECT code, templates, section, row_label, column_label, unit, label_zh "
                                       "FROM metric_codes ORDER BY id")]
    codes = {c["code"]: (c["label_zh"], c["row_label"], c["column_label"], c["unit"]) for c in spec_rows}
    metric_names = ("code", "value", "raw", "method", "approximate", "capture_id", "src_grid", "src_row", "src_col")
    metrics = {}
    for r in conn.execute("SELECT c.code, m.value, m.raw, m.method, m.approximate, m.capture_id, m.src_grid, "
                          "m.src_row, m.src_col FROM metrics m JOIN metric_codes c ON c.id = m.code "
                          "WHERE m.report_id = ? ORDER BY m.id", [report_id]):
        metrics.setdefault(r[0], dict(zip(metric_names, r)))
    tables = statistics_tables(report["template"], spec_rows, metrics, base)
    placed = {cell["figure"]["code"] for t in tables for row in t["rows"] for cell in row if cell["figure"]}
    unplaced = [{"label": codes[c][0] if c in codes else c, "figure": _figure(m, codes.get(c, (0, 0, 0, None))[3], base)}
                for c, m in metrics.items() if c not in placed]

    harmonized = []
    for name, label, unit, value, raw, method, approx, capture_id, offset, g08, g19 in conn.execute(
            "SELECT n.name, n.label_zh, n.unit, h.value, h.raw, h.method, h.approximate, h.capture_id, "
            "h.src_offset, n.gk2008, n.gk2019_gk2021 FROM harmonized h JOIN harmonized_names n ON n.id = h.name "
            "WHERE h.report_id = ? ORDER BY n.id", [report_id]):
        from_text = method == "narrative" or offset is not None
        harmonized.append({
            "name": name, "label": label, "unit": unit or "", "value": format_value(value, unit),
            "approximate": bool(approx), "raw": raw,
            "method": "正文句子" if from_text else "统计表",
            "href": capture_href(capture_id, raw=raw, base=base) if raw else None,
            "formula": None if from_text else formula_words(g08 if report["template"] == "gk2008" else g19, codes),
        })
    names_zh = {r[0]: (r[1], r[1], None, r[2]) for r in conn.execute("SELECT name, label_zh, unit FROM harmonized_names")}
    checks = []
    for rule, ok, detail in conn.execute("SELECT rule, ok, detail FROM checks WHERE report_id = ? ORDER BY ok, id",
                                         [report_id]):
        w = describe(rule, bool(ok), detail, {**codes, **names_zh})
        checks.append({"rule": rule, "ok": bool(ok), "zh": w.zh, "en": w.en, "detail": detail})

    attachments = []
    for a in json.loads(report.get("attachments") or "[]"):
        attachments.append({**a, "name": a.get("filename") or a.get("url", "").rsplit("/", 1)[-1],
                            "href": capture_href(a.get("capture_id"), base=base),
                            "template_zh": TEMPLATE_NAMES.get(a.get("template") or "", "")})
    # correction notices (更正说明) linked to this report by extract/bodies.py; an older
    # database without the column simply has none
    corrections = []
    if any(c[1] == "corrects_report_id" for c in conn.execute("PRAGMA table_info(documents)")):
        for doc_id, title, url, capture_id, fetched in conn.execute(
                "SELECT d.id, d.title, d.url, d.capture_id, c.fetched_at FROM documents d "
                "LEFT JOIN captures c ON c.id = d.capture_id WHERE d.corrects_report_id = ? ORDER BY d.id",
                [report_id]):
            corrections.append({"id": doc_id, "title": title or "更正说明", "url": url, "fetched": fetched,
                                "href": capture_href(capture_id, base=base) if capture_id else None})
    return {
        "report": report,
        "corrections": corrections,
        "template_zh": TEMPLATE_NAMES.get(report["template"] or "", report["template"] or "未识别"),
        "archived_href": capture_href(report["capture_id"], base=base),
        "tables": tables,
        "unplaced": unplaced,
        "harmonized": harmonized,
        "checks": checks,
        "checks_failed": sum(1 for c in checks if not c["ok"]),
        "attachments": attachments,
        "versions": _versions(conn, report_id, codes, archive_dir, db_path, base),
        "metrics_count": len(metrics),
    }
