"""Consistency rules: stable names, absent inputs not tried, blank cells nil, never corrected."""
from nianbao.extract.checks import run_checks
from nianbao.extract.model import Metric


def metrics(values):
    return [Metric(code=k, value=v, unit="件", raw=str(v), method="table") for k, v in values.items()]


def rules(checks):
    return {c.rule: c.ok for c in checks}


def test_gk2008_rules():
    v = {"old.requests.received": 5, "old.requests.received_in_person": 1, "old.requests.received_fax": 0,
         "old.requests.received_online": 3, "old.requests.received_letter": 1,
         "old.requests.closed": 5, "old.requests.closed_on_time": 4, "old.requests.closed_extended": 0,
         "old.capacity.staff": 3, "old.capacity.staff_fulltime": 1, "old.capacity.staff_parttime": 2}
    got = rules(run_checks(metrics(v), "gk2008"))
    assert got == {"old.received": True, "old.closed": False, "old.staff": True}


def test_rule_with_all_inputs_absent_is_not_tried():
    assert run_checks(metrics({"old.proactive.total": 5}), "gk2008") == []


def test_blank_cells_count_as_nil_but_missing_rows_make_a_rule_unknown():
    v = {"old.review.total": 0}
    blank = {"old.review.upheld", "old.review.corrected", "old.review.other"}
    assert rules(run_checks(metrics(v), "gk2008", blank)) == {"old.review": True}
    assert run_checks(metrics(v), "gk2008") == []              # outcome rows not in the document
    v = {"old.review.total": 2}
    [c] = run_checks(metrics(v), "gk2008", blank)
    assert not c.ok and "2" in c.detail


def test_table_three_and_four_rules_per_column():
    cols = ("natural_person", "commercial", "research", "public_interest", "legal_services", "other_org")
    v = {f"requests.new.{c}": 0 for c in cols} | {"requests.new.total": 0}
    v |= {"requests.new.natural_person": 3, "requests.new.total": 3,
          "requests.carried_in.natural_person": 1, "requests.carried_in.total": 1,
          "requests.result.total.natural_person": 3, "requests.result.total.total": 3,
          "requests.carried_out.natural_person": 1, "requests.carried_out.total": 1,
          "review.upheld": 1, "review.corrected": 0, "review.other": 0, "review.pending": 1, "review.total": 3}
    blank = {f"requests.{r}.{c}" for r in ("carried_in", "result.total", "carried_out") for c in cols[1:]}
    got = rules(run_checks(metrics(v), "gk2019", blank))
    assert got["table3.balance[natural_person]"] is True
    assert got["table3.balance[total]"] is True
    assert got["table3.row_total[new]"] is True
    assert got["table4.total[review]"] is False                 # 1 + 0 + 0 + 1 ≠ 3
    assert "table3.result_total[natural_person]" not in got      # result rows not in the document
    assert "table4.total[litigation_direct]" not in got
