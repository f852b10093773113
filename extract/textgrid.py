"""Plain-text table layouts to cell grids.

Seen in seeds and on portals:
- one cell per line, rows separated by nothing (004) or by blank lines, blank cells written
  as a line of whitespace/&nbsp;;
- tab-indented cells (000), pipe-terminated cells (002), and whole rows on one line split by
  tabs, pipes or runs of spaces;
- rows that lack the unit cell (004);
- the flattened layout where cells run together (`规章 000行政规范性文件693665`), decoded in
  flattened.py with the template's shape and sum rules.

In one-cell-per-line text the row boundaries are lost, so a row is rebuilt as: a label line
followed by the unit/value/blank cells under it. Column positions are not known for such
rows; statistics.py then falls back to the template's canonical column order.
"""
from __future__ import annotations

import re

from .model import Grid
from .templates import clean_cell, is_unit_cell, is_value_cell

MAX_CELL_CHARS = 90          # longer lines are prose, not cells
MIN_VALUES_IN_TABLE = 3


def _split_row(line: str, markdown: bool = True) -> list[str] | None:
    """Cells of a line holding a whole row, or None when the line is one cell.

    Empty cells inside and at the end of a row are kept: they are blank values whose
    position matters ("行政强制 | 5 |  | 8 |").
    """
    body = line.strip("\r\n").rstrip(" \u3000")
    stripped = body.strip(" \t|\u3000")
    if "|" in stripped:
        # "| a | b |" has a border pipe; in "a | b |" rows a line opening with " | " has an
        # empty first cell
        inner = body.strip(" \t\u3000") if markdown else body.rstrip(" \t\u3000")
        inner = inner[1:] if inner.startswith("|") else inner
        inner = inner[:-1] if inner.endswith("|") else inner
        return [clean_cell(c) for c in inner.split("|")]
    if "\t" in stripped:
        cells = body.split("\t")
        if len([c for c in cells if c.strip()]) <= 1:
            cells = [c for c in cells if c.strip()] or [""]   # an indented single cell
        return [clean_cell(c) for c in cells]
    if re.search(r"\S(?: {2,}|\u3000+)\S", stripped):
        return [clean_cell(c) for c in re.split(r" {2,}|\u3000+", stripped)]
    # "（一）收到申请数 件 78": trailing unit/value tokens after a label
    tokens = clean_cell(stripped).split(" ")
    tail: list[str] = []
    while len(tokens) > 1 and (is_value_cell(tokens[-1]) or is_unit_cell(tokens[-1])):
        tail.insert(0, tokens.pop())
    if tail and any(is_value_cell(t) for t in tail):
        if all(is_value_cell(t) or is_unit_cell(t) for t in tokens):
            return tokens + tail
        return [" ".join(tokens)] + tail
    return None


def _kind(cell: str) -> str:
    if not cell:
        return "blank"
    if is_value_cell(cell):
        return "value"
    if is_unit_cell(cell):
        return "unit"
    return "label"


def _unbalanced(label: str) -> bool:
    return label.count("(") > label.count(")")


def _label_less(cells: list[str]) -> bool:
    """A row of figures whose label a converter put on the line before ("5 0 0 0 0 0 5")."""
    filled = [c for c in cells if c]
    return len(filled) >= 2 and all(_kind(c) == "value" for c in filled) and bool(cells[0])


def _rows_of_region(lines: list[str]) -> list[list[str]]:
    rows: list[list[str]] = []
    current: list[str] | None = None
    piped = [l.strip() for l in lines if l.count("|") >= 2]
    markdown = sum(l.startswith("|") for l in piped) > len(piped) / 2
    filled = [line for line in lines if line.strip("\r\n") != ""]
    # figures of a loose row: no pipes, no indent and evenly spaced (an indent or a wider gap is
    # a blank cell whose column is lost: such a row is left out rather than guessed)
    plain_values = [("|" not in line and not line[:1].isspace() and len(set(re.findall(r"(?<=\S)[ \t\u3000]+(?=\S)", line.strip()))) <= 1
                     and _label_less(_split_row(line, markdown) or [""])) for line in filled]
    labels_before = 0                     # label-only rows just before this line
    for i, line in enumerate(filled):
        multi = _split_row(line, markdown)
        if multi is not None and len([c for c in multi if c]) > 1:
            # A loose row: its label alone on the line above, its figures on this line. Not when
            # several labels or several value lines run together: that is a label block and a
            # value block (paired, if the sum rules confirm it, in statistics.py).
            if current is not None and len(current) == 1 and plain_values[i] and labels_before <= 2 \
                    and not (i + 1 < len(filled) and plain_values[i + 1]):
                current.extend(multi)
                current = None
                labels_before = 0
                continue
            labels_before = 0
            rows.append(multi)
            current = None
            continue
        cell = clean_cell(line.strip(" \t|\r\n"))
        kind = _kind(cell)
        if kind == "label":
            if current is not None and len(current) == 1 and _unbalanced(current[0]):
                current[0] = current[0] + cell          # label wrapped over two lines
                continue
            current = [cell]
            rows.append(current)
            labels_before += 1
            continue
        labels_before = 0
        if current is not None:
            current.append(cell)
        elif kind != "blank":
            current = ["", cell]
            rows.append(current)
    return rows


def _is_cellish(line: str) -> bool:
    s = line.strip()
    if len(s) > MAX_CELL_CHARS and "|" not in s and "\t" not in s:
        return False
    return not (len(s) > 30 and s.endswith("。"))


def _regions(lines: list[str]) -> list[list[str]]:
    regions, cur = [], []
    for line in lines:
        if _is_cellish(line):
            cur.append(line)
        else:
            if cur:
                regions.append(cur)
            cur = []
    if cur:
        regions.append(cur)
    return regions


def _layout(lines: list[str]) -> str:
    nonblank = [l for l in lines if l.strip()]
    if not nonblank:
        return "text-lines"
    if sum("|" in l for l in nonblank) > len(nonblank) / 2:
        return "text-pipes"
    if sum("\t" in l for l in nonblank) > len(nonblank) / 2:
        return "text-tabs"
    return "text-lines"


# Converter output inside tables: page-break and page-number lines ("\f", "<!-- page 3 -->",
# "— 3 —", "第 3 页 共 12 页", "-3-") and markdown rule rows ("|---|:---:|"), which are no row
# ("---" would read as a dash meaning 0).
_PAGE_MARKER = re.compile(
    r"^\s*(?:<!--\s*(?:page|pagebreak|PageBreak|分页)[^>]*-->|<div[^>]*page-break[^>]*>\s*(?:</div>)?|"
    r"[-—–－]\s*\d{1,3}\s*[-—–－]|第\s*\d{1,3}\s*页(?:\s*[,，/／]?\s*共\s*\d{1,3}\s*页)?|"
    r"(?:page|Page|PAGE)\s*\d{1,3}(?:\s*(?:of|/)\s*\d{1,3})?|\d{1,3}\s*/\s*\d{1,3}\s*页?)\s*$")
_MD_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$")


def converter_noise(line: str) -> bool:
    return bool(_PAGE_MARKER.match(line) or _MD_RULE.match(line))


def grids_from_text(text: str) -> list[Grid]:
    if not text:
        return []
    from .flattened import grids_from_flattened   # late import: flattened uses statistics shapes

    text = text.replace("\f", "\n")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    lines = [ln for ln in lines if not converter_noise(ln)]
    grids: list[Grid] = []
    for region in _regions(lines):
        rows = _rows_of_region(region)
        n_values = sum(1 for r in rows for c in r[1:] if is_value_cell(c))
        if n_values < MIN_VALUES_IN_TABLE:
            continue
        width = max(len(r) for r in rows)
        cells = [r + [""] * (width - len(r)) for r in rows]
        grid = Grid(cells=cells, origin=_layout(region), index=len(grids))
        # how many cells each row really has: padding is not a blank value
        grid.row_widths = [len(r) for r in rows]  # type: ignore[attr-defined]
        grids.append(grid)
    # cells run together: only when the line layouts found (almost) no table
    if sum(1 for g in grids for r in g.cells for c in r[1:] if is_value_cell(c)) < 10:
        for g in grids_from_flattened(text):
            g.index = len(grids)
            grids.append(g)
    return grids
