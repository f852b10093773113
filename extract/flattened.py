"""Flattened text tables: cells run together, e.g. `规章 000行政规范性文件693665` or
`一、本年新收政府信息公开申请数量82135  21859` (trafilatura on some portals' tables).

The spec's row labels are found in order; the digits after a label are split into the
row's number of cells using the template's shape and sum rules (table 三: 总计 = sum of the
six applicant columns; table 四: each group's 总计 = the four outcomes). A row is decoded
only when exactly one split fits; otherwise it is left out (precision first). Whitespace
and &nbsp; between digit runs are cell boundaries; each &nbsp; may also be a blank cell.
The grids come out with origin "flattened", so their metrics say method="flattened-decoded".
"""
from __future__ import annotations

import itertools
import re
import unicodedata

from .chinese import to_simplified
from .model import Grid
from .shapes import T2_CANONICAL, t2_entity
from .templates import codes_of, drop_parentheticals, strip_numbering

MAX_SOLUTIONS = 2
_BLANK = "\ue000"            # private-use mark for a blank cell (&nbsp;), survives NFKC


def _label_regex(label: str) -> str:
    core = drop_parentheticals(strip_numbering(unicodedata.normalize("NFKC", label)).replace(" ", ""))
    core = core.replace("“", "").replace("”", "").replace('"', "")
    body = r"\s*".join(re.escape(ch) for ch in core)
    return body + r"(?:\s*[(（][^()（）\n]{0,40}[)）])?"


def _numbering_of(label: str) -> str:
    t = unicodedata.normalize("NFKC", label).strip()
    return t[: len(t) - len(strip_numbering(t))].strip()


def _value_part(chunk: str, next_numbering: str) -> str | None:
    """Leading digits/blanks of the text between two labels, without the next label's numbering."""
    m = re.match(r"[\d\s\ue000]*", chunk)
    part = m.group(0) if m else ""
    rest = chunk[len(part):]
    if "\n" in part.rstrip() or "\t" in part or "  " in part:
        return None                               # figures on another line / in columns: not run together
    lead = re.match(r"[.．、]", rest)
    if lead:
        num = re.match(r"\d+", next_numbering or "")
        if not num or not part.rstrip().endswith(num.group(0)):
            return None
        part = part.rstrip()[: -len(num.group(0))]
    return part


def _tokens(part: str) -> list[str | int]:
    """Digit runs (str) and groups of &nbsp; marks (int: how many) of a value part."""
    out: list[str | int] = []
    for m in re.finditer(r"\d+|\ue000+", part):
        out.append(m.group(0) if m.group(0)[0].isdigit() else len(m.group(0)))
    return out


def _blank_readings(tokens: list[str | int]):
    """Token lists with each &nbsp; group read as k or k-1 blank cells (one may be padding),
    and finally with no blank cells at all."""
    groups = [i for i, t in enumerate(tokens) if isinstance(t, int)]
    seen = set()
    for choice in itertools.product(*[(tokens[i], tokens[i] - 1) for i in groups]):
        counts = dict(zip(groups, choice))
        toks: list[str | None] = []
        for i, t in enumerate(tokens):
            toks.extend([None] * counts[i] if isinstance(t, int) else [t])
        key = tuple(toks)
        if key not in seen:
            seen.add(key)
            yield toks
    yield [t for t in tokens if isinstance(t, str)]


def _splits_of_run(run: str, parts: int):
    if parts == 1:
        if len(run) > 1 and run[0] == "0":
            return
        yield [int(run)]
        return
    for i in range(1, len(run) - parts + 2):
        head = run[:i]
        if len(head) > 1 and head[0] == "0":
            continue
        for tail in _splits_of_run(run[i:], parts - 1):
            yield [int(head)] + tail


def decode(part: str, n: int, rule, limit: int = 0) -> list[list[int | None]]:
    """All ways to read `part` as n cells that satisfy `rule` (at most `limit`, by default
    MAX_SOLUTIONS: two are enough to know a row is ambiguous)."""
    limit = limit or MAX_SOLUTIONS
    tokens = _tokens(part)
    runs = [t for t in tokens if isinstance(t, str)]
    if not runs:
        return []
    solutions: list[list[int | None]] = []
    for toks in _blank_readings(tokens):
        blanks = sum(1 for t in toks if t is None)
        need = n - blanks
        if need < len(runs):
            continue
        for counts in itertools.product(*[range(1, len(r) + 1) for r in runs]):
            if sum(counts) != need:
                continue
            for pieces in itertools.product(*[list(_splits_of_run(r, c)) for r, c in zip(runs, counts)]):
                cells: list[int | None] = []
                it = iter(pieces)
                for t in toks:
                    cells.extend([None] if t is None else next(it))
                if rule(cells) and cells not in solutions:
                    solutions.append(cells)
                    if len(solutions) >= limit:
                        return solutions
    return solutions


def _t3_rule(cells):
    v = [c or 0 for c in cells]
    return cells[-1] is not None and v[-1] == sum(v[:-1])


def _t4_rule(cells):
    v = [c or 0 for c in cells]
    return all(v[g + 4] == sum(v[g:g + 4]) for g in (0, 5, 10))


def _no_rule(cells):
    return True


def _cell(v: int | None) -> str:
    return "" if v is None else str(v)


def _find_rows(text: str, labels: list[str], start: int) -> list[tuple[str, int, int]]:
    """(label, start, end) of each label found in order after `start`."""
    found, pos = [], start
    for label in labels:
        m = re.compile(_label_regex(label)).search(text, pos)
        if m and m.start() - pos < 400:
            found.append((label, m.start(), m.end()))
            pos = m.end()
    return found


def _t3_rows(text: str, template: str) -> list[list[str]]:
    codes = [m for m in codes_of(template) if m.code.startswith("requests.") and m.code.endswith(".total")]
    labels = [m.row_label.split(" ")[-1] for m in codes]
    row_of = {m.row_label.split(" ")[-1]: m.code[len("requests."):-len(".total")] for m in codes}
    anchor = re.search(_label_regex(labels[0]) + r"[ \t\ue000]*\d", text)
    if not anchor:
        return []
    rows = _find_rows(text, labels, anchor.start())
    candidates: dict[str, list[list[int | None]]] = {}
    for i, (label, s, e) in enumerate(rows):
        nxt = rows[i + 1] if i + 1 < len(rows) else None
        chunk = text[e: nxt[1] if nxt else e + 200]
        part = _value_part(chunk, _numbering_of(nxt[0]) if nxt else "")
        if part is not None:
            candidates[label] = decode(part, 7, _t3_rule, limit=MAX_JOINT)
    _resolve_by_columns(candidates, row_of)
    return [[label] + [_cell(v) for v in sols[0]] for label, sols in candidates.items() if len(sols) == 1]


MAX_JOINT = 6


def _resolve_by_columns(candidates: dict, row_of: dict) -> None:
    """Pick among a few readings of ambiguous rows with table 三's column sums: in every column
    the result rows add up to （七）总计, and new + carried_in = 总计 + carried_out."""
    by_row = {row_of[label]: label for label in candidates}
    result_rows = [label for label in candidates if row_of[label].startswith("result.")
                   and row_of[label] != "result.total"]
    expected_results = [r for r in row_of.values() if r.startswith("result.") and r != "result.total"]
    total = by_row.get("result.total")
    if not total or len(result_rows) != len(expected_results):
        return                       # a result row is missing: the sums cannot decide
    involved = result_rows + [total] + [by_row[r] for r in ("new", "carried_in", "carried_out") if r in by_row]
    if any(not candidates[label] for label in involved):
        return
    ambiguous = [label for label in involved if len(candidates[label]) > 1]
    if not ambiguous or any(len(candidates[label]) >= MAX_JOINT for label in ambiguous):
        return
    fits = []
    for choice in itertools.product(*[candidates[label] for label in ambiguous]):
        pick = {label: candidates[label][0] for label in involved} | dict(zip(ambiguous, choice))
        v = {label: [c or 0 for c in cells] for label, cells in pick.items()}
        ok = all(sum(v[label][c] for label in result_rows) == v[total][c] for c in range(7))
        if ok and all(r in by_row for r in ("new", "carried_in", "carried_out")):
            ok = all(v[by_row["new"]][c] + v[by_row["carried_in"]][c] == v[total][c] + v[by_row["carried_out"]][c]
                     for c in range(7))
        if ok:
            fits.append(choice)
            if len(fits) > 1:
                return
    if len(fits) == 1:
        for label, cells in zip(ambiguous, fits[0]):
            candidates[label] = [cells]


def _t4_rows(text: str) -> list[list[str]]:
    m = None
    for m in re.finditer(r"尚\s*未\s*审\s*结\s*总\s*计(?=[\s\ue000\d]*\d)", text):
        pass
    if not m:
        return []
    part = _value_part(text[m.end(): m.end() + 200], "")
    if part is None:
        return []
    sols = decode(part, 15, _t4_rule)
    if len(sols) != 1:
        return []
    return [["结果维持"], [""] + [_cell(v) for v in sols[0]]]


def _t2_rows(text: str, template: str) -> list[list[str]]:
    out: list[list[str]] = []
    canon = T2_CANONICAL[template]
    entity = re.compile(r"(规章|行政规范性文件|规范性文件|行政许可|其他对外管理服务事项|行政处罚|行政强制|"
                        r"行政事业性收费|政府集中采购)[ \t]*(?=[\d\ue000])")
    for m in entity.finditer(text, max(0, text.find("信息内容"))):
        ent = t2_entity(m.group(1))
        keys = canon.get(ent or "")
        if not keys:
            continue
        chunk = text[m.end(): m.end() + 60]
        part = _value_part(chunk, "")
        if not part:
            continue
        if re.match(r"[-－.,，]", chunk[len(part):]):
            continue                  # "249-50": a sign or decimal point the split cannot place
        sols = decode(part, len(keys), _no_rule)
        if len(sols) == 1:
            out.append(["信息内容"] + [_header(k) for k in keys])
            out.append([m.group(1)] + [_cell(v) for v in sols[0]])
    return out


_HEADERS = {"made": "本年新制作数量", "published": "本年新公开数量", "total_public": "对外公开总数量",
            "issued": "本年制发件数", "repealed": "本年废止件数", "in_force": "现行有效件数",
            "prev_items": "上一年项目数量", "change": "本年增/减", "decisions": "处理决定数量",
            "items": "采购项目数量", "amount": "采购总金额"}


def _header(key: str) -> str:
    return _HEADERS[key]


def _old_rows(text: str) -> list[list[str]]:
    specs = [m for m in codes_of("gk2008")]
    labels = [m.row_label for m in specs]
    anchor = re.search(r"主动公开政府信息数", text)
    if not anchor:
        return []
    rows = _find_rows(text, labels, max(0, anchor.start() - 10))
    out = []
    for i, (label, s, e) in enumerate(rows):
        nxt = rows[i + 1] if i + 1 < len(rows) else None
        chunk = text[e: nxt[1] if nxt else e + 40]
        chunk = re.sub(r"^[ \t\ue000]*(人次|万元|条|件|次|篇|个|人|——|—)", "", chunk)
        if re.match(r"[ \t\ue000]*无", chunk):
            out.append([label, "无"])
            continue
        part = _value_part(chunk, _numbering_of(nxt[0]) if nxt else "")
        if part is None:
            continue
        sols = decode(part, 1, _no_rule)
        if len(sols) == 1:
            out.append([label, _cell(sols[0][0])])
    return out


def _looks_flattened(text: str) -> bool:
    # a row label immediately followed on the same line by figures
    return bool(re.search(r"(本年新收政府信息公开申请数量|规章|予以公开|收到申请数|主动公开政府信息数"
                          r"[^\n\d]{0,30})[ \t\u00a0]*\d", text))


def grids_from_flattened(text: str) -> list[Grid]:
    text = to_simplified(text)
    if not text or not _looks_flattened(text):
        return []
    text = text.replace("&nbsp;", _BLANK).replace("\u00a0", _BLANK)
    text = unicodedata.normalize("NFKC", text).replace("\u3000", " ")
    text = re.sub(r"[“”\"'‘’]", "", text)          # 危及“三安全一稳定”: quotes vary, drop them
    grids = []
    template = "gk2021" if re.search(r"本年制发件数|现行有效件数|逾期不补正|收费通知|本年收费金额", text) else "gk2019"
    rows = _t2_rows(text, template) + _t3_rows(text, template) + _t4_rows(text)
    if len(rows) >= 2:
        grids.append(Grid(cells=_pad(rows), origin="flattened"))
    old = _old_rows(text)
    if len(old) >= 3:
        grids.append(Grid(cells=_pad(old), origin="flattened"))
    return grids


def _pad(rows: list[list[str]]) -> list[list[str]]:
    width = max(len(r) for r in rows)
    return [r + [""] * (width - len(r)) for r in rows]
