"""Report text as PDF-to-text/markdown converters write it, for tests and evaluation cases.

Reports are re-published and mirrored as converter output; the layouts seen are:
- "md-generic": markdown pipe tables whose head row is generic (`数据1 … 数据7`) with a
  `|---|` rule, the real header rows then come as body rows, merged cells repeated or empty;
- "md-pagebreak": the same, with page-break markers inside a table (a form feed,
  `<!-- page 3 -->`, `— 3 —`, `第 3 页 共 8 页`) and the table's header rows repeated after
  every break;
- "split-blocks": a table's row labels in one block and its value rows in another (one row of
  figures per line, space- or pipe-separated);
- "loose-rows": rows pulled out of the table, the label on one line and its figures on the next;
- "lines-pagebreak": one cell per line, with page markers and the repeated header cells of
  table 三 between two of its rows on every page.

Written from `synth_reports.logical_tables`, so the expected metrics are exactly the filled cells.
"""
from __future__ import annotations

from synth_reports import INTRO, logical_tables, render_text

PAGE_MARKERS = ("\f", "<!-- page {n} -->", "— {n} —", "第 {n} 页 共 12 页", "-{n}-")


def expand(rows: list[list[dict]], repeat_merged: bool = True) -> list[list[str]]:
    """Logical rows (cells with rowspan/colspan) to a full grid; a merged cell repeats its
    text (as most converters write it) or leaves the covered cells empty."""
    filled: dict[tuple[int, int], str] = {}
    for r, row in enumerate(rows):
        c = 0
        for cell in row:
            while (r, c) in filled:
                c += 1
            for dr in range(cell["rowspan"]):
                for dc in range(cell["colspan"]):
                    first = dr == 0 and dc == 0
                    filled[(r + dr, c + dc)] = cell["text"] if (first or repeat_merged) else ""
            c += cell["colspan"]
    width = max(c for _, c in filled) + 1
    return [[filled.get((r, c), "") for c in range(width)] for r in range(len(rows))]


def _md_row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _md_table(grid: list[list[str]], page_every: int = 0, header_rows: int = 0, page_no: list | None = None) -> list[str]:
    width = len(grid[0])
    head = [_md_row([f"数据{i + 1}" for i in range(width)]), _md_row(["---"] * width)]
    out = list(head)
    for i, row in enumerate(grid):
        if page_every and i > header_rows and (i - header_rows) % page_every == 0:
            n = page_no[0] if page_no else 2
            marker = PAGE_MARKERS[n % len(PAGE_MARKERS)].format(n=n)
            out += ["", marker, ""] + head + [_md_row(r) for r in grid[:header_rows]]
            if page_no:
                page_no[0] += 1
        out.append(_md_row(row))
    return out


def _label_lines(rows: list[list[str]], n_labels: int) -> list[list[str]]:
    """Per row, the label lines a converter writes for it: a merged group label ("三、本年度办理
    结果", "（三）不予公开") once, on its own line, before its first item; then the row's own label."""
    seen: set[str] = set()
    out = []
    for row in rows:
        lines = []
        for cell in dict.fromkeys(c for c in row[:n_labels] if c):
            if cell not in seen:
                seen.add(cell)
                lines.append(cell)
        out.append(lines)
    return out


T3_HEADER_ROWS = 3
T3_LABEL_COLS = 3


def _lines_with_page_breaks(template: str, v: dict, title: str) -> str:
    lines = render_text(template, v, "lines").split("\n")
    header = [c for row in expand(logical_tables(template, v)["三"])[:T3_HEADER_ROWS] for c in dict.fromkeys(row)]
    out, n = [], 2
    for line in lines:
        if line.startswith(("1.属于国家秘密", "（四）无法提供", "（五）不予处理", "（七）总计", "3.其他")):
            marker = PAGE_MARKERS[n % len(PAGE_MARKERS)].format(n=n)
            out += [marker, ""] + [x for cell in header for x in (cell, "")]
            n += 1
        out.append(line)
    return f"{title}\n一、总体情况\n全年主动公开政府信息1200条。\n" + "\n".join(out)


def render(template: str, v: dict, layout: str, title: str) -> str:
    if layout == "lines-pagebreak":
        return _lines_with_page_breaks(template, v, title)
    tables = logical_tables(template, v)
    out = [f"# {title}", "", INTRO[template], "", "一、总体情况", "", "全年主动公开政府信息1200条。", "",
           "二、主动公开政府信息情况", ""]
    page_no = [2]
    t2 = expand(tables["二"], repeat_merged=layout != "md-generic")
    t3 = expand(tables["三"], repeat_merged=True)
    t4 = expand(tables["四"], repeat_merged=layout == "md-pagebreak")
    out += _md_table(t2)
    out += ["", "三、收到和处理政府信息公开申请情况", ""]
    if layout in ("md-generic", "md-pagebreak"):
        out += _md_table(t3, page_every=9 if layout == "md-pagebreak" else 0, header_rows=T3_HEADER_ROWS,
                         page_no=page_no)
    elif layout == "split-blocks":
        out += _md_table(t3[:T3_HEADER_ROWS])
        out.append("")
        body = t3[T3_HEADER_ROWS:]
        out += [line for lines in _label_lines(body, T3_LABEL_COLS) for line in lines]
        out.append("")
        out += [" ".join(row[T3_LABEL_COLS:]) for row in body]
    elif layout == "loose-rows":
        out += _md_table(t3[:T3_HEADER_ROWS + 2])
        body = t3[T3_HEADER_ROWS + 2:]
        for lines, row in zip(_label_lines(t3[T3_HEADER_ROWS:], T3_LABEL_COLS)[2:], body):
            out += lines
            out.append(" ".join(row[T3_LABEL_COLS:]))
    else:
        raise ValueError(layout)
    out += ["", "四、政府信息公开行政复议、行政诉讼情况", ""]
    out += _md_table(t4)
    out += ["", "五、存在的主要问题及改进情况", "", "无。", ""]
    return "\n".join(out)


def blank_free(v: dict) -> bool:
    """split-blocks and loose-rows lose the position of a blank cell: their cases use tables
    with every cell filled (a blank would make a row ambiguous, and is left out)."""
    return all(x is not None for x in v.values())
