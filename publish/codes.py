"""Codes in words: what `gk2019`, `detail`, `revisit`, `on_time` mean, for cells and facets.

The tables keep short codes (queries, the CSV and the JSON API use them); a reader of the
web pages sees each code's Chinese label first, with the code beside it in small type and
on hover. One place for the vocabularies, so a table cell and its facet read alike:

- `code_labels(table)`: {column: {code: label}} of a table or view, for `_facet_results.html`
  (through `extra_template_vars`, ui.py) and for `render_cell` (cells.py);
- `COLUMN_NAMES`: short Chinese names of the columns facets are offered on (facet headings,
  the filter form's column list).

Coverage statuses and body levels keep their labels in analysis.py (the matrix and the
dashboard use them too); figure names come from `harmonized_names` (the database).
"""
from __future__ import annotations

from nianbao.extract.document import HEADLINE_KINDS

from .analysis import LEVEL_LABELS, RATE_LABELS, STATUS_LABELS
from .report_page import TEMPLATE_NAMES

TEMPLATE_LABELS = {
    "gk2008": "2008 年版全国格式", "gk2019": "2019 年版全国格式", "gk2021": "2021 年版全国格式",
    "variant": "地方自定统计表", "narrative": "无统计表（数字见正文）",
}
assert set(TEMPLATE_LABELS) == set(TEMPLATE_NAMES)

DOC_TYPE_LABELS = {"report": "年度报告", **{kind: zh for kind, _, zh, _ in HEADLINE_KINDS},
                   "unreadable": "无法读取", "error": "提取出错"}
CAPTURE_KIND_LABELS = {"robots": "抓取规则（robots.txt）", "list": "栏目页", "detail": "文章页", "attachment": "附件", "other": "其他"}
METHOD_LABELS = {"table": "网页或附件中的表格", "text-layout": "正文排版的表格", "flattened-decoded": "拆散后复原的表格",
                 "narrative": "正文句子", "ocr": "扫描件文字识别"}
HARMONIZED_METHOD_LABELS = {"table": "由统计表得出", "narrative": "正文句子"}
RECORD_TYPE_LABELS = {"response": "内容存于此记录", "revisit": "与先前某次相同"}
RUN_STATUS_LABELS = {"running": "运行中", "finished": "已完成", "interrupted": "进程中断（已续抓）"}
ORIGIN_LABELS = {"registry": "来源登记表（应当发布）", "reports": "首次见于报告"}
LEVELS_ZH = {code: words.split(" ")[0] for code, words in LEVEL_LABELS.items()}   # 省级, 市级 …
YES_NO = {
    ("documents", "is_report"): {1: "是年报", 0: "不是年报"},
    ("checks", "ok"): {1: "相符", 0: "不符"},
    ("source_health", "flagged"): {1: "需检查", 0: "正常"},
}
APPROXIMATE = {1: "约数", 0: "确数"}
APPROXIMATE_TABLES = ("metrics", "harmonized", "metric_values", "harmonized_values", "report_figures", "figure_values")

# (table or None for any table, column) -> labels
_BY_COLUMN: dict[tuple[str | None, str], dict] = {
    (None, "template"): TEMPLATE_LABELS,
    ("documents", "doc_type"): DOC_TYPE_LABELS,
    ("documents", "kind"): CAPTURE_KIND_LABELS,
    ("captures", "kind"): CAPTURE_KIND_LABELS,
    ("fetch_errors", "kind"): CAPTURE_KIND_LABELS,
    ("captures", "record_type"): RECORD_TYPE_LABELS,
    ("metrics", "method"): METHOD_LABELS,
    ("metric_values", "method"): METHOD_LABELS,
    ("harmonized", "method"): HARMONIZED_METHOD_LABELS,
    ("harmonized_values", "method"): HARMONIZED_METHOD_LABELS,
    ("crawl_runs", "status"): RUN_STATUS_LABELS,
    ("coverage", "status"): STATUS_LABELS,
    ("bodies", "origin"): ORIGIN_LABELS,
    **{(t, "level"): LEVELS_ZH for t in ("bodies", "coverage", "report_figures", "figure_values")},
    **{(t, "approximate"): APPROXIMATE for t in APPROXIMATE_TABLES},
    **YES_NO,
}

# Short Chinese names of columns, for facet headings and the filter form.
COLUMN_NAMES = {
    "id": "编号", "year": "年度", "template": "统计表格式", "body": "发布机关", "body_id": "机关编号",
    "code": "指标", "method": "读取方式", "level": "级别", "region": "地区", "status": "状态",
    "origin": "来源", "figure": "指标", "name": "名称", "is_report": "是否年报", "kind": "类别",
    "doc_type": "文件类别", "ok": "是否相符", "rule": "规则", "record_type": "记录类型",
    "approximate": "约数", "report_id": "所属报告", "capture_id": "存档记录", "title": "标题", "url": "网址",
    "published": "发布日期", "value": "数值", "raw": "原文", "text": "正文", "content_type": "内容类型",
    "crawl_run_id": "抓取运行", "source": "来源编号", "flagged": "需检查", "checks_failed": "不符规则数",
    "deadline": "截止日期", "days_late": "逾期天数", "versions": "版本数", "unit": "单位", "label_zh": "中文标签",
    "first_seen": "首次存档", "last_changed": "最近变化", "fetched_at": "抓取时间", "reason": "理由",
    "error": "错误", "detail": "详情", "parent_id": "上级机关", "aliases": "其他名称", "reports": "报告数",
    "metrics_count": "数字个数", "attachments": "附件", "sha256": "SHA-256", "filename": "文件名",
    "corrections": "更正说明数", "first_year": "最早年度", "last_year": "最近年度", "normalized_name": "匹配用名称",
    "source_id": "登记表条目", "extracted_at": "抽取时间", "corrects_report_id": "所更正的报告",
    "templates": "适用格式", "section": "表格部分", "row_label": "行标签", "column_label": "列标签",
    "meaning_zh": "中文含义", "meaning_en": "英文含义", "src_grid": "第几个表格", "src_row": "表格行",
    "src_col": "表格列", "src_offset": "句子位置", "version": "版本", "status_code": "HTTP 状态",
    "content_length": "字节数", "warc_file": "WARC 文件", "warc_offset": "WARC 位置", "warc_length": "记录长度",
    "link_text": "链接文字", "referer": "来自网页", "started_at": "开始时间", "finished_at": "结束时间",
    "pages": "网页数", "errors": "错误数", "reports_new": "新报告数", "reports_updated": "更新的报告数",
    "failed_rules": "不符的规则", "approximate_figures": "约数指标",
}


def code_labels(table: str | None, figures: dict | None = None) -> dict[str, dict]:
    """{column: {code: Chinese label}} for the code columns of a table or view.
    `figures` (name -> label, from harmonized_names) labels figure_values.figure."""
    out: dict[str, dict] = {}
    for (t, column), labels in _BY_COLUMN.items():
        if t is None or t == table:
            out.setdefault(column, {}).update(labels)
    if table == "figure_values" and figures is not None:
        out["figure"] = {**{k: v.split(" ")[0] for k, v in RATE_LABELS.items()}, **figures}
    return out


def label_of(table: str | None, column: str, value, figures: dict | None = None) -> str | None:
    """The Chinese label of one cell's code, or None when the column holds no code."""
    labels = code_labels(table, figures).get(column)
    if not labels or value is None or isinstance(value, float):
        return None
    if value in labels:
        return labels[value]
    if isinstance(value, str) and value.isdigit() and int(value) in labels:   # a facet's value from the URL
        return labels[int(value)]
    return None
