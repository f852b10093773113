"""Accuracy over the evaluation cases must not drop below tests/eval/baseline.json."""
import json
from pathlib import Path

import pytest

from tools.evaluate import evaluate, format_report

CASES = Path(__file__).parent / "eval" / "cases"
BASELINE = json.loads((Path(__file__).parent / "eval" / "baseline.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def statistics_result():
    return evaluate(CASES, stage="statistics")


def _at_least(value, floor, what, result):
    assert value is not None and value >= floor, f"{what} {value} < {floor}\n{format_report(result)}"


def test_statistics_stage_floors(statistics_result):
    r, b = statistics_result, BASELINE["statistics"]
    _at_least(r["cells"]["precision"], b["cells_precision"], "cell precision", r)
    _at_least(r["cells"]["recall"], b["cells_recall"], "cell recall", r)
    _at_least(r["harmonized"]["precision"], b["harmonized_precision"], "harmonized precision", r)
    _at_least(r["harmonized"]["recall"], b["harmonized_recall"], "harmonized recall", r)
    _at_least(r["check_agreement"]["rate"], b["check_agreement"], "check agreement", r)
    assert r["non_report_false_positives"]["count"] <= b["non_report_false_positives"], format_report(r)


def test_statistics_stage_floors_per_layout(statistics_result):
    r, b = statistics_result, BASELINE["statistics"]
    for layout, pr in r["cells_by_layout"].items():
        if pr["tp"] + pr["fn"] < b["min_cells"]:
            continue
        _at_least(pr["precision"], b["layout_precision"], f"cell precision of {layout}", r)
        floor = b["layout_recall"].get(layout, b["layout_recall"]["default"])
        _at_least(pr["recall"], floor, f"cell recall of {layout}", r)


@pytest.fixture(scope="module")
def document_result():
    pytest.importorskip("nianbao.extract.document")
    return evaluate(CASES, stage="document")


def test_document_level_floors(document_result):
    r, b = document_result, BASELINE["document"]
    _at_least(r["cells"]["precision"], b["cells_precision"], "cell precision", r)
    _at_least(r["cells"]["recall"], b["cells_recall"], "cell recall", r)
    _at_least(r["harmonized"]["precision"], b["harmonized_precision"], "harmonized precision", r)
    _at_least(r["harmonized"]["recall"], b["harmonized_recall"], "harmonized recall", r)
    _at_least(r["check_agreement"]["rate"], b["check_agreement"], "check agreement", r)


def test_failure_kinds_of_issue_13(document_result):
    r, b = document_result, BASELINE["document"]
    assert r["non_report_false_positives"]["count"] <= b["non_report_false_positives"], format_report(r)
    d = r["distractors"]
    assert d["of"] >= 10 and d["of"] - d["kept_out"] <= b["distractors_stored_as_reports"], format_report(r)
    assert r["consistent_reports_alarmed"]["alarmed"] <= b["consistent_reports_alarmed"], format_report(r)
    for kind, floors in b["kinds"].items():
        pr = r["cells_by_kind"].get(kind)
        assert pr is not None, f"no evaluation case of kind {kind}"
        _at_least(pr["precision"], floors["precision"], f"cell precision of {kind}", r)
        _at_least(pr["recall"], floors["recall"], f"cell recall of {kind}", r)
    for field, floor in b["accuracy"].items():
        _at_least(r["accuracy"].get(field), floor, f"{field} accuracy", r)
    report = format_report(r)
    for line in ("report decision on distractors", "converter layouts", "traditional reports",
                 "consistent reports alarmed"):
        assert line in report          # `nianbao evaluate` prints each failure kind on its own line


def test_harness_counts_a_wrong_cell_as_false_positive(tmp_path):
    case = tmp_path / "c1"
    case.mkdir()
    (case / "document.txt").write_text("信息内容 | 本年制发件数 | 本年废止件数 | 现行有效件数 |\n规章 | 1 | 2 | 3 |\n"
                                       "行政规范性文件 | 4 | 5 | 6 |\n", encoding="utf-8")
    (case / "expected.json").write_text(json.dumps({
        "is_report": True, "template": "gk2021", "layout": "text-pipes", "split": "dev",
        "metrics": {"art20_1.rules.issued": 1, "art20_1.rules.repealed": 9, "art20_1.rules.in_force": 3,
                    "art20_1.normative_docs.issued": 4, "art20_1.normative_docs.repealed": 5,
                    "art20_1.normative_docs.in_force": 6, "art20_5.licensing.decisions": 7},
        "harmonized": {}, "failing_rules": []}), encoding="utf-8")
    r = evaluate(tmp_path, stage="statistics")
    assert (r["cells"]["tp"], r["cells"]["fp"], r["cells"]["fn"]) == (5, 1, 2)
    assert r["cells_by_layout"]["text-pipes"]["tp"] == 5
    assert "c1" in format_report(r)
