"""The shape of each template's tables, derived from metrics.tsv.

A *row entry* is one spec row (e.g. gk2019 table 三 "（三）不予公开 1.属于国家秘密") with the
codes of its columns keyed by a short column key ("natural_person", "made", "value").
Column keys are found from header text by keyword, in an order that avoids traps such as
"法人或其他组织" containing "其他" and "复议后起诉" containing "复议".
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from .templates import codes_of, norm_label, strip_numbering, clean_cell

APPLICANT_KEYS = ("natural_person", "commercial", "research", "public_interest", "legal_services",
                  "other_org", "total")
REVIEW_GROUPS = ("review", "litigation_direct", "litigation_after_review")
REVIEW_OUTCOMES = ("upheld", "corrected", "other", "pending", "total")

# table 二 column keys in canonical order per row entity and template
T2_CANONICAL = {
    "gk2019": {"rules": ("made", "published", "total_public"),
               "normative_docs": ("made", "published", "total_public"),
               "licensing": ("prev_items", "change", "decisions"),
               "other_services": ("prev_items", "change", "decisions"),
               "penalty": ("prev_items", "change", "decisions"),
               "coercion": ("prev_items", "change", "decisions"),
               "fees": ("prev_items", "change"),
               "procurement": ("items", "amount")},
    "gk2021": {"rules": ("issued", "repealed", "in_force"),
               "normative_docs": ("issued", "repealed", "in_force"),
               "licensing": ("decisions",), "penalty": ("decisions",), "coercion": ("decisions",),
               "fees": ("amount",)},
}


def applicant_key(header: str) -> str | None:
    h = norm_label(header)
    if not h:
        return None
    if "自然人" in h:
        return "natural_person"
    if "商业企业" in h:
        return "commercial"
    if "科研机构" in h:
        return "research"
    if "公益" in h:
        return "public_interest"
    if "法律服务" in h:
        return "legal_services"
    if h in ("总计", "合计", "总数") or h.endswith("总计"):
        return "total"
    if h in ("其他", "其它") or (h.endswith(("其他", "其它")) and "法人或其他组织" != h):
        return "other_org"
    return None


def t2_key(header: str) -> str | None:
    h = norm_label(header)
    table = [
        ("本年新制作", "made"), ("新制作", "made"), ("本年新公开", "published"), ("新公开数量", "published"),
        ("对外公开总", "total_public"), ("本年制发", "issued"), ("制发件数", "issued"),
        ("本年废止", "repealed"), ("废止件数", "repealed"), ("现行有效", "in_force"),
        ("上一年项目", "prev_items"), ("上年项目", "prev_items"), ("增/减", "change"), ("增减", "change"),
        ("处理决定", "decisions"), ("采购项目数", "items"), ("采购总金额", "amount"), ("收费金额", "amount"),
    ]
    for kw, key in table:
        if kw in h:
            return key
    return None


def review_outcome_key(header: str) -> str | None:
    h = norm_label(header)
    for kw, key in (("结果维持", "upheld"), ("维持", "upheld"), ("结果纠正", "corrected"), ("纠正", "corrected"),
                    ("其他结果", "other"), ("尚未审结", "pending"), ("未审结", "pending"),
                    ("总计", "total"), ("合计", "total")):
        if kw in h:
            return key
    return None


def review_group_key(header: str) -> str | None:
    h = norm_label(header)
    if "未经复议" in h or "直接起诉" in h:
        return "litigation_direct"
    if "复议后起诉" in h or "复议后" in h:
        return "litigation_after_review"
    if "行政复议" in h:
        return "review"
    return None


T2_ENTITIES = (("规章", "rules"), ("规范性文件", "normative_docs"), ("行政许可", "licensing"),
               ("其他对外管理服务", "other_services"), ("对外管理服务", "other_services"),
               ("行政处罚", "penalty"), ("行政强制", "coercion"), ("行政事业性收费", "fees"),
               ("政府集中采购", "procurement"), ("集中采购", "procurement"))


def t2_entity(label: str) -> str | None:
    h = norm_label(label)
    if not h or len(h) > 14:
        return None
    for kw, ent in T2_ENTITIES:
        if kw in h:
            return ent
    return None


@dataclass
class RowEntry:
    table: str                         # "old", "t2", "t3"
    section: str
    leaves: tuple[str, ...]            # normalised leaf labels (alternatives)
    group: str                         # normalised group label ("" when none)
    columns: dict[str, str] = field(default_factory=dict)   # column key → code


def _split_row_label(row_label: str) -> tuple[str, str]:
    parts = row_label.split(" ")
    if len(parts) > 1 and not row_label.startswith(("规范性文件", "行政诉讼")):
        return " ".join(parts[:-1]), parts[-1]
    return "", row_label


@functools.lru_cache(maxsize=None)
def row_entries(template: str) -> tuple[RowEntry, ...]:
    entries: dict[tuple, RowEntry] = {}
    for m in codes_of(template):
        if m.code.startswith("old."):
            leaf = m.row_label
            e = RowEntry("old", m.section, (norm_label(leaf),), "", {"value": m.code})
            entries[(m.code,)] = e
            continue
        if m.code.startswith(("review.", "litigation_")):
            continue                     # table 四 is handled by column headers, not rows
        if m.code.startswith("art20_"):
            ent = m.code.split(".")[1]
            key = m.code.split(".")[2]
            e = entries.setdefault(("t2", ent), RowEntry("t2", m.section, tuple(
                norm_label(x) for x in m.row_label.split(" / ")), "", {}))
            e.columns[key] = m.code
            continue
        group, leaf = _split_row_label(m.row_label)
        col = applicant_key(m.column_label.split(" ")[-1])
        e = entries.setdefault(("t3", m.row_label), RowEntry(
            "t3", m.section, (norm_label(leaf),), norm_label(strip_numbering(group.split("、")[-1]) if group else ""), {}))
        e.columns[col] = m.code
    return tuple(entries.values())


OLD_SECTIONS = ("一、主动公开情况", "二、回应解读情况", "三、依申请公开情况", "四、行政复议数量", "五、行政诉讼数量",
                "六、举报投诉数量", "七、依申请公开信息收取的费用", "八、机构建设和保障经费情况",
                "九、政府信息公开会议和培训情况")


def old_section_of(label: str) -> str | None:
    n = norm_label(label)
    for s in OLD_SECTIONS:
        if norm_label(s) == n:
            return s
    return None


def header_kind(cells: list[str]) -> str | None:
    """Which table a header row introduces: 't3', 't4', 't2' or None."""
    texts = [c for c in dict.fromkeys(clean_cell(x) for x in cells) if c]
    n3 = sum(1 for t in texts if applicant_key(t) in ("natural_person", "commercial", "research",
                                                      "public_interest", "legal_services"))
    n4 = sum(1 for t in texts if review_outcome_key(t) in ("upheld", "corrected", "pending")
             or review_group_key(t))
    n2 = sum(1 for t in texts if t2_key(t))
    if n3 >= 1 and n3 >= n4:
        return "t3"
    if n4 >= 1:
        return "t4"
    if n2 >= 1:
        return "t2"
    return None


def is_t2_header_text(text: str) -> bool:
    return t2_key(text) is not None or norm_label(text) in ("信息内容", "项目")


_T3_HEADER_WORDS = re.compile(r"申请人情况|法人或其他组织|勾稽关系")


def is_t3_header_text(text: str) -> bool:
    return applicant_key(text) is not None or bool(_T3_HEADER_WORDS.search(norm_label(text)))
