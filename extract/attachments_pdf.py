"""PDF attachments: text layer and ruled tables with pdfplumber (pdfminer.six); OCR
for image-only pages (see attachments_ocr).

Why pdfplumber/pdfminer.six and not PyMuPDF (or pdfium)
-----------------------------------------------------
Compared on PDFs made from seed 002 by LibreOffice (tests/fixtures/attachments,
make_fixtures.py) and on variants of them (bench/bench_pdf.py reproduces this):

- LibreOffice PDFs, Noto Serif CJK (CFF subsets) and WenQuanYi Zen Hei (TrueType
  subsets), both with ToUnicode maps: both libraries return the title and all 198
  table cells exactly, no garbled characters, and find the same tables (4 pieces of
  21/23/23/2 rows across the page breaks).
- Type0/Identity-H CID font without a ToUnicode map (common in PDFs from older
  Chinese office suites and report generators; fixture type0_notounicode.pdf):
  pdfminer rebuilds the mapping from the embedded TrueType ``cmap`` table and returns
  ``湖南城陵矶新港区2018年政府信息公开年度报告`` exactly; PyMuPDF (MuPDF 1.26/1.28) and
  pypdfium2 return ``䌢⠣Ⲛ歁䳂㩼䋻⠆3129…`` — plausible-looking ideographs and digits
  shifted by one (3129 for 2018), which no check downstream could catch.
- Simple subset fonts with their ToUnicode removed: neither can recover the text;
  pdfminer says so visibly with ``(cid:N)`` markers (counted here, and such pages are
  sent to OCR), MuPDF returns control characters and ASCII.
- Speed (bench/bench_pdf.py, this 2-core machine, 10 pages): text only 0.028 s/page
  for pdfplumber against 0.0013 for PyMuPDF (22x); text + tables 0.032 against 0.019
  s/page (1.7x); this whole reader 0.034 s/page.  At a few thousand reports of a few
  pages that difference is minutes, while a silently wrong number is permanent, so
  correctness decides.  OCR costs about 5.4 s/page (300 dpi, chi_sim+eng).
- Risk: pdfminer is pure Python and can be slow on hostile files; that is what
  ``read_attachment_safely`` (child process, timeout, RLIMIT_AS) is for.

Tables: ``page.find_tables()`` on ruling lines; cells covered by a merged cell are
filled with its text (pdfplumber leaves them ``None``); a table that starts a page and
continues the last table of the previous page with the same column count is merged
into it (a repeated header row is dropped).
"""
from __future__ import annotations

import io
import re
import warnings as _warnings

from .attachments import (AttachmentDocument, AttachmentError, MAX_PDF_PAGES,
                          MAX_OCR_PAGES)
from .model import Grid

_CID_RE = re.compile(r"\(cid:\d+\)")
_CJK = r"\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef"
_JOIN_RE = re.compile(rf"(?<=[{_CJK}])\s*\n\s*(?=[{_CJK}0-9])|(?<=[0-9])\s*\n\s*(?=[{_CJK}])")


def clean_cell(s: str | None) -> str:
    """One line: wrapped CJK lines joined without a space, other breaks as a space."""
    if not s:
        return ""
    s = _JOIN_RE.sub("", s)
    return " ".join(s.split())


def read_pdf(data: bytes, *, ocr: bool = True) -> AttachmentDocument:
    import pdfplumber
    from pdfminer.pdfdocument import PDFPasswordIncorrect, PDFEncryptionError
    from pdfminer.pdfparser import PDFSyntaxError
    from pdfminer.psparser import PSException

    warns: list[str] = []
    try:
        pdf = pdfplumber.open(io.BytesIO(data))
        n_pages = len(pdf.pages)
    except Exception as e:  # noqa: BLE001 - pdfplumber wraps pdfminer's errors
        inner = e
        while isinstance(inner, Exception) and type(inner).__name__ == "PdfminerException":
            nxt = inner.args[0] if inner.args and isinstance(inner.args[0], Exception) else inner.__cause__
            if nxt is None:
                break
            inner = nxt
        name = type(inner).__name__
        if isinstance(inner, PDFPasswordIncorrect) or "password" in f"{name} {inner}".lower():
            raise AttachmentError("encrypted PDF (needs a password)") from None
        if isinstance(inner, PDFEncryptionError):
            raise AttachmentError(f"encrypted PDF with an unsupported scheme: {inner}") from None
        detail = str(inner).strip() or name
        if isinstance(inner, (PDFSyntaxError, PSException)):
            raise AttachmentError(f"corrupt PDF: {detail}") from None
        raise AttachmentError(f"corrupt PDF: {name}: {detail}") from None
    if n_pages == 0:
        raise AttachmentError("PDF without pages")
    if n_pages > MAX_PDF_PAGES:
        warns.append(f"read only the first {MAX_PDF_PAGES} of {n_pages} pages")

    page_texts: list[str] = []
    pieces: list[dict] = []          # tables in reading order with their page geometry
    need_ocr: list[int] = []
    with pdf:
        for pno, page in enumerate(pdf.pages[:MAX_PDF_PAGES]):
            with _warnings.catch_warnings():
                _warnings.simplefilter("ignore")
                try:
                    text = page.extract_text() or ""
                except Exception as e:  # noqa: BLE001
                    raise AttachmentError(f"corrupt PDF page {pno + 1}: {type(e).__name__}: {e}") from None
                n_cid = len(_CID_RE.findall(text))
                visible = len(re.sub(r"\s", "", _CID_RE.sub("", text)))
                if _needs_ocr(page, visible, n_cid):
                    need_ocr.append(pno)
                    page_texts.append("")
                    pieces.append({"page": pno, "ocr_placeholder": True})
                    continue
                if n_cid:
                    warns.append(f"page {pno + 1}: {n_cid} characters without Unicode mapping")
                    text = _CID_RE.sub("\ufffd", text)
                tables = _page_tables(page, pno)
                pieces.extend(tables)
                page_texts.append(page_text(page, tables))
        ocr_used = False
        if need_ocr:
            if not ocr:
                warns.append(f"{len(need_ocr)} image-only pages not read (OCR disabled)")
            else:
                from . import attachments_ocr
                todo = need_ocr[:MAX_OCR_PAGES]
                if len(need_ocr) > MAX_OCR_PAGES:
                    warns.append(f"OCR limited to {MAX_OCR_PAGES} of {len(need_ocr)} image-only pages")
                results = attachments_ocr.ocr_pdf_pages(data, todo)
                ocr_used = True
                by_page = dict(zip(todo, results))
                new_pieces: list[dict] = []
                for p in pieces:
                    if p.get("ocr_placeholder"):
                        res = by_page.get(p["page"])
                        if res is not None:
                            page_texts[p["page"]] = res.text
                            new_pieces.extend(res.pieces)
                            warns.extend(res.warnings)
                    else:
                        new_pieces.append(p)
                pieces = new_pieces
        pieces = [p for p in pieces if not p.get("ocr_placeholder")]

    grids = merge_continuations(pieces)
    text = "\n\n".join(t.strip("\n") for t in page_texts)
    return AttachmentDocument(kind="pdf", text=text, grids=grids, pages=n_pages,
                              ocr=ocr_used, warnings=warns)


_SPACE_RE = re.compile(rf"(?<=[{_CJK}]) +(?=[0-9A-Za-z])|(?<=[0-9A-Za-z]) +(?=[{_CJK}])")


def row_text(row: list[str]) -> str:
    out: list[str] = []
    for c in row:
        if out and c and c == out[-1]:
            continue       # a merged cell, written once
        out.append(c)
    return "\t".join(out).rstrip("\t")


def join_lines(a: str, b: str) -> str:
    if not a:
        return b
    if re.match(rf"[{_CJK}]", a[-1]) or re.match(rf"[{_CJK}]", b[:1] or " "):
        return a + b
    return a + " " + b


def page_text(page, tables: list[dict]) -> str:
    """Page text in reading order: paragraphs reflowed (a line that runs to the right
    margin continues on the next), each table as tab-separated rows at its place."""
    boxes = [t["bbox"] for t in tables]

    def outside(obj) -> bool:
        cx = (obj.get("x0", 0) + obj.get("x1", 0)) / 2
        cy = (obj.get("top", 0) + obj.get("bottom", 0)) / 2
        return not any(b[0] - 1 <= cx <= b[2] + 1 and b[1] - 1 <= cy <= b[3] + 1 for b in boxes)

    lines = page.filter(outside).extract_text_lines() if boxes else page.extract_text_lines()
    items = [(float(l["top"]), 0, l) for l in lines] + [(t["top"], 1, t) for t in tables]
    items.sort(key=lambda x: (x[0], x[1]))
    right = max((float(l["x1"]) for l in lines), default=0.0)
    out: list[str] = []
    prev = None
    for _, is_table, item in items:
        if is_table:
            out.extend(row_text(r) for r in item["cells"])
            prev = None
            continue
        text = _SPACE_RE.sub("", item["text"].strip())
        if not text:
            continue
        h = float(item["bottom"]) - float(item["top"])
        if (prev is not None and out
                and float(prev["x1"]) >= right - 2.5 * max(h, 6)
                and float(item["top"]) - float(prev["bottom"]) <= 0.9 * max(h, 6)
                and float(item["x0"]) <= float(prev["x0"]) + 0.5 * max(h, 6)):
            out[-1] = join_lines(out[-1], text)
        else:
            out.append(text)
        prev = item
    return "\n".join(out)


def _needs_ocr(page, visible_chars: int, n_cid: int) -> bool:
    """Image-only page (a scan), or a text layer that is mostly unmapped glyphs."""
    if visible_chars >= 20 and n_cid <= visible_chars:
        return False
    area = float(page.width * page.height) or 1.0
    img_area = 0.0
    for im in page.images:
        w = max(0.0, float(im["x1"]) - float(im["x0"]))
        h = max(0.0, float(im["bottom"]) - float(im["top"]))
        img_area += w * h
    if img_area / area >= 0.3:
        return True
    return n_cid > 0 and n_cid > visible_chars


def _page_tables(page, pno: int) -> list[dict]:
    out = []
    try:
        tables = page.find_tables()
    except Exception:  # noqa: BLE001 - table finder on odd geometry
        return out
    for t in tables:
        cells = grid_from_table(t)
        while cells and not any(cells[-1]):   # ruled strips left at a page break
            cells.pop()
        while cells and not any(cells[0]):
            cells.pop(0)
        if not cells or len(cells) < 1 or max(len(r) for r in cells) < 2:
            continue
        x0, top, x1, bottom = t.bbox
        out.append({"page": pno, "cells": cells, "top": float(top), "bbox": tuple(map(float, t.bbox)), "bottom": float(bottom),
                    "page_height": float(page.height),
                    "text_above": _text_between(page, 0, float(top)),
                    "text_below": _text_between(page, float(bottom), float(page.height))})
    return out


def _text_between(page, y0: float, y1: float) -> str:
    words = [w["text"] for w in page.extract_words() if w["top"] >= y0 - 1 and w["bottom"] <= y1 + 1]
    return "".join(words)


def grid_from_table(table) -> list[list[str]]:
    """Rectangular grid of a pdfplumber Table, merged cells repeated."""
    raw = table.extract()
    rows = table.rows
    if not raw:
        return []
    ncols = max(len(r) for r in raw)
    nrows = len(raw)
    # x of each column's left edge and y of each row's top edge, from real cells
    col_x = [None] * ncols
    row_y = [None] * nrows
    boxes = [[None] * ncols for _ in range(nrows)]
    for r, row in enumerate(rows):
        for c, box in enumerate(row.cells[:ncols]):
            if box is None:
                continue
            boxes[r][c] = box
            col_x[c] = box[0] if col_x[c] is None else min(col_x[c], box[0])
            row_y[r] = box[1] if row_y[r] is None else min(row_y[r], box[1])
    grid = [[None] * ncols for _ in range(nrows)]
    for r in range(nrows):
        for c in range(ncols):
            box = boxes[r][c]
            if box is None:
                continue
            text = clean_cell(raw[r][c] if c < len(raw[r]) else "")
            x0, y0, x1, y1 = box
            for rr in range(r, nrows):
                if rr > r and (row_y[rr] is None or row_y[rr] >= y1 - 1):
                    break
                for cc in range(c, ncols):
                    if cc > c and (col_x[cc] is None or col_x[cc] >= x1 - 1):
                        break
                    if grid[rr][cc] is None:
                        grid[rr][cc] = text
    return [[c if c is not None else "" for c in row] for row in grid]


def _is_header_noise(s: str) -> bool:
    """Text that may sit above a continued table: a running header or page number."""
    s = re.sub(r"[\s\-—–第页共/]", "", s)
    return s.isdigit() or (len(s) <= 12 and "表" not in s)


def merge_continuations(pieces: list[dict], origin: str = "pdf") -> list[Grid]:
    """Grids in reading order; a table continued over a page break becomes one grid."""
    grids: list[Grid] = []
    last: dict | None = None
    last_grid: Grid | None = None
    for p in pieces:
        cells = p["cells"]
        ncols = len(cells[0]) if cells else 0
        if (last is not None and last_grid is not None
                and p["page"] == last["page"] + 1
                and ncols == len(last_grid.cells[0])
                and p.get("first_on_page", True) and last.get("last_on_page", True)
                and _is_header_noise(p.get("text_above", ""))
                and _is_header_noise(last.get("text_below", ""))):
            body = cells
            skip = 0
            if body and last_grid.cells and body[0] == last_grid.cells[0]:
                body = body[1:]            # header row repeated on the new page
                skip = 1
            offset = len(last_grid.cells) - skip
            for key, alts in (p.get("alternatives") or {}).items():
                r, c = map(int, key.split(","))
                if r >= skip:
                    last_grid.alternatives[f"{r + offset},{c}"] = list(alts)
            last_grid.cells.extend(body)
            last = p
            continue
        g = Grid(cells=[list(r) for r in cells], origin=p.get("origin", origin), index=len(grids),
                 alternatives={k: list(v) for k, v in (p.get("alternatives") or {}).items()})
        grids.append(g)
        last, last_grid = p, g
    # first/last on page are implied by text_above/text_below being header noise; a
    # table followed by another table on the same page never satisfies both.
    return grids
