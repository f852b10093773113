"""HTML tables to cell grids (rowspan/colspan expanded by repeating the cell's text).

Report pages are often Word pasted into a CMS: cells hold <p><span style=...>, conditional
comments, &nbsp; and <o:p>. We read each cell's visible text only. Nested tables become
their own grids (the outer cell keeps only its own text) because statistics tables are
sometimes wrapped in a layout table. A table split over several <table> elements stays as
several grids; statistics.py reads grids in order with running context, so it joins them.
"""
from __future__ import annotations

import re

from bs4 import BeautifulSoup, Comment, Tag

from .model import Grid
from .templates import clean_cell


def _cell_text(cell: Tag) -> str:
    parts: list[str] = []
    for node in cell.descendants:
        if isinstance(node, Comment):
            continue
        if isinstance(node, Tag):
            if node.name in ("br", "p", "div", "li") and parts:
                parts.append(" ")
            continue
        # skip text that belongs to a nested table (it becomes its own grid)
        if any(p.name == "table" for p in node.parents if p is not cell and _inside(p, cell)):
            continue
        if node.parent is not None and node.parent.name in ("script", "style"):
            continue
        parts.append(str(node))
    return "".join(parts)


def _inside(node: Tag, ancestor: Tag) -> bool:
    for p in node.parents:
        if p is ancestor:
            return True
    return False


def _own_rows(table: Tag) -> list[Tag]:
    """<tr> of this table, not of tables nested in it (thead/tbody/tfoot allowed)."""
    rows = []
    for tr in table.find_all("tr"):
        if tr.find_parent("table") is table:
            rows.append(tr)
    return rows


def _span(cell: Tag, name: str) -> int:
    try:
        return max(1, min(int(re.sub(r"\D", "", cell.get(name, "1")) or 1), 200))
    except ValueError:
        return 1


def grid_of_table(table: Tag, index: int = 0) -> Grid:
    filled: dict[tuple[int, int], str] = {}
    raw: dict[tuple[int, int], str] = {}
    element: dict[tuple[int, int], Tag] = {}   # which <td>/<th> fills each position
    n_rows = 0
    for r, tr in enumerate(_own_rows(table)):
        c = 0
        for cell in tr.find_all(["td", "th"], recursive=False):
            while (r, c) in filled:
                c += 1
            text = _cell_text(cell)
            rs, cs = _span(cell, "rowspan"), _span(cell, "colspan")
            for dr in range(rs):
                for dc in range(cs):
                    filled[(r + dr, c + dc)] = clean_cell(text)
                    raw[(r + dr, c + dc)] = text
                    element[(r + dr, c + dc)] = cell
            c += cs
        n_rows = max(n_rows, r + 1)
    n_cols = max((c for _, c in filled), default=-1) + 1
    # A row with fewer cells than the table is short on the left (a label column merged
    # away, e.g. the group column of a continuation table): right-align it so that its
    # figures stay under their column headers.
    cells, raws, elements = [], [], []
    for r in range(n_rows):
        end = max((c for (rr, c) in filled if rr == r), default=-1) + 1
        shift = n_cols - end if 0 < end < n_cols else 0
        row = [""] * shift + [filled.get((r, c), "") for c in range(end if shift else n_cols)]
        if any(row):                      # drop rows that are entirely empty (Word spacer rows)
            cells.append(row)
            raws.append([""] * shift + [raw.get((r, c), "") for c in range(end if shift else n_cols)])
            elements.append([None] * shift + [element.get((r, c)) for c in range(end if shift else n_cols)])
    grid = Grid(cells=cells, origin="html-table", index=index)
    grid.raw = raws  # type: ignore[attr-defined]  # cell text before normalisation
    # the cell element behind each position, so the archived-copy viewer can mark the very
    # cell a figure's (src_grid, src_row, src_col) names (publish/capture_view.py)
    grid.elements = elements  # type: ignore[attr-defined]
    return grid


def parse_html(html: str) -> BeautifulSoup:
    """The parse every grid position refers to (the viewer re-parses pages the same way)."""
    # Word's conditional comments hide list bullets such as "1." that are not data
    html = re.sub(r"<!--\[if [^\]]*\]>.*?<!\[endif\]-->", "", html, flags=re.S)
    return BeautifulSoup(html, "html.parser")


def grids_from_html(html: str) -> list[Grid]:
    if not html:
        return []
    return grids_from_soup(parse_html(html))


def grids_from_soup(soup: BeautifulSoup) -> list[Grid]:
    grids = []
    for table in soup.find_all("table"):
        g = grid_of_table(table, index=len(grids))
        if g.cells:
            grids.append(g)
    return grids
