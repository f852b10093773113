"""DOC/WPS through LibreOffice, XLS/XLSX/ET through python-calamine."""
from __future__ import annotations

import shutil
import threading

import pytest

from nianbao.extract.attachments import detect_kind, read_attachment, read_attachment_safely
from test_attachments_pdf import FIX, TITLE, assert_seed_table

needs_soffice = pytest.mark.skipif(not (shutil.which("soffice") or shutil.which("libreoffice")),
                                   reason="LibreOffice not installed")


@needs_soffice
@pytest.mark.parametrize("name,kind", [("report2018.doc", "doc"), ("report2018.wps", "wps")])
def test_word_binary_via_libreoffice(name, kind):
    data = (FIX / name).read_bytes()
    assert detect_kind(data, name) == kind
    doc = read_attachment(data, name)
    assert doc.kind == kind
    assert doc.text.splitlines()[0] == TITLE
    assert_seed_table(doc)


@needs_soffice
def test_concurrent_conversions_do_not_collide():
    data = (FIX / "report2018.doc").read_bytes()
    results, errors = [], []

    def work():
        try:
            results.append(read_attachment(data, "a.doc"))
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors and len(results) == 3
    assert all(r.grids and r.grids[0].cells == results[0].grids[0].cells for r in results)


@needs_soffice
def test_rtf_named_doc_is_converted(tmp_path):
    rtf = (r"{\rtf1\ansi\ansicpg936\deff0{\fonttbl{\f0\fnil\fcharset134 SimSun;}}"
           r"\f0 \u28246?\u21335?\u30465?2018\u24180?\u25253?\u21578?\par}")
    doc = read_attachment(rtf.encode("ascii"), "report.doc")
    assert doc.kind == "doc"
    assert "湖南省2018年报告" in doc.text
    assert any("RTF" in w for w in doc.warnings)


@pytest.mark.parametrize("name,kind", [("table2018.xlsx", "xlsx"), ("table2018.xls", "xls"),
                                       ("table2018.et", "et")])
def test_spreadsheets(name, kind):
    data = (FIX / name).read_bytes()
    doc = read_attachment(data, name)
    assert doc.kind == kind
    assert_seed_table(doc)
    assert "2、政府网站公开政府信息数\t条\t745" in doc.text
    # whole numbers without ".0"
    assert not any(c.endswith(".0") for r in doc.grids[0].cells for c in r)


def test_xls_detected_from_ole_streams_with_misleading_name():
    data = (FIX / "table2018.xls").read_bytes()
    assert detect_kind(data, "report.doc") == "xls"
    assert detect_kind((FIX / "report2018.doc").read_bytes(), "table.xls") == "doc"


def test_xlsx_merged_ranges_repeated():
    doc = read_attachment((FIX / "merged2019.xlsx").read_bytes(), "merged2019.xlsx")
    cells = doc.grids[0].cells
    head = next(i for i, r in enumerate(cells) if r[0].startswith("（本列数据的勾稽关系为"))
    note = cells[head][0]
    assert all(cells[head + r][c] == note for r in range(3) for c in range(3))
    assert cells[head][3:] == ["申请人情况"] * 7
    assert cells[head + 1][4:9] == ["法人或其他组织"] * 5
    assert cells[head + 1][9] == cells[head + 2][9] == "总计"
    assert cells[head + 3][3:] == ["12", "3", "0", "0", "1", "0", "16"]


@needs_soffice
def test_safely_runs_libreoffice_in_limited_child():
    doc = read_attachment_safely((FIX / "report2018.wps").read_bytes(), "report2018.wps", timeout=120)
    assert doc.kind == "wps"
    assert_seed_table(doc)
