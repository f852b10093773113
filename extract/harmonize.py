"""harmonized.tsv values computed from a report's metrics.

The gk2019_gk2021 column holds a code, a row prefix (`requests.result.total` means its 总计
column), a `sum(prefix.*.total)` or `a + b`. A formula whose inputs are all absent gives
nothing; a sum over partly present inputs adds the present ones (blank cells are nil).
"""
from __future__ import annotations

import re

from .model import Harmonized, Metric
from .templates import load_harmonized, load_metrics


def _codes(term: str, template: str) -> list[str]:
    """Spec codes a formula term stands for."""
    term = term.strip()
    m = re.fullmatch(r"sum\((.+)\)", term)
    codes = [s.code for s in load_metrics() if template in s.templates]
    if m:
        pattern = re.escape(m.group(1)).replace(r"\*", r"[^.]+")
        return [c for c in codes if re.fullmatch(pattern, c)]
    if term in codes:
        return [term]
    if term + ".total" in codes:
        return [term + ".total"]
    return []


def evaluate_formula(formula: str, values: dict[str, float], blank: set[str] | None = None,
                     template: str = "gk2019") -> float | None:
    """Sum of the formula's codes; None when one is unknown (row missing) or none has a value.

    A code whose cell was seen empty (`blank`) counts as nil.
    """
    blank = blank or set()
    codes = [c for term in formula.split("+") for c in _codes(term, template)]
    if not codes or any(c not in values and c not in blank for c in codes):
        return None
    found = [values[c] for c in codes if c in values]
    if not found:
        return None
    total = sum(found)
    return int(total) if float(total).is_integer() else round(total, 6)


def harmonize(metrics: list[Metric], template: str, blank: set[str] | None = None) -> list[Harmonized]:
    values = {m.code: m.value for m in metrics}
    approx = {m.code for m in metrics if m.approximate}
    column = "gk2008" if template == "gk2008" else "gk2019_gk2021"
    out = []
    for row in load_harmonized():
        formula = row[column]
        if not formula:
            continue
        value = evaluate_formula(formula, values, blank, template)
        if value is None:
            continue
        out.append(Harmonized(name=row["name"], value=value, unit=row["unit"] or None, method="table",
                              raw=None, source={"formula": formula},
                              approximate=any(c in approx for c in formula.split())))
    return out
