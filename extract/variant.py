"""Province-specific statistics tables (e.g. Fujian's 指标名称 | 计量单位 | N年度 | 历年累计).

Their rows do not follow metrics.tsv, so they give harmonized values only. The year's figure
is taken from the column headed by the year (N年度/本年/本期), never from a 累计 column; a 代码
(row code) column is skipped.
"""
from __future__ import annotations

import re

from .model import Grid, Harmonized
from .templates import clean_cell, is_unit_cell, load_harmonized, norm_label, parse_number

_VARIANT_ROW_WORDS = ("受理依申请公开信息总数", "对申请的答复总数", "受理申请总数")


def _header_cells(grid: Grid, limit: int = 8) -> list[str]:
    return [clean_cell(c) for row in grid.cells[:limit] for c in row if c and parse_number(c) is None]


def is_variant(grids: list[Grid]) -> bool:
    for g in grids:
        head = "".join(norm_label(c) for c in _header_cells(g))
        body = "".join(norm_label(c) for row in g.cells for c in row)
        if "累计" in head and ("指标" in head or "计量单位" in head or "单位" in head):
            return True
        if "代码" in head and ("本期" in head or "计量单位" in head):
            return True
        if any(w in body for w in _VARIANT_ROW_WORDS):
            return True
    return False


# harmonized name ← (must contain one of, must contain none of)
_ROWS = (
    ("requests_received", ("受理依申请公开信息总数", "受理申请总数", "收到申请数", "依申请公开信息总数", "受理依申请公开"),
     ("答复", "其中", "当面", "网上", "网络", "信函", "传真")),
    ("requests_answered", ("对申请的答复总数", "申请答复数", "答复总数"), ("其中",)),
    ("requests_partly_granted", ("同意部分公开", "部分公开"), ()),
    ("requests_refused", ("不同意公开", "不予公开"), ("其中", "涉及")),
    ("requests_granted", ("同意公开",), ("部分", "不同意")),
    ("review_total", ("行政复议数", "行政复议案件数", "申请行政复议"), ("维持", "纠错", "纠正", "其他")),
    ("litigation_total", ("行政诉讼数", "行政诉讼案件数", "提起行政诉讼"), ("维持", "纠错", "纠正", "其他")),
    ("complaints_total", ("举报投诉数", "申诉数", "举报投诉"), ()),
    ("fees_collected", ("收取的费用", "收取费用", "收费金额"), ("减免",)),
    ("proactive_items", ("主动公开政府信息数", "主动公开信息数"), ("其中", "全文电子化", "规范性文件")),
    ("staff_total", ("从事政府信息公开工作人员数", "工作人员数"), ("专职", "兼职")),
    ("budget", ("专项经费",), ()),
)


def _name_of(label: str) -> str | None:
    n = norm_label(label)
    for name, musts, nots in _ROWS:
        if any(m in n for m in musts) and not any(x in n for x in nots):
            return name
    return None


def _year_column(grid: Grid) -> tuple[int | None, int | None]:
    """(column of the year's figures, column of row codes) from a header row, if aligned."""
    for row in grid.cells[:8]:
        texts = [norm_label(c) for c in row]
        if not any(re.search(r"累计|本期|年度|本年", t) for t in texts):
            continue
        year_col = next((i for i, t in enumerate(texts)
                         if re.search(r"本期|年度|本年|统计数|数量", t) and "累计" not in t), None)
        code_col = next((i for i, t in enumerate(texts) if t in ("代码", "行次", "序号")), None)
        return year_col, code_col
    return None, None


def variant_harmonized(grids: list[Grid]) -> list[Harmonized]:
    units = {row["name"]: row["unit"] or None for row in load_harmonized()}
    out: dict[str, Harmonized] = {}
    for g in grids:
        year_col, code_col = _year_column(g)
        has_code = code_col is not None or "代码" in "".join(_header_cells(g))
        aligned = not g.origin.startswith(("text-", "flattened"))   # text rows lost their positions
        widths = getattr(g, "row_widths", None)
        for r_i, row in enumerate(g.cells):
            row = row[:widths[r_i]] if widths else row
            labels = [c for c in row if c and parse_number(c) is None and not is_unit_cell(c)]
            if not labels:
                continue
            name = _name_of(labels[0])
            if not name or name in out:
                continue
            cell, col = None, None
            if aligned and year_col is not None and year_col < len(row):
                cell, col = row[year_col], year_col
            else:
                start = row.index(labels[0]) + 1
                rest = [(i, c) for i, c in enumerate(row) if i >= start and not is_unit_cell(c)]
                if has_code and rest:
                    rest = rest[1:]
                col, cell = rest[0] if rest else (None, None)
            unit = units.get(name)
            num = parse_number(cell, unit) if cell else None
            if num is None:
                continue
            value = num.value
            if unit == "万元" and num.unit is None and any(clean_cell(c) == "元" for c in row):
                value = round(value / 10000, 6)       # the row's unit cell says 元
            out[name] = Harmonized(name=name, value=value, unit=unit, method="table", raw=cell,
                                   source={"grid": g.index, "row": labels[0], "template": "variant",
                                           "grid_row": r_i, "grid_col": col},
                                   approximate=num.approximate)
    return list(out.values())
