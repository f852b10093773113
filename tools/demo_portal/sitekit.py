"""Helpers shared by the portal generators: the Site collector, seed parsing,
attachments (xlsx/docx/pdf) and narrative text for synthetic reports."""
from __future__ import annotations

import io
import json
import random
import re
import shutil
from pathlib import Path
from typing import Any, Collection

from tools.demo_portal import forms
from tools.demo_portal.forms import esc

SEEDS_DIR = Path(__file__).resolve().parent / "seeds"
UNITS = {"条", "件", "次", "篇", "万元", "个", "人", "人次", "——", "—", "项", "元"}


def remove_all_but(folder: Path, keep: Collection[str] = ()) -> None:
    """Delete every file under `folder` but the `keep` ones (paths relative to it), then
    the folders left empty; with nothing to keep, the folder itself."""
    if not folder.exists():
        return
    if not keep:
        shutil.rmtree(folder)
        return
    for f in sorted(folder.rglob("*"), key=lambda f: -len(f.parts)):  # a folder's files before the folder
        if f.is_dir() and not f.is_symlink():
            if not any(f.iterdir()):
                f.rmdir()
        elif f.relative_to(folder).as_posix() not in keep:
            f.unlink()


class Site:
    """Collects files + manifest facts, then writes ``site/``, ``quirks.json`` and ``manifest.json``."""

    def __init__(self, name: str, description: str) -> None:
        self.name = name
        self.description = description
        self.files: dict[str, bytes] = {}
        self.pages: list[dict[str, Any]] = []
        self.quirks: dict[str, dict[str, Any]] = {}
        self.columns: list[dict[str, Any]] = []
        self.robots_disallow: list[str] = []
        self.offsite_links: set[str] = set()

    def add(self, path: str, data: bytes | str, encoding: str = "utf-8", **facts: Any) -> None:
        assert path.startswith("/"), path
        if isinstance(data, str):
            data = data.encode(encoding, errors="xmlcharrefreplace")
        assert path not in self.files, f"duplicate {path}"
        self.files[path] = data
        if facts:
            facts = {"path": path, **facts}
            if encoding != "utf-8":
                facts.setdefault("charset", encoding)
            self.pages.append(facts)

    def fact(self, **facts: Any) -> None:
        """A manifest entry without a file (e.g. a 404 link)."""
        self.pages.append(facts)

    def write(self, root: Path, keep: Collection[str] = ()) -> None:
        """Replace ``root/site`` and ``root/manifest.json``; `keep`: files under site/
        (paths relative to it, e.g. captured pages) left as they are, not even rewritten."""
        site = root / "site"
        remove_all_but(site, keep)
        for path, data in sorted(self.files.items()):
            if path.lstrip("/") in keep:
                continue
            f = site / path.lstrip("/")
            f.parent.mkdir(parents=True, exist_ok=True)
            f.write_bytes(data)
        (site / "quirks.json").write_text(json.dumps(self.quirks, ensure_ascii=False, indent=1) + "\n", "utf-8")
        manifest = {
            "portal": self.name,
            "description": self.description,
            "columns": self.columns,
            "robots_disallow": self.robots_disallow,
            "offsite_links": sorted(self.offsite_links),
            "quirks": self.quirks,
            "pages": sorted(self.pages, key=lambda p: p["path"]),
        }
        (root / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", "utf-8")


# ---------------------------------------------------------------- seeds
def seed_text(n: int) -> str:
    (f,) = SEEDS_DIR.glob(f"{n:03d}_*.txt")
    return f.read_text("utf-8")


def parse_cells_000(lines: list[str]) -> list[tuple[str, str, str]]:
    """Tab-indented, one cell per line, rows separated by blank lines."""
    rows, cur = [], []
    for line in lines + [""]:
        if line.startswith("\t"):
            cur.append(line[1:].rstrip())
        elif cur:
            rows.append(tuple((cur + ["", "", ""])[:3]))
            cur = []
    return rows


def parse_cells_002(lines: list[str]) -> list[tuple[str, str, str]]:
    cells = [l[:-1].strip() if l.endswith("|") else l.strip() for l in lines if l.rstrip().endswith("|")]
    return [tuple(cells[i : i + 3]) for i in range(0, len(cells) - 2, 3)]


def parse_cells_004(lines: list[str]) -> list[tuple[str, str, str]]:
    """Cells separated by empty lines; the unit cell is often missing."""
    cells = [l.rstrip("\n") for l in lines if l != ""]
    rows = []
    i = 0
    while i < len(cells):
        label = cells[i].strip()
        unit = ""
        if i + 1 < len(cells) and cells[i + 1].strip() in UNITS:
            unit = cells[i + 1].strip()
            i += 1
        value = cells[i + 1].strip().replace("\xa0", "") if i + 1 < len(cells) else ""
        rows.append((label, unit, value))
        i += 2
    return rows


def paragraphs(text: str) -> list[str]:
    return [p.strip().replace("\u3000", "") for p in text.splitlines() if p.strip()]


def paras_html(paras: list[str], word: bool = False, indent: bool = True) -> str:
    out = []
    for p in paras:
        if word:
            out.append(
                '<p class="MsoNormal" style="text-indent:32.0pt;line-height:28.0pt;mso-line-height-rule:exactly">'
                f'<span style="font-size:16.0pt;font-family:仿宋_GB2312;mso-hansi-font-family:宋体">{esc(p)}</span>'
                '<span lang="EN-US" style="font-size:16.0pt">&nbsp;</span></p>'
            )
        else:
            style = ' style="text-indent:2em;"' if indent else ""
            out.append(f"<p{style}>{esc(p)}</p>")
    return "\n".join(out)


# ---------------------------------------------------------------- attachments
def make_pdf(lines: list[str]) -> bytes:
    """A minimal valid one-page PDF with ASCII text (placeholder attachment)."""
    text = "BT /F1 12 Tf 72 760 Td 16 TL " + " ".join(
        "(" + l.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ") '" for l in lines
    ) + " ET"
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(text) + text.encode("latin-1") + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, o in enumerate(objs, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % i + o + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref))
    return out.getvalue()


def make_xlsx(title: str, rows: list[list[Any]]) -> bytes:
    """A real .xlsx (openpyxl, build time only)."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "统计表"
    ws.append([title])
    for r in rows:
        ws.append(r)
    bio = io.BytesIO()
    wb.properties.creator = "nianbao demo portal"
    wb.save(bio)
    return _zip_fixed_dates(bio.getvalue())


def make_docx(title: str, paras: list[str], table: list[list[str]] | None = None) -> bytes:
    """A real .docx (python-docx, build time only)."""
    import docx

    d = docx.Document()
    d.core_properties.author = "nianbao demo portal"
    d.add_heading(title, level=1)
    for p in paras:
        d.add_paragraph(p)
    if table:
        t = d.add_table(rows=len(table), cols=len(table[0]))
        for i, row in enumerate(table):
            for j, v in enumerate(row):
                t.cell(i, j).text = str(v)
    bio = io.BytesIO()
    d.save(bio)
    return _zip_fixed_dates(bio.getvalue())


def _zip_fixed_dates(data: bytes) -> bytes:
    """Rewrite a zip with fixed timestamps so regenerating the site is byte-stable."""
    import zipfile

    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            payload = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                payload = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", b"2021-01-01T00:00:00Z", payload)
            zi = zipfile.ZipInfo(info.filename, date_time=(2021, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(zi, payload)
    return out.getvalue()


def modern_table_rows(m: dict[str, Any], template: str) -> list[list[Any]]:
    """Table 三 as spreadsheet rows (for the xlsx attachment)."""
    rows = [["", "自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"]]
    cols = forms.APPLICANTS + ["total"]
    rows.append(["一、本年新收政府信息公开申请数量"] + [m[f"requests.new.{a}"] for a in cols])
    rows.append(["二、上年结转政府信息公开申请数量"] + [m[f"requests.carried_in.{a}"] for a in cols])
    for code, group, label in forms.RESULT_ROWS[template]:
        rows.append([(group or "") + label] + [m[f"requests.result.{code}.{a}"] for a in cols])
    rows.append(["（七）总计"] + [m[f"requests.result.total.{a}"] for a in cols])
    rows.append(["四、结转下年度继续办理"] + [m[f"requests.carried_out.{a}"] for a in cols])
    return rows


# ---------------------------------------------------------------- synthetic report text
def modern_report_html(body: str, year: int, template: str, m: dict[str, Any], rng: random.Random, short: str) -> str:
    """A faithful gk2019/gk2021 report: 一 总体情况 ... 六 其他需要报告的事项."""
    doc_no = "国办公开办函〔2019〕60号" if template == "gk2019" else "国办公开办函〔2021〕30号"
    new, ci = m["requests.new.total"], m["requests.carried_in.total"]
    done, co = m["requests.result.total.total"], m["requests.carried_out.total"]
    disclosed = m["requests.result.disclosed.total"]
    proactive = rng.randint(800, 6000)
    review_total = m["review.total"]
    lit_total = m["litigation_direct.total"] + m["litigation_after_review.total"]
    if template == "gk2019":
        docs = m["art20_1.normative_docs.published"]
    else:
        docs = m["art20_1.normative_docs.issued"]
    parts = [
        f'<p style="text-indent:2em;">本报告根据《中华人民共和国政府信息公开条例》（以下简称《条例》）和《国务院办公厅政府信息与政务公开办公室关于印发〈中华人民共和国政府信息公开工作年度报告格式〉的通知》（{doc_no}）要求编制。全文包括总体情况、主动公开政府信息情况、收到和处理政府信息公开申请情况、政府信息公开行政复议和行政诉讼情况、存在的主要问题及改进情况、其他需要报告的事项。本报告所列数据的统计期限自{year}年1月1日起至{year}年12月31日止。本报告电子版可在{short}门户网站（www.hengyang.gov.cn）下载。如对本报告有疑问，请与{body}政务公开办公室联系（地址：衡阳市华新开发区；电话：0734-88{rng.randint(10000,99999)}）。</p>',
        "<p><strong>一、总体情况</strong></p>",
        f'<p style="text-indent:2em;">{year}年，{body}深入贯彻落实党中央、国务院关于全面推进政务公开工作的决策部署，严格执行《条例》，坚持以公开为常态、不公开为例外，持续推进决策、执行、管理、服务、结果公开，以公开促落实、强监管、优服务。</p>',
        f'<p style="text-indent:2em;">（一）主动公开。全年通过门户网站主动公开政府信息{proactive}条，其中发布规范性文件{docs}件，政策解读{rng.randint(10, 80)}篇，回应社会关切{rng.randint(5, 40)}次。</p>',
        f'<p style="text-indent:2em;">（二）依申请公开。全年新收政府信息公开申请{new}件，上年结转{ci}件，办结{done}件，其中予以公开{disclosed}件，结转下年度继续办理{co}件。</p>',
        '<p style="text-indent:2em;">（三）政府信息管理。严格落实信息发布“三审三校”制度，动态调整主动公开基本目录，对规范性文件进行清理并及时公布清理结果。</p>',
        '<p style="text-indent:2em;">（四）平台建设。持续优化政府信息公开专栏，整合政务新媒体，推进政务服务“一网通办”，加强政府网站安全防护。</p>',
        '<p style="text-indent:2em;">（五）监督保障。将政务公开工作纳入年度绩效考核，组织业务培训，开展政府网站和政务新媒体季度检查。</p>',
        "<p><strong>二、主动公开政府信息情况</strong></p>",
        forms.table2_html(m, template),
        "<p><strong>三、收到和处理政府信息公开申请情况</strong></p>",
        forms.table3_html(m, template),
        "<p><strong>四、政府信息公开行政复议、行政诉讼情况</strong></p>",
        forms.table4_html(m),
        "<p><strong>五、存在的主要问题及改进情况</strong></p>",
        f'<p style="text-indent:2em;">{year}年，{body}政府信息公开工作取得了一定成效，但仍存在政策解读形式较为单一、基层政务公开标准化规范化有待加强等问题。全年因政府信息公开引起的行政复议{review_total}件、行政诉讼{lit_total}件。下一步，将进一步丰富解读形式，加强业务培训，提升公开质量。</p>',
        "<p><strong>六、其他需要报告的事项</strong></p>",
        f'<p style="text-indent:2em;">{"本年度未收取信息处理费。" if template == "gk2021" else "本年度无其他需要报告的事项。"}</p>',
    ]
    return "\n".join(parts)


def gk2008_report_html(body: str, year: int, rows: list[tuple[str, str, str]], style: str = "rowspan") -> str:
    m = forms.gk2008_metrics(rows)
    parts = [
        f'<p style="text-indent:2em;">根据《中华人民共和国政府信息公开条例》（以下简称《条例》）规定，特向社会公布{year}年度{body}政府信息公开工作年度报告。本报告由概述、主动公开政府信息情况、依申请公开政府信息情况、政府信息公开的收费及减免情况、因政府信息公开申请行政复议和提起行政诉讼情况、存在的主要问题及改进措施、附表组成。本报告中所列数据的统计期限自{year}年1月1日起至{year}年12月31日止。</p>',
        "<p><strong>一、概述</strong></p>",
        f'<p style="text-indent:2em;">{year}年，{body}认真贯彻落实《条例》，进一步健全政府信息公开工作机制，加强政府信息公开平台建设，全年主动公开政府信息{m["old.proactive.total"]}条。</p>',
        "<p><strong>二、依申请公开政府信息情况</strong></p>",
        f'<p style="text-indent:2em;">全年共收到政府信息公开申请{m["old.requests.received"]}件，其中当面申请{m["old.requests.received_in_person"]}件，网络申请{m["old.requests.received_online"]}件，信函申请{m["old.requests.received_letter"]}件，均已按时办结。</p>',
        "<p><strong>三、行政复议和行政诉讼情况</strong></p>",
        f'<p style="text-indent:2em;">全年因政府信息公开被申请行政复议{m["old.review.total"]}件，被提起行政诉讼{m["old.litigation.total"]}件。</p>',
        "<p><strong>四、存在的主要问题及改进措施</strong></p>",
        '<p style="text-indent:2em;">主要问题是部分单位信息更新不够及时、政策解读不够深入。下一步将加强督促检查，提高公开质量。</p>',
        f"<p>附表：{esc(body)}{year}年政府信息公开情况统计表</p>",
        forms.gk2008_html(rows, style),
    ]
    return "\n".join(parts)
