"""Hostile input: every case is an AttachmentError, quickly, never a hang or a crash."""
from __future__ import annotations

import io
import os
import time
import zipfile
import zlib

import pytest

from nianbao.extract.attachments import (MAX_ATTACHMENT_BYTES, AttachmentError,
                                         check_attachment_size, read_attachment,
                                         read_attachment_path, read_attachment_safely)
from test_attachments_pdf import FIX


class Clock:
    def __init__(self, limit: float):
        self.limit = limit

    def __enter__(self):
        self.t0 = time.monotonic()
        return self

    def __exit__(self, *exc):
        self.elapsed = time.monotonic() - self.t0
        assert self.elapsed < self.limit, f"took {self.elapsed:.1f} s > {self.limit} s"


def raises(fn, *args, match: str | None = None, limit: float = 10, **kw) -> str:
    with Clock(limit):
        with pytest.raises(AttachmentError) as ei:
            fn(*args, **kw)
    msg = str(ei.value)
    assert "\n" not in msg and msg
    if match:
        assert match in msg.lower(), msg
    return msg


def test_empty_file():
    raises(read_attachment, b"", "report.pdf", match="empty")
    raises(read_attachment_safely, b"", "report.docx", match="empty")


def test_corrupt_pdf():
    good = (FIX / "report2018.pdf").read_bytes()
    raises(read_attachment, good[:3000], "r.pdf", match="pdf")          # truncated
    raises(read_attachment, b"%PDF-1.7\n" + os.urandom(20000), "r.pdf", match="pdf")
    raises(read_attachment_safely, good[:3000], "r.pdf", match="pdf")


def test_corrupt_office_files():
    raises(read_attachment, b"PK\x03\x04" + os.urandom(5000), "r.docx", match="zip")
    ole = (FIX / "report2018.doc").read_bytes()
    raises(read_attachment, ole[:4096], "r.doc")
    raises(read_attachment, b"\x00\x01\x02garbage" * 100, "r.xlsx", match="xlsx")


def _encrypted_pdf(tmp_path, user_pw: str) -> bytes:
    pymupdf = pytest.importorskip("pymupdf")
    doc = pymupdf.open(FIX / "report2018.pdf")
    out = tmp_path / "enc.pdf"
    doc.save(out, encryption=pymupdf.PDF_ENCRYPT_AES_256, owner_pw="owner-secret", user_pw=user_pw,
             permissions=pymupdf.PDF_PERM_PRINT)
    return out.read_bytes()


def test_encrypted_pdf_needing_password(tmp_path):
    data = _encrypted_pdf(tmp_path, user_pw="open-sesame")
    raises(read_attachment, data, "enc.pdf", match="encrypted")
    raises(read_attachment_safely, data, "enc.pdf", match="encrypted")


def test_owner_password_only_pdf_is_read(tmp_path):
    """Permissions-only encryption (empty user password) is common on portals: read it."""
    doc = read_attachment(_encrypted_pdf(tmp_path, user_pw=""), "perm.pdf")
    assert "1429" in doc.text and doc.grids


def test_200mb_file_rejected_before_parsing(tmp_path):
    big = tmp_path / "huge.pdf"
    with open(big, "wb") as fh:            # sparse: 200 MB on paper, no disk used
        fh.write(b"%PDF-1.7\n")
        fh.truncate(200 * 1024 * 1024)
    raises(read_attachment_path, big, match="too big", limit=2)
    raises(check_attachment_size, big.stat().st_size, match="too big", limit=1)
    data = b"%PDF-1.7\n" + bytes(200 * 1024 * 1024)
    raises(read_attachment, data, "huge.pdf", match="too big", limit=2)
    raises(read_attachment_safely, data, "huge.pdf", match="too big", limit=2)
    assert MAX_ATTACHMENT_BYTES < 200 * 1024 * 1024


def test_docx_zip_bomb(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml",
                   '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
                   'content-types"><Override PartName="/word/document.xml" ContentType="application/'
                   'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
        with z.open("word/document.xml", "w", force_zip64=True) as fh:
            chunk = b" " * (1 << 20)
            for _ in range(300):          # 300 MB of spaces, ~300 KB compressed
                fh.write(chunk)
    data = buf.getvalue()
    assert len(data) < 2 * 1024 * 1024
    raises(read_attachment, data, "bomb.docx", match="zip bomb", limit=5)
    raises(read_attachment_safely, data, "bomb.docx", match="zip bomb", limit=5)


def test_xlsx_billion_laughs():
    src = zipfile.ZipFile(FIX / "table2018.xlsx")
    lol = ['<?xml version="1.0"?>', '<!DOCTYPE lolz [', '<!ENTITY lol "lol">']
    for i in range(1, 10):
        prev = f"&lol{i - 1};" if i > 1 else "&lol;"
        lol.append(f'<!ENTITY lol{i} "{prev * 10}">')
    lol.append("]>")
    bomb = "\n".join(lol) + ('<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                             'count="1" uniqueCount="1"><si><t>&lol9;</t></si></sst>')
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            body = bomb.encode() if info.filename == "xl/sharedStrings.xml" else src.read(info)
            z.writestr(info.filename, body)
    data = buf.getvalue()
    raises(read_attachment, data, "lol.xlsx", match="entity", limit=5)
    raises(read_attachment_safely, data, "lol.xlsx", match="entity", limit=5)
    # UTF-16 encoded parts are scanned too
    buf2 = io.BytesIO()
    with zipfile.ZipFile(buf2, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            body = (bomb.replace('<?xml version="1.0"?>', '<?xml version="1.0" encoding="UTF-16"?>')
                    .encode("utf-16") if info.filename == "xl/sharedStrings.xml" else src.read(info))
            z.writestr(info.filename, body)
    raises(read_attachment, buf2.getvalue(), "lol16.xlsx", match="entity", limit=5)


def test_pdf_decompression_bomb_hits_memory_limit(tmp_path):
    """A 2 GB FlateDecode stream: the child runs out of address space, not the crawler."""
    comp = zlib.compressobj(9)
    zero = bytes(1 << 24)
    stream = b"".join(comp.compress(zero) for _ in range(128)) + comp.flush()   # 2 GiB of zeros
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream"]
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n")
    offsets = []
    for i, body in enumerate(objs, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % i + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref))
    data = out.getvalue()
    assert len(data) < 5 * 1024 * 1024
    raises(read_attachment_safely, data, "bomb.pdf", memory_limit=1024 ** 3, timeout=60, limit=70)


def test_timeout_kills_the_reader():
    data = (FIX / "scanned2018.pdf").read_bytes()     # OCR takes well over a second
    msg = raises(read_attachment_safely, data, "scan.pdf", timeout=1.5, limit=8)
    assert "timeout" in msg.lower()


def test_unsupported_binary():
    raises(read_attachment, os.urandom(4096) + b"\x00", "x.bin", match="unsupported")
    raises(read_attachment, b"\x89PNG\r\n\x1a\n" + bytes(100), "report.pdf", match="not a pdf")
