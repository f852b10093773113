"""Consistency checks in words, Chinese and English, for the report page.

`checks` rows keep a stable rule name (`table3.balance[natural_person]`) and the figures
compared in a compact detail (`a=1 + b=2 → 3 ≠ 4 ← c=4`, see extract/checks.py). A reader
wants to know which rule, which figures and by how much: this module turns a row into two
sentences. It only reads the names and the detail; a rule it does not know is shown as
stored, so a new rule in extract/ never breaks the page.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from nianbao.extract.templates import strip_numbering

APPLICANTS = {
    "natural_person": ("自然人", "natural persons"),
    "commercial": ("商业企业", "companies"),
    "research": ("科研机构", "research institutions"),
    "public_interest": ("社会公益组织", "public-interest organisations"),
    "legal_services": ("法律服务机构", "legal-service institutions"),
    "other_org": ("其他法人或组织", "other organisations"),
    "total": ("总计", "total"),
}
REVIEW_GROUPS = {
    "review": ("行政复议", "administrative reconsideration"),
    "litigation_direct": ("未经复议直接起诉的行政诉讼", "lawsuits filed directly"),
    "litigation_after_review": ("复议后起诉的行政诉讼", "lawsuits filed after reconsideration"),
}
OLD_RULES = {
    "old.received": ("收到申请数应等于当面、传真、网络、信函申请数之和",
                     "requests received should equal those received in person, by fax, online and by letter"),
    "old.closed": ("申请办结数应等于按时办结数与延期办结数之和",
                   "requests closed should equal those closed on time plus those closed late"),
    "old.staff": ("从事政府信息公开工作人员数应等于专职与兼职人员数之和",
                  "disclosure staff should equal full-time plus part-time staff"),
    "old.review": ("行政复议数量应等于维持、被依法纠错与其他情形之和",
                   "reconsiderations should equal those upheld, corrected and ended otherwise"),
    "old.litigation": ("行政诉讼数量应等于维持（驳回）、被依法纠错与其他情形之和",
                       "lawsuits should equal those upheld or dismissed, corrected and ended otherwise"),
}

_DETAIL = re.compile(r"^(?P<left>.*?)\s*→\s*(?P<lv>-?[\d.]+)\s*(?P<op>[=≠])\s*(?P<rv>-?[\d.]+)\s*←\s*(?P<right>.*)$")
_TERM = re.compile(r"([\w.\[\]]+)=(-?[\d.]+)")


@dataclass
class CheckWords:
    rule: str
    ok: bool
    zh: str           # what the rule says, then the figures and the difference
    en: str
    detail: str       # as stored, for the curious


def _num(text: str) -> float:
    return float(text)


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:.6f}".rstrip("0").rstrip(".")


def _rule_text(rule: str, codes: dict) -> tuple[str, str] | None:
    m = re.fullmatch(r"(table3\.balance|table3\.result_total|table3\.row_total|table4\.total|text_vs_table|"
                     r"attachment_agrees)\[(.+)\]", rule)
    if rule in OLD_RULES:
        return OLD_RULES[rule]
    if not m:
        return None
    kind, arg = m.groups()
    if kind == "table3.balance":
        zh_col, en_col = APPLICANTS.get(arg, (arg, arg))
        return (f"表三「{zh_col}」列：本年新收与上年结转之和，应等于办理结果总计与结转下年度之和",
                f"Table 3, column “{en_col}”: requests received plus carried over from last year should equal "
                f"all results plus carried over to next year")
    if kind == "table3.result_total":
        zh_col, en_col = APPLICANTS.get(arg, (arg, arg))
        return (f"表三「{zh_col}」列：（七）总计应等于各项办理结果之和",
                f"Table 3, column “{en_col}”: the results total (七) should equal the sum of all results")
    if kind == "table3.row_total":
        return (f"表三「{_row_zh(arg, codes)}」行：总计应等于各类申请人之和",
                f"Table 3, row “{arg}”: the total should equal the sum over all applicants")
    if kind == "table4.total":
        zh_g, en_g = REVIEW_GROUPS.get(arg, (arg, arg))
        return (f"表四「{zh_g}」：总计应等于结果维持、结果纠正、其他结果与尚未审结之和",
                f"Table 4, {en_g}: the total should equal upheld + corrected + other + pending")
    if kind == "text_vs_table":
        name = (codes.get(arg) or (arg,))[0]
        return (f"正文所述的「{name}」应与表格一致", f"the figure stated in the text should match the table ({arg})")
    if kind == "attachment_agrees":
        return (f"附件「{arg}」中的表格应与页面上的表格一致",
                f"the tables of the attachment “{arg}” should agree with the page's tables")
    return None


def _row_zh(row: str, codes: dict) -> str:
    info = codes.get(f"requests.{row}.total")
    return info[1] if info else row


def _name(code: str, codes: dict, part: int) -> str:
    """A figure's name in a sentence: its row label where the rule runs down one column,
    its column label where it runs along one row, else the full label."""
    info = codes.get(code) or codes.get("old." + code)
    if not info:
        return code
    return strip_numbering(info[part] or "") or info[0] if part else info[0]


def _terms(side: str, codes: dict, part: int) -> list[tuple[str, float]]:
    return [(_name(code, codes, part), float(value)) for code, value in _TERM.findall(side)]


def _join_zh(terms: list[tuple[str, float]]) -> str:
    if len(terms) > 4 and any(v == 0 for _, v in terms):
        shown = [(n, v) for n, v in terms if v != 0]
        rest = "，其余各项为 0" if shown else "各项均为 0"
        return "、".join(f"「{n}」{_fmt(v)}" for n, v in shown) + rest
    return "、".join(f"「{n}」{_fmt(v)}" for n, v in terms) or "（无数字）"


def _part_of(rule: str) -> int:
    """Which label names the figures: 1 row label, 2 column label, 0 the whole label."""
    if rule.startswith(("table3.balance", "table3.result_total")) or rule.startswith("old."):
        return 1
    if rule.startswith(("table3.row_total", "table4.total")):
        return 2
    return 0


def describe(rule: str, ok: bool, detail: str | None, codes: dict[str, tuple]) -> CheckWords:
    """Two sentences for one `checks` row; `codes` maps metric codes to
    (label_zh, row_label, column_label) from metric_codes."""
    detail = detail or ""
    said = _rule_text(rule, codes)
    zh_rule, en_rule = said if said else (f"规则 {rule}", f"rule {rule}")
    m = _DETAIL.match(detail)
    if m:
        lv, rv = _num(m["lv"]), _num(m["rv"])
        diff = abs(lv - rv)
        if ok:
            zh = f"{zh_rule}：{_fmt(lv)} = {_fmt(rv)}，相符。"
            en = f"{en_rule}: {_fmt(lv)} = {_fmt(rv)}, consistent."
        else:
            part = _part_of(rule)
            left, right = _terms(m["left"], codes, part), _terms(m["right"], codes, part)
            left_zh = _join_zh(left) + (f"，合计 {_fmt(lv)}" if len(left) > 1 else "")
            right_zh = _join_zh(right) + (f"，合计 {_fmt(rv)}" if len(right) > 1 else "")
            zh = f"{zh_rule}。报告中：{left_zh}；而{right_zh}。两边不符，相差 {_fmt(diff)}。"
            en = f"{en_rule}; the report gives {_fmt(lv)} against {_fmt(rv)}, off by {_fmt(diff)}."
        return CheckWords(rule, ok, zh, en, detail)
    t = re.match(r"^table (-?[\d.]+) ([=≠]) text (-?[\d.]+)(?: \((.*)\))?$", detail)
    if t:
        tv, xv = _num(t.group(1)), _num(t.group(3))
        said_where = f"（正文：“{t.group(4)}”）" if t.group(4) else ""
        if ok:
            return CheckWords(rule, ok, f"{zh_rule}：表格 {_fmt(tv)}，正文 {_fmt(xv)}，相符。{said_where}",
                              f"{en_rule}: table {_fmt(tv)}, text {_fmt(xv)}, consistent.", detail)
        return CheckWords(rule, ok, f"{zh_rule}：表格为 {_fmt(tv)}，正文为 {_fmt(xv)}，相差 {_fmt(abs(tv - xv))}。{said_where}",
                          f"{en_rule}: table {_fmt(tv)}, text {_fmt(xv)}, off by {_fmt(abs(tv - xv))}.", detail)
    agree = re.match(r"^(\d+) figures agree$", detail)
    if agree:
        return CheckWords(rule, ok, f"{zh_rule}：{agree.group(1)} 个数字均一致。",
                          f"{en_rule}: all {agree.group(1)} figures agree.", detail)
    pairs = re.findall(r"([\w.]+): page (-?[\d.]+), attachment (-?[\d.]+)", detail)
    if pairs:
        zh_parts = [f"「{_name(c, codes, 0)}」页面 {_fmt(_num(p))}、附件 {_fmt(_num(a))}" for c, p, a in pairs]
        en_parts = [f"{c}: page {_fmt(_num(p))}, attachment {_fmt(_num(a))}" for c, p, a in pairs]
        return CheckWords(rule, ok, f"{zh_rule}，但有 {len(pairs)} 处不同：" + "；".join(zh_parts) + "。",
                          f"{en_rule}, but {len(pairs)} differ: " + "; ".join(en_parts) + ".", detail)
    verdict_zh, verdict_en = ("相符", "consistent") if ok else ("不符", "inconsistent")
    return CheckWords(rule, ok, f"{zh_rule}：{verdict_zh}。{detail}", f"{en_rule}: {verdict_en}. {detail}", detail)
