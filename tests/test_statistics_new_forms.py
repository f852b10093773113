"""gk2019 and gk2021 (the 2019 and 2021 national forms): tables in every layout, from
synthetic reports. What differs between the two forms is in test_statistics_gk2019/gk2021.py."""
import pytest

from nianbao.extract.statistics import extract_statistics
from synth_reports import expected_metrics, make_values, render_html, render_text

HTML_VARIANTS = {"plain": {}, "word": {"word": True}, "split": {"split": True},
                 "word-split-fullwidth-noisy-labels": {"word": True, "split": True, "fullwidth": True,
                                                        "label_noise": True}}
pytestmark = pytest.mark.parametrize("TEMPLATE", ["gk2019", "gk2021"])


def got(s):
    return {m.code: m.value for m in s.metrics}


def failing(s):
    return sorted(c.rule for c in s.checks if not c.ok)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("variant", list(HTML_VARIANTS))
def test_html_tables_give_every_filled_cell(TEMPLATE, seed, variant):
    v = make_values(TEMPLATE, seed, blank_rate=0.3 if seed % 2 else 0.0)
    s = extract_statistics(render_html(TEMPLATE, v, **HTML_VARIANTS[variant]), "")
    assert s.template == TEMPLATE
    assert got(s) == expected_metrics(v)
    assert failing(s) == []
    assert all(m.method == "table" for m in s.metrics)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("layout", ["pipes", "tabs", "lines"])
def test_text_layouts_give_every_filled_cell(TEMPLATE, seed, layout):
    v = make_values(TEMPLATE, seed, blank_rate=0.3 if seed % 2 else 0.0)
    s = extract_statistics(None, render_text(TEMPLATE, v, layout))
    assert s.template == TEMPLATE
    assert got(s) == expected_metrics(v)
    assert failing(s) == []
    assert all(m.method == "text-layout" for m in s.metrics)


@pytest.mark.parametrize("seed", range(4))
def test_flattened_text_is_never_wrong_and_mostly_found(TEMPLATE, seed):
    v = make_values(TEMPLATE, seed, blank_rate=0.3 if seed % 2 else 0.0)
    s = extract_statistics(None, render_text(TEMPLATE, v, "flattened"))
    exp = expected_metrics(v)
    g = got(s)
    assert s.template == TEMPLATE
    assert {k: x for k, x in g.items() if exp.get(k) != x} == {}
    assert len(g) >= 0.6 * len(exp)
    assert all(m.method == "flattened-decoded" for m in s.metrics)
    assert any("flattened" in n for n in s.notes)


@pytest.mark.parametrize("rule,expected_failures", [
    ("balance", {"table3.balance[natural_person]", "table3.balance[total]"}),
    ("row_total", {"table3.row_total[result.disclosed]", "table3.result_total[total]"}),
    ("review_total", {"table4.total[review]"}),
])
@pytest.mark.parametrize("layout", ["html", "lines"])
def test_inconsistent_figures_are_kept_and_flagged(TEMPLATE, rule, expected_failures, layout):
    v = make_values(TEMPLATE, 3, break_rule=rule)
    doc = render_html(TEMPLATE, v) if layout == "html" else render_text(TEMPLATE, v, "lines")
    s = extract_statistics(doc if layout == "html" else None, "" if layout == "html" else doc)
    assert got(s) == expected_metrics(v)                 # never corrected
    assert set(failing(s)) == expected_failures
