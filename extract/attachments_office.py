"""Office attachments: DOCX (python-docx), XLSX/XLS/ET (python-calamine), and
DOC/WPS/ET/RTF through LibreOffice headless.

- DOCX: paragraphs and tables in document order (content controls included);
  python-docx's cell grid already repeats a merged cell over its gridSpan and vMerge
  range, which is exactly the Grid convention.  Table rows also go into the text,
  cells separated by tabs (consecutive repeats of a merged cell written once).
- XLSX/XLS: python-calamine (Rust, reads both formats, ~10x faster than openpyxl and
  no XML parser of its own to attack); every non-empty sheet is one Grid, merged
  ranges filled with the top-left value, whole numbers written without ``.0``.
- DOC/WPS (and ET that calamine cannot read): ``soffice --headless --convert-to
  docx|xlsx`` in a private temporary directory with a private user profile
  (``-env:UserInstallation``) so concurrent conversions never share a lock, under a
  timeout, its process group killed on expiry; then read as DOCX/XLSX.  The same
  path takes RTF or HTML files that portals serve under a .doc name.
"""
from __future__ import annotations

import datetime as _dt
import io
import os
import shutil
import signal
import subprocess
import tempfile

from .attachments import (AttachmentDocument, AttachmentError, CONVERT_TIMEOUT,
                          check_zip_container)
from .model import Grid


def _cell_text(s) -> str:
    return " ".join(str(s).split()) if s is not None else ""


def _row_text(row: list[str]) -> str:
    out: list[str] = []
    for c in row:
        if out and c == out[-1] and c:
            continue
        out.append(c)
    return "\t".join(out).rstrip("\t")


# --- DOCX -------------------------------------------------------------------------

def read_docx(data: bytes, kind: str = "docx") -> AttachmentDocument:
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    try:
        document = docx.Document(io.BytesIO(data))
    except PackageNotFoundError:
        raise AttachmentError("corrupt DOCX: not a Word package") from None
    except KeyError as e:
        raise AttachmentError(f"corrupt DOCX: missing part {e}") from None
    lines: list[str] = []
    grids: list[Grid] = []
    _walk_block(document.element.body, document, lines, grids)
    return AttachmentDocument(kind=kind, text="\n".join(lines), grids=grids)


def _walk_block(element, parent, lines: list[str], grids: list[Grid]) -> None:
    from docx.table import Table
    from docx.text.paragraph import Paragraph
    for child in element.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            lines.append(Paragraph(child, parent).text)
        elif tag == "tbl":
            table = Table(child, parent)
            cells = _docx_table_cells(table)
            if cells:
                grids.append(Grid(cells=cells, origin="docx", index=len(grids)))
                lines.extend(_row_text(r) for r in cells)
        elif tag in ("sdt", "sdtContent", "customXml", "ins", "smartTag"):
            _walk_block(child, parent, lines, grids)


def _docx_table_cells(table) -> list[list[str]]:
    rows: list[list[str]] = []
    try:
        for row in table.rows:
            rows.append([_cell_text(_docx_cell_text(c)) for c in row.cells])
    except (IndexError, ValueError):
        # malformed span bookkeeping: fall back to the raw cells of each row
        rows = [[_cell_text(_docx_cell_text(c)) for c in _raw_cells(tr, table)] for tr in table._tbl.tr_lst]
    if not rows:
        return []
    width = max(len(r) for r in rows)
    return [r + [""] * (width - len(r)) for r in rows]


def _docx_cell_text(cell) -> str:
    parts = [p.text for p in cell.paragraphs]
    for t in cell.tables:   # nested tables: keep their text
        for row in t.rows:
            parts.append(" ".join(_docx_cell_text(c) for c in row.cells))
    return "\n".join(parts)


def _raw_cells(tr, table):
    from docx.table import _Cell
    return [_Cell(tc, table) for tc in tr.tc_lst]


# --- spreadsheets -----------------------------------------------------------------

def _value_text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float):
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        return repr(v)
    if isinstance(v, (_dt.datetime, _dt.date, _dt.time)):
        return v.isoformat()
    if isinstance(v, _dt.timedelta):
        return str(v)
    return _cell_text(v)


def read_spreadsheet(data: bytes, kind: str) -> AttachmentDocument:
    import python_calamine as pc
    try:
        wb = pc.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as e:  # noqa: BLE001 - calamine raises its own error types
        msg = str(e).splitlines()[0] if str(e) else type(e).__name__
        if "password" in msg.lower() or "encrypt" in msg.lower():
            raise AttachmentError(f"encrypted {kind.upper()} (needs a password)") from None
        raise AttachmentError(f"corrupt {kind.upper()}: {msg}") from None
    grids: list[Grid] = []
    lines: list[str] = []
    warns: list[str] = []
    for i, name in enumerate(wb.sheet_names):
        try:
            sheet = wb.get_sheet_by_index(i)
            rows = sheet.to_python(skip_empty_area=False)
        except Exception as e:  # noqa: BLE001 - chart sheets, odd sheets
            warns.append(f"sheet {name!r} not read: {str(e).splitlines()[0] if str(e) else type(e).__name__}")
            continue
        cells = [[_value_text(v) for v in r] for r in rows]
        try:
            merged = sheet.merged_cell_ranges or []
        except Exception:  # noqa: BLE001 - not available for every format
            merged = []
        width = max((len(r) for r in cells), default=0)
        for (r0, c0), (r1, c1) in merged:
            width = max(width, c1 + 1)
            while len(cells) <= r1:
                cells.append([])
        cells = [r + [""] * (width - len(r)) for r in cells]
        for (r0, c0), (r1, c1) in merged:
            v = cells[r0][c0]
            for r in range(r0, r1 + 1):
                for c in range(c0, c1 + 1):
                    cells[r][c] = v
        cells = _trim(cells)
        if not cells:
            continue
        grids.append(Grid(cells=cells, origin=kind if kind in ("xlsx", "xls") else "xls", index=len(grids)))
        lines.append(f"[{name}]" if len(wb.sheet_names) > 1 else "")
        lines.extend(_row_text(r) for r in cells)
    text = "\n".join(lines).strip("\n")
    return AttachmentDocument(kind=kind, text=text, grids=grids, warnings=warns)


def _trim(cells: list[list[str]]) -> list[list[str]]:
    while cells and not any(cells[-1]):
        cells.pop()
    while cells and not any(cells[0]):
        cells.pop(0)
    if not cells:
        return []
    width = len(cells[0])
    used = [c for c in range(width) if any(r[c] for r in cells)]
    if not used:
        return []
    lo, hi = used[0], used[-1] + 1
    return [r[lo:hi] for r in cells]


def read_xlsx(data: bytes) -> AttachmentDocument:
    return read_spreadsheet(data, "xlsx")


def read_xls(data: bytes, kind: str = "xls") -> AttachmentDocument:
    try:
        return read_spreadsheet(data, kind)
    except AttachmentError as first:
        if "encrypted" in str(first):
            raise
        # Kingsoft ET variants calamine does not know: let LibreOffice convert
        try:
            converted = convert_with_libreoffice(data, "xls", "xlsx")
        except AttachmentError:
            raise first from None
        check_zip_container(converted)
        doc = read_spreadsheet(converted, "xlsx")
        doc.kind = kind
        doc.warnings.append("read after LibreOffice conversion to XLSX")
        return doc


# --- LibreOffice ------------------------------------------------------------------

def read_word_binary(data: bytes, kind: str) -> AttachmentDocument:
    """DOC, WPS, and RTF/HTML served as .doc: LibreOffice → DOCX → read_docx."""
    src_ext = {"doc": "doc", "wps": "doc", "rtf": "rtf", "html": "html"}[kind]
    converted = convert_with_libreoffice(data, src_ext, "docx")
    check_zip_container(converted)
    doc = read_docx(converted, kind="doc" if kind in ("rtf", "html") else kind)
    if kind in ("rtf", "html"):
        doc.warnings.append(f"Word-named file is really {kind.upper()}")
    return doc


def soffice_binary() -> str:
    for name in ("soffice", "libreoffice"):
        path = shutil.which(name)
        if path:
            return path
    for path in ("/usr/lib/libreoffice/program/soffice", "/opt/libreoffice/program/soffice"):
        if os.path.exists(path):
            return path
    raise AttachmentError("LibreOffice (soffice) is not installed: cannot read DOC/WPS/ET")


_FILTERS = {"docx": "docx:MS Word 2007 XML", "xlsx": "xlsx:Calc MS Excel 2007 XML"}


def convert_with_libreoffice(data: bytes, src_ext: str, target: str,
                             timeout: float = CONVERT_TIMEOUT) -> bytes:
    """Convert with a private LibreOffice instance; returns the converted bytes.

    The source is written as ``input.<src_ext>`` (WPS as .doc: LibreOffice would take
    a .wps name for Microsoft Works).  The profile directory is private to this call.
    """
    soffice = soffice_binary()
    with tempfile.TemporaryDirectory(prefix="nianbao-lo-") as tmp:
        src = os.path.join(tmp, f"input.{src_ext}")
        outdir = os.path.join(tmp, "out")
        profile = os.path.join(tmp, "profile")
        os.mkdir(outdir)
        with open(src, "wb") as fh:
            fh.write(data)
        cmd = [soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
               "--nolockcheck", "--nodefault", "--nologo",
               "--convert-to", _FILTERS[target], "--outdir", outdir, src]
        env = dict(os.environ, HOME=tmp, SAL_USE_VCLPLUGIN="svp")
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp,
                                env=env, start_new_session=True)
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.communicate()
            raise AttachmentError(f"timeout: LibreOffice took more than {timeout:.0f} s "
                                  f"converting {src_ext.upper()}") from None
        result = os.path.join(outdir, f"input.{target}")
        if not os.path.exists(result) or os.path.getsize(result) == 0:
            msg = (err or out).decode("utf-8", "replace").strip().splitlines()
            detail = msg[-1] if msg else f"exit {proc.returncode}"
            raise AttachmentError(f"LibreOffice could not convert the {src_ext.upper()}: {detail}")
        with open(result, "rb") as fh:
            return fh.read()
