"""Consistency rules of docs/extract-json.md. Figures that break a rule are kept and flagged.

A rule is tried only when at least one of its inputs is present; absent inputs count as 0
(a blank cell in a filled-in table means nil). Rule names are stable identifiers.
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


def _rule(values: dict, blank: set[str], rule: str, left: list[str], right: list[str]) -> Check | None:
    if not any(c in values for c in left + right):
        return None          # all inputs absent: not tried
    if any(c not in values and c not in blank for c in left + right):
        return None          # a row the document does not show (e.g. a cut-off table): unknown
    lv = sum(values.get(c, 0) for c in left)
    rv = sum(values.get(c, 0) for c in right)
    ok = abs(lv - rv) <= TOLERANCE

    def side(codes):
        return " + ".join(f"{c.split('.', 1)[-1] if c.startswith('old.') else c}={_fmt(values[c])}"
                          for c in codes if c in values) or "0"

    detail = f"{side(left)} → {_fmt(lv)} {'=' if ok else '≠'} {_fmt(rv)} ← {side(right)}"
    return Check(rule=rule, ok=ok, detail=detail)


def run_checks(metrics: list[Metric], template: str | None, blank: set[str] | None = None) -> list[Check]:
    """`blank`: codes whose cells were present but empty (nil, unlike rows the table lacks)."""
    blank = blank or set()
    values = {m.code: m.value for m in metrics}
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
    checks = []
    for rule, left, right in rules:
        c = _rule(values, blank, rule, left, right)
        if c is not None:
            checks.append(c)
    return checks
