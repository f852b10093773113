"""Sum-rule vetting of OCR'd figures (extract/ocr_sums.py)."""
from nianbao.extract.checks import run_checks
from nianbao.extract.model import Metric
from nianbao.extract.ocr_sums import vet_ocr


def _m(code, v, origin="pdf-ocr"):
    return Metric(code=code, value=v, unit="件", raw=str(v), method="ocr", source={"origin": origin})


def _old(received, parts, closed=None, on_time=None, ext=None, origin="pdf-ocr"):
    ms = [_m("old.requests.received", received, origin)]
    ms += [_m(f"old.requests.received_{k}", v, origin) for k, v in zip(("in_person", "fax", "online", "letter"), parts)]
    if closed is not None:
        ms += [_m("old.requests.closed", closed, origin), _m("old.requests.closed_on_time", on_time, origin),
               _m("old.requests.closed_extended", ext, origin)]
    return ms


def test_a_misread_figure_is_left_out_and_its_rule_is_not_checked():
    ms = _old(20, [3, 2, 11, 7], 20, 18, 2)          # letter 4 misread as 7
    kept, dropped = vet_ocr(ms, "gk2008", set())
    assert set(dropped) == {"old.requests.received", *(f"old.requests.received_{k}" for k in
                                                       ("in_person", "fax", "online", "letter"))}
    checks = run_checks(kept, "gk2008", set(), report_unchecked=True)
    assert all(c.ok for c in checks)
    assert {c.rule for c in checks if c.checked} == {"old.closed"}


def test_figures_of_consistent_rules_are_kept():
    ms = _old(20, [3, 2, 11, 4], 20, 18, 2)
    kept, dropped = vet_ocr(ms, "gk2008", set())
    assert dropped == [] and len(kept) == len(ms)


def test_a_single_suspect_is_dropped_when_the_others_are_verified():
    # received = closed (verified by old.closed); received's parts break old.received only
    ms = [_m("requests.new.natural_person", 5), _m("requests.carried_in.natural_person", 0),
          _m("requests.result.total.natural_person", 8), _m("requests.carried_out.natural_person", 0)]
    kept, dropped = vet_ocr(ms, "gk2021", set())
    assert dropped and all(c not in {m.code for m in kept} for c in dropped)


def test_text_figures_are_never_vetted():
    ms = _old(20, [3, 2, 11, 7], origin="text-pipes")
    kept, dropped = vet_ocr(ms, "gk2008", set())
    assert dropped == [] and not all(c.ok for c in run_checks(kept, "gk2008", set()))


def _alt(m, *alternatives):
    m.source["alternatives"] = list(alternatives)
    return m


def test_the_other_reading_that_balances_every_rule_is_taken():
    # letter 4 read as 7 by one pass and 4 by the other: the sums choose 4, nothing is dropped
    ms = _old(20, [3, 2, 11, 7], 20, 18, 2)
    _alt(ms[4], "4")
    kept, dropped = vet_ocr(ms, "gk2008", set())
    assert dropped == []
    letter = next(m for m in kept if m.code == "old.requests.received_letter")
    assert (letter.value, letter.raw, letter.source["reading"], letter.source["first_reading"]) == \
        (4, "4", "alternative", "7")
    assert all(c.ok for c in run_checks(kept, "gk2008", set()))


def test_an_other_reading_that_does_not_balance_is_not_taken():
    ms = _old(20, [3, 2, 11, 7], 20, 18, 2)
    _alt(ms[4], "1")
    kept, dropped = vet_ocr(ms, "gk2008", set())
    assert "old.requests.received_letter" in dropped


def test_two_rival_fixes_of_one_rule_are_not_guessed_between():
    # total 20 with parts 3+2+11+7 = 23: in_person 0 or letter 4 would both balance it
    ms = _old(20, [3, 2, 11, 7], 20, 18, 2)
    _alt(ms[1], "0")
    _alt(ms[4], "4")
    kept, dropped = vet_ocr(ms, "gk2008", set())
    assert {"old.requests.received_in_person", "old.requests.received_letter"} <= set(dropped)
    assert all(m.source.get("reading") != "alternative" for m in kept)
