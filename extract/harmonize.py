"""harmonized.tsv values computed from a report's metrics.

The gk2019_gk2021 column holds a code, a row prefix (`requests.result.total` means its 总计
column), a `sum(prefix.*.total)` or `a + b`. A formula whose inputs are all absent gives
nothing; a sum over partly present inputs adds the present ones (blank cells are nil).
"""
from __future__ import annotations

import re

from .model import Harmonized, Metric
from .templates import load_harmonized


def _lookup(term: str, values: dict[str, float]) -> list[float]:
    term = term.strip()
    m = re.fullmatch(r"sum\((.+)\)", term)
    if m:
        pattern = re.escape(m.group(1)).replace(r"\*", r"[^.]+")
        return [v for k, v in values.items() if re.fullmatch(pattern, k)]
    if term in values:
        return [values[term]]
    if term + ".total" in values:
        return [values[term + ".total"]]
    return []


def evaluate_formula(formula: str, values: dict[str, float]) -> float | None:
    found: list[float] = []
    for term in formula.split("+"):
        found.extend(_lookup(term, values))
    if not found:
        return None
    total = sum(found)
    return int(total) if float(total).is_integer() else round(total, 6)


def harmonize(metrics: list[Metric], template: str) -> list[Harmonized]:
    values = {m.code: m.value for m in metrics}
    approx = {m.code for m in metrics if m.approximate}
    column = "gk2008" if template == "gk2008" else "gk2019_gk2021"
    out = []
    for row in load_harmonized():
        formula = row[column]
        if not formula:
            continue
        value = evaluate_formula(formula, values)
        if value is None:
            continue
        out.append(Harmonized(name=row["name"], value=value, unit=row["unit"] or None, method="table",
                              raw=None, source={"formula": formula},
                              approximate=any(c in approx for c in formula.split())))
    return out
