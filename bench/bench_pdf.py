"""Seconds per page of PDF extraction: pdfplumber (pdfminer.six, used) vs PyMuPDF
(baseline measured in the same run), text only and text + tables; plus OCR s/page.

    .venv/bin/python bench/bench_pdf.py [--repeat N] [--no-ocr]

Also prints the correctness check that chose pdfminer: a CID (Identity-H) font
without ToUnicode, where MuPDF returns wrong ideographs.
"""
from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIX = ROOT / "tests" / "fixtures" / "attachments"
FILES = ["report2018.pdf", "report2018_wqy.pdf", "merged2019.pdf"]
TITLE = "湖南城陵矶新港区2018年政府信息公开年度报告"


def pdfplumber_text(path):
    import pdfplumber
    with pdfplumber.open(path) as pdf:
        return [p.extract_text() or "" for p in pdf.pages]


def pdfplumber_tables(path):
    import pdfplumber
    with pdfplumber.open(path) as pdf:
        return [(p.extract_text() or "", p.extract_tables()) for p in pdf.pages]


def pymupdf_text(path):
    import pymupdf
    with pymupdf.open(path) as doc:
        return [p.get_text() for p in doc]


def pymupdf_tables(path):
    import pymupdf
    with pymupdf.open(path) as doc:
        return [(p.get_text(), [t.extract() for t in p.find_tables().tables]) for p in doc]


def nianbao_reader(path):
    from nianbao.extract.attachments import read_attachment
    return read_attachment(Path(path).read_bytes(), Path(path).name)


def per_page(fn, path, pages, repeat):
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn(path)
        best = min(best, time.perf_counter() - t0)
    return best / pages


def cid_font_check() -> None:
    import pdfplumber
    import pymupdf
    font = subprocess.run(["fc-match", "-f", "%{file}", "WenQuanYi Zen Hei"],
                          capture_output=True, text=True).stdout
    if not font.endswith((".ttc", ".ttf")):
        print("(fonts-wqy-zenhei missing: CID font check skipped)")
        return
    with tempfile.TemporaryDirectory() as tmp:
        doc = pymupdf.open()
        page = doc.new_page()
        page.insert_font(fontname="F0", fontfile=font)
        page.insert_text((50, 80), TITLE, fontname="F0", fontsize=16)
        for x in range(1, doc.xref_length()):
            if doc.xref_get_key(x, "ToUnicode")[0] != "null":
                doc.xref_set_key(x, "ToUnicode", "null")
        path = Path(tmp) / "cid.pdf"
        doc.save(path)
        a = re.sub(r"\s", "", pdfplumber.open(path).pages[0].extract_text() or "")
        b = re.sub(r"\s", "", pymupdf.open(path)[0].get_text())
    print("\nCID font (Identity-H) without ToUnicode, expected", TITLE)
    print(f"  pdfplumber: {a!r:40} {'OK' if a == TITLE else 'WRONG'}")
    print(f"  pymupdf   : {b!r:40} {'OK' if b == TITLE else 'WRONG'}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-ocr", action="store_true")
    a = ap.parse_args()
    import pymupdf
    if hasattr(pymupdf, "no_recommend_layout"):
        pymupdf.no_recommend_layout()
    import pdfplumber
    print(f"pdfplumber {pdfplumber.__version__}, PyMuPDF {pymupdf.VersionBind}")
    print(f"{'file':22} {'pages':>5} {'plumber txt':>12} {'mupdf txt':>10} {'plumber tbl':>12} "
          f"{'mupdf tbl':>10} {'nianbao':>8}   (s/page, best of {a.repeat})")
    totals = {k: 0.0 for k in ("pt", "mt", "pb", "mb", "nb")}
    npages = 0
    for name in FILES:
        path = FIX / name
        with pymupdf.open(path) as d:
            pages = d.page_count
        row = {
            "pt": per_page(pdfplumber_text, path, pages, a.repeat),
            "mt": per_page(pymupdf_text, path, pages, a.repeat),
            "pb": per_page(pdfplumber_tables, path, pages, a.repeat),
            "mb": per_page(pymupdf_tables, path, pages, a.repeat),
            "nb": per_page(nianbao_reader, path, pages, a.repeat),
        }
        for k, v in row.items():
            totals[k] += v * pages
        npages += pages
        print(f"{name:22} {pages:5d} {row['pt']:12.4f} {row['mt']:10.4f} {row['pb']:12.4f} "
              f"{row['mb']:10.4f} {row['nb']:8.4f}")
    t = {k: v / npages for k, v in totals.items()}
    print(f"{'ALL':22} {npages:5d} {t['pt']:12.4f} {t['mt']:10.4f} {t['pb']:12.4f} {t['mb']:10.4f} {t['nb']:8.4f}")
    print(f"pdfplumber / PyMuPDF: text {t['pt'] / t['mt']:.1f}x, text+tables {t['pb'] / t['mb']:.1f}x slower")
    cid_font_check()
    if not a.no_ocr:
        from nianbao.extract.attachments import read_attachment
        from nianbao.extract.attachments_ocr import OCR_DPI
        scan = FIX / "scanned2018.pdf"
        t0 = time.perf_counter()
        doc = read_attachment(scan.read_bytes(), scan.name)
        dt = time.perf_counter() - t0
        print(f"\nOCR (pdftoppm {OCR_DPI} dpi + tesseract chi_sim+eng, table rebuild): "
              f"{dt / doc.pages:.2f} s/page over {doc.pages} pages, "
              f"grid {len(doc.grids[0].cells) if doc.grids else 0} rows")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
