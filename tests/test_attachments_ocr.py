"""Scanned PDFs: Tesseract chi_sim OCR and table grids rebuilt from ruling lines."""
from __future__ import annotations

import difflib
import re
import shutil

import pytest

from nianbao.extract.attachments import read_attachment
from test_attachments_pdf import FIX, KEY_ROWS, TITLE, _cid_font_pdf, seed_rows, squash

pytestmark = pytest.mark.skipif(
    not (shutil.which("tesseract") and shutil.which("pdftoppm")),
    reason="tesseract-ocr / poppler-utils not installed")


@pytest.fixture(scope="module")
def scanned():
    return read_attachment((FIX / "scanned2018.pdf").read_bytes(), "scanned2018.pdf")


def test_scan_is_ocred(scanned):
    assert scanned.kind == "pdf" and scanned.ocr is True
    assert scanned.pages == 4
    assert "政府信息公开情况统计表" in squash(scanned.text)


def test_scanned_table_grid_recall(scanned):
    """≥ 90 % of the seed table's numbers sit in the right row of the rebuilt grid."""
    assert len(scanned.grids) == 1, "table over 4 scanned pages should merge into one grid"
    grid = scanned.grids[0].cells
    assert all(len(r) == 3 for r in grid)
    expected = seed_rows() or [[l, u, v] for l, u, v in KEY_ROWS]
    numeric = [r for r in expected if re.fullmatch(r"\d+", r[2])]
    labels = [squash(r[0]) for r in grid]
    hits = 0
    for label, _unit, value in numeric:
        best = max(range(len(grid)), key=lambda i: difflib.SequenceMatcher(None, labels[i], squash(label)).ratio())
        if difflib.SequenceMatcher(None, labels[best], squash(label)).ratio() >= 0.7 and grid[best][2] == value:
            hits += 1
    recall = hits / len(numeric)
    assert recall >= 0.9, f"OCR table recall {recall:.2f}"
    row = next(r for r in grid if "主动公开政府信息数" in squash(r[0]))
    assert row[2] == "1429"


def test_scanned_text_has_numbers_in_rows(scanned):
    assert re.search(r"政府网站公开政府信息数\t条\t745", scanned.text)


def test_unmapped_glyphs_fall_back_to_ocr(tmp_path):
    """A subset CID font without ToUnicode: pdfminer yields (cid:N), so the page is OCRed."""
    pdf = _cid_font_pdf(tmp_path, subset=True)
    doc = read_attachment(pdf.read_bytes(), pdf.name)
    assert doc.ocr is True
    assert "(cid:" not in doc.text
    # 16 pt sans glyphs on a bare page OCR worse than a scanned table: a loose bound
    assert difflib.SequenceMatcher(None, squash(doc.text.splitlines()[0]), TITLE).ratio() >= 0.7
    assert "2018年政府信息" in squash(doc.text)
    assert "1429" in doc.text
