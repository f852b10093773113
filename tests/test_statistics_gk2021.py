"""gk2021 (国办公开办函〔2021〕30号) tables in every layout, from synthetic reports."""
import pytest

from nianbao.extract.statistics import extract_statistics
from synth_reports import expected_metrics, make_values, render_html

TEMPLATE = "gk2021"


def got(s):
    return {m.code: m.value for m in s.metrics}


def failing(s):
    return sorted(c.rule for c in s.checks if not c.ok)


def test_two_level_header_row_spanning_groups_and_specific_values():
    v = make_values(TEMPLATE, 7)
    v["requests.result.refused.third_party.commercial"] = 4
    v["requests.result.refused.third_party.total"] += 4
    v["requests.result.total.commercial"] += 4
    v["requests.result.total.total"] += 4
    v["requests.new.commercial"] += 4
    v["requests.new.total"] += 4
    v["art20_8.fees.amount"] = 0.35
    s = extract_statistics(render_html(TEMPLATE, v), "")
    g = got(s)
    assert g["requests.result.refused.third_party.commercial"] == 4
    assert g["art20_8.fees.amount"] == pytest.approx(0.35)
    assert "art20_5.licensing.change" not in g                     # not a gk2021 column
    assert failing(s) == []
    h = {x.name: x.value for x in s.harmonized}
    assert h["requests_received"] == g["requests.new.total"]
    assert h["requests_refused"] == sum(g[f"requests.result.refused.{k}.total"] for k in (
        "state_secret", "prohibited_by_law", "security_stability", "third_party", "internal_affairs",
        "process_info", "enforcement_files", "inquiry_matters"))
    assert h["litigation_total"] == g["litigation_direct.total"] + g["litigation_after_review.total"]
    assert h["licensing_decisions"] == g["art20_5.licensing.decisions"]


def test_other_processing_is_three_rows():
    v = make_values(TEMPLATE, 5)
    s = extract_statistics(render_html(TEMPLATE, v), "")
    g = got(s)
    for k in ("no_amendment", "no_fee_paid", "other"):
        assert g[f"requests.result.other.{k}.total"] == v[f"requests.result.other.{k}.total"]
    assert "requests.result.other.total" not in g
    assert g["art20_1.rules.in_force"] == v["art20_1.rules.in_force"]


def test_gk2019_report_on_2021_keeps_its_layout():
    v = make_values("gk2019", 5)
    s = extract_statistics(render_html("gk2019", v).replace("2019〕60号", "2021〕30号"), "")
    assert s.template == "gk2019"


def test_label_synonyms_and_numbering_variants():
    v = make_values(TEMPLATE, 8)
    html = (render_html(TEMPLATE, v).replace("（七）总计", "(七)合计").replace("1.属于国家秘密", "1、属于国家秘密")
            .replace(">其他<", ">其它<").replace("三、本年度办理结果", "三、本年度办 理结果"))
    s = extract_statistics(html, "")
    assert got(s) == expected_metrics(v)
    assert failing(s) == []
