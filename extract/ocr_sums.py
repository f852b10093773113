"""Sum-rule vetting of figures read by OCR (issue 13): a misread digit must never be stored
as a confident figure, nor raise a false inconsistency alarm.

After the OCR'd cells are mapped to metrics, the template's sum rules (checks.rules_of) are
evaluated on them.  A figure is *verified* when it takes part in a rule that holds with all
its inputs present (a misread that still balances a sum is very unlikely).  For each rule
that fails, the OCR'd figures in it that no holding rule verifies are the suspects.

First the suspects' other readings are tried (ocr_cells reads each figure more than once;
readings that disagree travel with the metric as source["alternatives"]): a reading is
taken when with it every rule the figure is in that can be evaluated holds, and it is the
only such fix for each failing rule it repairs (no guessing between two fixes).  Then what
is still failing:

- one suspect: it alone explains the break; it is dropped;
- several: the rule cannot say which was misread; all are dropped (precision first);
- none (every figure is verified elsewhere): the break is in the report itself and the
  alarm stays.

Dropped cells are then absent, so the rules that need them are reported "not checked"
(checks._rule), never as broken.  Repeated until no failing rule has suspects.
"""
from __future__ import annotations

import re
from dataclasses import replace

from .checks import TOLERANCE, rules_of
from .model import Metric

OCR_ORIGINS = ("pdf-ocr", "ocr")


def _number(text: str) -> float | None:
    try:
        return float(re.sub(r"[\s,]", "", text))
    except ValueError:
        return None


def _alternative_values(m: Metric) -> dict[float, str]:
    """The metric's other readings: value in its unit (the scale of the reading kept: a 元
    column's figures are stored in 万元) -> text read."""
    raw = _number(m.raw)
    scale = m.value / raw if raw else 1.0
    out: dict[float, str] = {}
    for text in m.source.get("alternatives") or ():
        v = _number(str(text))
        if v is None:
            continue
        v = v * scale
        v = int(v) if float(v).is_integer() else round(v, 6)
        if v != m.value:
            out.setdefault(v, str(text))
    return out


def _evaluable(codes: list[str], values: dict, blank: set[str]) -> bool:
    return any(c in values for c in codes) and all(c in values or c in blank for c in codes)


def _holds(left: list[str], right: list[str], values: dict) -> bool:
    return abs(sum(values.get(c, 0) for c in left) - sum(values.get(c, 0) for c in right)) <= TOLERANCE


def _state(rules, values: dict, blank: set[str]):
    """(codes verified by a holding rule, codes of each failing rule)."""
    verified: set[str] = set()
    failing: list[list[str]] = []
    for _, left, right in rules:
        codes = left + right
        if not _evaluable(codes, values, blank):
            continue
        if _holds(left, right, values):
            verified.update(c for c in codes if c in values)
        else:
            failing.append([c for c in codes if c in values])
    return verified, failing


def _repairs(rules, values: dict, blank: set[str], suspects: set[str], alts: dict) -> dict[str, float]:
    """Other readings of suspects that make every evaluable rule they are in hold; only where
    each failing rule so repaired has exactly one such fix."""
    fixes: dict[str, list[float]] = {}
    for code in sorted(suspects):
        for v in alts.get(code, ()):
            trial = dict(values)
            trial[code] = v
            mine = [(left, right) for _, left, right in rules
                    if code in left + right and _evaluable(left + right, trial, blank)]
            if mine and all(_holds(left, right, trial) for left, right in mine):
                fixes.setdefault(code, []).append(v)
    chosen: dict[str, float] = {}
    for code, vs in fixes.items():
        if len(vs) != 1:
            continue
        rivals = {c for _, left, right in rules if code in left + right for c in left + right
                  if c != code and c in fixes}
        if not rivals:
            chosen[code] = vs[0]
    return chosen


def vet_ocr(metrics: list[Metric], template: str | None, blank: set[str]) -> tuple[list[Metric], list[str]]:
    """(metrics kept, codes dropped as likely misreads); a kept figure may carry the other
    reading the sum rules chose (source["reading"] = "alternative")."""
    ocr = {m.code for m in metrics if m.source.get("origin") in OCR_ORIGINS}
    if not ocr or not template:
        return metrics, []
    values = {m.code: m.value for m in metrics if m.source.get("placement") != "guessed"}
    alts = {m.code: _alternative_values(m) for m in metrics if m.code in ocr and m.source.get("alternatives")}
    rules = rules_of(template)
    dropped: list[str] = []
    texts = {c: dict(a) for c, a in alts.items()}
    replaced: dict[str, float] = {}
    for _ in range(2 * len(rules) + 2):
        verified, failing = _state(rules, values, blank)
        suspects = {c for codes in failing for c in codes if c in ocr and c not in verified}
        if not suspects:
            break
        fixes = _repairs(rules, values, blank, suspects & set(alts), alts)
        if fixes:
            values.update(fixes)
            replaced.update(fixes)
            for c in fixes:
                alts.pop(c, None)
            continue
        for c in sorted(suspects):
            values.pop(c, None)
            dropped.append(c)
    gone = set(dropped)
    out = []
    for m in metrics:
        if m.code in gone:
            continue
        if m.code in replaced:
            v = replaced[m.code]
            m = replace(m, value=v, raw=texts[m.code][v],
                        source={**m.source, "reading": "alternative", "first_reading": m.raw})
        out.append(m)
    return out, dropped
