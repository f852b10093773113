"""HTML tables to cell grids (rowspan/colspan expanded by repeating the cell's text).

Report pages are often Word pasted into a CMS: cells hold <p><span style=...>, conditional
comments, &nbsp; and <o:p>. We read each cell's visible text only. Nested tables become
their own grids (the outer cell keeps only its own text) because statistics tables are
sometimes wrapped in a layout table. A table split over several <table> elements stays as
several grids; statistics.py reads grids in order with running context, so it joins them.

Extraction reads the lxml tree the page was parsed into once (document.read_document: the
same tree trafilatura reads); `grids_from_soup` reads a BeautifulSoup tree the same way, for
the archived-copy viewer, which needs a soup it can rewrite.
"""
from __future__ import annotations

import re

from bs4 import BeautifulSoup, Comment, Tag
from lxml import etree, html as lxml_html

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
    rows = [[(_cell_text(cell), _span(cell, "rowspan"), _span(cell, "colspan"), cell)
             for cell in tr.find_all(["td", "th"], recursive=False)] for tr in _own_rows(table)]
    return _grid_of_rows(rows, index)


def _grid_of_rows(rows: list, index: int) -> Grid:
    """The grid of a table given as rows of (text, rowspan, colspan, element)."""
    filled: dict[tuple[int, int], str] = {}
    raw: dict[tuple[int, int], str] = {}
    element: dict[tuple[int, int], object] = {}   # which <td>/<th> fills each position
    cleaned: dict[str, str] = {}
    n_rows = 0
    for r, tr in enumerate(rows):
        c = 0
    ends: dict[int, int] = {}                     # row -> 1 + its last filled column
    for r, tr in enumerate(rows):
        c = 0
        for text, rs, cs, cell in tr:
            while (r, c) in filled:
                c += 1
            clean = cleaned.get(text)
            if clean is None:
                clean = cleaned[text] = clean_cell(text)
            for dr in range(rs):
                for dc in range(cs):
                    filled[(r + dr, c + dc)] = clean
                    raw[(r + dr, c + dc)] = text
                    element[(r + dr, c + dc)] = cell
                if ends.get(r + dr, 0) < c + cs:
                    ends[r + dr] = c + cs
            c += cs
        n_rows = max(n_rows, r + 1)
    n_cols = max(ends.values(), default=0)
    # A row with fewer cells than the table is short on the left (a label column merged
    # away, e.g. the group column of a continuation table): right-align it so that its
    # figures stay under their column headers.
    cells, raws, elements = [], [], []
    for r in range(n_rows):
        end = ends.get(r, 0)
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


# -- the same from an lxml tree (extraction) ------------------------------------------

_BREAKS = frozenset(("br", "p", "div", "li"))
_NO_TEXT = frozenset(("script", "style"))
_CELLS = frozenset(("td", "th"))


def _lxml_cell_text(cell) -> str:
    """`_cell_text` of an lxml element: the same strings in the same order."""
    parts: list[str] = []

    def walk(el, nested: bool) -> None:
        if el.text and not nested and el.tag not in _NO_TEXT:
            parts.append(el.text)
        for child in el:
            tag = child.tag
            if isinstance(tag, str):
                if tag in _BREAKS and parts:
                    parts.append(" ")
                walk(child, nested or tag == "table")
            if child.tail and not nested:      # a tail's parent is `el`; comments keep their tail
                parts.append(child.tail)

    walk(cell, False)
    return "".join(parts)


def _lxml_span(cell, name: str) -> int:
    value = cell.get(name)
    if value is None:
        return 1
    if value.isdecimal() and len(value) < 4:    # the common "2": what the general rule gives it
        return max(1, min(int(value), 200))
    try:
        return max(1, min(int(re.sub(r"\D", "", cell.get(name, "1")) or 1), 200))
    except ValueError:
        return 1


def _lxml_rows(table) -> list:
    """<tr> of this table, not of tables nested in it."""
    rows = []
    for tr in table.iter("tr"):
        parent = tr.getparent()
        while parent is not None and parent.tag != "table":
            parent = parent.getparent()
        if parent is table:
            rows.append(tr)
    return rows


def grids_from_tree(tree) -> list[Grid]:
    """Grids of every <table> of an lxml tree, in document order (as `grids_from_soup`)."""
    grids = []
    if tree is None:
        return grids
    for table in tree.getroottree().getroot().iter("table"):
        rows = [[(_lxml_cell_text(cell), _lxml_span(cell, "rowspan"), _lxml_span(cell, "colspan"), cell)
                 for cell in tr if cell.tag in _CELLS] for tr in _lxml_rows(table)]
        g = _grid_of_rows(rows, len(grids))
        if g.cells:
            grids.append(g)
    return grids


_WORD_CONDITIONAL = re.compile(r"<!--\[if [^\]]*\]>.*?<!\[endif\]-->", re.S)
_INVALID_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_PARSER = etree.HTMLParser(collect_ids=False, default_doctype=False, encoding="utf-8", remove_comments=True,
                           remove_pis=True)


def strip_word_conditionals(html: str) -> str:
    # Word's conditional comments hide list bullets such as "1." that are not data
    return _WORD_CONDITIONAL.sub("", html) if "<!--[if" in html else html


def parse_tree(html: str):
    """An lxml tree of a page or fragment (what trafilatura's parser makes of it), or None."""
    html = _INVALID_XML.sub("", html)
    if not html.strip():
        return None
    try:
        return lxml_html.document_fromstring(html.encode("utf-8", "surrogatepass"), parser=_PARSER)
    except (etree.ParserError, ValueError):
        return None


def table_tree(html: str, tree=None):
    """The tree tables are read from: `tree` (the page's shared parse) unless Word's
    conditional comments must come out of the text first."""
    stripped = strip_word_conditionals(html)
    if tree is not None and stripped is html:
        return tree
    return parse_tree(stripped)


def parse_html(html: str) -> BeautifulSoup:
    """The archived-copy viewer's parse: a soup built by libxml2 like extraction's tree, so
    that `grids_from_soup` finds the cells at the positions `grids_from_tree` gave them."""
    return BeautifulSoup(_INVALID_XML.sub("", _WORD_CONDITIONAL.sub("", html)), "lxml")


def grids_from_html(html: str) -> list[Grid]:
    if not html:
        return []
    return grids_from_tree(table_tree(html))


def grids_from_soup(soup: BeautifulSoup) -> list[Grid]:
    grids = []
    for table in soup.find_all("table"):
        g = grid_of_table(table, index=len(grids))
        if g.cells:
            grids.append(g)
    return grids
