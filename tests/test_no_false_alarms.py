"""No false alarms: a consistency rule fires only on figures the report really states; a rule
that missing cells keep from being evaluated is listed as not checked, never as broken."""
import sqlite3

import pytest
import zhconv

from converter_layouts import render
from nianbao.archive.store import Archive
from nianbao.db import connect
from nianbao.extract.document import extract_file_json
from nianbao.extract.pipeline import extract_archive
from synth_reports import expected_metrics, make_values, render_html, render_text

TITLE = "某某县人民政府2021年政府信息公开工作年度报告"


def _cut_off_report() -> str:
    v = make_values("gk2021", 51)
    text = TITLE + "\n" + render_text("gk2021", v, "pipes")
    return text[:text.index("（四）无法提供")]          # an excerpt: the table stops half-way


def test_a_cut_off_table_raises_no_alarm_and_says_what_was_not_checked():
    got = extract_file_json(_cut_off_report().encode("utf-8"), filename="excerpt.txt")
    assert got["is_report"] is True and got["metrics"]
    assert all(isinstance(c["ok"], bool) for c in got["checks"])        # the extract-file contract
    assert [c for c in got["checks"] if not c["ok"]] == []
    unchecked = [c for c in got["checks"] if c.get("checked") is False]
    assert {c["rule"] for c in unchecked} >= {"table3.balance[natural_person]", "table3.result_total[total]"}
    assert all(c["ok"] is True and c["detail"].startswith("未核对") and "not checked" in c["detail"]
               for c in unchecked)
    checked = [c for c in got["checks"] if c.get("checked", True)]
    assert checked and all(c["detail"].startswith("表三") for c in checked)   # Chinese wording first


def _document(layout: str, template: str, seed: int, blank_rate: float, traditional: bool) -> tuple[bytes, str, dict]:
    v = make_values(template, seed, blank_rate=blank_rate)
    if layout in ("pipes", "lines", "tabs", "flattened"):
        doc, name = TITLE + "\n" + render_text(template, v, layout), "r.txt"
    elif layout == "html":
        doc, name = render_html(template, v, word=True, split=True), "r.html"
    else:
        doc, name = render(template, v, layout, TITLE), "r.md"
    if traditional:
        doc = zhconv.convert(doc, "zh-tw")
    return doc.encode("utf-8"), name, expected_metrics(v)


@pytest.mark.parametrize("layout,template,seed,blank_rate,traditional", [
    ("tabs", "gk2019", 105, 0.3, False),            # blank cells between tabs
    ("lines", "gk2019", 110, 0.3, False),           # blank cells as no-break-space lines
    ("flattened", "gk2019", 103, 0.3, False),       # run-together cells with blanks
    ("flattened", "gk2021", 109, 0.3, False),
    ("flattened", "gk2019", 101, 0.0, False),       # a negative 本年增/减 in run-together text
    ("loose-rows", "gk2019", 110, 0.3, False),      # a loose row whose blank cells lost their columns
    ("split-blocks", "gk2021", 107, 0.3, False),
    ("pipes", "gk2021", 100, 0.0, True),            # 本年收费金额（單位：萬元）
    ("md-pagebreak", "gk2021", 104, 0.3, True),
    ("html", "gk2019", 102, 0.3, True),
])
def test_consistent_reports_raise_no_alarm_and_store_no_wrong_figure(layout, template, seed, blank_rate, traditional):
    data, name, expected = _document(layout, template, seed, blank_rate, traditional)
    got = extract_file_json(data, filename=name)
    wrong = {k: (x, expected.get(k)) for k, x in got["metrics"].items() if expected.get(k) != x}
    assert wrong == {}
    assert [c for c in got["checks"] if not c["ok"]] == []
    if layout not in ("loose-rows", "split-blocks"):     # there, rows with blanks are left out
        assert len(got["metrics"]) >= 0.5 * len(expected)


def test_a_real_inconsistency_is_still_flagged_in_words():
    v = make_values("gk2021", 52, break_rule="balance")
    got = extract_file_json((TITLE + "\n" + render_text("gk2021", v, "pipes")).encode("utf-8"), filename="r.txt")
    failed = {c["rule"]: c for c in got["checks"] if not c["ok"]}
    assert "table3.balance[natural_person]" in failed
    assert failed["table3.balance[natural_person]"]["detail"].startswith("表三“自然人”列") and \
        "≠" in failed["table3.balance[natural_person]"]["detail"]


def test_rules_not_checked_do_not_count_as_failed_in_the_database(tmp_path):
    db = connect(tmp_path / "n.db")
    archive = Archive(db, tmp_path / "warc")
    archive.store("http://x.gov.cn/r.txt", 200, "OK", [("Content-Type", "text/plain; charset=utf-8")],
                  _cut_off_report().encode("utf-8"), kind="detail")
    archive.close()
    extract_archive(db, tmp_path / "warc")
    conn = sqlite3.connect(tmp_path / "n.db")
    assert conn.execute("select checks_failed from reports").fetchone()[0] == 0
    unchecked = conn.execute("select ok from checks where detail like '未核对%'").fetchall()
    assert unchecked and all(ok != 0 for ok, in unchecked)


GUESSED_ROW = """某某局2021年政府信息公开工作年度报告
一、总体情况
本年度收到政府信息公开申请3件，均已办结。
三、收到和处理政府信息公开申请情况
一、本年新收政府信息公开申请数量 | 0 | 3 | 0 | 0 | 0 | 0 | 3 |
二、上年结转政府信息公开申请数量 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
三、本年度办理结果 | （一）予以公开 | 0 | 3 | 0 | 0 | 0 | 0 | 3 |
（七）总计 | 3 | 3 |
四、结转下年度继续办理 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
"""


def test_a_figure_whose_column_was_guessed_raises_no_alarm():
    # "（七）总计 | 3 | 3 |": the layout dropped five blank cells; the 3 is read as 自然人's, a
    # guess (here a wrong one: the applicant was a company). No rule may fire on it.
    got = extract_file_json(GUESSED_ROW.encode("utf-8"), filename="r.txt")
    assert got["metrics"]["requests.new.commercial"] == 3
    assert [c for c in got["checks"] if not c["ok"]] == []
    balance = {c["rule"]: c for c in got["checks"]}["table3.balance[natural_person]"]
    assert balance["checked"] is False
