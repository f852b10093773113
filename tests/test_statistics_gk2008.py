"""The gk2008 (2008-2018) national table in the seeds' text layouts."""
from pathlib import Path

import pytest

from nianbao.extract.statistics import extract_statistics

SEEDS = Path("/work/shared/seeds")
if not SEEDS.exists():
    SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"


def stats(prefix):
    return extract_statistics(None, next(SEEDS.glob(prefix + "_*.txt")).read_text(encoding="utf-8"))


def values(s):
    return {m.code: m.value for m in s.metrics}


def failing(s):
    return sorted(c.rule for c in s.checks if not c.ok)


def test_seed_000_tabs_blank_cells_absent_and_wu_zero():
    s = stats("000")
    v = values(s)
    assert s.template == "gk2008"
    assert v["old.proactive.total"] == 1316
    assert v["old.proactive.normative_docs_issued"] == 12
    assert v["old.proactive.via_wechat"] == 254
    assert v["old.response.interpretations"] == 10
    assert v["old.review.total"] == 0 and v["old.litigation.total"] == 0      # written 无
    assert v["old.complaints.total"] == 0 and v["old.fees.total"] == 0
    assert v["old.capacity.units"] == 1                                     # unit cell blank
    assert v["old.capacity.budget"] == 8 and v["old.meetings.trainees"] == 180
    for blank in ("old.proactive.via_gazette", "old.response.hotspots", "old.requests.received",
                  "old.review.upheld", "old.litigation.other"):
        assert blank not in v
    assert len(v) == 23
    assert all(m.method == "text-layout" for m in s.metrics)
    assert failing(s) == []
    h = {x.name: x.value for x in s.harmonized}
    assert h["proactive_items"] == 1316 and h["staff_total"] == 4 and h["budget"] == 8
    assert h["requests_received"] == 0          # table blank; text: 未接到政府信息公开请求


def test_seed_002_pipes_every_row():
    s = stats("002")
    v = values(s)
    assert s.template == "gk2008"
    assert len(v) == 58                          # every gk2008 code is filled in
    expected = {"old.proactive.total": 1429, "old.proactive.normative_docs": 2,
                "old.proactive.normative_docs_issued": 2, "old.proactive.via_gazette": 0,
                "old.proactive.via_website": 745, "old.proactive.via_weibo": 0,
                "old.proactive.via_wechat": 310, "old.proactive.via_other": 374,
                "old.response.hotspots": 23, "old.response.interpretations": 21,
                "old.requests.received": 2, "old.requests.received_online": 1, "old.requests.received_letter": 1,
                "old.requests.closed_on_time": 2, "old.requests.granted": 2,
                "old.requests.refused_not_gov_info": 0, "old.capacity.reading_points": 2,
                "old.capacity.staff": 2, "old.capacity.staff_fulltime": 1, "old.capacity.budget": 10,
                "old.meetings.meetings": 3, "old.meetings.trainees": 17}
    assert {k: v[k] for k in expected} == expected
    assert failing(s) == []
    assert {c.rule for c in s.checks} == {"old.received", "old.closed", "old.staff", "old.review",
                                          "old.litigation", "text_vs_table[requests_received]"}


def test_seed_004_lines_without_unit_cells_and_a_missing_section_header():
    s = stats("004")
    v = values(s)
    assert s.template == "gk2008"
    assert v["old.proactive.total"] == 1112936
    assert v["old.proactive.via_other"] == 269311
    assert v["old.response.other"] == 42703               # 42703(“12345”热线回复数)
    assert v["old.requests.received"] == 78 and v["old.requests.received_online"] == 65
    assert "old.requests.answered" not in v                # blank cell
    assert v["old.capacity.units"] == 65 and v["old.capacity.budget"] == 26
    assert v["old.capacity.staff"] == 359
    assert failing(s) == ["old.staff"]                     # 359 ≠ 176 + 368: kept and flagged
    assert len(v) == 47


def test_narrative_seeds_have_no_table():
    for prefix in ("001", "003"):
        s = stats(prefix)
        assert s.template is None and s.metrics == [] and s.checks == []


def test_html_gk2008_with_yuan_amount_and_typo_labels():
    html = """<table><tr><td>统 计 指 标</td><td>单位</td><td>统计数</td></tr>
    <tr><td>一、主动公开情况</td><td>——</td><td></td></tr>
    <tr><td>（一）主动公开政府信息数</td><td>条</td><td>１２０</td></tr>
    <tr><td>三、依申请公开情况</td><td>——</td><td></td></tr>
    <tr><td>（一）收到申请数</td><td>件</td><td>3</td></tr>
    <tr><td>1．当面申请数</td><td>件</td><td>1</td></tr><tr><td>2．传真申请数</td><td>件</td><td>—</td></tr>
    <tr><td>3．网络申请数</td><td>件</td><td>1</td></tr><tr><td>4．信函申请数</td><td>件</td><td>/</td></tr>
    <tr><td>不是《条列》所指政府信息</td><td>件</td><td>无</td></tr>
    <tr><td>四、行政复议数量</td><td>件</td><td>1</td></tr>
    <tr><td>（二）被依法纠错数</td><td>件</td><td>1</td></tr>
    <tr><td>五、行政诉讼数量</td><td>件</td><td>0</td></tr>
    <tr><td>（二）被依法纠错数</td><td>件</td><td>0</td></tr>
    <tr><td>七、依申请公开信息收取的费用</td><td>元</td><td>251000</td></tr>
    </table>"""
    s = extract_statistics(html, "")
    v = values(s)
    assert s.template == "gk2008"
    assert v["old.proactive.total"] == 120
    assert v["old.requests.received_fax"] == 0 and v["old.requests.received_letter"] == 0
    assert v["old.requests.refused_not_gov_info"] == 0
    assert v["old.review.corrected"] == 1 and v["old.litigation.corrected"] == 0   # by section
    assert v["old.fees.total"] == pytest.approx(25.1)
    assert failing(s) == ["old.received"]                  # 3 ≠ 1 + 0 + 1 + 0
