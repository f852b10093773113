"""Read a ruled table cell by cell: each cell's ink, cut out of the straightened page,
goes into a column of cell images ("mosaic", one cell a slot with white space around it)
so that Tesseract sees one cell per line and its text can only land in that cell.

Two readings: chi_sim+eng for every cell (labels, headers, units), then the cells that
read as figures once more with the eng model restricted to digits.  A figure whose two
readings disagree is kept with both readings as alternatives and marked uncertain; the
sum rules (ocr_sums) decide between them or leave the cell out.

One Tesseract process per reading and page (the model loads once; the mosaic is cut into
images of at most MOSAIC_HEIGHT pixels listed in one file), not one per cell.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

MOSAIC_HEIGHT = 6000
# cells are read with chi_sim alone: with +eng Tesseract takes some label lines for English
# ("1.信访举报投诉类申请" -> "1 (SARI") and it runs slower; figures get the eng digits pass
CELL_LANG = "chi_sim"
GAP = 36            # white pixels between slots: Tesseract never joins two cells' lines
MIN_INK = 12        # dark pixels below which a cell is empty (specks)
DIGITS = "0123456789.-"
SPECK_INK = 20      # a blob of fewer dark pixels is dust (a '.' of a 10.5 pt figure has ~25 at 300 dpi)
SPECK_SIZE = 7      # ... and no longer than this many px either way
SPECK_REACH = 14    # px to look left and right of a small blob for the figure it may belong to

_CJK_RE = re.compile(r"[\u3400-\u9fff]")
_DIGIT_LIKE = "工丁丨口日"        # characters chi_sim makes of a lone 1 or 0: the digits pass decides
_ZERO_LIKE = str.maketrans({"O": "0", "o": "0", "〇": "0", "D": "0", "Q": "0", "l": "1", "I": "1", "|": "1",
                            "i": "1", "S": "5", "s": "5", "B": "8", "Z": "2", "z": "2", "g": "9", "q": "9"})


@dataclass
class CellReading:
    text: str                       # what goes into the grid
    numeric: bool = False
    confident: bool = True          # both readings agree (figures) / Tesseract sure enough
    alternatives: list[str] = field(default_factory=list)   # other plausible figure readings


def figure_text(s: str) -> str | None:
    """The digits of a reading that looks like a figure ('1 429' -> '1429', 'O' -> '0'), else None."""
    t = re.sub(r"[\s,，'`\"“”．。_~]", "", s.replace("．", "."))
    # a minus sign right before the digits (本年增/减 -10, read as '-', '—' or '一') is kept
    sign = "-" if re.match(r"^[-—–一]+[0-9OoDQlISsBZzgq]", t) else ""
    t = t.strip(".-—–一")
    if not t:
        return None
    if t in ("无", "/", "／"):
        return "0"
    t = t.translate(_ZERO_LIKE)
    if re.fullmatch(r"\d+(\.\d+)?", t):
        return sign + t if sign and t.strip("0.") else t
    return None


def _components(dark):
    """Connected ink blobs (8-neighbour) of a small boolean image as (area, y0, y1, x0, x1, runs),
    from its row runs joined with a union-find; runs are (y, x0, x1)."""
    import numpy as np
    padded = np.zeros((dark.shape[0], dark.shape[1] + 2), dtype=np.int8)
    padded[:, 1:-1] = dark
    d = np.diff(padded, axis=1)
    ys_start, xs_start = np.nonzero(d == 1)
    _, xs_end = np.nonzero(d == -1)          # same row order as the starts
    runs = list(zip(ys_start.tolist(), xs_start.tolist(), (xs_end - 1).tolist()))
    parent = list(range(len(runs)))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    prev: list[int] = []            # indices of the runs of the row above
    cur: list[int] = []
    row = -1
    for i, (y, x0, x1) in enumerate(runs):
        if y != row:
            prev = cur if y == row + 1 else []
            cur, row = [], y
        for j in prev:
            _, a0, a1 = runs[j]
            if a0 <= x1 + 1 and x0 <= a1 + 1:
                ri, rj = find(i), find(j)
                if ri != rj:
                    parent[ri] = rj
        cur.append(i)
    blobs: dict[int, list] = {}
    for i, (y, x0, x1) in enumerate(runs):
        b = blobs.setdefault(find(i), [0, y, y, x0, x1, []])
        b[0] += x1 - x0 + 1
        b[1], b[2], b[3], b[4] = min(b[1], y), max(b[2], y), min(b[3], x0), max(b[4], x1)
        b[5].append((y, x0, x1))
    return list(blobs.values())


def despeck(dark):
    """Blot out specks of dust and noise: blobs smaller than a decimal point, unless ink lies
    on both sides of them on their line (a '.' or ',' inside a figure).  At 150 dpi scanned and
    read at 300, a speck is a 2-4 px blob that a 3x3 median leaves; Tesseract reads it as '.',
    "'" or a 0 beside the figure (2 -> 20)."""
    keep = dark.copy()
    for area, y0, y1, x0, x1, runs in _components(dark):
        if area >= SPECK_INK or max(y1 - y0, x1 - x0) >= SPECK_SIZE:
            continue
        band = dark[max(0, y0 - SPECK_REACH):y1 + SPECK_REACH + 1]
        left = band[:, max(0, x0 - SPECK_REACH):x0].any()
        right = band[:, x1 + 1:x1 + 1 + SPECK_REACH].any()
        if left and right:
            continue
        for y, a, b in runs:
            keep[y, a:b + 1] = False
    return keep


def _slots(binary, boxes: list[tuple[int, int, int, int]]):
    """Cropped ink of each box (None when empty), specks removed, trimmed with a margin."""
    import numpy as np
    out = []
    for x0, y0, x1, y1 in boxes:
        crop = binary[y0:y1, x0:x1]
        dark = despeck(crop < 128) if crop.size else crop < 128
        crop = np.where(dark, 0, 255).astype(np.uint8)
        if crop.size == 0 or dark.sum() < MIN_INK:
            out.append(None)
            continue
        rows = np.where(dark.any(axis=1))[0]
        cols = np.where(dark.any(axis=0))[0]
        out.append(crop[max(0, rows[0] - 6):rows[-1] + 7, max(0, cols[0] - 6):cols[-1] + 7])
    return out


def _mosaics(crops, tmp: str, tag: str):
    """Write crops stacked into images; returns (list file, [(image no, y0, y1) per crop])."""
    import numpy as np
    from PIL import Image
    width = max((c.shape[1] for c in crops if c is not None), default=1) + 2 * GAP
    images: list[list] = [[]]
    heights = [GAP]
    where: list[tuple[int, int, int] | None] = []
    for c in crops:
        if c is None:
            where.append(None)
            continue
        h = c.shape[0]
        if heights[-1] + h + GAP > MOSAIC_HEIGHT and images[-1]:
            images.append([])
            heights.append(GAP)
        y = heights[-1]
        images[-1].append((y, c))
        where.append((len(images) - 1, y, y + h))
        heights[-1] = y + h + GAP
    paths = []
    for k, (items, h) in enumerate(zip(images, heights)):
        canvas = np.full((max(h, 2 * GAP), width), 255, dtype=np.uint8)
        for y, c in items:
            canvas[y:y + c.shape[0], GAP:GAP + c.shape[1]] = c
        p = os.path.join(tmp, f"mosaic-{tag}-{k}.png")
        Image.fromarray(canvas).save(p, dpi=(300, 300))
        paths.append(p)
    lst = os.path.join(tmp, f"mosaic-{tag}.txt")
    with open(lst, "w") as fh:
        fh.write("\n".join(paths) + "\n")
    return lst, where


def _read(lst: str, where, lang: str, extra: list[str]) -> list[tuple[str, float]]:
    """(text, mean word confidence) per slot."""
    from .attachments_ocr import _lines, join_words, run_tesseract_words
    words = run_tesseract_words(lst, lang, 6, extra)
    by_slot: dict[int, list] = {}
    index = {}
    for i, w in enumerate(where):
        if w is not None:
            index.setdefault(w[0], []).append((w[1], w[2], i))
    for w in words:
        for y0, y1, i in index.get(w.page, ()):
            if y0 - GAP / 2 <= w.cy <= y1 + GAP / 2:
                by_slot.setdefault(i, []).append(w)
                break
    out = []
    for i in range(len(where)):
        ws = by_slot.get(i, [])
        text = "".join(join_words(l) for l in _lines(ws))
        conf = min((w.conf for w in ws), default=-1.0)
        out.append((text, conf))
    return out


def combine(text: str, digits: tuple[str, float] | None) -> CellReading:
    """A cell from its chi_sim reading and, for cells that may be figures, the digits-only
    reading (text, confidence)."""
    if digits is None:
        return CellReading(text)
    a, b = figure_text(text), figure_text(digits[0])
    if a is None and b is None:
        return CellReading(text)          # a dash, a word: not a figure
    if text.strip() in ("无", "/", "／") and b is None:
        return CellReading(text.strip(), numeric=True)
    if a is None and _CJK_RE.search(text) and not (len(text.strip()) == 1 and text.strip() in _DIGIT_LIKE):
        return CellReading(text)          # a unit such as 件 that the digits model turns into 4
    value = b if b is not None else a
    agree = a == b and digits[1] >= 50
    alts = [x for x in dict.fromkeys([a, b]) if x is not None and x != value]
    return CellReading(value, numeric=True, confident=agree, alternatives=alts)


def read_cells(binary, boxes: list[tuple[int, int, int, int]], tmp: str, tag: str) -> list[CellReading]:
    crops = _slots(binary, boxes)
    if not any(c is not None for c in crops):
        return [CellReading("") for _ in boxes]
    lst, where = _mosaics(crops, tmp, tag + "z")
    first = _read(lst, where, CELL_LANG, [])
    figures = [i for i, (t, _) in enumerate(first)
               if crops[i] is not None and not re.search(r"[\u3400-\u9fff]{2}", t) and (figure_text(t) is not None
                                                                                     or len(t) <= 4)]
    second: dict[int, tuple[str, float]] = {}
    if figures:
        fcrops = [crops[i] for i in figures]
        lst2, where2 = _mosaics(fcrops, tmp, tag + "d")
        for i, r in zip(figures, _read(lst2, where2, "eng", ["-c", f"tessedit_char_whitelist={DIGITS}"])):
            second[i] = r
    out = []
    for i, (text, _) in enumerate(first):
        if crops[i] is None:
            out.append(CellReading(""))
        else:
            out.append(combine(text, second.get(i)))
    return out
