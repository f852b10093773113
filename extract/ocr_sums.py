"""Sum-rule vetting of figures read by OCR (issue 13): a misread digit must never be stored
as a confident figure, nor raise a false inconsistency alarm.

After the OCR'd cells are mapped to metrics, the template's sum rules (checks.rules_of) are
evaluated on them.  A figure is *verified* when it takes part in a rule that holds with all
its inputs present (a misread that still balances a sum is very unlikely).  For each rule
that fails, the OCR'd figures in it that no holding rule verifies are the suspects:

- one suspect: it alone explains the break; it is dropped;
- several: the rule cannot say which was misread; all are dropped (precision first);
- none (every figure is verified elsewhere): the break is in the report itself and the
  alarm stays.

Dropped cells are then absent, so the rules that need them are reported "not checked"
(checks._rule), never as broken.  Repeated until no failing rule has suspects.
"""
from __future__ import annotations

from .checks import TOLERANCE, rules_of
from .model import Metric

OCR_ORIGINS = ("pdf-ocr", "ocr")


def vet_ocr(metrics: list[Metric], template: str | None, blank: set[str]) -> tuple[list[Metric], list[str]]:
    """(metrics kept, codes dropped as likely misreads)."""
    ocr = {m.code for m in metrics if m.source.get("origin") in OCR_ORIGINS}
    if not ocr or not template:
        return metrics, []
    values = {m.code: m.value for m in metrics if m.source.get("placement") != "guessed"}
    rules = rules_of(template)
    dropped: list[str] = []
    for _ in range(len(rules) + 1):
        verified: set[str] = set()
        failing: list[list[str]] = []
        for _, left, right in rules:
            codes = left + right
            if not any(c in values for c in codes) or any(c not in values and c not in blank for c in codes):
                continue
            ok = abs(sum(values.get(c, 0) for c in left) - sum(values.get(c, 0) for c in right)) <= TOLERANCE
            if ok:
                verified.update(c for c in codes if c in values)
            else:
                failing.append([c for c in codes if c in values])
        drop: set[str] = set()
        for codes in failing:
            drop.update(c for c in codes if c in ocr and c not in verified)
        if not drop:
            break
        for c in sorted(drop):
            values.pop(c, None)
            dropped.append(c)
    gone = set(dropped)
    return [m for m in metrics if m.code not in gone], dropped
