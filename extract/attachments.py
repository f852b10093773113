"""Read reports published as attachments: PDF, DOC, DOCX, WPS, XLS, XLSX, ET, TXT.

Public API
----------
``read_attachment(data, filename=None, content_type=None) -> AttachmentDocument``
    Detects the type (magic bytes first, then content type, then file extension),
    refuses hostile input before parsing (size, zip bomb, XML entity declarations) and
    returns the text and every table as a :class:`~nianbao.extract.model.Grid`.
    Runs the parsers in this process (LibreOffice, pdftoppm and Tesseract are separate
    processes anyway, each under a timeout).

``read_attachment_safely(data, filename=None, content_type=None, timeout=..., memory_limit=...)``
    The same, but the parsing runs in a child Python process with an address-space
    limit (RLIMIT_AS) and a wall-clock timeout, so a parser that hangs or blows up on a
    hostile file becomes an :class:`AttachmentError` instead of a stuck or killed
    crawler.  This is what the pipeline should call.

``read_attachment_path(path, filename=None, content_type=None, safely=True)``
    For a file on disk: checks its size before reading a byte of it.

``check_attachment_size(n)`` / ``MAX_ATTACHMENT_BYTES``
    For the crawler, which streams large downloads to disk: call it with the
    Content-Length (or the running byte count) and stop downloading when it raises.

Every failure is an ``AttachmentError`` whose message is one human-readable line.
These readers never compute metrics: the statistics stage
(``nianbao.extract.statistics.extract_statistics(html, text, grids)``) reads the grids.

Library choices (details and figures in the helper modules and bench/bench_pdf.py):
PDF with pdfplumber/pdfminer.six (it rebuilds Unicode for CID fonts without a
ToUnicode map from the embedded TrueType cmap, where PyMuPDF and pdfium silently return
wrong ideographs); DOCX with python-docx; XLS/XLSX with python-calamine (+ its merged
ranges); DOC/WPS/ET/RTF through LibreOffice headless; scans with pdftoppm + Tesseract
chi_sim.
"""
from __future__ import annotations

import io
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field, asdict
from pathlib import PurePosixPath

try:  # installed as nianbao.extract
    from .model import Grid
except ImportError:  # pragma: no cover - run as a loose script
    from model import Grid  # type: ignore

# --- limits -----------------------------------------------------------------------

MAX_ATTACHMENT_BYTES = 50 * 1024 * 1024        # a 年度报告 attachment is rarely > 20 MB
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024     # sum of a ZIP container's members
MAX_MEMBER_RATIO = 200                         # uncompressed/compressed per ZIP member
MAX_ZIP_MEMBERS = 5000
MAX_XML_SCAN_BYTES = 64 * 1024 * 1024          # XML bytes scanned for DTD declarations
MAX_PDF_PAGES = 300                            # pages read; the rest is dropped with a warning
MAX_OCR_PAGES = 30                             # ~5.5 s a page: fits DEFAULT_TIMEOUT
DEFAULT_TIMEOUT = 240.0                        # seconds, whole document, read_attachment_safely
DEFAULT_MEMORY_LIMIT = 3 * 1024 ** 3           # bytes of address space for the child process
CONVERT_TIMEOUT = 120.0                        # one LibreOffice conversion

KINDS = ("pdf", "docx", "doc", "wps", "xlsx", "xls", "et", "txt")


class AttachmentError(Exception):
    """An attachment that cannot be read; str() is one human-readable line."""

    def __init__(self, message: str):
        message = " ".join(str(message).split()) or "unreadable attachment"
        super().__init__(message[:300])


@dataclass
class AttachmentDocument:
    kind: str                       # one of KINDS
    text: str
    grids: list[Grid] = field(default_factory=list)
    pages: int | None = None        # PDF pages (None for other kinds)
    ocr: bool = False               # text (or part of it) came from OCR
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "AttachmentDocument":
        grids = [Grid(**g) for g in d.get("grids", [])]
        return cls(kind=d["kind"], text=d["text"], grids=grids, pages=d.get("pages"),
                   ocr=d.get("ocr", False), warnings=list(d.get("warnings", [])))


def check_attachment_size(size: int) -> None:
    """Raise AttachmentError if an attachment of `size` bytes is too big (or empty)."""
    if size <= 0:
        raise AttachmentError("empty file (0 bytes)")
    if size > MAX_ATTACHMENT_BYTES:
        raise AttachmentError(
            f"file too big: {size / 1048576:.1f} MB > limit {MAX_ATTACHMENT_BYTES / 1048576:.0f} MB")


# --- type detection ----------------------------------------------------------------

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"

CONTENT_TYPES = {
    "application/pdf": "pdf",
    "application/x-pdf": "pdf",
    "application/msword": "doc",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.ms-excel": "xls",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/kswps": "wps", "application/wps-office.wps": "wps", "application/vnd.ms-works": "wps",
    "application/kset": "et", "application/wps-office.et": "et",
    "application/rtf": "doc", "text/rtf": "doc",
    "text/plain": "txt",
}
EXTENSIONS = {".pdf": "pdf", ".doc": "doc", ".docx": "docx", ".wps": "wps", ".xls": "xls",
              ".xlsx": "xlsx", ".et": "et", ".txt": "txt", ".rtf": "doc", ".wpt": "wps",
              ".dot": "doc", ".dotx": "docx", ".xlsm": "xlsx", ".ett": "et"}


def _ext(filename: str | None) -> str:
    if not filename:
        return ""
    name = filename.split("?")[0].split("#")[0]
    return PurePosixPath(name.replace("\\", "/")).suffix.lower()


def _hinted_kind(filename: str | None, content_type: str | None) -> str | None:
    if content_type:
        ct = content_type.split(";")[0].strip().lower()
        if ct in CONTENT_TYPES:
            return CONTENT_TYPES[ct]
    return EXTENSIONS.get(_ext(filename))


def detect_kind(data: bytes, filename: str | None = None, content_type: str | None = None) -> str:
    """The attachment kind, from magic bytes, then content type, then extension.

    Returns one of KINDS, or the internal kinds "rtf" / "html" (a Word-named file that
    is really RTF or HTML, as some portals serve; read through LibreOffice as "doc").
    """
    if not data:
        raise AttachmentError("empty file (0 bytes)")
    hint = _hinted_kind(filename, content_type)
    head = data[:1024]
    if b"%PDF-" in head:
        return "pdf"
    if data.startswith(OLE_MAGIC):
        return _ole_kind(data, hint)
    if data.startswith(ZIP_MAGIC):
        return _zip_kind(data, hint)
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"{\\rtf"):
        return "rtf"
    low = stripped[:200].lower()
    if hint in ("doc", "wps") and (low.startswith(b"<html") or low.startswith(b"<!doctype html")
                                   or b"mime-version" in low):
        return "html"
    if hint in ("pdf", "doc", "docx", "wps", "xls", "xlsx", "et"):
        raise AttachmentError(f"not a {hint.upper()} file: unknown content starting {data[:8]!r}")
    if _looks_like_text(data):
        return "txt"
    raise AttachmentError(f"unsupported attachment type (starts {data[:8]!r})")


def _ole_kind(data: bytes, hint: str | None) -> str:
    import olefile
    try:
        ole = olefile.OleFileIO(io.BytesIO(data))
        names = {"/".join(e).lower() for e in ole.listdir(streams=True, storages=True)}
        ole.close()
    except Exception as e:  # noqa: BLE001 - olefile raises many kinds
        raise AttachmentError(f"corrupt OLE2 (DOC/XLS/WPS/ET) file: {e}") from None
    if "encryptedpackage" in names or "encryptioninfo" in names:
        raise AttachmentError("encrypted Office document (needs a password)")
    if "worddocument" in names:
        return "wps" if hint == "wps" else "doc"
    if "workbook" in names or "book" in names:
        return "et" if hint == "et" else "xls"
    if hint in ("wps", "et", "doc", "xls"):
        # Kingsoft's own pre-2005 formats have other stream names; let LibreOffice try.
        return hint
    raise AttachmentError("OLE2 compound file with neither a Word nor an Excel stream")


def _zip_kind(data: bytes, hint: str | None) -> str:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        names = set(zf.namelist())
        ct = b""
        if "[Content_Types].xml" in names:
            info = zf.getinfo("[Content_Types].xml")
            if info.file_size < 1024 * 1024:
                ct = zf.read(info)
    except (zipfile.BadZipFile, OSError, RuntimeError, ValueError) as e:
        raise AttachmentError(f"corrupt ZIP (DOCX/XLSX) file: {e}") from None
    if b"wordprocessingml" in ct or "word/document.xml" in names:
        return "docx"
    if b"spreadsheetml" in ct or "xl/workbook.xml" in names:
        return "xlsx"
    raise AttachmentError("ZIP archive that is neither a DOCX nor an XLSX document")


def _looks_like_text(data: bytes) -> bool:
    sample = data[:65536]
    if b"\x00" in sample and not (sample.startswith(b"\xff\xfe") or sample.startswith(b"\xfe\xff")):
        return False
    return _decode_text(sample, strict=True) is not None


def _decode_text(data: bytes, strict: bool = False) -> str | None:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", "replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", "replace")
    for enc in ("utf-8", "gb18030"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError as e:
            # a sample may cut a multibyte character at its end
            if strict and e.start >= len(data) - 4:
                return data[:e.start].decode(enc, "replace")
    if strict:
        return None
    return data.decode("gb18030", "replace")


# --- container safety checks ------------------------------------------------------

_DTD_PATTERNS = [p.encode(enc) for p in ("<!DOCTYPE", "<!ENTITY", "<!doctype", "<!entity")
                 for enc in ("ascii", "utf-16-le", "utf-16-be")]


def check_zip_container(data: bytes) -> None:
    """Refuse zip bombs and XML with DTDs (entity bombs, external entities) in a ZIP.

    Looks only at the central directory and streams each XML part in chunks, so it
    never holds a decompressed bomb in memory.
    """
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, RuntimeError, ValueError) as e:
        raise AttachmentError(f"corrupt ZIP (DOCX/XLSX) file: {e}") from None
    if len(infos) > MAX_ZIP_MEMBERS:
        raise AttachmentError(f"ZIP with too many members ({len(infos)})")
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > 1024 * 1024 and info.file_size > MAX_MEMBER_RATIO * max(info.compress_size, 1):
            raise AttachmentError(
                f"zip bomb: {info.filename} expands {info.file_size // max(info.compress_size, 1)}x "
                f"to {info.file_size / 1048576:.0f} MB")
        if info.flag_bits & 0x1:
            raise AttachmentError("encrypted ZIP member in Office document")
    if total > MAX_UNCOMPRESSED_BYTES:
        raise AttachmentError(f"zip bomb: members expand to {total / 1048576:.0f} MB "
                              f"> limit {MAX_UNCOMPRESSED_BYTES / 1048576:.0f} MB")
    scanned = 0
    for info in infos:
        name = info.filename.lower()
        if not (name.endswith(".xml") or name.endswith(".rels") or name.endswith(".vml")):
            continue
        try:
            with zf.open(info) as fh:
                tail = b""
                while True:
                    chunk = fh.read(1 << 16)
                    if not chunk:
                        break
                    scanned += len(chunk)
                    if scanned > MAX_XML_SCAN_BYTES:
                        raise AttachmentError("zip bomb: XML parts larger than the scan limit")
                    buf = tail + chunk
                    for pat in _DTD_PATTERNS:
                        if pat in buf:
                            raise AttachmentError(
                                f"XML with DTD/entity declarations in {info.filename} (entity bomb?)")
                    tail = buf[-24:]
        except AttachmentError:
            raise
        except (zipfile.BadZipFile, OSError, RuntimeError, ValueError, EOFError) as e:
            raise AttachmentError(f"corrupt ZIP member {info.filename}: {e}") from None


# --- reading ----------------------------------------------------------------------

def read_attachment(data: bytes, filename: str | None = None,
                    content_type: str | None = None) -> AttachmentDocument:
    """Text and tables of one attachment, read in this process. See module docstring."""
    if data is None:
        raise AttachmentError("no data")
    check_attachment_size(len(data))
    kind = detect_kind(data, filename, content_type)
    try:
        doc = _read_kind(kind, data, filename)
    except AttachmentError:
        raise
    except MemoryError:
        raise AttachmentError(f"{kind.upper()} needs too much memory to read") from None
    except RecursionError:
        raise AttachmentError(f"{kind.upper()} nested too deeply to read") from None
    except Exception as e:  # noqa: BLE001 - third-party parsers raise anything
        raise AttachmentError(f"unreadable {kind.upper()}: {type(e).__name__}: {e}") from None
    for i, g in enumerate(doc.grids):
        g.index = i
    doc.text = normalize_text(doc.text)
    for g in doc.grids:
        g.cells = [[normalize_text(c) for c in row] for row in g.cells]
    return doc


def read_attachment_path(path: str | os.PathLike, filename: str | None = None,
                         content_type: str | None = None, *, safely: bool = True,
                         **limits) -> AttachmentDocument:
    """Read an attachment the crawler streamed to disk; the size is checked first."""
    try:
        size = os.path.getsize(path)
    except OSError as e:
        raise AttachmentError(f"cannot open attachment: {e.strerror or e}") from None
    check_attachment_size(size)
    with open(path, "rb") as fh:
        data = fh.read(MAX_ATTACHMENT_BYTES + 1)
    name = filename or os.path.basename(os.fspath(path))
    if safely:
        return read_attachment_safely(data, name, content_type, **limits)
    return read_attachment(data, name, content_type)


def _read_kind(kind: str, data: bytes, filename: str | None) -> AttachmentDocument:
    if kind == "pdf":
        from . import attachments_pdf
        return attachments_pdf.read_pdf(data)
    if kind == "docx":
        check_zip_container(data)
        from . import attachments_office
        return attachments_office.read_docx(data)
    if kind == "xlsx":
        check_zip_container(data)
        from . import attachments_office
        return attachments_office.read_xlsx(data)
    if kind in ("xls", "et"):
        from . import attachments_office
        return attachments_office.read_xls(data, kind)
    if kind in ("doc", "wps", "rtf", "html"):
        from . import attachments_office
        return attachments_office.read_word_binary(data, kind)
    if kind == "txt":
        return AttachmentDocument(kind="txt", text=_decode_text(data) or "")
    raise AttachmentError(f"unsupported attachment type {kind}")


# Kangxi radicals (U+2F00-2FDF), CJK radicals supplement (U+2E80-2EFF) and CJK
# compatibility ideographs (U+F900-FAFF) come out of PDFs made by WPS/Word with some
# fonts (⽇ for 日, ⾏ for 行); they look identical but break every keyword match.
_COMPAT_RE = re.compile("[\u2e80-\u2eff\u2f00-\u2fdf\uf900-\ufaff\U0002f800-\U0002fa1f]")


def normalize_text(s: str) -> str:
    import unicodedata
    if not s:
        return s or ""
    s = _COMPAT_RE.sub(lambda m: unicodedata.normalize("NFKC", m.group()), s)
    return s.replace("\u00a0", " ").replace("\u3000", " ").replace("\r\n", "\n").replace("\r", "\n")


# --- isolation --------------------------------------------------------------------

def _limit_resources(memory_limit: int):
    def preexec() -> None:  # runs in the child between fork and exec
        os.setsid()
        resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    return preexec


def read_attachment_safely(data: bytes, filename: str | None = None,
                           content_type: str | None = None, *,
                           timeout: float = DEFAULT_TIMEOUT,
                           memory_limit: int = DEFAULT_MEMORY_LIMIT) -> AttachmentDocument:
    """read_attachment in a child process under a timeout and an address-space limit."""
    if data is None:
        raise AttachmentError("no data")
    check_attachment_size(len(data))
    kind = detect_kind(data, filename, content_type)   # cheap, fails fast in-process
    if kind in ("docx", "xlsx"):
        check_zip_container(data)
    with tempfile.TemporaryDirectory(prefix="nianbao-att-") as tmp:
        path = os.path.join(tmp, "input")
        with open(path, "wb") as fh:
            fh.write(data)
        cmd = [sys.executable, "-m", "nianbao.extract.attachments", path,
               "--filename", filename or "", "--content-type", content_type or ""]
        env = dict(os.environ, PYTHONIOENCODING="utf-8")
        env.setdefault("OMP_THREAD_LIMIT", "1")   # Tesseract: one thread per child
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp,
                                env=env, preexec_fn=_limit_resources(memory_limit))
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            proc.communicate()
            raise AttachmentError(f"timeout: reading the {kind.upper()} took more than {timeout:.0f} s") from None
    if proc.returncode == 0:
        try:
            return AttachmentDocument.from_dict(json.loads(out.decode("utf-8")))
        except (ValueError, KeyError) as e:
            raise AttachmentError(f"reader produced bad output: {e}") from None
    if proc.returncode == 2:
        lines = err.decode("utf-8", "replace").strip().splitlines()
        raise AttachmentError(lines[-1] if lines else "unreadable attachment")
    if proc.returncode < 0:
        raise AttachmentError(f"reader crashed on the {kind.upper()} (signal {-proc.returncode})")
    tail = err.decode("utf-8", "replace").strip().splitlines()
    last = tail[-1] if tail else ""
    if "MemoryError" in last or "std::bad_alloc" in last or "Cannot allocate" in last:
        raise AttachmentError(f"{kind.upper()} needs more than {memory_limit >> 20} MB of memory to read")
    raise AttachmentError(f"reader failed on the {kind.upper()} (exit {proc.returncode}): {last[:200]}")


def _kill_group(proc: subprocess.Popen) -> None:
    import signal
    try:
        os.killpg(proc.pid, signal.SIGKILL)   # the child and its soffice/tesseract
    except (ProcessLookupError, PermissionError):
        proc.kill()


def _main(argv: list[str]) -> int:
    import argparse
    ap = argparse.ArgumentParser(description="read one attachment, print JSON")
    ap.add_argument("path")
    ap.add_argument("--filename", default="")
    ap.add_argument("--content-type", default="")
    a = ap.parse_args(argv)
    try:
        with open(a.path, "rb") as fh:
            data = fh.read(MAX_ATTACHMENT_BYTES + 1)
        doc = read_attachment(data, a.filename or a.path, a.content_type or None)
    except AttachmentError as e:
        print(str(e), file=sys.stderr)
        return 2
    except MemoryError:
        print("MemoryError", file=sys.stderr)
        return 3
    sys.stdout.write(json.dumps(doc.to_dict(), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
