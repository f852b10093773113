"""Synthetic gk2019/gk2021 reports in the layouts seen on real portals, for tests.

`make_values` draws a consistent set of table figures (or a deliberately inconsistent
one); `render_html` writes the national forms as HTML (two-level applicant header, group
labels as row-spanning cells), optionally Word-pasted and/or split over several <table>s;
`render_text` writes the same tables as pipe rows, tab rows, one cell per line, or
flattened (cells run together). Expected metrics are exactly the non-blank cells.
"""
from __future__ import annotations

import random

APPLICANTS = ("natural_person", "commercial", "research", "public_interest", "legal_services", "other_org")
COLS = APPLICANTS + ("total",)
APPLICANT_HEAD = ("自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计")

REFUSED = (("state_secret", "1.属于国家秘密"), ("prohibited_by_law", "2.其他法律行政法规禁止公开"),
           ("security_stability", "3.危及“三安全一稳定”"), ("third_party", "4.保护第三方合法权益"),
           ("internal_affairs", "5.属于三类内部事务信息"), ("process_info", "6.属于四类过程性信息"),
           ("enforcement_files", "7.属于行政执法案卷"), ("inquiry_matters", "8.属于行政查询事项"))
UNABLE = (("not_held", "1.本机关不掌握相关政府信息"), ("needs_creation", "2.没有现成信息需要另行制作"),
          ("unclear", "3.补正后申请内容仍不明确"))
NOT_PROCESSED = (("petition", "1.信访举报投诉类申请"), ("repeated", "2.重复申请"),
                 ("publication", "3.要求提供公开出版物"), ("mass_repeated", "4.无正当理由大量反复申请"),
                 ("confirmation", "5.要求行政机关确认或重新出具已获取信息"))
OTHER_2021 = (("no_amendment", "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请"),
              ("no_fee_paid", "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请"),
              ("other", "3.其他"))
PARTLY = "（二）部分公开（区分处理的，只计这一情形，不计其他情形）"
REVIEW_GROUPS = ("review", "litigation_direct", "litigation_after_review")
OUTCOMES = ("upheld", "corrected", "other", "pending", "total")
OUTCOME_HEAD = ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计")


def result_rows(template: str) -> list[tuple[str, str, str]]:
    """(code row, group label, leaf label) of table 三's result rows in form order."""
    rows = [("result.disclosed", "", "（一）予以公开"), ("result.partly", "", PARTLY)]
    rows += [(f"result.refused.{k}", "（三）不予公开", lab) for k, lab in REFUSED]
    rows += [(f"result.unable.{k}", "（四）无法提供", lab) for k, lab in UNABLE]
    rows += [(f"result.not_processed.{k}", "（五）不予处理", lab) for k, lab in NOT_PROCESSED]
    if template == "gk2019":
        rows.append(("result.other", "", "（六）其他处理"))
    else:
        rows += [(f"result.other.{k}", "（六）其他处理", lab) for k, lab in OTHER_2021]
    return rows


def t2_rows(template: str) -> list[tuple[str, list[tuple[str, list[str]]]]]:
    """Blocks of table 二: (section label, [(header cells), rows (entity label, codes)])."""
    if template == "gk2019":
        return [
            ("第二十条第（一）项", ["本年新制作数量", "本年新公开数量", "对外公开总数量"],
             [("规章", "art20_1.rules", ["made", "published", "total_public"]),
              ("规范性文件", "art20_1.normative_docs", ["made", "published", "total_public"])]),
            ("第二十条第（五）项", ["上一年项目数量", "本年增/减", "处理决定数量"],
             [("行政许可", "art20_5.licensing", ["prev_items", "change", "decisions"]),
              ("其他对外管理服务事项", "art20_5.other_services", ["prev_items", "change", "decisions"])]),
            ("第二十条第（六）项", ["上一年项目数量", "本年增/减", "处理决定数量"],
             [("行政处罚", "art20_6.penalty", ["prev_items", "change", "decisions"]),
              ("行政强制", "art20_6.coercion", ["prev_items", "change", "decisions"])]),
            ("第二十条第（八）项", ["上一年项目数量", "本年增/减"],
             [("行政事业性收费", "art20_8.fees", ["prev_items", "change"])]),
            ("第二十条第（九）项", ["采购项目数量", "采购总金额"],
             [("政府集中采购", "art20_9.procurement", ["items", "amount"])]),
        ]
    return [
        ("第二十条第（一）项", ["本年制发件数", "本年废止件数", "现行有效件数"],
         [("规章", "art20_1.rules", ["issued", "repealed", "in_force"]),
          ("行政规范性文件", "art20_1.normative_docs", ["issued", "repealed", "in_force"])]),
        ("第二十条第（五）项", ["本年处理决定数量"], [("行政许可", "art20_5.licensing", ["decisions"])]),
        ("第二十条第（六）项", ["本年处理决定数量"],
         [("行政处罚", "art20_6.penalty", ["decisions"]), ("行政强制", "art20_6.coercion", ["decisions"])]),
        ("第二十条第（八）项", ["本年收费金额（单位：万元）"], [("行政事业性收费", "art20_8.fees", ["amount"])]),
    ]


def make_values(template: str, seed: int = 0, blank_rate: float = 0.0, break_rule: str | None = None) -> dict:
    """code → int, or None for a blank cell. Consistent unless `break_rule` names one to break:
    "balance" (new + carried_in ≠ total + carried_out), "row_total", "review_total"."""
    rng = random.Random(seed)
    v: dict[str, int | None] = {}
    for _, _, rows in t2_rows(template):
        for _, prefix, keys in rows:
            for k in keys:
                v[f"{prefix}.{k}"] = rng.choice([0, 0, rng.randint(1, 400)])
    if template == "gk2019":
        v["art20_5.licensing.change"] = -rng.randint(1, 9)
    per_col: dict[str, dict[str, int]] = {c: {} for c in APPLICANTS}
    for code_row, _, _ in result_rows(template):
        for c in APPLICANTS:
            big = c in ("natural_person", "commercial")
            per_col[c][code_row] = rng.choice([0, 0, 0, rng.randint(1, 30 if big else 3)])
    for c in APPLICANTS:
        total = sum(per_col[c].values())
        carried_in = rng.choice([0, rng.randint(0, 5)])
        carried_out = rng.choice([0, rng.randint(0, 5)])
        new = total + carried_out - carried_in
        if new < 0:
            carried_in += new
            new = 0
        per_col[c].update({"new": new, "carried_in": carried_in, "result.total": total, "carried_out": carried_out})
    for row in per_col["natural_person"]:
        for c in APPLICANTS:
            v[f"requests.{row}.{c}"] = per_col[c][row]
        v[f"requests.{row}.total"] = sum(per_col[c][row] for c in APPLICANTS)
    for g in REVIEW_GROUPS:
        parts = [rng.choice([0, 0, rng.randint(1, 6)]) for _ in range(4)]
        for o, x in zip(OUTCOMES, parts + [sum(parts)]):
            v[f"{g}.{o}"] = x
    if break_rule == "balance":
        v["requests.new.natural_person"] = (v["requests.new.natural_person"] or 0) + 3
        v["requests.new.total"] = (v["requests.new.total"] or 0) + 3
    elif break_rule == "row_total":
        v["requests.result.disclosed.total"] = (v["requests.result.disclosed.total"] or 0) + 1
    elif break_rule == "review_total":
        v["review.total"] = (v["review.total"] or 0) + 2
    if blank_rate:
        for code in list(v):
            if v[code] == 0 and rng.random() < blank_rate:
                v[code] = None
    return v


def expected_metrics(values: dict) -> dict:
    return {k: x for k, x in values.items() if x is not None}


# ------------------------------------------------------------------ logical tables

def _cell(x) -> str:
    return "" if x is None else str(x)


def logical_tables(template: str, v: dict) -> dict[str, list[list[dict]]]:
    """Tables as rows of cells {text, rowspan, colspan} (HTML-like, merged cells once)."""
    def c(text, rs=1, cs=1):
        return {"text": text, "rowspan": rs, "colspan": cs}

    t2 = []
    for section, heads, rows in t2_rows(template):
        width = 1 + len(heads)
        t2.append([c(section, cs=4 if width < 4 else width)])
        t2.append([c("信息内容")] + [c(h) for h in heads])
        for label, prefix, keys in rows:
            t2.append([c(label)] + [c(_cell(v.get(f"{prefix}.{k}"))) for k in keys])
    res = result_rows(template)
    t3 = [
        [c("（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", 3, 3), c("申请人情况", 1, 7)],
        [c("自然人", 2), c("法人或其他组织", 1, 5), c("总计", 2)],
        [c(h) for h in APPLICANT_HEAD[1:6]],
        [c("一、本年新收政府信息公开申请数量", 1, 3)] + [c(_cell(v[f"requests.new.{k}"])) for k in COLS],
        [c("二、上年结转政府信息公开申请数量", 1, 3)] + [c(_cell(v[f"requests.carried_in.{k}"])) for k in COLS],
    ]
    group_sizes: dict[str, int] = {}
    for _, g, _ in res:
        group_sizes[g] = group_sizes.get(g, 0) + 1
    seen_groups = set()
    for i, (row, g, leaf) in enumerate(res):
        cells = []
        if i == 0:
            cells.append(c("三、本年度办理结果", len(res) + 1))
        if g and g not in seen_groups:
            seen_groups.add(g)
            cells.append(c(g, group_sizes[g]))
            cells.append(c(leaf))
        elif g:
            cells.append(c(leaf))
        else:
            cells.append(c(leaf, 1, 2))
        cells += [c(_cell(v[f"requests.{row}.{k}"])) for k in COLS]
        t3.append(cells)
    t3.append([c("（七）总计", 1, 2)] + [c(_cell(v[f"requests.result.total.{k}"])) for k in COLS])
    t3.append([c("四、结转下年度继续办理", 1, 3)] + [c(_cell(v[f"requests.carried_out.{k}"])) for k in COLS])
    t4 = [
        [c("行政复议", 1, 5), c("行政诉讼", 1, 10)],
        [c(h, 2) for h in OUTCOME_HEAD] + [c("未经复议直接起诉", 1, 5), c("复议后起诉", 1, 5)],
        [c(h) for h in OUTCOME_HEAD] * 2,
        [c(_cell(v[f"{g}.{o}"])) for g in REVIEW_GROUPS for o in OUTCOMES],
    ]
    return {"二": t2, "三": t3, "四": t4}


# ------------------------------------------------------------------ HTML

def _word(text: str) -> str:
    """Word-pasted cell content."""
    if not text:
        return '<p class="MsoNormal"><span style="font-size:10.5pt">&nbsp;<o:p></o:p></span></p>'
    return ('<p class="MsoNormal" align="center" style="text-align:center">'
            '<!--[if gte mso 9]><xml><w:data>junk</w:data></xml><![endif]-->'
            f'<span lang="EN-US" style="font-size:10.5pt;font-family:仿宋_GB2312">{text}<o:p></o:p></span></p>')


def _fullwidth(text: str) -> str:
    return "".join(chr(ord(ch) + 0xFEE0) if ch.isdigit() else ch for ch in text)


def _table_html(rows: list[list[dict]], word: bool, fullwidth: bool) -> str:
    out = ['<table border="1" cellspacing="0" class="MsoNormalTable">']
    for row in rows:
        out.append("<tr>")
        for cell in row:
            text = cell["text"]
            if fullwidth:
                text = _fullwidth(text)
            attrs = ""
            if cell["rowspan"] > 1:
                attrs += f' rowspan="{cell["rowspan"]}"'
            if cell["colspan"] > 1:
                attrs += f' colspan="{cell["colspan"]}"'
            inner = _word(text) if word else (text or "&nbsp;")
            out.append(f'<td{attrs} valign="center">{inner}</td>')
        out.append("</tr>")
    out.append("</table>")
    return "".join(out)


INTRO = {
    "gk2019": "根据《中华人民共和国政府信息公开条例》和国办公开办函〔2019〕60号要求编制本报告。",
    "gk2021": "根据《中华人民共和国政府信息公开条例》和国办公开办函〔2021〕30号要求编制本报告。",
}


def render_html(template: str, v: dict, word: bool = False, split: bool = False, fullwidth: bool = False,
                label_noise: bool = False) -> str:
    tables = logical_tables(template, v)
    if label_noise:
        for row in tables["三"]:
            for cell in row:
                cell["text"] = (cell["text"].replace("社会公益组织", "社会公益 组织")
                                .replace("本年度办理结果", "本年度办 理结果").replace("（三）", "(三)"))
    parts = [f"<html><head><meta charset='utf-8'></head><body><p>某某区人民政府2021年政府信息公开工作年度报告</p>",
             f"<p>{INTRO[template]}</p><p>一、总体情况</p><p>全年主动公开政府信息1200条。</p>",
             "<p>二、主动公开政府信息情况</p>", _table_html(tables["二"], word, fullwidth),
             "<p>三、收到和处理政府信息公开申请情况</p>"]
    t3 = tables["三"]
    if split:
        # header + first rows in one <table>, the rest in another (page break in Word)
        cut = 8
        first = [row[:] for row in t3[:cut]]
        for cell in first[5]:
            if cell["text"] == "三、本年度办理结果":
                cell["rowspan"] = cut - 5
        rest = [row[:] for row in t3[cut:]]
        rest[0] = [{"text": "三、本年度办理结果", "rowspan": len(rest) - 1, "colspan": 1}] + rest[0]
        parts += [_table_html(first, word, fullwidth), "<p>&nbsp;</p>", _table_html(rest, word, fullwidth)]
    else:
        parts.append(_table_html(t3, word, fullwidth))
    parts += ["<p>四、政府信息公开行政复议、行政诉讼情况</p>", _table_html(tables["四"], word, fullwidth),
              "<p>五、存在的主要问题及改进情况</p><p>无。</p></body></html>"]
    return "".join(parts)


# ------------------------------------------------------------------ text layouts

def _flat_rows(rows: list[list[dict]]) -> list[list[str]]:
    return [[cell["text"] for cell in row] for row in rows]


def render_text(template: str, v: dict, layout: str) -> str:
    """layout: "pipes" (a row per line), "tabs", "lines" (a cell per line, blank cells as
    &nbsp; lines, blank line between cells) or "flattened" (cells run together)."""
    tables = logical_tables(template, v)
    out = [INTRO[template], "二、主动公开政府信息情况"]
    for key, title in (("二", None), ("三", "三、收到和处理政府信息公开申请情况"),
                       ("四", "四、政府信息公开行政复议、行政诉讼情况")):
        if title:
            out.append(title)
        for row in _flat_rows(tables[key]):
            if layout == "pipes":
                out.append(" | ".join(row) + " |")
            elif layout == "tabs":
                out.append("\t".join(row))
            elif layout == "lines":
                for cell in row:
                    out.append(cell if cell else "\u00a0")
                    out.append("")
            elif layout == "flattened":
                out.append("".join(cell if cell else "\u00a0" for cell in row))
    sep = "" if layout == "flattened" else "\n"
    return "\n".join(out) if layout != "flattened" else sep.join(out)
