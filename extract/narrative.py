"""Harmonized values stated in sentences (reports without a table; items new tables lack).

Precision before recall: each figure comes from one clause (text between ，。；) that names
what is counted, and clauses that qualify the scope (其中, 市本级, 县市区…) or talk about
other things (咨询, 热线, 工单, 信访, 行政许可) are skipped. When a text gives conflicting
figures for one name, none is taken.
"""
from __future__ import annotations

import re
import unicodedata

from .chinese import to_simplified
from .model import Harmonized
from .templates import cn_to_int, load_harmonized

_COMPILED: dict[str, re.Pattern] = {}


def _re(pattern: str) -> re.Pattern:
    """The compiled pattern (each clause is tried against a dozen patterns, many built by
    concatenation: looked up here rather than through re's own cache on every call)."""
    compiled = _COMPILED.get(pattern)
    if compiled is None:
        compiled = _COMPILED[pattern] = re.compile(pattern)
    return compiled


_CLAUSE_SPLIT = re.compile(r"[，,。；;！!？?\n]")
_SENTENCE_SPLIT = re.compile(r"[。；;！!？?\n]")
_NUM = r"(约|近|逾|超过|大约)?\s*(\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百千万]+)\s*(余|多)?\s*"
_NEG = r"(未|无|没有|不存在|尚未|均未|从未|并未)"
_SCOPE = re.compile(r"其中|市本级|县市区|区本级|县本级|乡镇|各县|各部门|上年|结转|同比|较上年|较去年|比上年|增加|减少|下降|增长")
_OTHER_THINGS = re.compile(r"咨询|热线|工单|信访|行政许可|留言|来电|来信|网民|舆情")


def _undated(clause: str) -> str:
    """The clause without years and dates, whose digits are not counts."""
    return _re(r"\d{4}\s*年度?|\d{1,2}\s*月|\d{1,2}\s*日|\d{4}-\d{1,2}-\d{1,2}").sub("", clause)


def _number(text: str) -> int | float | None:
    if _re(r"\d+(?:\.\d+)?").fullmatch(text):
        return float(text) if "." in text else int(text)
    return cn_to_int(text)


class _Found:
    def __init__(self):
        self.values: dict[str, list[tuple[float, bool, str, int]]] = {}

    def add(self, name: str, value, approx: bool, raw: str, offset: int):
        if value is None:
            return
        self.values.setdefault(name, []).append((value, approx, raw, offset))


def _clauses(text: str):
    """(offset, clause, sentence) for every clause."""
    pos = 0
    for sentence in _SENTENCE_SPLIT.split(text):
        s_off = text.find(sentence, pos) if sentence else pos
        c_pos = 0
        for clause in _CLAUSE_SPLIT.split(sentence):
            c_off = sentence.find(clause, c_pos)
            c_pos = c_off + len(clause)
            if clause.strip():
                yield s_off + c_off, clause, sentence
        pos = s_off + len(sentence)


_RECEIVE_VERB = r"(收到|受理|接到|接收到|接收|新收|收)"
_REQUEST_NOUN = re.compile(r"依申请|公开申请|信息公开请求|公开政府信息的?申请|申请公开|政府信息公开申请|公开请求")


def _requests_received(off: int, clause: str, found: _Found):
    if not _re(_RECEIVE_VERB).search(clause) or not _REQUEST_NOUN.search(clause):
        if not _re(r"(收到|接到|受理|发生)[^，。；]{0,12}申请").search(clause) or "公开" not in clause:
            return
    if _OTHER_THINGS.search(clause) or _re(r"收费|费用|复议|诉讼|不予公开").search(clause):
        return
    neg = _re(_NEG + r"[^，。；\d]{0,6}(" + _RECEIVE_VERB[1:-1] + r"|发生)").search(clause)
    if neg and not _re(r"\d").search(_undated(clause[neg.end():])):
        found.add("requests_received", 0, False, clause.strip(), off)
        return
    m = _re(_RECEIVE_VERB + r"[^，。；\d]{0,40}?" + _NUM + r"(件|条|例|个|宗|份|起)").search(clause)
    if not m:
        return
    if _SCOPE.search(clause[:m.start(3)]):
        return
    value = _number(m.group(3))
    found.add("requests_received", value, bool(m.group(2) or m.group(4)), clause.strip(), off)


def _review_litigation(off: int, clause: str, found: _Found):
    has_review = "复议" in clause
    has_litig = "诉讼" in clause
    if not (has_review or has_litig):
        return
    if _SCOPE.search(clause) and "其中" in clause:
        return
    neg = _re(_NEG).search(clause)
    if neg and not _re(r"\d").search(_undated(clause)):
        after = clause[neg.end():]
        if "复议" in after:
            found.add("review_total", 0, False, clause.strip(), off)
        if "诉讼" in after:
            found.add("litigation_total", 0, False, clause.strip(), off)
        if "复议" in after or "诉讼" in after:
            return
    # "政府信息公开行政复议、行政诉讼0条" / "行政复议7件"
    m = _re(r"行政复议(?:案件|申请)?(?:共)?" + _NUM + r"(件|起|宗|例|条)").search(clause)
    if m:
        found.add("review_total", _number(m.group(2)), False, clause.strip(), off)
    m = _re(r"(?:行政)?诉讼(?:案件)?(?:共)?" + _NUM + r"(件|起|宗|例|条)").search(clause)
    if m:
        found.add("litigation_total", _number(m.group(2)), False, clause.strip(), off)
    m = _re(r"行政复议[、和及与]行政诉讼(?:案件)?(?:均为|为)?\s*(0|零)\s*(件|起|宗|例|条)").search(clause)
    if m:
        found.add("review_total", 0, False, clause.strip(), off)
        found.add("litigation_total", 0, False, clause.strip(), off)


def _complaints(off: int, clause: str, found: _Found):
    if not _re(r"举报|投诉").search(clause) or "类申请" in clause:
        return
    neg = _re(_NEG).search(clause)
    term = _re(r"举报|投诉").search(clause)
    if neg and _re(r"举报|投诉").search(clause[neg.end():]) and not _re(r"\d").search(_undated(clause)):
        found.add("complaints_total", 0, False, clause.strip(), off)


def _fees(off: int, clause: str, sentence: str, found: _Found):
    if not _re(r"收费|收取|费用|信息处理费").search(clause):
        return
    if not _re(r"公开|申请|信息处理费|任何费用").search(sentence):
        return
    if _re(r"行政事业性收费|收费标准|收费项目|减免情况$").search(clause.strip()) and not _re(_NEG).search(clause):
        return
    neg = _re(_NEG + r"[^，。；\d]{0,25}(收费|收取|费用)").search(clause)
    if neg and not _re(r"\d").search(_undated(clause)):
        found.add("fees_collected", 0, False, clause.strip(), off)
        return
    m = _re(r"(收取|收费)[^，。；\d]{0,12}?" + r"(\d+(?:\.\d+)?)\s*(万元|元)").search(clause)
    if m and "公开" in sentence:
        v = float(m.group(2))
        value = v if m.group(3) == "万元" else round(v / 10000, 6)
        found.add("fees_collected", int(value) if float(value).is_integer() else value, False, clause.strip(), off)


_PROACTIVE = re.compile(r"(主动|共)[^，。；]{0,70}?(公开|发布)[^，。；]{0,70}?信息(?:数)?(?:共计|总计|合计|共|计|为)?\s*"
                        + _NUM + r"(条|件)")


def _proactive(off: int, clause: str, found: _Found):
    m = _PROACTIVE.search(clause)
    if not m:
        return
    if _re(r"其中|回应|解读|咨询|报送|上报|信访|热线|依申请").search(clause[:m.end()]):
        return
    # "主动公开…" states the total; "共公开…" may be one category, so it only counts when no 主动 figure
    name = "proactive_items" if m.group(1) == "主动" else "proactive_items_weak"
    found.add(name, _number(m.group(4)), bool(m.group(3) or m.group(5)), clause.strip(), off)


def _staff(off: int, clause: str, found: _Found):
    m = _re(r"(从事|负责)[^，。；]{0,25}?(信息公开|政务公开)[^，。；]{0,12}?人员[^，。；\d]{0,4}?"
                  + _NUM + r"(人|名)").search(clause)
    if not m:
        m = _re(r"(信息公开|政务公开)工作(?:的)?(?:工作)?人员(?:共|有|共有)?" + _NUM + r"(人|名)").search(clause)
    if not m or _re(r"专职|兼职|联络员").search(clause[:m.end()]):
        return
    found.add("staff_total", _number(m.group(m.lastindex - 2)), bool(m.group(m.lastindex - 3) or m.group(m.lastindex - 1)),
              clause.strip(), off)


def _budget(off: int, clause: str, text: str, found: _Found):
    m = _re(r"(专项经费|工作经费|公开经费)[^，。；\d]{0,6}?" + r"(约|近)?\s*(\d+(?:\.\d+)?)\s*(余|多)?\s*(万元|元)").search(clause)
    if not m:
        return
    window = text[max(0, off - 80):off + m.end()]
    if not _re(r"信息公开|政务公开").search(window):
        return
    if _SCOPE.search(clause[:m.start(3)]):
        return
    v = float(m.group(3))
    value = v if m.group(5) == "万元" else round(v / 10000, 6)
    value = int(value) if float(value).is_integer() else value
    found.add("budget", value, bool(m.group(2) or m.group(4)), clause.strip(), off)


_OUTCOMES = (("requests_granted", r"(?<![不部分])予以公开|(?<![不部分])同意公开"),
             ("requests_partly_granted", r"(?<![不及和、与])部分公开"),
             ("requests_refused", r"不予公开|不同意公开"))


def _outcomes(off: int, clause: str, found: _Found):
    """"予以公开3件" inside a sentence about requests (not "予以公开及部分公开258件")."""
    if _OTHER_THINGS.search(clause):
        return
    for name, pattern in _OUTCOMES:
        for m in _re("(" + pattern + r")\s*(?:的)?(?:申请)?\s*(\d+)\s*(件|条|个|宗)").finditer(clause):
            found.add(name, int(m.group(2)), False, clause.strip(), off)


def template_by_text(text: str, year: int | None = None) -> str | None:
    """The template a report without a table in its text follows, from the notice it cites
    or, for the post-2019 structure (收到和处理政府信息公开申请情况), from the year reported on."""
    t = to_simplified(unicodedata.normalize("NFKC", text or ""))
    if re.search(r"国办公开办函\s*[〔\[(（]?\s*2021\s*[〕\])）]?\s*30\s*号", t):
        return "gk2021"
    if re.search(r"国办公开办函\s*[〔\[(（]?\s*2019\s*[〕\])）]?\s*60\s*号", t):
        return "gk2019"
    if year and ("收到和处理政府信息公开申请" in t or "政府信息公开工作年度报告格式" in t):
        return "gk2021" if year >= 2021 else "gk2019" if year >= 2019 else None
    return None


def narrative_values(text: str) -> dict[str, tuple[float, bool, str, int]]:
    """name → (value, approximate, raw clause, offset); conflicting figures are dropped."""
    found_as = unicodedata.normalize("NFKC", text or "")
    text = to_simplified(found_as)        # same length: offsets and clauses map back to the text as found
    found = _Found()
    for off, clause, sentence in _clauses(text):
        if "|" in clause or "\t" in clause:
            continue                          # table rows are the tables' business
        _requests_received(off, clause, found)
        _outcomes(off, clause, found)
        _review_litigation(off, clause, found)
        _complaints(off, clause, found)
        _fees(off, clause, sentence, found)
        _proactive(off, clause, found)
        _staff(off, clause, found)
        _budget(off, clause, text, found)
    weak = found.values.pop("proactive_items_weak", None)
    if weak and "proactive_items" not in found.values:
        found.values["proactive_items"] = weak
    if text is not found_as:
        for values in found.values.values():
            for i, (value, approx, raw, off) in enumerate(values):
                at = text.find(raw, off)
                if at >= 0:
                    values[i] = (value, approx, found_as[at:at + len(raw)], off)
    out = {}
    for name, values in found.values.items():
        distinct = {v for v, *_ in values}
        if len(distinct) == 1:
            out[name] = values[0]
        elif name in ("proactive_items", "budget"):
            out[name] = values[0]             # the first figure is the report's total
    return out


def narrative_harmonized(text: str, template: str | None) -> list[Harmonized]:
    units = {row["name"]: row["unit"] or None for row in load_harmonized()}
    return [Harmonized(name=name, value=value, unit=units.get(name), method="narrative", raw=raw,
                       source={"offset": offset}, approximate=approx)
            for name, (value, approx, raw, offset) in narrative_values(text).items()]
