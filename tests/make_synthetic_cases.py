"""Write the synthetic evaluation cases (tests/eval/cases/synthetic_*) from synth_reports.

    .venv/bin/python tests/make_synthetic_cases.py

Deterministic: re-running rewrites the same files. Real reports are the main evaluation
set; these cover layouts and broken sums that the real set may lack.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from synth_reports import expected_metrics, make_values, render_html, render_text  # noqa: E402

CASES = Path(__file__).parent / "eval" / "cases"
TITLE = "某某区人民政府2021年政府信息公开工作年度报告"
REFUSED = ("state_secret", "prohibited_by_law", "security_stability", "third_party", "internal_affairs",
           "process_info", "enforcement_files", "inquiry_matters")


def _sum(values, codes):
    present = [values[c] for c in codes if values.get(c) is not None]
    return sum(present) if present else None


def expected_harmonized(v: dict) -> dict:
    h = {
        "requests_received": v.get("requests.new.total"),
        "requests_answered": v.get("requests.result.total.total"),
        "requests_granted": v.get("requests.result.disclosed.total"),
        "requests_partly_granted": v.get("requests.result.partly.total"),
        "requests_refused": _sum(v, [f"requests.result.refused.{k}.total" for k in REFUSED]),
        "review_total": v.get("review.total"),
        "review_corrected": v.get("review.corrected"),
        "litigation_total": _sum(v, ["litigation_direct.total", "litigation_after_review.total"]),
        "litigation_corrected": _sum(v, ["litigation_direct.corrected", "litigation_after_review.corrected"]),
        "licensing_decisions": v.get("art20_5.licensing.decisions"),
        "penalty_decisions": v.get("art20_6.penalty.decisions"),
        "proactive_items": 1200,
    }
    return {k: x for k, x in h.items() if x is not None}


def write(case_id, document: str, ext: str, template, layout, v, failing=(), split="dev", note=""):
    d = CASES / f"synthetic_{case_id}"
    d.mkdir(parents=True, exist_ok=True)
    (d / f"document.{ext}").write_text(document, encoding="utf-8")
    expected = {"is_report": True, "title": TITLE, "body": "某某区人民政府", "year": 2021,
                "template": template, "layout": layout, "metrics": expected_metrics(v),
                "harmonized": expected_harmonized(v), "failing_rules": list(failing), "split": split,
                "source": f"synthetic (tests/make_synthetic_cases.py, synth_reports seed) {note}".strip(),
                "checked_by": "generator"}
    (d / "expected.json").write_text(json.dumps(expected, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def text_doc(template, v, layout):
    return TITLE + "\n" + render_text(template, v, layout).replace("二、主动公开", "一、总体情况\n全年主动公开政府信息1200条。\n二、主动公开", 1)


def main():
    v = make_values("gk2019", 11, blank_rate=0.3)
    write("gk2019_word_html", render_html("gk2019", v, word=True, fullwidth=True, label_noise=True), "html",
          "gk2019", "html-word", v, note="Word-pasted cells, full-width digits, stray spaces in labels")
    v = make_values("gk2021", 12, break_rule="balance")
    write("gk2021_split_html_broken", render_html("gk2021", v, split=True), "html", "gk2021", "html-split", v,
          failing=["table3.balance[natural_person]", "table3.balance[total]"], split="heldout",
          note="table 三 split over two <table>s; new natural_person inflated by 3")
    v = make_values("gk2021", 13, blank_rate=0.3)
    write("gk2021_pipes", text_doc("gk2021", v, "pipes"), "txt", "gk2021", "text-pipes", v,
          note="rows as 'a | b |' lines with blank cells")
    v = make_values("gk2019", 14)
    write("gk2019_lines_broken", text_doc("gk2019", v | {"review.total": (v["review.total"] or 0) + 2}, "lines"),
          "txt", "gk2019", "text-lines", v | {"review.total": (v["review.total"] or 0) + 2},
          failing=["table4.total[review]"], split="heldout", note="one cell per line; review total off by 2")
    v = make_values("gk2021", 15)
    write("gk2021_flattened", text_doc("gk2021", v, "flattened"), "txt", "gk2021", "flattened", v,
          note="cells run together; some rows cannot be split unambiguously (expected keeps every cell)")


if __name__ == "__main__":
    main()
