"""gk2019 (国办公开办函〔2019〕60号) tables in every layout, from synthetic reports."""
import pytest

from nianbao.extract.statistics import extract_statistics
from synth_reports import expected_metrics, make_values, render_html, render_text

TEMPLATE = "gk2019"


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
    v["art20_9.procurement.amount"] = 25.1
    s = extract_statistics(render_html(TEMPLATE, v), "")
    g = got(s)
    assert g["requests.result.refused.third_party.commercial"] == 4
    assert g["art20_5.licensing.change"] < 0                       # 本年增/减 may be negative
    assert g["art20_9.procurement.amount"] == pytest.approx(25.1)
    assert failing(s) == []
    h = {x.name: x.value for x in s.harmonized}
    assert h["requests_received"] == g["requests.new.total"]
    assert h["requests_refused"] == sum(g[f"requests.result.refused.{k}.total"] for k in (
        "state_secret", "prohibited_by_law", "security_stability", "third_party", "internal_affairs",
        "process_info", "enforcement_files", "inquiry_matters"))
    assert h["litigation_total"] == g["litigation_direct.total"] + g["litigation_after_review.total"]
    assert h["licensing_decisions"] == g["art20_5.licensing.decisions"]


def test_yuan_amount_in_procurement_column_becomes_wanyuan():
    v = make_values(TEMPLATE, 2)
    html = render_html(TEMPLATE, v).replace(f">{v['art20_9.procurement.amount']}<", ">251000元<")
    s = extract_statistics(html, "")
    assert got(s)["art20_9.procurement.amount"] == pytest.approx(25.1)


def test_pdf_text_with_space_columns_and_wrapped_labels():
    v = make_values(TEMPLATE, 9)
    lines = []
    for line in render_text(TEMPLATE, v, "tabs").split("\n"):
        cells = line.split("\t")
        if cells[0].startswith("（二）部分公开"):
            lines.append("（二）部分公开（区分处理的，只计这一")
            cells[0] = "情形，不计其他情形）"
        lines.append("    ".join(c if c else " " for c in cells))
    s = extract_statistics(None, "\n".join(lines))
    g = got(s)
    assert g["requests.result.partly.total"] == v["requests.result.partly.total"]
    assert {k: x for k, x in g.items() if expected_metrics(v).get(k) != x} == {}
