"""Statistics stage: report tables/text → metrics.tsv codes, harmonized values, checks.

Every source of cells (HTML tables, text layouts, attachment grids) goes through the same
path: grids are read row by row in document order with running context (current header
columns, current section), rows are matched to spec rows by normalised label similarity,
values to spec columns by header keywords or, when the layout lost column positions, by the
template's canonical column order.
"""
from __future__ import annotations

import functools
import re

from dataclasses import dataclass, field

from .checks import run_checks
from .chinese import to_simplified
from .harmonize import harmonize
from .model import Grid, Metric, Statistics
from .shapes import (APPLICANT_KEYS, REVIEW_GROUPS, REVIEW_OUTCOMES, T2_CANONICAL, RowEntry,
                     applicant_key, header_kind, old_section_of, review_group_key,
                     review_outcome_key, row_entries, t2_entity, t2_key)
from .tables import grids_from_tree, table_tree
from .templates import (clean_cell, is_dash, is_unit_cell, label_score_from, metrics_by_code, norm_label,
                        parse_number)
from .textgrid import grids_from_text

MATCH_THRESHOLD = 0.8
AMBIGUITY_MARGIN = 0.03
OCR_MATCH_THRESHOLD = 0.7     # OCR'd labels: a looser match ...
OCR_MATCH_MARGIN = 0.2        # ... taken only when every other row scores this much lower

METHOD_OF_ORIGIN = {"flattened": "flattened-decoded", "text-tabs": "text-layout",
                    "text-pipes": "text-layout", "text-lines": "text-layout", "ocr": "ocr"}


@functools.lru_cache(maxsize=65536)
def _is_number(cell: str) -> bool:
    """A real figure (dash-only cells do not make a row a data row)."""
    return bool(cell) and not is_dash(cell) and parse_number(cell) is not None


@functools.lru_cache(maxsize=65536)
def _kind(cell: str) -> str:
    if not cell:
        return "blank"
    if parse_number(cell) is not None:
        return "value"
    if is_unit_cell(cell):
        return "unit"
    return "label"


@dataclass
class _State:
    template: str
    section: str | None = None           # gk2008 section of the last matched row
    header_kind: str | None = None       # "t2", "t3", "t4" of the latest header block
    header_rows: list[list[str]] = field(default_factory=list)
    col_keys: dict[int, str] = field(default_factory=dict)     # grid column → column key
    col_unit_yuan: set[int] = field(default_factory=set)        # columns headed in 元
    seq_keys: list[str] = field(default_factory=list)           # keys of one-cell header lines
    in_header: bool = False
    t4_done: bool = False
    blank: set[str] = field(default_factory=set)                # codes whose cell was seen empty
    row: int = 0                                                # grid row being read (for Metric.source)


def _dedupe(cells: list[str]) -> list[str]:
    out: list[str] = []
    for c in cells:
        if c and (not out or out[-1] != c):
            out.append(c)
    return out


def _split_row(row: list[str]) -> tuple[list[str], list[tuple[int, str]]]:
    """Leading label cells (blanks between them allowed), then (column, cell) of the rest."""
    last_label = -1
    for i, cell in enumerate(row):
        kind = _kind(cell)
        if kind == "label":
            last_label = i
        elif kind != "blank":
            break
    labels = _dedupe(row[:last_label + 1])
    rest = [(c, row[c]) for c in range(last_label + 1, len(row))]
    return labels, rest


# ------------------------------------------------------------------ header handling

def _update_header(state: _State, row: list[str], kind: str) -> None:
    distinct = [c for c in dict.fromkeys(row) if c]
    if not state.in_header or state.header_kind != kind:
        state.header_rows, state.seq_keys, state.col_keys = [], [], {}
        state.col_unit_yuan = set()
    state.in_header = True
    state.header_kind = kind
    if len(distinct) >= 2:
        state.header_rows.append(row)
        state.col_keys = _col_keys(state.header_rows, kind)
        state.col_unit_yuan = {c for c in range(len(row))
                               if "元" in row[c] and "万元" not in to_simplified(row[c])}
    else:
        key = _key_of(kind, distinct[0]) if distinct else None
        if key:
            state.seq_keys.append(key)


def _key_of(kind: str, text: str) -> str | None:
    if kind == "t3":
        return applicant_key(text)
    if kind == "t2":
        return t2_key(text)
    if kind == "t4":
        return review_outcome_key(text)
    return None


def _col_keys(header_rows: list[list[str]], kind: str) -> dict[int, str]:
    width = max(len(r) for r in header_rows)
    keys: dict[int, str] = {}
    for c in range(width):
        column = [r[c] for r in header_rows if c < len(r) and r[c]]
        if not column:
            continue
        if kind == "t4":
            group = None
            for text in column:
                g = review_group_key(text)
                if g and (group is None or g != "review"):
                    group = g
            outcome = review_outcome_key(column[-1])
            if group and outcome:
                keys[c] = f"{group}.{outcome}"
        else:
            k = _key_of(kind, column[-1])
            if k:
                keys[c] = k
    return keys


# ------------------------------------------------------------------ row matching

_INNER = re.compile(r"^(\D{2,12}?)\s*\d{1,2}\s*[.、．]\s*(\S.*)$")
_SCORES: dict[tuple[str, int], tuple[float, ...]] = {}


# Scores below this never decide anything: a row needs MATCH_THRESHOLD, and an entry under
# it by more than AMBIGUITY_MARGIN is neither close nor best. Below it, _entry_scores may give
# a lower score than label_score would (never a higher one), so it need not run difflib on
# labels that share too few characters to get there. 0.01 below the exact bound, for floats.
_RELEVANT = MATCH_THRESHOLD - AMBIGUITY_MARGIN - 0.01


def _entry_scores(label: str, entries: tuple[RowEntry, ...]) -> tuple[float, ...]:
    """max(label_score(label, leaf) for leaf in e.leaves) for each entry, in order, exact
    wherever it is at least _RELEVANT: a row's label is scored against a template's entries
    once (a report repeats labels across tables, and choose_template maps the same rows for
    each template)."""
    key = (label, id(entries))            # row_entries(template) is cached: one tuple per template
    scores = _SCORES.get(key)
    if scores is None:
        if len(_SCORES) > 10_000:          # ~2.5 KB each (a float per entry of a template)
            _SCORES.clear()
        scores = _SCORES[key] = tuple(max(label_score_from(label, l, _RELEVANT) for l in e.leaves)
                                      for e in entries)
    return scores


_CANDIDATES: dict[tuple, tuple[list[RowEntry], list[RowEntry]] | None] = {}


def _candidates(leaf: str, full: str | None, entries: tuple[RowEntry, ...],
                tables: tuple[str, ...]) -> tuple[list[RowEntry], list[RowEntry]] | None:
    """(entries within AMBIGUITY_MARGIN of the best score, entries at the best score) for a
    row's labels, None when none reaches MATCH_THRESHOLD: a pure function of the labels, kept
    per distinct label (the tie-break by section happens in _best_entry)."""
    key = (leaf, full, id(entries), tables)
    if key in _CANDIDATES:
        return _CANDIDATES[key]
    # group and item in one cell: "（三）不予公开1.属于国家秘密" -> group "不予公开", item "属于国家秘密"
    m = _INNER.match(leaf)
    inner_group, inner_leaf = (norm_label(m.group(1)), norm_label(m.group(2))) if m else (None, None)
    leaf_scores = _entry_scores(leaf, entries)
    full_scores = _entry_scores(full, entries) if full is not None else None
    inner_scores = None
    scored: list[tuple[float, RowEntry]] = []
    for i, e in enumerate(entries):
        if e.table not in tables:
            continue
        s = leaf_scores[i]
        if full_scores is not None:
            s = max(s, full_scores[i] - 0.02)
        if inner_leaf and e.group and e.group in inner_group:
            if inner_scores is None:
                inner_scores = _entry_scores(inner_leaf, entries)
            s = max(s, inner_scores[i] - 0.01)
        scored.append((s, e))
    result = None
    best_score = max((s for s, _ in scored), default=None)
    if best_score is not None and best_score >= MATCH_THRESHOLD:
        # only which entries are close or exact counts below, never their order
        result = ([e for s, e in scored if best_score - s <= AMBIGUITY_MARGIN],
                  [e for s, e in scored if s >= best_score - 1e-9])
    if len(_CANDIDATES) > 50_000:
        _CANDIDATES.clear()
    _CANDIDATES[key] = result
    return result


def _loose_candidates(leaf: str, full: str | None, entries: tuple[RowEntry, ...], tables: tuple[str, ...],
                      threshold: float, margin: float) -> tuple[list[RowEntry], list[RowEntry]] | None:
    m = _INNER.match(leaf)
    inner_group, inner_leaf = (norm_label(m.group(1)), norm_label(m.group(2))) if m else (None, None)
    scored = []
    for e in entries:
        if e.table not in tables:
            continue
        sc = max(label_score_from(leaf, l, 0.0) for l in e.leaves)
        if full is not None:
            sc = max(sc, max(label_score_from(full, l, 0.0) for l in e.leaves) - 0.02)
        if inner_leaf and e.group and e.group in inner_group:
            sc = max(sc, max(label_score_from(inner_leaf, l, 0.0) for l in e.leaves) - 0.01)
        scored.append((sc, e))
    best = max((sc for sc, _ in scored), default=None)
    if best is None or best < threshold:
        return None
    return ([e for sc, e in scored if best - sc <= margin], [e for sc, e in scored if sc >= best - 1e-9])


def _best_entry(labels: list[str], entries: tuple[RowEntry, ...], state: _State,
                tables: tuple[str, ...], threshold: float = MATCH_THRESHOLD,
                margin: float = AMBIGUITY_MARGIN) -> RowEntry | None:
    leaf = norm_label(labels[-1])
    full = norm_label("".join(labels))
    if threshold == MATCH_THRESHOLD and margin == AMBIGUITY_MARGIN:
        found = _candidates(leaf, full if len(labels) > 1 else None, entries, tables)
    else:
        # the looser OCR match reaches below _RELEVANT, where the cached scores are cut short:
        # score exactly (rare: only rows no default match placed)
        found = _loose_candidates(leaf, full if len(labels) > 1 else None, entries, tables, threshold, margin)
    if found is None:
        return None
    close, exact = found
    if len(close) == 1:
        return close[0]
    same_section = [e for e in close if e.section == state.section]
    if len(same_section) == 1:
        return same_section[0]
    grouped = [e for e in exact if e.group and e.group in full]
    if len(grouped) == 1:
        return grouped[0]
    return None


def _metric(state: "_State", code: str, cell: str, grid: Grid, row_labels: list[str], column: str,
            yuan_column: bool = False, col: int | None = None) -> Metric | None:
    spec = metrics_by_code()[code]
    num = parse_number(cell, spec.unit)
    if num is None:
        if not cell:
            state.blank.add(code)         # the cell is there and empty: nil, not unknown
        return None
    value = num.value
    if spec.unit == "万元" and yuan_column and num.unit is None:
        value = round(value / 10000, 6)
    method = METHOD_OF_ORIGIN.get(grid.origin, "table")
    # grid_row/grid_col: the cell's position in grid.cells, so the UI can point at (and the
    # archived-copy viewer highlight) the very cell a figure was read from
    source = {"grid": grid.index, "origin": grid.origin, "row": " ".join(row_labels), "column": column,
              "grid_row": state.row, "grid_col": col}
    alternatives = grid.alternatives.get(f"{state.row},{col}") if grid.alternatives else None
    if alternatives:
        source["alternatives"] = list(alternatives)      # other OCR readings (ocr_sums)
    return Metric(code=code, value=value, unit=spec.unit, raw=cell, method=method, source=source,
                  approximate=num.approximate)


def _old_value(rest: list[tuple[int, str]]) -> tuple[str, str | None, int | None]:
    """(value cell, unit cell, value column) of a gk2008 row: label | unit | value, unit may be missing."""
    cells = list(rest)
    while len(cells) > 2 and not cells[-1][1]:
        cells.pop()
    # a section row with its own figure ("四、行政复议数量" spanning the label columns,
    # the item label cell left empty): the empty label cell is not the unit column
    while len(cells) > 2 and not cells[0][1]:
        cells.pop(0)
    if not cells:
        return "", None, None
    if len(cells) >= 2 and (not cells[0][1] or (is_unit_cell(cells[0][1]) and not _is_number(cells[0][1]))):
        return cells[1][1], cells[0][1], cells[1][0]
    return cells[0][1], None, cells[0][0]


def _map_old(entry: RowEntry, labels, rest, grid, state) -> list[Metric]:
    cell, unit, col = _old_value(rest)
    code = entry.columns["value"]
    m = _metric(state, code, cell, grid, labels, "统计数", yuan_column=(unit == "元"), col=col)
    return [m] if m else []


def _positional(rest: list[tuple[int, str]], keys: list[str] | tuple[str, ...]) -> list[tuple[str, str, int]]:
    """Assign canonical column keys when the layout lost column positions: (key, cell, column)."""
    cells = list(rest)
    if len(cells) == len(keys):
        return [(k, v, c) for k, (c, v) in zip(keys, cells)]
    while cells and not cells[-1][1]:
        cells.pop()
    if len(cells) == len(keys):
        return [(k, v, c) for k, (c, v) in zip(keys, cells)]
    nonblank = [(c, v) for c, v in cells if v]
    if len(nonblank) == len(keys):
        return [(k, v, c) for k, (c, v) in zip(keys, nonblank)]
    return []


def _by_header(rest: list[tuple[int, str]], keys: dict[int, str], n_keys: int) -> list[tuple[str, str, int]] | None:
    """(key, cell, column) by the header's columns when the header names all n_keys columns and
    every filled cell sits under one of them; None to fall back to positions."""
    if len(set(keys.values())) != n_keys or not all(c in keys for c, v in rest if v):
        return None
    pairs, seen = [], set()
    for c, v in rest:
        k = keys.get(c)
        if k and k not in seen:
            seen.add(k)
            pairs.append((k, v, c))
    return pairs


def _map_t3(entry: RowEntry, labels, rest, grid, state) -> list[Metric]:
    keys = state.col_keys if state.header_kind == "t3" else {}
    pairs = _by_header(rest, keys, 7)
    guessed = False
    if pairs is None:
        pairs = _positional(rest, APPLICANT_KEYS)
        if not pairs:
            pairs = _pushed_blanks(entry, rest, state)
            guessed = bool(pairs)
    out = []
    for key, cell, col in pairs:
        code = entry.columns.get(key)
        if code:
            m = _metric(state, code, cell, grid, labels, key, col=col)
            if m:
                if guessed:
                    m.source["placement"] = "guessed"     # checks.py leaves it out of every rule
                out.append(m)
    return out


def _pushed_blanks(entry: RowEntry, rest, state) -> list[tuple[str, str]]:
    """A table-三 row whose blank cells a text layout dropped ("3 | 3" then "|||||" filler).

    With exactly two figures, the second is the 总计 when they are equal: one applicant column
    holds them all; reports overwhelmingly mean 自然人 (individuals), and the other four-plus
    columns were blank. Otherwise the positions of the figures are unknown and nothing is taken.
    The other columns are not recorded as blank: the report does not state them, so the rules
    that need them are not checked (a wrong guess must not raise an alarm).
    """
    cells = [(c, v) for c, v in rest if v]
    nums = [parse_number(v) for _, v in cells]
    if len(cells) != 2 or any(n is None for n in nums) or nums[0].value != nums[1].value:
        return []
    return [("natural_person", cells[0][1], cells[0][0]), ("total", cells[1][1], cells[1][0])]


def _map_t2(entry: RowEntry, labels, rest, grid, state) -> list[Metric]:
    ent = t2_entity(labels[-1]) or ""
    pairs: list[tuple[str, str, bool, int]] = []
    keys = state.col_keys if state.header_kind == "t2" else {}
    usable = [(c, v) for c, v in rest if c in keys and keys[c] in entry.columns]
    if usable and all(c in keys for c, v in rest if _is_number(v)):
        seen = set()
        for c, v in usable:
            if keys[c] not in seen:
                seen.add(keys[c])
                pairs.append((keys[c], v, c in state.col_unit_yuan, c))
    else:
        cells = list(rest)
        while cells and not cells[-1][1]:
            cells.pop()
        seq = [k for k in state.seq_keys if k] if state.header_kind == "t2" else []
        if seq and len(seq) == len(cells) and all(k in entry.columns for k in seq):
            pairs = [(k, v, False, c) for k, (c, v) in zip(seq, cells)]
        else:
            canon = T2_CANONICAL.get(state.template, {}).get(ent, ())
            pairs = [(k, v, False, c) for k, v, c in _positional(rest, canon)]
    out = []
    for key, cell, yuan, col in pairs:
        code = entry.columns.get(key)
        if code:
            m = _metric(state, code, cell, grid, labels, key, yuan_column=yuan, col=col)
            if m:
                out.append(m)
    return out


def _map_t4(labels, rest, grid, state) -> list[Metric]:
    pairs = _by_header(rest, state.col_keys, 15)
    if pairs is None:
        canon = [f"{g}.{o}" for g in REVIEW_GROUPS for o in REVIEW_OUTCOMES]
        pairs = _positional(rest, canon)
    out = []
    by_code = metrics_by_code()
    for key, cell, col in pairs:
        if key in by_code:
            m = _metric(state, key, cell, grid, labels or ["行政复议、行政诉讼"], key, col=col)
            if m:
                out.append(m)
    return out


# ------------------------------------------------------------------ label and value blocks

MIN_BLOCK_ROWS = 3


def _label_only(row: list[str]) -> bool:
    filled = [c for c in row if c]
    return len(filled) == 1 and row[0] == filled[0] and _kind(filled[0]) == "label"


def _values_only(row: list[str]) -> bool:
    filled = [c for c in row if c]
    return len(filled) >= 2 and all(_kind(c) == "value" for c in filled)


def _pair_blocks(rows: list[tuple[int, list[str]]], template: str, entries) -> list[tuple[int, list[str]]]:
    """Table 三 written by a converter as a block of row labels, then a block of value rows.

    The labels that name a row of the template (group labels such as （三）不予公开 name none)
    are paired with the value rows in order when there are as many of each and every value row
    has the seven columns; the pairing is kept only when table 三's sum rules confirm it (every
    column's result rows add up to 总计, new + carried-in = 总计 + carried-out). Otherwise both
    blocks stay as they are and give nothing: a shifted row would store wrong figures.
    """
    out: list[tuple[int, list[str]]] = []
    i, n = 0, len(rows)
    while i < n:
        j = i
        while j < n and _label_only(rows[j][1]):
            j += 1
        k = j
        while k < n and _values_only(rows[k][1]):
            k += 1
        if j - i >= MIN_BLOCK_ROWS and k - j >= MIN_BLOCK_ROWS:
            paired = _pair_t3(rows[i:j], rows[j:k], template, entries)
            out += paired if paired is not None else rows[i:k]
            i = k
        elif j > i:
            out += rows[i:j]
            i = j
        else:
            out.append(rows[i])
            i += 1
    return out


def _pair_t3(labels, values, template: str, entries):
    state = _State(template)
    matched = []
    for _, row in labels:
        e = _best_entry([row[0]], entries, state, ("t3",))
        if e is not None:
            matched.append((row[0], e))
            state.section = e.section
    cells = [[c for c in row if c] for _, row in values]
    if len(matched) != len(values) or any(len(c) != len(APPLICANT_KEYS) for c in cells):
        return None
    figures: list[Metric] = []
    for (_, e), row in zip(matched, cells):
        for key, cell in zip(APPLICANT_KEYS, row):
            code = e.columns.get(key)
            num = parse_number(cell)
            if code and num is not None:
                figures.append(Metric(code=code, value=num.value, unit=None, raw=cell, method="text-layout"))
    column_rules = [c for c in run_checks(figures, template)
                    if c.rule.startswith(("table3.balance", "table3.result_total"))]
    if len(column_rules) < len(APPLICANT_KEYS) or not all(c.ok for c in column_rules):
        return None
    return [(r, [label] + row) for (label, _), (r, _), row in zip(matched, values, cells)]


def _between(before: RowEntry | None, rows, pos: int, entries, state: _State, tables, found: dict) -> RowEntry | None:
    """The template row between the rows above and below, for an OCR'd row whose label was
    misread ("(SARI" for 1.信访举报投诉类申请): when the row above matched the entry just
    before it and the row below matches the entry just after it in the template's order
    (tables 三 and the 2008 table, whose rows come in a fixed order), and none of its
    figures has been found yet.  The sum rules then vet the figures like any other."""
    if before is None or before.table not in ("t3", "old") or pos + 1 >= len(rows):
        return None
    labels, rest = _split_row(rows[pos + 1][1])
    if not labels or not any(_is_number(v) for _, v in rest):
        return None
    after = _best_entry(labels, entries, state, tables)
    if after is None or after.table != before.table:
        return None
    i, j = entries.index(before), entries.index(after)
    if j - i != 2:
        return None
    middle = entries[i + 1]
    if middle.table != before.table or any(code in found for code in middle.columns.values()):
        return None
    return middle


def map_grids(grids: list[Grid], template: str) -> tuple[list[Metric], set[str]]:
    """Metrics of `template` found in the grids (first value per code wins), and the codes
    whose cells were present but empty."""
    entries = row_entries(template)
    tables = ("old",) if template == "gk2008" else ("t2", "t3")
    state = _State(template)
    found: dict[str, Metric] = {}
    wrapped: str | None = None        # label of a figure-less row that matched nothing
    for grid in grids:
        widths = getattr(grid, "row_widths", None)
        rows = [(r, [clean_cell(c) for c in (row[:widths[r]] if widths else row)]) for r, row in enumerate(grid.cells)]
        if grid.origin.startswith("text") and template != "gk2008":
            rows = _pair_blocks(rows, template, entries)
        previous: RowEntry | None = None      # entry of the row just before (OCR grids)
        for pos, (r, row) in enumerate(rows):
            state.row = r
            before, previous = previous, None
            labels, rest = _split_row(row)
            has_number = any(_is_number(v) for _, v in rest)
            kind = header_kind(row) if template != "gk2008" and not has_number else None
            if kind:
                _update_header(state, row, kind)
                continue
            if labels and not has_number:
                sec = old_section_of(labels[0])
                if sec:
                    state.section = sec
            state.in_header = False
            if has_number and template != "gk2008" and state.header_kind == "t4" and not state.t4_done:
                ms = _map_t4(labels, rest, grid, state)
                if ms:
                    state.t4_done = True
                    for m in ms:
                        found.setdefault(m.code, m)
                    continue
            ocr_row = has_number and grid.origin == "pdf-ocr"
            if not labels and not ocr_row:
                continue
            e = _best_entry(labels, entries, state, tables) if labels else None
            if e is None and ocr_row and labels:
                # one character misread (行政处玉 for 行政处罚): a looser match, if no other row is close
                e = _best_entry(labels, entries, state, tables, OCR_MATCH_THRESHOLD, OCR_MATCH_MARGIN)
            if e is None and ocr_row:
                e = _between(before, rows, pos, entries, state, tables, found)
            if e is None and has_number and wrapped and labels:
                # a label wrapped over two lines (PDF text): "（二）部分公开（区分处理的，只计这一" + "情形…）"
                joined = [wrapped + labels[0]] + labels[1:]
                e = _best_entry(joined, entries, state, tables)
                labels = joined if e else labels
            wrapped = labels[-1] if e is None and not has_number and labels else None
            if e is None:
                continue
            previous = e
            state.section = e.section
            if e.table == "old":
                ms = _map_old(e, labels, rest, grid, state)
            elif e.table == "t3":
                ms = _map_t3(e, labels, rest, grid, state)
            else:
                ms = _map_t2(e, labels, rest, grid, state)
            for m in ms:
                if found.get(m.code) is None and m.code not in state.blank:
                    found[m.code] = m
    metrics = [m for m in found.values() if m is not None]
    return metrics, state.blank - {m.code for m in metrics}


# ------------------------------------------------------------------ template choice

GK2021_MARKERS = ("本年制发件数", "本年废止件数", "现行有效件数", "逾期不补正", "收费通知", "本年收费金额",
                  "本年处理决定数量")
GK2019_MARKERS = ("本年新制作数量", "本年新公开数量", "对外公开总数量", "上一年项目数量", "其他处理")


def _grid_text(grids: list[Grid]) -> str:
    return "".join(norm_label(c) for g in grids for row in g.cells for c in row)


def choose_template(grids: list[Grid]) -> tuple[str | None, list[Metric], set[str]]:
    """The template whose rows the grids fill best, with its metrics and blank codes."""
    from .variant import is_variant
    if not grids:
        return None, [], set()
    if is_variant(grids):
        return "variant", [], set()
    results = {t: map_grids(grids, t) for t in ("gk2008", "gk2019", "gk2021")}
    count = {t: len(r[0]) for t, r in results.items()}
    text = _grid_text(grids)
    n21 = sum(text.count(norm_label(k)) for k in GK2021_MARKERS)
    n19 = sum(text.count(norm_label(k)) for k in GK2019_MARKERS)
    new = "gk2021" if n21 > n19 else "gk2019"
    other_new = "gk2019" if new == "gk2021" else "gk2021"
    if count[other_new] > count[new] + 3:
        new = other_new
    best = new if count[new] >= count["gk2008"] else "gk2008"
    if count[best] < 3:
        return None, [], set()
    return best, results[best][0], results[best][1]


def extract_statistics(html: str | None, text: str, grids: list[Grid] | None = None, tree=None) -> Statistics:
    """Metrics, harmonized values and checks of one document (see module doc); `tree`: the
    page's lxml tree when the caller parsed it already (document.read_document)."""
    from .narrative import narrative_harmonized
    from .variant import variant_harmonized

    notes: list[str] = []
    candidates = list(grids or []) + (grids_from_tree(table_tree(html, tree)) if html else [])
    for i, g in enumerate(candidates):
        g.index = i
    template, metrics, blank = choose_template(candidates)
    if template is None:
        text_grids = grids_from_text(text or "")
        template, metrics, blank = choose_template(text_grids)
        if template:
            candidates = text_grids
            origins = sorted({g.origin for g in text_grids})
            notes.append("statistics table read from text layout: " + ", ".join(origins))
    if any(m.method == "flattened-decoded" for m in metrics):
        notes.append("table decoded from flattened text (cells ran together): see metric source")
    from .ocr_sums import vet_ocr
    metrics, misread = vet_ocr(metrics, template, blank)
    if misread:
        notes.append(f"{len(misread)} OCR figures left out: they break sum rules that otherwise hold "
                     f"(likely misread): " + ", ".join(misread[:8]) + (" …" if len(misread) > 8 else ""))
    harmonized = []
    if template == "variant":
        harmonized = variant_harmonized(candidates)
        if not harmonized:
            template = None           # e.g. a blank statistics form: no figures, no table
            notes.append("province-style statistics table without figures ignored")
    elif template:
        harmonized = harmonize(metrics, template, blank)
    have = {h.name: h for h in harmonized}
    told = narrative_harmonized(text or "", template)
    for h in told:
        if h.name not in have:
            harmonized.append(h)
    checks = run_checks(metrics, template, blank, report_unchecked=True)
    checks += cross_checks(have, told)
    return Statistics(template=template, metrics=metrics, harmonized=harmonized, checks=checks,
                      notes=notes)


# narrative figures that a table also gives; a mismatch is flagged (the table's value is kept)
CROSS_CHECKED = ("requests_received",)


def cross_checks(from_table: dict, from_text: list) -> list:
    from .model import Check
    out = []
    for h in from_text:
        t = from_table.get(h.name)
        if t is None or h.name not in CROSS_CHECKED or h.approximate:
            continue
        ok = abs(float(t.value) - float(h.value)) <= 1e-6
        out.append(Check(rule=f"text_vs_table[{h.name}]", ok=ok,
                         detail=f"正文与表格数字{'一致' if ok else '不一致'}：table {t.value} {'=' if ok else '≠'} "
                                f"text {h.value} ({h.raw})"))
    return out
