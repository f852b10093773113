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
GAP = 36            # white pixels between slots: Tesseract never joins two cells' lines
MIN_INK = 12        # dark pixels below which a cell is empty (specks)
DIGITS = "0123456789.-"

_CJK_RE = re.compile(r"[\u3400-\u9fff]")
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
    t = t.strip(".-—一")
    if not t:
        return None
    if t in ("无", "/", "／"):
        return "0"
    t = t.translate(_ZERO_LIKE)
    if re.fullmatch(r"\d+(\.\d+)?", t):
        return t
    return None


def _slots(binary, boxes: list[tuple[int, int, int, int]]):
    """Cropped ink of each box (None when empty), trimmed with a margin."""
    import numpy as np
    out = []
    for x0, y0, x1, y1 in boxes:
        crop = binary[y0:y1, x0:x1]
        dark = crop < 128
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


def read_cells(binary, boxes: list[tuple[int, int, int, int]], tmp: str, tag: str) -> list[CellReading]:
    from .attachments_ocr import OCR_LANG
    crops = _slots(binary, boxes)
    if not any(c is not None for c in crops):
        return [CellReading("") for _ in boxes]
    lst, where = _mosaics(crops, tmp, tag + "z")
    first = _read(lst, where, OCR_LANG, [])
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
    for i, (text, conf) in enumerate(first):
        if crops[i] is None:
            out.append(CellReading(""))
            continue
        if i not in second:
            out.append(CellReading(text))
            continue
        a, b = figure_text(text), figure_text(second[i][0])
        if a is None and b is None:
            out.append(CellReading(text))          # a dash, a word: not a figure
            continue
        if text.strip() in ("无", "/", "／") and b is None:
            out.append(CellReading(text.strip(), numeric=True))
            continue
        value = b if b is not None else a
        agree = a == b and second[i][1] >= 50
        alts = [x for x in dict.fromkeys([a, b]) if x is not None and x != value]
        out.append(CellReading(value, numeric=True, confident=agree, alternatives=alts))
    return out
