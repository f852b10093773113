"""Plain data objects passed between extraction stages.

Every stage (HTML tables, text layouts, attachments, narrative sentences) ends in
these, so the database writer and `extract-file` never care where a figure came from.
"""
from __future__ import annotations

from dataclasses import dataclass, field, asdict


@dataclass
class Grid:
    """One statistics table as a rectangular cell grid (merged cells repeated).

    `cells[r][c]` is the cell's text, whitespace-normalised; `origin` says where the
    grid came from: "html-table", "text-tabs", "text-pipes", "text-lines", "docx",
    "xlsx", "pdf", ...; `index` numbers the grids of a document in reading order.
    """
    cells: list[list[str]]
    origin: str
    index: int = 0
    # OCR only: "row,col" -> other readings of a figure that two OCR passes did not agree on,
    # so the sum rules can pick the reading that balances them (extract/ocr_sums.py)
    alternatives: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class Metric:
    code: str                 # metrics.tsv code, e.g. "requests.new.total"
    value: float | int
    unit: str | None          # unit of the spec (万元 amounts already converted)
    raw: str                  # the cell or sentence text exactly as found
    method: str               # "table", "text-layout", "flattened-decoded", "narrative", "ocr"
    source: dict = field(default_factory=dict)  # {"grid": i, "row": label, "column": label} or {"offset": n}
    approximate: bool = False

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Harmonized:
    name: str                 # harmonized.tsv name, e.g. "requests_received"
    value: float | int
    unit: str | None
    method: str               # "table" (derived from metrics) or "narrative"
    raw: str | None = None
    source: dict = field(default_factory=dict)
    approximate: bool = False

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Check:
    rule: str
    ok: bool
    detail: str
    checked: bool = True      # False: cells the rule needs are missing, so it was not evaluated (ok stays True)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Statistics:
    """What the statistics stage found in one document."""
    template: str | None      # "gk2008", "gk2019", "gk2021", "variant", or None (no table found)
    metrics: list[Metric] = field(default_factory=list)
    harmonized: list[Harmonized] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # e.g. "table 三 decoded from flattened text"
