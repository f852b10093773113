"""OCR for image-only PDF pages: pdftoppm renders, Tesseract (chi_sim+eng) reads.

Per page:
1. ``pdftoppm -r OCR_DPI -gray`` renders the page to PGM (subprocess, timeout).
2. Ruling lines are found in the bitmap with numpy: a pixel belongs to a horizontal
   (vertical) line when it lies in a dark run at least ~1/25 page width (40 px) long.
   Line positions give the table's row and column edges; a missing separator
   between two cells (no line over most of the shared edge) means a merged cell.
3. The lines are erased from the bitmap (they confuse Tesseract into ``|`` and ``_``)
   and Tesseract runs once on the whole page with TSV output: word boxes.
4. Words whose centre lies in a cell go into that cell (merged cells repeated over
   their span); words outside tables become text lines.  Tables continued on the next
   page are merged like text-layer tables (attachments_pdf.merge_continuations).
"""
from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import tempfile
from bisect import bisect_right
from dataclasses import dataclass, field

from .attachments import AttachmentError

OCR_DPI = 300
OCR_LANG = "chi_sim+eng"
RENDER_TIMEOUT = 60
TESSERACT_TIMEOUT = 180

_CJK = r"\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef"
_CJK_RE = re.compile(rf"[{_CJK}]")


@dataclass
class OcrPage:
    text: str
    pieces: list[dict] = field(default_factory=list)   # tables, as attachments_pdf pieces
    warnings: list[str] = field(default_factory=list)


def tesseract_available() -> bool:
    import shutil
    return bool(shutil.which("tesseract") and shutil.which("pdftoppm"))


def ocr_pdf_pages(pdf_bytes: bytes, pages: list[int], dpi: int = OCR_DPI) -> list[OcrPage]:
    """OCR the given 0-based pages of a PDF."""
    if not tesseract_available():
        raise AttachmentError("scanned PDF needs OCR but tesseract/pdftoppm are not installed")
    out: list[OcrPage] = []
    with tempfile.TemporaryDirectory(prefix="nianbao-ocr-") as tmp:
        pdf = os.path.join(tmp, "in.pdf")
        with open(pdf, "wb") as fh:
            fh.write(pdf_bytes)
        for pno in pages:
            png = render_page(pdf, pno, tmp, dpi)
            out.append(ocr_image(png, pno, tmp))
            os.unlink(png)
    return out


def _run(cmd: list[str], timeout: float, what: str) -> subprocess.CompletedProcess:
    try:
        # one thread: Tesseract's OpenMP threads only fight each other on a busy machine
        env = dict(os.environ)
        env.setdefault("OMP_THREAD_LIMIT", "1")
        return subprocess.run(cmd, capture_output=True, timeout=timeout, check=False, env=env)
    except subprocess.TimeoutExpired:
        raise AttachmentError(f"timeout: {what} took more than {timeout:.0f} s") from None


def render_page(pdf: str, pno: int, tmp: str, dpi: int = OCR_DPI) -> str:
    prefix = os.path.join(tmp, f"page{pno}")
    # PGM, not PNG: pdftoppm spends ~10 s compressing a noisy 300 dpi page into a PNG that
    # is read back at once (0.1 s as PGM)
    r = _run(["pdftoppm", "-r", str(dpi), "-gray", "-f", str(pno + 1), "-l", str(pno + 1),
              "-singlefile", pdf, prefix], RENDER_TIMEOUT, f"rendering page {pno + 1}")
    path = prefix + ".pgm"
    if r.returncode != 0 or not os.path.exists(path):
        msg = r.stderr.decode("utf-8", "replace").strip().splitlines()
        raise AttachmentError(f"cannot render PDF page {pno + 1}: {msg[-1] if msg else r.returncode}")
    return path


# --- ruling lines -----------------------------------------------------------------

def _runs_mask(dark, k: int, axis: int):
    """Pixels lying in a dark run of length >= k along `axis`."""
    import numpy as np
    a = dark if axis == 1 else dark.T
    h, w = a.shape
    if w < k:
        return np.zeros_like(dark)
    cs = np.zeros((h, w + 1), dtype=np.int32)
    np.cumsum(a, axis=1, out=cs[:, 1:])
    full = (cs[:, k:] - cs[:, :-k]) == k            # window [x, x+k) all dark
    starts = np.zeros((h, w + 1), dtype=np.int32)
    starts[:, 1:w - k + 2] = np.cumsum(full, axis=1)
    # pixel x is covered if some full window starts in [x-k+1, x]
    idx = np.arange(w)
    hi = np.minimum(idx + 1, w - k + 1)
    lo = np.maximum(idx - k + 1, 0)
    cov = starts[:, hi] - starts[:, lo] > 0
    return cov if axis == 1 else cov.T


def _groups(profile, min_count: int) -> list[tuple[int, int]]:
    """Runs of consecutive indices whose profile value >= min_count, as (start, end)."""
    out = []
    start = None
    for i, v in enumerate(profile):
        if v >= min_count:
            if start is None:
                start = i
        elif start is not None:
            out.append((start, i - 1))
            start = None
    if start is not None:
        out.append((start, len(profile) - 1))
    return out


@dataclass
class _Table:
    ys: list[int]
    xs: list[int]
    owner: list[list[tuple[int, int]]]   # cell (i, j) -> top-left cell of its merged region


def find_tables(gray, line_dark=None) -> tuple[list[_Table], object]:
    """Ruled tables in a grayscale page bitmap; returns (tables, line mask).  `line_dark`:
    the pixels dark enough for a ruling line (ocr_image.prepare), else those below 160."""
    import numpy as np
    dark = gray < 160 if line_dark is None else line_dark
    h, w = dark.shape
    kh = max(40, w // 25)
    kv = max(30, h // 60)
    # bridge the gaps of dotted, dithered or broken rules (2 px along the line)
    dh = dark.copy()
    dh[:, 2:] |= dark[:, :-2]
    dh[:, 1:] |= dark[:, :-1]
    dv = dark.copy()
    dv[2:, :] |= dark[:-2, :]
    dv[1:, :] |= dark[:-1, :]
    hmask = _runs_mask(dh, kh, axis=1) & (dark | dh)
    vmask = _runs_mask(dv, kv, axis=0) & (dark | dv)
    hgroups = _groups(hmask.sum(axis=1), max(kh, w // 8))
    ys_all = [(a + b) // 2 for a, b in hgroups]
    # only the ruling lines are erased before reading, not a long stroke of text (一, ——)
    lines = np.zeros_like(dark)
    for a, b in hgroups:
        lines[max(0, a - 2):b + 3] |= hmask[max(0, a - 2):b + 3]
    if len(ys_all) < 2:
        return [], lines
    tables: list[_Table] = []
    # split into tables where no vertical line joins two consecutive horizontal lines
    bands: list[list[int]] = [[ys_all[0]]]
    for y0, y1 in zip(ys_all, ys_all[1:]):
        seg = vmask[y0 + 2:y1 - 1]
        joined = seg.size and (seg.sum(axis=0) >= 0.8 * max(1, y1 - y0 - 3)).any()
        if joined:
            bands[-1].append(y1)
        else:
            bands.append([y1])
    for ys in bands:
        if len(ys) < 2:
            continue
        y0, y1 = ys[0], ys[-1]
        vprof = vmask[y0:y1 + 1].sum(axis=0)
        vgroups = _groups(vprof, max(kv, (y1 - y0) // 10))
        xs = [(a + b) // 2 for a, b in vgroups]
        for a, b in vgroups:
            lines[y0:y1 + 1, max(0, a - 2):b + 3] |= vmask[y0:y1 + 1, max(0, a - 2):b + 3]
        if len(xs) < 2:
            continue
        nr, nc = len(ys) - 1, len(xs) - 1
        # separators: vertical between columns j-1|j inside row i; horizontal between rows
        def vsep(i: int, j: int) -> bool:
            x = xs[j]
            a, b = ys[i] + 3, ys[i + 1] - 2
            if b <= a:
                return True
            col = vmask[a:b, max(0, x - 3):x + 4].any(axis=1)
            return col.mean() >= 0.6

        def hsep(i: int, j: int) -> bool:
            y = ys[i]
            a, b = xs[j] + 3, xs[j + 1] - 2
            if b <= a:
                return True
            row = hmask[max(0, y - 3):y + 4, a:b].any(axis=0)
            return row.mean() >= 0.6

        parent = {(i, j): (i, j) for i in range(nr) for j in range(nc)}

        def find(c):
            while parent[c] != c:
                parent[c] = parent[parent[c]]
                c = parent[c]
            return c

        def union(a, b):
            ra, rb = find(a), find(b)
            if ra != rb:
                # keep the top-left cell as the root
                if ra < rb:
                    parent[rb] = ra
                else:
                    parent[ra] = rb

        for i in range(nr):
            for j in range(1, nc):
                if not vsep(i, j):
                    union((i, j - 1), (i, j))
        for i in range(1, nr):
            for j in range(nc):
                if not hsep(i, j):
                    union((i - 1, j), (i, j))
        owner = [[find((i, j)) for j in range(nc)] for i in range(nr)]
        tables.append(_Table(ys=list(ys), xs=xs, owner=owner))
    return tables, lines


# --- Tesseract --------------------------------------------------------------------

@dataclass
class _Word:
    text: str
    left: int
    top: int
    width: int
    height: int
    line: tuple[int, int, int]
    conf: float
    page: int = 0               # image of a multi-image input (0-based)

    @property
    def cx(self) -> float:
        return self.left + self.width / 2

    @property
    def cy(self) -> float:
        return self.top + self.height / 2


def run_tesseract(png: str, lang: str = OCR_LANG, psm: int = 6) -> list[_Word]:
    return run_tesseract_words(png, lang, psm, [])


def run_tesseract_words(png: str, lang: str, psm: int, extra: list[str]) -> list[_Word]:
    """Word boxes of an image (or of a file listing images: then _Word.page says which)."""
    r = _run(["tesseract", png, "stdout", "-l", lang, "--psm", str(psm), *extra, "tsv"],
             TESSERACT_TIMEOUT, "OCR of one page")
    if r.returncode != 0:
        msg = r.stderr.decode("utf-8", "replace").strip().splitlines()
        raise AttachmentError(f"tesseract failed: {msg[-1] if msg else r.returncode}")
    words: list[_Word] = []
    reader = csv.reader(io.StringIO(r.stdout.decode("utf-8", "replace")), delimiter="\t",
                        quoting=csv.QUOTE_NONE)
    header = next(reader, None)
    if not header:
        return words
    col = {name: i for i, name in enumerate(header)}
    for row in reader:
        if len(row) < len(header) or row[col["level"]] != "5":
            continue
        text = row[col["text"]].strip()
        if not text:
            continue
        try:
            conf = float(row[col["conf"]])
        except ValueError:
            conf = -1
        words.append(_Word(text, int(row[col["left"]]), int(row[col["top"]]),
                           int(row[col["width"]]), int(row[col["height"]]),
                           (int(row[col["block_num"]]), int(row[col["par_num"]]), int(row[col["line_num"]])),
                           conf, int(row[col["page_num"]]) - 1 if "page_num" in col else 0))
    return words


def join_words(words: list[_Word]) -> str:
    """Words of one line, left to right: CJK and close neighbours join without a space."""
    out = ""
    prev: _Word | None = None
    for w in sorted(words, key=lambda w: w.left):
        if prev is None:
            out = w.text
        else:
            gap = w.left - (prev.left + prev.width)
            h = max(prev.height, w.height, 1)
            if gap < 0.4 * h or _CJK_RE.match(w.text[0]) or _CJK_RE.match(out[-1]):
                out += w.text
            else:
                out += " " + w.text
        prev = w
    return out


def _lines(words: list[_Word]) -> list[list[_Word]]:
    """Group words into visual lines by vertical overlap (robust across Tesseract blocks)."""
    lines: list[list[_Word]] = []
    for w in sorted(words, key=lambda w: (w.cy, w.left)):
        if lines:
            last = lines[-1]
            top = min(x.top for x in last)
            bottom = max(x.top + x.height for x in last)
            if w.cy <= bottom and w.cy >= top - 2:
                last.append(w)
                continue
        lines.append([w])
    return lines


def _cell_boxes(t: _Table, margin: int = 5) -> dict[tuple[int, int], tuple[int, int, int, int]]:
    """Pixel box inside the ruling lines of each (merged) cell, keyed by its top-left cell."""
    spans: dict[tuple[int, int], list[int]] = {}
    for i, row in enumerate(t.owner):
        for j, o in enumerate(row):
            s = spans.setdefault(o, [i, j, i, j])
            s[2], s[3] = max(s[2], i), max(s[3], j)
    return {o: (t.xs[j0] + margin, t.ys[i0] + margin, t.xs[j1 + 1] - margin + 1, t.ys[i1 + 1] - margin + 1)
            for o, (i0, j0, i1, j1) in spans.items()}


def ocr_image(png: str, pno: int, tmp: str) -> OcrPage:
    """One page: straighten and binarise, find ruled tables, read them cell by cell
    (ocr_cells), read the rest of the page as text lines."""
    import numpy as np
    from PIL import Image
    from .ocr_cells import read_cells
    from .ocr_image import prepare
    Image.MAX_IMAGE_PIXELS = 200_000_000
    page = prepare(np.asarray(Image.open(png).convert("L")))
    gray, angle = page.binary, page.angle
    if page.blank:
        return OcrPage(text="", warnings=[f"page {pno + 1}: blank"])
    tables, lines = find_tables(gray, page.lines)
    warns: list[str] = []
    cleaned = gray.copy()
    if lines.any():
        # erase the ruling lines and a 1 px halo so no "|" survives
        halo = lines.copy()
        halo[1:, :] |= lines[:-1, :]
        halo[:-1, :] |= lines[1:, :]
        halo[:, 1:] |= lines[:, :-1]
        halo[:, :-1] |= lines[:, 1:]
        cleaned[halo] = 255

    pieces: list[dict] = []
    text_img = cleaned.copy()
    for k, t in enumerate(tables):
        nr, nc = len(t.ys) - 1, len(t.xs) - 1
        text_img[t.ys[0]:t.ys[-1] + 1, t.xs[0]:t.xs[-1] + 1] = 255
        boxes = _cell_boxes(t)
        keys = sorted(boxes)
        readings = dict(zip(keys, read_cells(cleaned, [boxes[o] for o in keys], tmp, f"p{pno}t{k}")))
        cells = [[readings[t.owner[i][j]].text for j in range(nc)] for i in range(nr)]
        meta = [[readings[t.owner[i][j]] if t.owner[i][j] == (i, j) else None for j in range(nc)]
                for i in range(nr)]
        while cells and not any(cells[-1]):
            cells.pop()
            meta.pop()
        while cells and not any(cells[0]):
            cells.pop(0)
            meta.pop(0)
        if not cells or nc < 2:
            continue
        alternatives = {f"{i},{j}": r.alternatives for i, row in enumerate(meta) for j, r in enumerate(row)
                        if r is not None and r.alternatives}
        pieces.append({"page": pno, "cells": cells, "readings": meta, "alternatives": alternatives,
                       "top": float(t.ys[0]),
                       "bbox": (float(t.xs[0]), float(t.ys[0]), float(t.xs[-1]), float(t.ys[-1])),
                       "origin": "pdf-ocr"})
    text_png = os.path.join(tmp, f"text{pno}.png")
    Image.fromarray(text_img).save(text_png, dpi=(300, 300))
    words = [w for w in run_tesseract(text_png) if w.text not in ("|", "_", "—") or w.conf > 80]
    os.unlink(text_png)
    for p in pieces:
        top, bottom = p["bbox"][1], p["bbox"][3]
        p["text_above"] = "".join(w.text for w in words if w.cy < top)
        p["text_below"] = "".join(w.text for w in words if w.cy > bottom)

    # page text: lines outside tables, each table as tab-separated rows at its place
    from .attachments_pdf import row_text
    items: list[tuple[float, str]] = []
    for line in _lines(words):
        items.append((min(w.top for w in line), join_words(line)))
    for p in pieces:
        items.append((p["top"], "\n".join(row_text(r) for r in p["cells"])))
    items.sort(key=lambda x: x[0])
    text = "\n".join(t for _, t in items if t)
    if not words and not pieces:
        warns.append(f"page {pno + 1}: OCR found no text")
    if abs(angle) >= 0.05:
        warns.append(f"page {pno + 1}: scan straightened by {-angle:+.2f}°")
    return OcrPage(text=text, pieces=pieces, warnings=warns)
