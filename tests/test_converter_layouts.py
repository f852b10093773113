"""Report text as PDF converters write it: generic markdown heads, page breaks inside tables,
header rows repeated on every page, label blocks apart from value blocks, loose rows.
Every figure is read, and where the sum rules cannot confirm a layout, nothing is guessed."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from converter_layouts import render
from nianbao.extract.document import extract_file_json
from synth_reports import expected_metrics, make_values

TITLE = "某某县人民政府2021年政府信息公开工作年度报告"
LAYOUTS = ("md-generic", "md-pagebreak", "split-blocks", "loose-rows", "lines-pagebreak")


def _values(template, seed, layout):
    # a blank cell in a row written as "5 0  3 …" loses its column: those layouts get full tables
    return make_values(template, seed, blank_rate=0.3 if layout.startswith("md") else 0.0)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("template,seed", [("gk2019", 41), ("gk2021", 42)])
def test_every_figure_of_a_converter_layout(layout, template, seed):
    v = _values(template, seed, layout)
    got = extract_file_json(render(template, v, layout, TITLE).encode("utf-8"), filename="report.md")
    assert got["is_report"] is True and got["template"] == template
    assert got["metrics"] == expected_metrics(v)
    assert all(c["ok"] for c in got["checks"]), [c for c in got["checks"] if not c["ok"]]


def _t3_codes(metrics):
    return {k for k in metrics if k.startswith("requests.")}


def test_label_and_value_blocks_that_do_not_pair_give_nothing():
    v = _values("gk2021", 43, "split-blocks")
    doc = render("gk2021", v, "split-blocks", TITLE).split("\n")
    first_values = next(i for i, line in enumerate(doc) if line and line[0].isdigit() and " " in line)
    del doc[first_values + 5]                     # one value row lost: the blocks no longer pair
    got = extract_file_json("\n".join(doc).encode("utf-8"), filename="report.md")
    expected = expected_metrics(v)
    assert all(expected.get(k) == x for k, x in got["metrics"].items())      # no wrong figure
    assert len(_t3_codes(got["metrics"])) < 20


def test_blocks_whose_sums_do_not_confirm_the_pairing_are_left_out():
    v = _values("gk2021", 44, "split-blocks")
    doc = render("gk2021", v, "split-blocks", TITLE).split("\n")
    values_at = [i for i, line in enumerate(doc) if line and line[0].isdigit() and line.count(" ") == 6]
    a, b = values_at[0], values_at[2]
    assert doc[a] != doc[b]
    # the new-requests row swapped with a result row: the column sums break. (Two result rows
    # swapped keep every sum: no rule can see that, as no rule could in the report's own table.)
    doc[a], doc[b] = doc[b], doc[a]
    got = extract_file_json("\n".join(doc).encode("utf-8"), filename="report.md")
    expected = expected_metrics(v)
    assert all(expected.get(k) == x for k, x in got["metrics"].items())
    assert len(_t3_codes(got["metrics"])) < 20


def test_page_markers_are_never_cells():
    v = _values("gk2019", 45, "lines-pagebreak")
    doc = render("gk2019", v, "lines-pagebreak", TITLE)
    assert "— 2 —" in doc or "-2-" in doc or "<!-- page" in doc
    got = extract_file_json(doc.encode("utf-8"), filename="report.txt")
    assert got["metrics"] == expected_metrics(v)


def test_extract_file_on_a_converter_markdown_file(tmp_path):
    v = _values("gk2021", 46, "split-blocks")
    path = tmp_path / "report.md"
    path.write_text(render("gk2021", v, "split-blocks", TITLE), encoding="utf-8")
    out = subprocess.run([str(Path(sys.executable).parent / "nianbao"), "extract-file", str(path)],
                         capture_output=True, text=True, timeout=120, check=True)
    got = json.loads(out.stdout)
    assert (got["is_report"], got["template"], got["title"], got["body"]) == (True, "gk2021", TITLE, "某某县人民政府")
    assert got["metrics"] == expected_metrics(v)
