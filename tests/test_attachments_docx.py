"""DOCX attachments through python-docx: document order, merged cells expanded."""
from __future__ import annotations

from pathlib import Path

from nianbao.extract.attachments import read_attachment
from test_attachments_pdf import FIX, TITLE, assert_seed_table


def test_docx_text_in_document_order_and_table():
    doc = read_attachment((FIX / "report2018.docx").read_bytes(), "report2018.docx")
    assert doc.kind == "docx" and doc.pages is None and doc.ocr is False
    lines = doc.text.splitlines()
    assert lines[0] == TITLE
    i_heading = lines.index("政府信息公开情况统计表")
    i_row = lines.index("(一)主动公开政府信息数 (不同渠道和方式公开相同信息计1条)\t条\t1429")
    i_sign = next(i for i, l in enumerate(lines) if l.startswith("单位负责人"))
    assert i_heading < i_row < i_sign          # paragraph, table, paragraph in order
    assert_seed_table(doc)
    assert doc.grids[0].origin == "docx"


def test_docx_gridspan_and_vmerge_repeated():
    doc = read_attachment((FIX / "merged2019.docx").read_bytes(), "merged2019.docx")
    assert len(doc.grids) == 1
    cells = doc.grids[0].cells
    assert len(cells) == 10 and all(len(r) == 10 for r in cells)
    note = cells[0][0]
    assert note.startswith("（本列数据的勾稽关系为")
    assert all(cells[r][c] == note for r in range(3) for c in range(3))
    assert cells[0][3:] == ["申请人情况"] * 7
    assert cells[1][3] == cells[2][3] == "自然人"
    assert cells[1][9] == cells[2][9] == "总计"
    assert cells[1][4:9] == ["法人或其他组织"] * 5
    assert [r[0] for r in cells[5:9]] == ["三、本年度办理结果"] * 4
    assert cells[7][1] == cells[8][1] == "（三）不予公开"
    assert cells[3][3:] == ["12", "3", "0", "0", "1", "0", "16"]
    # a merged cell is written once per row in the text
    assert "申请人情况\t申请人情况" not in doc.text


def test_docx_detected_by_content_types_not_name():
    data = (FIX / "report2018.docx").read_bytes()
    doc = read_attachment(data, "attachment.bin", "application/octet-stream")
    assert doc.kind == "docx"
