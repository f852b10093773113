"""PDF attachments through pdfplumber: text, CJK title, tables over page breaks, merged cells."""
from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from nianbao.extract.attachments import (AttachmentDocument, detect_kind, normalize_text,
                                         read_attachment)

FIX = Path(__file__).parent / "fixtures" / "attachments"
sys.path.insert(0, str(FIX))
from make_fixtures import DEFAULT_SEEDS, SEED_002, parse_seed_002  # noqa: E402

TITLE = "湖南城陵矶新港区2018年政府信息公开年度报告"
# (label fragment, unit, value) from seed 002's gk2008 statistics table
KEY_ROWS = [
    ("主动公开政府信息数", "条", "1429"),
    ("政府网站公开政府信息数", "条", "745"),
    ("政府微信公开政府信息数", "条", "310"),
    ("其他方式公开政府信息数", "条", "374"),
    ("回应公众关注热点或重大舆情数", "次", "23"),
    ("政策解读稿件发布数", "篇", "21"),
    ("(一)收到申请数", "件", "2"),
    ("网络申请数", "件", "1"),
    ("政府信息公开专项经费", "万元", "10"),
    ("接受培训人员数", "人次", "17"),
]


def squash(s: str) -> str:
    return re.sub(r"\s+", "", s)


def seed_rows() -> list[list[str]] | None:
    path = DEFAULT_SEEDS / SEED_002
    if not path.exists():
        return None
    return [[" ".join(c.split()) for c in r] for r in parse_seed_002(path)["rows"]]


def find_row(grid, label: str) -> list[str]:
    for row in grid.cells:
        if label in squash(row[0]):
            return row
    raise AssertionError(f"no row {label!r} in grid")


def assert_seed_table(doc: AttachmentDocument) -> None:
    tables = [g for g in doc.grids if any("1429" in c for r in g.cells for c in r)]
    assert len(tables) == 1, [len(g.cells) for g in doc.grids]
    grid = tables[0]
    for label, unit, value in KEY_ROWS:
        row = find_row(grid, squash(label))
        assert row[1:] == [unit, value], (label, row)
    expected = seed_rows()
    if expected is not None:
        assert [[squash(c) for c in r] for r in grid.cells] == [[squash(c) for c in r] for r in expected]


@pytest.mark.parametrize("name", ["report2018.pdf", "report2018_wqy.pdf"])
def test_pdf_text_and_table_over_page_breaks(name):
    doc = read_attachment((FIX / name).read_bytes(), name)
    assert doc.kind == "pdf" and doc.ocr is False
    assert doc.pages >= 4                      # the table runs over three page breaks
    assert TITLE in doc.text.splitlines()[0]   # correct CJK, no layout spaces
    assert "\ufffd" not in doc.text and "(cid:" not in doc.text
    # paragraphs reflowed across line ends: a sentence split by a line end is whole
    assert "关于做好2018年政府信息公开年度报告编制发布工作的通知" in doc.text
    assert "政府网站公开政府信息数\t条\t745" in doc.text
    assert_seed_table(doc)
    assert all(g.origin == "pdf" for g in doc.grids)
    assert [g.index for g in doc.grids] == list(range(len(doc.grids)))


def test_pdf_detected_by_magic_whatever_the_name():
    data = (FIX / "report2018.pdf").read_bytes()
    assert detect_kind(data, "download.doc", "application/octet-stream") == "pdf"
    assert read_attachment(data, "附件1.xls").kind == "pdf"


def test_pdf_merged_cells_repeated():
    doc = read_attachment((FIX / "merged2019.pdf").read_bytes(), "merged2019.pdf")
    assert len(doc.grids) == 1
    cells = doc.grids[0].cells
    assert len(cells) == 10 and all(len(r) == 10 for r in cells)
    note = cells[0][0]
    assert note.startswith("（本列数据的勾稽关系为")
    assert [r[0] for r in cells[:3]] == [note] * 3 and cells[2][2] == note
    assert cells[0][3:] == ["申请人情况"] * 7
    assert cells[1][3] == cells[2][3] == "自然人"
    assert cells[1][4:9] == ["法人或其他组织"] * 5
    assert cells[2][4:9] == ["商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"]
    assert cells[1][9] == cells[2][9] == "总计"
    assert cells[3][:3] == ["一、本年新收政府信息公开申请数量"] * 3
    assert cells[3][3:] == ["12", "3", "0", "0", "1", "0", "16"]
    assert [r[0] for r in cells[5:9]] == ["三、本年度办理结果"] * 4
    assert cells[7][1] == cells[8][1] == "（三）不予公开"
    assert cells[8][2] == "2.其他法律行政法规禁止公开"
    assert cells[9][3:] == ["2", "0", "0", "0", "0", "0", "2"]


def test_kangxi_radicals_normalised():
    # U+2F47 KANGXI RADICAL SUN, U+2F8F KANGXI RADICAL WALK ENCLOSURE ... as WPS PDFs emit
    assert normalize_text("\u2f47\u671f\uff1a2019\u5e74") == "日期：2019年"
    assert normalize_text("\u2f8f\u653f") == "行政"


def _cid_font_pdf(tmp_path: Path, subset: bool) -> Path:
    pymupdf = pytest.importorskip("pymupdf")
    import subprocess
    font = subprocess.run(["fc-match", "-f", "%{file}", "WenQuanYi Zen Hei"],
                          capture_output=True, text=True).stdout
    if not font.endswith((".ttc", ".ttf")):
        pytest.skip("fonts-wqy-zenhei not installed")
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_font(fontname="F0", fontfile=font)
    page.insert_text((50, 80), TITLE, fontname="F0", fontsize=16)
    page.insert_text((50, 130), "主动公开政府信息数 1429 条", fontname="F0", fontsize=14)
    if subset:
        doc.subset_fonts()
    for x in range(1, doc.xref_length()):
        if doc.xref_get_key(x, "ToUnicode")[0] != "null":
            doc.xref_set_key(x, "ToUnicode", "null")
    out = tmp_path / f"type0_{'subset' if subset else 'full'}.pdf"
    doc.save(out, garbage=4, deflate=True)
    return out


def test_identity_h_font_without_tounicode_read_right(tmp_path):
    """The case that decided pdfminer over MuPDF: CID font, no ToUnicode, full TrueType."""
    pdf = _cid_font_pdf(tmp_path, subset=False)
    doc = read_attachment(pdf.read_bytes(), pdf.name)
    assert doc.ocr is False
    assert TITLE in doc.text
    assert "主动公开政府信息数1429条" in squash(doc.text)
