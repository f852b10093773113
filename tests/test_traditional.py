"""Reports in traditional characters (繁體), as mirror sites and some portals serve them,
give year, template and figures; `raw` keeps the text as found."""
import json
import subprocess
import sys
from pathlib import Path

import zhconv

from nianbao.extract.document import extract_file_json
from synth_reports import expected_metrics, make_values, render_html, render_text

TITLE = "某某縣人民政府2021年政府信息公開工作年度報告"


def test_conversion_keeps_length_and_leaves_simplified_text_alone():
    from nianbao.extract.chinese import has_traditional, to_simplified

    trad = "政府信息公開工作年度報告：本年新收政府信息公開申請數量；行政復議；無；減少3條；萬元"
    simp = to_simplified(trad)
    assert simp == "政府信息公开工作年度报告：本年新收政府信息公开申请数量；行政复议；无；减少3条；万元"
    assert len(simp) == len(trad)
    plain = "衡阳市人民政府2014年政府信息公开工作年度报告，著作权“无”"
    assert not has_traditional(plain) and to_simplified(plain) is plain


def test_traditional_text_report_gives_year_template_and_every_figure():
    v = make_values("gk2021", 31, blank_rate=0.2)
    text = TITLE + "\n一、總體情況\n全年主動公開政府信息860條。\n" + render_text("gk2021", v, "pipes")
    doc = zhconv.convert(text, "zh-tw")
    doc = doc.replace("行政複議", "行政復議")          # both spellings are in use
    assert "申請" in doc and "行政復議" in doc
    got = extract_file_json(doc.encode("utf-8"), filename="report.txt")
    assert got["is_report"] is True
    assert (got["year"], got["template"]) == (2021, "gk2021")
    assert got["title"] == TITLE                      # the title as the page writes it
    assert got["body"] == "某某县人民政府"
    assert got["metrics"] == expected_metrics(v)
    proactive = [h for h in got["harmonized_details"] if h["name"] == "proactive_items"]
    assert proactive and proactive[0]["value"] == 860 and "主動公開" in proactive[0]["raw"]


def test_big5_html_with_traditional_zero_words_keeps_raw_as_found():
    v = make_values("gk2019", 32)
    html = zhconv.convert(render_html("gk2019", v), "zh-tw").replace(">0<", ">無<")
    html = html.replace("某某區人民政府", "某某區人民政府").replace("<meta charset='utf-8'>", "<meta charset='big5'>")
    html = html.replace("“", "「").replace("”", "」")
    data = html.encode("big5")
    got = extract_file_json(data, filename="report.html")
    assert got["is_report"] is True and (got["year"], got["template"]) == (2021, "gk2019")
    assert got["metrics"] == expected_metrics(v)
    raws = {m["raw"] for m in got["metric_details"] if m["value"] == 0}
    assert "無" in raws and "无" not in raws
    change = next(m for m in got["metric_details"] if m["code"] == "art20_5.licensing.change")
    assert change["value"] < 0


def test_a_traditional_distractor_is_not_a_report():
    page = ("<html><head><meta charset='utf-8'><title>政府信息公開年度報告</title></head><body>"
            "<h1>某某縣2024年法治政府建設年度報告</h1><p>2024年，全縣深入推進依法行政。</p></body></html>")
    got = extract_file_json(page.encode("utf-8"), filename="t.html")
    assert got["is_report"] is False and got["doc_type"] == "other-annual-report"


def test_extract_file_reads_a_traditional_report_end_to_end(tmp_path):
    v = make_values("gk2021", 33)
    doc = zhconv.convert(TITLE + "\n" + render_text("gk2021", v, "lines"), "zh-tw")
    path = tmp_path / "report.txt"
    path.write_bytes(doc.encode("utf-8"))
    out = subprocess.run([str(Path(sys.executable).parent / "nianbao"), "extract-file", str(path)],
                         capture_output=True, text=True, timeout=120, check=True)
    got = json.loads(out.stdout)
    assert (got["is_report"], got["year"], got["template"]) == (True, 2021, "gk2021")
    assert got["metrics"] == expected_metrics(v)
    assert all(c["ok"] for c in got["checks"])
