"""Consistency rules of docs/extract-json.md. Figures that break a rule are kept and flagged.

A rule is tried only when at least one of its inputs is present; absent inputs count as 0
only when their cell is there and empty (a blank cell in a filled-in table means nil). A rule
some of whose cells the document does not give (a cut-off table, a row a layout lost) cannot
be evaluated: it is never a failure. `run_checks(..., report_unchecked=True)` lists it as
"not checked" (ok stays a bool, as the extract-file contract wants: True, with `checked`
False and a detail that says 未核对 / not checked). Rule names are stable identifiers; each
detail opens with the rule in Chinese words.
"""
from __future__ import annotations

from .model import Check, Metric
from .shapes import APPLICANT_KEYS

_T3_RESULT_ROWS = (
    "disclosed", "partly",
    *(f"refused.{k}" for k in ("state_secret", "prohibited_by_law", "security_stability", "third_party",
                               "internal_affairs", "process_info", "enforcement_files", "inquiry_matters")),
    *(f"unable.{k}" for k in ("not_held", "needs_creation", "unclear")),
    *(f"not_processed.{k}" for k in ("petition", "repeated", "publication", "mass_repeated", "confirmation")),
)
_OTHER_ROWS = {"gk2019": ("other",), "gk2021": ("other.no_amendment", "other.no_fee_paid", "other.other")}
TOLERANCE = 1e-6


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


_COLUMN_ZH = {"natural_person": "自然人", "commercial": "商业企业", "research": "科研机构",
              "public_interest": "社会公益组织", "legal_services": "法律服务机构", "other_org": "其他组织",
              "total": "总计"}
_GROUP_ZH = {"review": "行政复议", "litigation_direct": "未经复议直接起诉", "litigation_after_review": "复议后起诉"}
_OLD_ZH = {"old.received": "收到申请数＝当面+传真+网上+信函申请之和",
           "old.closed": "已办结申请＝按时办结+延期办结",
           "old.staff": "工作人员＝专职+兼职人员",
           "old.review": "行政复议＝维持+纠正+其他结果",
           "old.litigation": "行政诉讼＝维持+纠正+其他结果"}


def rule_zh(rule: str) -> str:
    """The rule in Chinese words (the UI and `detail` use it; rule names stay stable)."""
    name, _, arg = rule.partition("[")
    arg = arg.rstrip("]")
    if name == "table3.balance":
        return f"表三“{_COLUMN_ZH.get(arg, arg)}”列：本年新收＋上年结转＝办理结果总计＋结转下年度"
    if name == "table3.result_total":
        return f"表三“{_COLUMN_ZH.get(arg, arg)}”列：办理结果总计＝各项办理结果之和"
    if name == "table3.row_total":
        from .templates import metrics_by_code
        spec = metrics_by_code().get(f"requests.{arg}.total")
        label = spec.row_label.split(" ")[-1] if spec else arg
        return f"表三“{label}”行：总计＝六类申请人之和"
    if name == "table4.total":
        return f"表四“{_GROUP_ZH.get(arg, arg)}”：总计＝结果维持＋结果纠正＋其他结果＋尚未审结"
    return _OLD_ZH.get(rule, rule)


def _rule(values: dict, blank: set[str], rule: str, left: list[str], right: list[str],
          report_unchecked: bool = False) -> Check | None:
    if not any(c in values for c in left + right):
        return None          # all inputs absent: not tried
    missing = [c for c in left + right if c not in values and c not in blank]
    if missing:
        # a row the document does not show (e.g. a cut-off table): unknown, never broken
        if not report_unchecked:
            return None
        shown = ", ".join(missing[:4]) + (" …" if len(missing) > 4 else "")
        return Check(rule=rule, ok=True, checked=False,
                     detail=f"未核对：{rule_zh(rule)}；缺少 {len(missing)} 项数据 (not checked: {shown} missing)")
    lv = sum(values.get(c, 0) for c in left)
    rv = sum(values.get(c, 0) for c in right)
    ok = abs(lv - rv) <= TOLERANCE

    def side(codes):
        return " + ".join(f"{c.split('.', 1)[-1] if c.startswith('old.') else c}={_fmt(values[c])}"
                          for c in codes if c in values) or "0"

    detail = f"{rule_zh(rule)}：{side(left)} → {_fmt(lv)} {'=' if ok else '≠'} {_fmt(rv)} ← {side(right)}"
    return Check(rule=rule, ok=ok, detail=detail)


def run_checks(metrics: list[Metric], template: str | None, blank: set[str] | None = None,
               report_unchecked: bool = False) -> list[Check]:
    """`blank`: codes whose cells were present but empty (nil, unlike rows the table lacks).
    `report_unchecked`: list rules that some missing cells keep from being evaluated."""
    blank = blank or set()
    # a figure whose column was guessed (statistics._pushed_blanks) is not stated by the report
    values = {m.code: m.value for m in metrics if m.source.get("placement") != "guessed"}
    checks = []
    for rule, left, right in rules_of(template):
        c = _rule(values, blank, rule, left, right, report_unchecked)
        if c is not None:
            checks.append(c)
    return checks


def rules_of(template: str | None) -> list[tuple[str, list[str], list[str]]]:
    """(rule name, left codes, right codes) of a template's sum rules: sum(left) = sum(right)."""
    rules: list[tuple[str, list[str], list[str]]] = []
    if template in ("gk2019", "gk2021"):
        result_rows = list(_T3_RESULT_ROWS) + list(_OTHER_ROWS[template])
        for col in APPLICANT_KEYS:
            rules.append((f"table3.balance[{col}]",
                          [f"requests.new.{col}", f"requests.carried_in.{col}"],
                          [f"requests.result.total.{col}", f"requests.carried_out.{col}"]))
            rules.append((f"table3.result_total[{col}]", [f"requests.result.total.{col}"],
                          [f"requests.result.{r}.{col}" for r in result_rows]))
        for row in ["new", "carried_in", *(f"result.{r}" for r in result_rows), "result.total", "carried_out"]:
            rules.append((f"table3.row_total[{row}]", [f"requests.{row}.total"],
                          [f"requests.{row}.{col}" for col in APPLICANT_KEYS[:-1]]))
        for group in ("review", "litigation_direct", "litigation_after_review"):
            rules.append((f"table4.total[{group}]", [f"{group}.total"],
                          [f"{group}.{o}" for o in ("upheld", "corrected", "other", "pending")]))
    elif template == "gk2008":
        rules += [
            ("old.received", ["old.requests.received"],
             [f"old.requests.received_{k}" for k in ("in_person", "fax", "online", "letter")]),
            ("old.closed", ["old.requests.closed"], ["old.requests.closed_on_time", "old.requests.closed_extended"]),
            ("old.staff", ["old.capacity.staff"], ["old.capacity.staff_fulltime", "old.capacity.staff_parttime"]),
            ("old.review", ["old.review.total"], ["old.review.upheld", "old.review.corrected", "old.review.other"]),
            ("old.litigation", ["old.litigation.total"],
             ["old.litigation.upheld", "old.litigation.corrected", "old.litigation.other"]),
        ]
    return rules
