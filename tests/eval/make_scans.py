"""Generate the scanned-report evaluation cases (tests/eval/cases/scan_*).

    .venv/bin/python tests/eval/make_scans.py --out /tmp/scans [--only CASE]
    .venv/bin/nianbao evaluate --cases /tmp/scans      # the "scanned reports" lines

Not committed (≈700 KB and ~15 s of OCR each; tests/test_evaluation.py would read every
case in tests/eval/cases twice), so --out another folder than tests/eval/cases.

Each case is a report of the demo or unseen test portal whose figures are known
(manifest.json `metrics`), printed the way an office scans a signed paper copy:

1. the report's article body (title + text + tables) goes through LibreOffice
   headless to a portrait A4 PDF, tables as wide as the page;
2. pdftoppm rasterises each page in grayscale at DPI;
3. the page is degraded: slight rotation (±1-2°, as a sheet lies on a scanner glass),
   grey paper, sensor noise, a few specks, and JPEG compression;
4. img2pdf wraps the JPEGs (not re-encoded) as an image-only PDF: no text layer.

Deterministic for a given seed (numpy RNG), so re-running rewrites equal images as long
as LibreOffice and its fonts do not change.  `expected.json`: metrics from the portal's
manifest (the generator's own figures, not what the extractor reads), harmonized values
derived from them with the spec's rules (extract/harmonize.py) plus the figures the
report's sentences state, `failing_rules` from the consistency rules on those figures.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "nianbao" / "demo_portal"
UNSEEN = ROOT / "tests" / "portals" / "unseen"
CASES = Path(__file__).resolve().parent / "cases"
DPI = 150
JPEG_QUALITY = 45

# case id: (portal folder, page path, rotation in degrees, RNG seed)
SCANS = {
    "scan_gk2019_hengyangxian_2020": (DEMO, "/20210128/i3010001.html", 1.4, 1),
    "scan_gk2021_demo_2021": (DEMO, "/20220125/i3020002.html", -1.1, 2),
    "scan_gk2008_demo_2017": (DEMO, "/20180330/i1500002.html", -1.8, 3),
    "scan_gk2008_youxian_2011": (UNSEEN, "/zwgk/zfxxgknb/201203/t20120329_90002.html", 1.0, 4),
    "scan_gk2019_youxian_2020": (UNSEEN, "/zwgk/zfxxgknb/202101/t20210126_90006.html", -0.7, 5),
}

# No @page rule: LibreOffice 7.4's HTML import starts a size-setting @page with a blank page.
PAGE_CSS = ("body { font-size: 10.5pt } h1 { font-size: 15pt; text-align: center } "
            "table { border-collapse: collapse } td, th { border: 1px solid #000; padding: 1pt 2pt }")


def _page_entry(portal: Path, path: str) -> dict:
    manifest = json.loads((portal / "manifest.json").read_text("utf-8"))
    return next(p for p in manifest["pages"] if p["path"] == path)


def report_html(portal: Path, path: str) -> str:
    """The report as an office file would hold it: headline and article body, no widths."""
    from bs4 import BeautifulSoup
    from nianbao.extract.document import decode_html
    raw = (portal / "site" / path.lstrip("/")).read_bytes()
    soup = BeautifulSoup(decode_html(raw)[1], "lxml")
    for tag in soup.find_all(["table", "tr", "td", "th", "col", "colgroup"]):
        for attr in ("width", "style"):
            tag.attrs.pop(attr, None)
        if tag.name == "table":
            tag["width"] = "100%"      # as wide as the page, as an office lays a table out
    body = soup.select_one("#zoomcon, .detail_con, .article-content, #zoom") or soup.body
    entry = _page_entry(portal, path)
    return (f'<html><head><meta charset="utf-8"><style>{PAGE_CSS}</style></head>'
            # LibreOffice 7.4's HTML import drops the first block of the body: a blank one goes first
            f'<body><p>&nbsp;</p><h1>{entry["title"]}</h1>{body}</body></html>')


def to_pdf(html_files: list[Path], outdir: Path, work: Path) -> None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        sys.exit("LibreOffice (soffice) is needed")
    subprocess.run([soffice, f"-env:UserInstallation=file://{work}/profile", "--headless", "--norestore",
                    "--convert-to", "pdf:writer_pdf_Export", "--outdir", str(outdir),
                    *map(str, html_files)],
                   check=True, capture_output=True, timeout=600, env=dict(os.environ, HOME=str(work)))


def rasterise(pdf: Path, work: Path, dpi: int = DPI) -> list[Path]:
    prefix = work / pdf.stem
    subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", "-png", str(pdf), str(prefix)],
                   check=True, capture_output=True, timeout=300)
    return sorted(work.glob(pdf.stem + "-*.png"))


def degrade(img: Image.Image, angle: float, rng: np.random.Generator) -> bytes:
    """A scanner's view of the page: rotated, grey paper, noise, specks, JPEG."""
    g = img.convert("L").rotate(angle, resample=Image.BICUBIC, expand=False, fillcolor=255)
    a = np.asarray(g).astype(np.float32)
    a = 238 - (238 - 28) * (1 - a / 255.0)                  # grey paper, ink not quite black
    a += rng.normal(0, 6, a.shape)                          # sensor noise
    specks = rng.random(a.shape) < 0.0004                   # dust
    a[specks] = rng.uniform(40, 120, int(specks.sum()))
    out = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8), "L")
    buf = io.BytesIO()
    out.save(buf, "JPEG", quality=JPEG_QUALITY, dpi=(DPI, DPI))
    return buf.getvalue()


def expected_of(portal: Path, path: str, case_id: str) -> dict:
    from nianbao.extract.checks import run_checks
    from nianbao.extract.document import extract_file_json
    from nianbao.extract.harmonize import harmonize
    from nianbao.extract.model import Metric
    from nianbao.extract.templates import metrics_by_code
    entry = _page_entry(portal, path)
    metrics = entry["metrics"]
    template = entry["template"]
    specs = metrics_by_code()
    ms = [Metric(code=c, value=v, unit=specs[c].unit, raw=str(v), method="table") for c, v in metrics.items()]
    harmonized = {h.name: h.value for h in harmonize(ms, template, set())}
    # figures that only the report's sentences state (the HTML original read as text)
    html_read = extract_file_json((portal / "site" / path.lstrip("/")).read_bytes(), filename="report.html")
    for name, value in (html_read.get("harmonized") or {}).items():
        harmonized.setdefault(name, value)
    failing = [c.rule for c in run_checks(ms, template, set()) if not c.ok]
    return {
        "is_report": True, "title": entry["title"], "body": entry.get("body"), "year": entry.get("year"),
        "template": template, "layout": "scan", "metrics": metrics, "harmonized": harmonized,
        "failing_rules": failing, "split": "heldout",
        "source": (f"GENERATED by tests/eval/make_scans.py from {portal.relative_to(ROOT)}/site{path} "
                   f"(a synthetic report of the test portals): LibreOffice PDF, {DPI} dpi grayscale, "
                   f"rotated, noise, JPEG q{JPEG_QUALITY}, image-only PDF. Metrics are the portal "
                   f"manifest's; harmonized derived from them by the spec's rules plus the text's figures."),
        "checked_by": "generated",
    }


def make(case_ids: list[str], out: Path) -> None:
    import img2pdf
    with tempfile.TemporaryDirectory(prefix="nianbao-scans-") as tmp:
        work = Path(tmp)
        html_dir, pdf_dir = work / "html", work / "pdf"
        html_dir.mkdir()
        for cid in case_ids:
            portal, path, _, _ = SCANS[cid]
            (html_dir / f"{cid}.html").write_text(report_html(portal, path), "utf-8")
        to_pdf(sorted(html_dir.glob("*.html")), pdf_dir, work)
        for cid in case_ids:
            portal, path, angle, seed = SCANS[cid]
            rng = np.random.default_rng(seed)
            pages = rasterise(pdf_dir / f"{cid}.pdf", work)
            jpegs = []
            for i, png in enumerate(pages):
                # each sheet lies a little differently on the glass
                a = angle + float(rng.uniform(-0.3, 0.3)) if i else angle
                jpegs.append(degrade(Image.open(png), a, rng))
            case = out / cid
            case.mkdir(parents=True, exist_ok=True)
            (case / "document.pdf").write_bytes(img2pdf.convert(jpegs))
            (case / "expected.json").write_text(
                json.dumps(expected_of(portal, path, cid), ensure_ascii=False, indent=2) + "\n", "utf-8")
            size = (case / "document.pdf").stat().st_size
            print(f"{cid}: {len(pages)} pages, {size / 1024:.0f} KB")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=CASES)
    ap.add_argument("--only", action="append", choices=sorted(SCANS))
    args = ap.parse_args(argv)
    make(args.only or sorted(SCANS), args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
