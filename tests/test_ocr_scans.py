"""Scanned statistics tables (issue 13): page preparation, ruling lines, cell ink, figure
readings, and rows whose OCR'd label is garbled."""
from __future__ import annotations

import shutil
import subprocess
import tempfile

import numpy as np
import pytest

from nianbao.extract.attachments_ocr import find_tables
from nianbao.extract.model import Grid
from nianbao.extract.ocr_cells import combine, despeck, figure_text
from nianbao.extract.ocr_image import otsu_threshold, prepare
from nianbao.extract.statistics import extract_statistics

PAPER, INK, RULE = 238, 28, 170      # grey levels of a 150 dpi scan read at 300 dpi


def _page(rng, rule=RULE, rows=6, cols=4):
    """A4 at 300 dpi: noisy grey paper, a table of 2 px grey rules, a black 'figure' per cell."""
    h, w = 3508, 2480
    a = np.full((h, w), PAPER, dtype=np.float32)
    ys = [400 + 130 * i for i in range(rows + 1)]
    xs = [200 + 500 * j for j in range(cols + 1)]
    for y in ys:
        a[y:y + 2, xs[0]:xs[-1] + 2] = rule
    for x in xs:
        a[ys[0]:ys[-1] + 2, x:x + 2] = rule
    for y in ys[:-1]:
        for x in xs[:-1]:
            a[y + 40:y + 90, x + 30:x + 60] = INK              # a figure's worth of black ink
    a[2000:2600:40, 300:2200] = INK                            # lines of body text below
    a += rng.normal(0, 6, a.shape)
    return np.clip(a, 0, 255).astype(np.uint8), rows, cols


def test_grey_rules_that_otsu_drops_still_make_the_table():
    gray, rows, cols = _page(np.random.default_rng(1))
    assert otsu_threshold(gray) < RULE          # binarised, the rules are (mostly) gone
    page = prepare(gray)
    assert not page.blank
    tables, lines = find_tables(page.binary, page.lines)
    assert [(len(t.ys) - 1, len(t.xs) - 1) for t in tables] == [(rows, cols)]
    assert find_tables(page.binary)[0] == []     # what the binarised page alone gave
    # the rules are erased before reading, the figures and the body text are not
    assert not (lines & (page.binary < 128))[2000:2600].any()
    assert not lines[450:480, 240:250].any()


def test_a_page_without_ink_comes_back_white():
    rng = np.random.default_rng(2)
    noise = np.clip(PAPER + rng.normal(0, 6, (1754, 1240)), 0, 255).astype(np.uint8)
    page = prepare(noise)
    assert page.blank and (page.binary == 255).all() and not page.lines.any()


def test_specks_go_a_decimal_point_stays():
    dark = np.zeros((60, 200), dtype=bool)
    dark[10:50, 20:30] = True            # "1"
    dark[44:49, 36:41] = True            # "." of 1.5, ink on both sides
    dark[10:50, 46:60] = True            # "5"
    dark[52:55, 75:78] = True            # a speck right of the figure
    dark[2:4, 150:152] = True            # a speck far off
    kept = despeck(dark)
    assert kept[10:50, 20:60].sum() == dark[10:50, 20:60].sum()
    assert not kept[:, 70:].any()


@pytest.mark.parametrize("read, figure", [
    ("-10", "-10"), ("一10", "-10"), ("—3", "-3"), ("1 429", "1429"), ("4185.47", "4185.47"),
    ("O", "0"), ("无", "0"), ("-", None), ("-0", "0"), ("件", None), ("本年增/减", None)])
def test_figure_text(read, figure):
    assert figure_text(read) == figure


T3_HEAD = [["", "", "", "申请人情况", "申请人情况", "申请人情况", "申请人情况", "申请人情况", "申请人情况", "申请人情况"],
           ["", "", "", "自然人", "法人或其他组织", "法人或其他组织", "法人或其他组织", "法人或其他组织", "法人或其他组织", "总计"],
           ["", "", "", "自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"]]


def _t3(petition_label: str, origin: str) -> Grid:
    g = "（五）不予处理"
    rows = [["（四）无法提供", "（四）无法提供", "3.补正后申请内容仍不明确", "1", "0", "0", "0", "0", "0", "1"],
            [g, g, petition_label, "2", "0", "0", "0", "0", "0", "2"],
            [g, g, "2.重复申请", "1", "0", "0", "0", "0", "0", "1"]]
    return Grid(cells=T3_HEAD + rows + [["第二十条第（一）项"] * 10, ["信息内容", "本年制发件数", "本年废止件数", "现行有效件数"] + [""] * 6,
                                        ["规章", "0", "0", "3"] + [""] * 6],
                origin=origin)


def test_a_garbled_ocr_label_between_two_known_rows_takes_the_row_between():
    stats = extract_statistics(None, "", [_t3("(SARI", "pdf-ocr")])
    got = {m.code: m.value for m in stats.metrics}
    assert got["requests.result.not_processed.petition.natural_person"] == 2
    assert got["requests.result.not_processed.petition.total"] == 2
    assert got["requests.result.not_processed.repeated.total"] == 1


def test_a_garbled_label_of_other_layouts_stays_unread():
    stats = extract_statistics(None, "", [_t3("(SARI", "pdf")])
    assert "requests.result.not_processed.petition.total" not in {m.code for m in stats.metrics}


def test_a_unit_cell_is_not_taken_for_the_figure_the_digits_pass_makes_of_it():
    """The digits-only pass turns 件 into 4: a cell that chi_sim read as a character stays a word."""
    cell = combine("件", ("4", 90.0))
    assert (cell.text, cell.numeric) == ("件", False)


@pytest.mark.parametrize("first, digits, text, confident, alternatives", [
    ("25", ("25", 90.0), "25", True, []),
    ("2", ("20", 41.0), "20", False, ["2"]),       # a speck read as a 0 by one pass
    ("无", ("", -1.0), "无", True, []),
    ("O", ("0", 95.0), "0", True, []),
])
def test_two_readings_of_a_figure(first, digits, text, confident, alternatives):
    cell = combine(first, digits)
    assert (cell.text, cell.numeric, cell.confident, cell.alternatives) == (text, True, confident, alternatives)


@pytest.mark.skipif(not shutil.which("tesseract"), reason="tesseract-ocr not installed")
def test_cells_are_read_each_in_its_slot(tmp_path):
    from PIL import Image, ImageDraw, ImageFont
    from nianbao.extract.ocr_cells import read_cells
    fonts = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True).stdout.split()
    font_file = sorted(fonts)[0].rstrip(":") if fonts else None
    if not font_file:
        pytest.skip("no Chinese font")
    font = ImageFont.truetype(font_file, 44)
    img = Image.new("L", (900, 120), 255)
    d = ImageDraw.Draw(img)
    d.text((30, 30), "重复申请", font=font, fill=0)
    d.text((630, 30), "25", font=font, fill=0)
    binary = np.where(np.asarray(img) < 128, 0, 255).astype(np.uint8)
    with tempfile.TemporaryDirectory(dir=tmp_path) as tmp:
        label, empty, figure = read_cells(binary, [(10, 10, 390, 110), (400, 10, 590, 110), (610, 10, 890, 110)],
                                          tmp, "t")
    assert (label.text, label.numeric) == ("重复申请", False)
    assert (empty.text, empty.numeric) == ("", False)
    assert (figure.text, figure.numeric) == ("25", True)


def test_a_lone_figure_chi_sim_took_for_a_character_is_the_digits_reading():
    cell = combine("工", ("1", 80.0))
    assert (cell.text, cell.numeric) == ("1", True)


def test_an_ocr_label_with_one_character_misread_still_names_its_row():
    head = [["第二十条第（六）项"] * 4, ["信息内容", "本年处理决定数量", "本年处理决定数量", "本年处理决定数量"]]
    rows = [["行政处玉", "887", "887", "887"], ["行政强制", "124", "124", "124"]]
    for origin, found in (("pdf-ocr", True), ("pdf", False)):
        stats = extract_statistics(None, "", [Grid(cells=head + rows, origin=origin),
                                              _t3("1.信访举报投诉类申请", origin)])
        got = {m.code: m.value for m in stats.metrics}
        assert got.get("art20_6.coercion.decisions") == 124
        assert (got.get("art20_6.penalty.decisions") == 887) is found
