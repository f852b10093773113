"""The three national report templates as data: spec loading, label normalisation, cell numbers.

Everything here is driven by spec/metrics.tsv so that a row or column the spec names is
found by comparing normalised labels, not by a hand-kept list per template.
"""
from __future__ import annotations

import csv
import difflib
import functools
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from .chinese import to_simplified

SPEC_DIR = Path(__file__).parent / "spec"
TEMPLATES = ("gk2008", "gk2019", "gk2021")


@dataclass(frozen=True)
class MetricSpec:
    code: str
    templates: tuple[str, ...]
    section: str
    row_label: str
    column_label: str
    unit: str


@functools.lru_cache(maxsize=1)
def load_metrics() -> tuple[MetricSpec, ...]:
    with open(SPEC_DIR / "metrics.tsv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    return tuple(
        MetricSpec(r["code"], tuple(r["templates"].split(",")), r["section"], r["row_label"],
                   r["column_label"], r["unit"])
        for r in rows
    )


@functools.lru_cache(maxsize=1)
def metrics_by_code() -> dict[str, MetricSpec]:
    return {m.code: m for m in load_metrics()}


@functools.lru_cache(maxsize=1)
def load_harmonized() -> tuple[dict, ...]:
    with open(SPEC_DIR / "harmonized.tsv", encoding="utf-8") as f:
        return tuple(csv.DictReader(f, delimiter="\t"))


def codes_of(template: str) -> list[MetricSpec]:
    return [m for m in load_metrics() if template in m.templates]


# ---------------------------------------------------------------- text normalisation

_DASHES = "—–―－‐‑‒﹣"
_QUOTES = "“”‘’\"'《》〈〉「」『』"


_SPACES = re.compile(r"\s+")


def clean_cell(text: str | None) -> str:
    """Whitespace/full-width normalisation of a cell, keeping its meaning (not its numbering)."""
    if not text:
        return ""
    if len(text) > 200:
        return _clean_cell(text)
    return _clean_cell_cached(text)


def _clean_cell(text: str) -> str:
    t = unicodedata.normalize("NFKC", text)
    t = t.replace("\u00a0", " ").replace("\u3000", " ").replace("\ufeff", "").replace("\u200b", "")
    return _SPACES.sub(" ", t).strip()


_clean_cell_cached = functools.lru_cache(maxsize=100_000)(_clean_cell)   # cells repeat: every row's labels, 0s


_NUMBERING = re.compile(
    r"^(?:"
    r"[(（]?[一二三四五六七八九十]+[)）、.．]"      # 一、 （一） (一)
    r"|[(（]\d+[)）]"                                # (1)
    r"|\d+(?:[.．、](?!\d)|\s)"                      # 1、 1. 1 (not 1.5)
    r"|其中[:：]?"
    r")\s*"
)


def strip_numbering(label: str) -> str:
    prev = None
    t = label.strip()
    while prev != t:
        prev = t
        t = _NUMBERING.sub("", t, count=1).strip()
    return t


@functools.lru_cache(maxsize=200_000)
def norm_label(label: str | None) -> str:
    """Label as compared with spec labels: no spaces, no numbering, half-width, simplified
    characters (申請 → 申请), typos fixed."""
    t = to_simplified(clean_cell(label))
    t = strip_numbering(t)
    t = t.replace("条列", "条例").replace("政务微", "政务微").replace("政府微博", "政务微博")
    t = t.replace("政府微信", "政务微信").replace("其它", "其他").replace("合计", "总计")
    t = re.sub(r"[\s:：,，。;；、" + re.escape(_QUOTES) + "]", "", t)
    t = t.replace("（", "(").replace("）", ")")
    return t


def drop_parentheticals(t: str) -> str:
    return re.sub(r"\([^()]*\)", "", t)


@functools.lru_cache(maxsize=200_000)
def label_score(found: str, spec: str) -> float:
    """Similarity in [0,1] of a normalised found label and a normalised spec label."""
    return label_score_from(found, spec, 0.0)     # no floor: SequenceMatcher on every pair


@functools.lru_cache(maxsize=65536)
def _chars(text: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for ch in text:
        counts[ch] = counts.get(ch, 0) + 1
    return counts


def _ratio_bound(a: str, b: str) -> float:
    """An upper bound of SequenceMatcher(None, a, b).ratio(): 2 x the characters the two share
    (as multisets) / their total length (difflib's quick_ratio, without building a matcher)."""
    ca, cb = _chars(a), _chars(b)
    if len(ca) > len(cb):
        ca, cb = cb, ca
    shared = sum(min(n, cb.get(ch, 0)) for ch, n in ca.items())
    return 2.0 * shared / (len(a) + len(b))


def label_score_from(found: str, spec: str, floor: float) -> float:
    """label_score(found, spec) when that is at least `floor`; otherwise a value no higher than
    it (and so below `floor`). A pair of labels that cannot reach `floor` is not handed to
    SequenceMatcher, the cost of matching a row never seen before against every spec row."""
    if not found or not spec:
        return 0.0
    if found == spec:
        return 1.0
    best = 0.0
    for a in {found, drop_parentheticals(found) or found}:
        for b in {spec, drop_parentheticals(spec) or spec}:
            if a == b:
                return 0.97
            b_in_a = len(b) >= 2 and b in a
            a_in_b = len(a) >= 4 and a in b
            r = 0.0
            if b_in_a or a_in_b or _ratio_bound(a, b) >= floor:
                r = difflib.SequenceMatcher(None, a, b).ratio()
            if b_in_a:  # found label adds words around the spec label
                r = max(r, 0.6 + 0.35 * len(b) / len(a))
            if a_in_b:
                r = max(r, 0.55 + 0.35 * len(a) / len(b))
            best = max(best, r)
    return best


# ---------------------------------------------------------------- numbers in cells

UNIT_TOKENS = {"条", "件", "次", "篇", "个", "人", "人次", "万元", "元", "项", "例", "起", "家", "场", "期", "份", "名"}
_ZERO_WORDS = {"无", "0", "/", "／", "没有", "零", "〇", "空"}
_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
              "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}


def cn_to_int(s: str) -> int | None:
    """Chinese numerals up to 千万: 两 → 2, 十二 → 12, 三百零五 → 305."""
    if not s or any(ch not in _CN_DIGITS and ch not in _CN_UNITS for ch in s):
        return None
    total, section, digit = 0, 0, None
    for ch in s:
        if ch in _CN_DIGITS:
            digit = _CN_DIGITS[ch]
        else:
            unit = _CN_UNITS[ch]
            if unit == 10000:
                section = (section + (digit or 0)) * unit
                total += section
                section = 0
            else:
                section += (1 if digit is None else digit) * unit
            digit = None
    return total + section + (digit or 0)


def is_dash(t: str) -> bool:
    return bool(t) and all(ch in _DASHES + "-_" for ch in t)


def is_unit_cell(t: str) -> bool:
    t = to_simplified(clean_cell(t))
    return t in UNIT_TOKENS or is_dash(t) and len(t) >= 2 or t in {"单位", "计量单位"}


_NUM = re.compile(r"^([+-]?)(\d+(?:,\d{3})*(?:\.\d+)?)\s*(万元|元|余|多|[条件次篇个人项例起名])?")


@dataclass
class CellNumber:
    value: float | int
    approximate: bool = False
    unit: str | None = None   # a unit written in the cell itself (元, 万元)


_CHANGE = re.compile(r"^(减少|减|下降|增加|增|新增)\s*")
_ANNOTATION = re.compile(r"^[(（\[【]")


def parse_number(cell: str | None, spec_unit: str | None = None) -> CellNumber | None:
    """The count in one value cell, or None when the cell is blank or not a number.

    无, 0, /, —, －, ― mean 0; "42703(“12345”热线回复数)" keeps the number; "251000元" in a
    万元 column becomes 25.1; "-3", "－3", "减少3", "减3" are negative.
    """
    if not cell:
        return None
    found = _parse_number(cell, spec_unit)
    return CellNumber(*found) if found is not None else None


@functools.lru_cache(maxsize=65536)
def _parse_number(cell: str, spec_unit: str | None) -> tuple | None:
    """parse_number's (value, approximate, unit): the same cell is read again and again
    (every template's mapping, the row kinds, the checks), its reading never changes."""
    found = _read_number(cell, spec_unit)
    return None if found is None else (found.value, found.approximate, found.unit)


def _read_number(cell: str, spec_unit: str | None) -> CellNumber | None:
    t = to_simplified(clean_cell(cell))      # 無, 減少, 條: read in simplified form
    if not t:
        return None
    if t in _ZERO_WORDS or is_dash(t):
        return CellNumber(0)
    t = t.replace("，", ",")
    sign = 1
    m = _CHANGE.match(t)
    if m:
        sign = -1 if m.group(1).startswith(("减", "下降")) else 1
        t = t[m.end():]
    m = _NUM.match(t)
    if not m:
        n = cn_to_int(t.rstrip("条件次篇个人项例起名"))
        return CellNumber(sign * n) if n is not None and len(t) <= 4 else None
    rest = t[m.end():].strip()
    # anything after the number must be an annotation in brackets, not more figures/words
    if rest and not _ANNOTATION.match(rest):
        return None
    if m.group(1) == "-":
        sign = -sign
    num_text = m.group(2).replace(",", "")
    value: float | int = float(num_text) if "." in num_text else int(num_text)
    suffix = m.group(3)
    approx = suffix in ("余", "多")
    unit = suffix if suffix in ("元", "万元") else None
    if spec_unit == "万元" and unit == "元":
        value = round(value / 10000, 6)
    value = sign * value
    if isinstance(value, float) and value.is_integer() and "." not in num_text:
        value = int(value)
    return CellNumber(value, approx, unit)


def is_value_cell(cell: str | None) -> bool:
    return parse_number(cell) is not None
