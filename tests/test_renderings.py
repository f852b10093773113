"""Issue 4's measure: reports rendered as DOCX, DOC, PDF and XLSX (by LibreOffice, as
offices make them) give the same figures as their HTML version.

The reports are ones the extractor was not written against: the unseen test portal's
table reports and the hand-checked HTML cases of the evaluation set.
"""
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from nianbao.extract.document import decode_html, extract_file_json

ROOT = Path(__file__).resolve().parent
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
pytestmark = pytest.mark.skipif(not SOFFICE and not os.environ.get("CI"), reason="LibreOffice not installed")

FORMATS = {  # target extension: (input filter or None, output filter)
    "docx": (None, "docx:MS Word 2007 XML"),
    "doc": (None, "doc:MS Word 97"),
    "pdf": (None, "pdf:writer_pdf_Export"),
    "xlsx": ("HTML (StarCalc)", "xlsx:Calc MS Excel 2007 XML"),
}
FLOOR = {"precision": 0.995, "recall": 0.97}


def _fit_to_page(soup):
    """Drop fixed widths: an office lays a table out to fit the page before exporting a PDF
    (LibreOffice would otherwise clip a Word-pasted 1200px table at the margin)."""
    for tag in soup.find_all(["table", "tr", "td", "th", "col", "colgroup"]):
        for attr in ("width", "style"):
            tag.attrs.pop(attr, None)
    return soup


def _reports() -> dict[str, str]:
    """name -> the report's own HTML (article body only, as an office's file would hold it)."""
    out = {}
    unseen = json.loads((ROOT / "portals/unseen/manifest.json").read_text("utf-8"))
    for page in unseen["pages"]:
        if page.get("is_report") and page.get("template") in ("gk2008", "gk2019", "gk2021") \
                and page.get("kind") == "detail" and page.get("status", 200) == 200:
            raw = (ROOT / "portals/unseen/site" / page["path"].lstrip("/")).read_bytes()
            soup = _fit_to_page(BeautifulSoup(decode_html(raw)[1], "lxml"))
            body = soup.select_one("#zoomcon, .detail_con, .article-content") or soup.body
            if body.find("table"):
                out["unseen" + page["path"].replace("/", "_")] = f"<h1>{page['title']}</h1>{body}"
    for case in sorted((ROOT / "eval/cases").glob("*/document.html")):
        soup = _fit_to_page(BeautifulSoup(decode_html(case.read_bytes())[1], "lxml"))
        if soup.find("table"):
            out["eval_" + case.parent.name] = str(soup.body or soup)
    return out


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    work = tmp_path_factory.mktemp("renderings")
    html_dir = work / "html"
    html_dir.mkdir()
    reports = _reports()
    assert len(reports) >= 6
    for name, html in reports.items():
        (html_dir / f"{name}.html").write_text(
            # landscape, as offices print the wide table 三
            f'<html><head><meta charset="utf-8"><style>@page {{ size: 29.7cm 21cm; margin: 1cm }}</style>'
            f'</head><body>{html}</body></html>', "utf-8")
    files = sorted(str(p) for p in html_dir.glob("*.html"))
    for ext, (infilter, outfilter) in FORMATS.items():
        outdir = work / ext
        cmd = [SOFFICE, f"-env:UserInstallation=file://{work}/profile", "--headless", "--norestore"]
        if infilter:
            cmd.append(f"--infilter={infilter}")
        subprocess.run(cmd + ["--convert-to", outfilter, "--outdir", str(outdir), *files],
                       check=True, capture_output=True, timeout=600, env=dict(os.environ, HOME=str(work)))
    return work, sorted(reports)


def _score(got: dict, expected: dict) -> tuple[int, int, int]:
    tp = sum(1 for k, v in got.items() if k in expected and abs(expected[k] - v) < 1e-6)
    return tp, len(got) - tp, len(expected) - tp


@pytest.mark.parametrize("ext", sorted(FORMATS))
def test_rendering_gives_the_html_figures(rendered, ext):
    work, names = rendered
    tp = fp = fn = 0
    misses = []
    for name in names:
        html = (work / "html" / f"{name}.html").read_bytes()
        expected = extract_file_json(html, filename=f"{name}.html")["metrics"]
        assert expected, f"{name}: the HTML version itself yields no figures"
        path = work / ext / f"{name}.{ext}"
        got = extract_file_json(path.read_bytes(), filename=path.name)["metrics"] if path.exists() else {}
        t, p, n = _score(got, expected)
        tp, fp, fn = tp + t, fp + p, fn + n
        if p or n:
            misses.append(f"{name}: {p} wrong, {n} missed of {len(expected)}")
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    print(f"{ext}: precision {precision:.3f} recall {recall:.3f} ({tp} cells)")
    assert precision >= FLOOR["precision"] and recall >= FLOOR["recall"], "\n".join(misses)
