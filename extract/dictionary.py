"""The code dictionary in the database: `metric_codes` and `harmonized_names` from the spec.

Loaded on every extraction run, so the database always explains the codes its figures
use. Rows are upserted by code: an id once given to a code keeps pointing at it, so
figures written by an earlier run stay right when the spec grows.
"""
from __future__ import annotations

import re

from .templates import load_harmonized, load_metrics

_WORDS = {
    "old": "", "requests": "requests", "result": "result", "new": "new", "total": "total",
    "natural_person": "natural persons", "commercial": "companies", "research": "research institutions",
    "public_interest": "public-interest organisations", "legal_services": "legal-service institutions",
    "other_org": "other organisations", "review": "administrative reconsideration",
    "litigation_direct": "lawsuits filed directly", "litigation_after_review": "lawsuits after reconsideration",
    "litigation": "lawsuits", "corrected": "corrected", "upheld": "upheld", "pending": "pending",
    "other": "other outcome", "refused": "refused", "disclosed": "disclosed", "partly": "partly disclosed",
    "carried_in": "carried over from last year", "carried_out": "carried over to next year",
    "proactive": "proactive disclosure", "fees": "fees", "capacity": "capacity", "staff": "staff",
}


def _meaning_en(code: str) -> str:
    words = [_WORDS.get(part, part.replace("_", " ")) for part in re.split(r"\.", code)]
    return " / ".join(w for w in words if w)


def label_zh(row_label: str, column_label: str) -> str:
    """A short Chinese label: the row, and the column where it says more than 统计数."""
    row = (row_label or "").strip()
    col = (column_label or "").strip()
    if col in ("", "统计数", "数量"):
        return row
    return f"{row}（{col}）"


def load_dictionary(db) -> dict[str, dict[str, int]]:
    """Upsert the spec into the dictionary tables; returns {"metrics": code->id, "harmonized": name->id}."""
    for spec in load_metrics():
        row = {"code": spec.code, "templates": ",".join(spec.templates), "section": spec.section,
               "row_label": spec.row_label, "column_label": spec.column_label, "unit": spec.unit,
               "label_zh": label_zh(spec.row_label, spec.column_label),
               "meaning_zh": " · ".join(p for p in (spec.section, spec.row_label, spec.column_label) if p),
               "meaning_en": _meaning_en(spec.code)}
        _upsert(db, "metric_codes", "code", row)
    for h in load_harmonized():
        row = {"name": h["name"], "label_zh": h["label_zh"], "unit": h["unit"] or None,
               "gk2008": h["gk2008"] or None, "gk2019_gk2021": h["gk2019_gk2021"] or None,
               "meaning_zh": h["label_zh"], "meaning_en": h["meaning"]}
        _upsert(db, "harmonized_names", "name", row)
    return {"metrics": dict(db.execute("SELECT code, id FROM metric_codes").fetchall()),
            "harmonized": dict(db.execute("SELECT name, id FROM harmonized_names").fetchall())}


def _upsert(db, table: str, key: str, row: dict) -> None:
    cols = list(row)
    updates = ", ".join(f"{c} = excluded.{c}" for c in cols if c != key)
    db.execute(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)}) "
               f"ON CONFLICT({key}) DO UPDATE SET {updates}", [row[c] for c in cols])
