"""Reports published as files: a real crawl downloads, archives and extracts them;
page + attachments are one report; hostile files get an error row and the crawl goes on."""
import io
import json
import shutil
import sqlite3
import zipfile
from pathlib import Path

import pytest

from conftest import FAST, run_cli

FIX = Path(__file__).parent / "fixtures" / "attachments"

LIST = """<html><head><meta charset="utf-8"><title>年度报告</title></head><body>
<div class="nav"><a href="/index.html">首页</a></div>
<ul class="list">
<li><a href="/20190315/i1.html">湖南城陵矶新港区2018年政府信息公开年度报告</a><span>2019-03-15</span></li>
<li><a href="/20190316/i2.html">新港区2018年政府信息公开年度报告（附表修订前）</a><span>2019-03-16</span></li>
<li><a href="/files/P0201903.docx">湖南城陵矶新港区2018年政府信息公开年度报告（全文）</a><span>2019-03-17</span></li>
<li><a href="/20190320/i4.html">关于报送2018年政府信息公开工作年度报告的通知</a><span>2019-03-20</span></li>
</ul></body></html>"""

PAGE = """<html><head><meta charset="utf-8"><title>{title}</title></head><body>
<h1>{title}</h1><div class="content">{body}</div></body></html>"""


def _site(tmp_path) -> Path:
    site = tmp_path / "site"
    (site / "col").mkdir(parents=True)
    (site / "files").mkdir()
    (site / "robots.txt").write_text("User-agent: *\nAllow: /\n")
    (site / "col" / "index.html").write_text(LIST, "utf-8")
    # 1: the page only says 详见附件; the report and its table are in a PDF and an XLSX
    (site / "20190315").mkdir()
    (site / "20190315" / "i1.html").write_text(PAGE.format(
        title="湖南城陵矶新港区2018年政府信息公开年度报告",
        body='<p>湖南城陵矶新港区2018年政府信息公开年度报告详见附件。</p>'
             '<p>附件：<a href="/attach/download.jsp?id=1">年度报告全文</a> '
             '<a href="/files/tjb.xlsx">统计表.xlsx</a></p>'), "utf-8")
    shutil.copy(FIX / "report2018.pdf", site / "files" / "1.pdf")
    shutil.copy(FIX / "table2018.xlsx", site / "files" / "tjb.xlsx")
    # 2: the page has the HTML table, its attachment a spreadsheet that disagrees (1429 -> 1430)
    (site / "20190316").mkdir()
    html = (FIX / "report2018.html").read_text("utf-8").replace("</body>", '<p><a href="/files/bad.xlsx">附表.xlsx</a></p></body>')
    (site / "20190316" / "i2.html").write_text(html, "utf-8")
    _patched_xlsx(FIX / "table2018.xlsx", site / "files" / "bad.xlsx", "1429", "1430")
    # 3: a report that exists only as a Word file
    shutil.copy(FIX / "report2018.docx", site / "files" / "P0201903.docx")
    # 4: a notice whose attachments are hostile
    (site / "20190320").mkdir()
    (site / "20190320" / "i4.html").write_text(PAGE.format(
        title="关于报送2018年政府信息公开工作年度报告的通知",
        body='<p>各单位：请于3月31日前报送年度报告。</p><a href="/files/corrupt.pdf">模板.pdf</a>'
             '<a href="/files/empty.doc">空.doc</a><a href="/files/bomb.docx">样表.docx</a>'
             '<a href="/files/huge.pdf">汇编.pdf</a>'), "utf-8")
    (site / "files" / "corrupt.pdf").write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> garbage\n")
    (site / "files" / "empty.doc").write_bytes(b"")
    (site / "files" / "bomb.docx").write_bytes(_zip_bomb())
    with open(site / "files" / "huge.pdf", "wb") as fh:  # over the -s NIANBAO_MAX_FILE_BYTES below
        fh.write(b"%PDF-1.4\n" + b"0" * (3 * 1024 * 1024))
    (site / "quirks.json").write_text(json.dumps({
        "/attach/download.jsp?id=1": {"file": "/files/1.pdf", "content_type": "application/octet-stream",
                                      "content_disposition": "attachment; filename*=UTF-8''%E6%8A%A5%E5%91%8A.pdf"}}))
    return site


def _patched_xlsx(src: Path, dst: Path, old: str, new: str) -> None:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename.startswith("xl/"):
                data = data.replace(f">{old}<".encode(), f">{new}<".encode())
            zout.writestr(item, data)


def _zip_bomb() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
        with z.open("word/document.xml", "w", force_zip64=True) as fh:
            chunk = b"0" * (1 << 20)
            for _ in range(300):  # 300 MB that deflates to ~300 KB
                fh.write(chunk)
    return buf.getvalue()


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    from nianbao.demo_portal.server import start_portal

    tmp = tmp_path_factory.mktemp("attach")
    portal = start_portal(_site(tmp))
    out = run_cli("crawl", "--start-url", portal.url + "/col/index.html", "--db", tmp / "n.db",
                  "--archive", tmp / "warc", *FAST, "-s", "DOWNLOAD_MAXSIZE=2000000",
                  # files stream to disk: their own limit (crawler/streaming.py)
                  "-s", "NIANBAO_MAX_FILE_BYTES=2000000", check=False)
    # huge.pdf is over the cap: a failed download, so the finished crawl exits 3 (issue 9)
    assert out.returncode == 3, out.stdout[-3000:] + out.stderr[-3000:]
    conn = sqlite3.connect(tmp / "n.db")
    conn.row_factory = sqlite3.Row
    yield portal, conn, out
    portal.stop()


def _report(conn, path):
    return conn.execute("select * from reports where url like ?", ["%" + path]).fetchone()


def test_page_that_says_see_attachment_gets_the_attachments_figures(crawled):
    _, conn, _ = crawled
    r = _report(conn, "/20190315/i1.html")
    assert r["template"] == "gk2008" and r["body"] == "湖南城陵矶新港区" and r["year"] == 2018
    figures = dict(conn.execute("select code, value from metric_values where report_id = ?", [r["id"]]).fetchall())
    assert figures["old.proactive.total"] == 1429 and figures["old.proactive.via_website"] == 745
    files = {a["filename"] for a in json.loads(r["attachments"])}
    assert "报告.pdf" in files  # the name from Content-Disposition, not download.jsp
    # the figures trace to the attachment's bytes, not the page's
    source = conn.execute("select c.url from metrics m join captures c on c.id = m.capture_id "
                          "where m.report_id = ? limit 1", [r["id"]]).fetchone()[0]
    assert "download.jsp" in source or source.endswith(".xlsx")
    # both files carry the table and agree with each other
    checks = conn.execute("select ok from checks where report_id = ? and rule like 'attachment_agrees%'",
                          [r["id"]]).fetchall()
    assert checks and all(c["ok"] == 1 for c in checks)


def test_page_and_attachment_disagreeing_is_a_check_failure(crawled):
    _, conn, _ = crawled
    r = _report(conn, "/20190316/i2.html")
    row = conn.execute("select ok, detail from checks where report_id = ? and rule like 'attachment_agrees%'",
                       [r["id"]]).fetchone()
    assert row["ok"] == 0 and "1429" in row["detail"] and "1430" in row["detail"]
    assert r["checks_failed"] >= 1
    assert conn.execute("select value from metric_values where report_id = ? and code = 'old.proactive.total'",
                        [r["id"]]).fetchone()[0] == 1429  # the page's figure is kept, not "corrected"


def test_report_published_only_as_a_file(crawled):
    _, conn, _ = crawled
    r = _report(conn, "/files/P0201903.docx")
    assert r is not None and r["template"] == "gk2008" and r["year"] == 2018
    assert conn.execute("select count(*) from metrics where report_id = ?", [r["id"]]).fetchone()[0] >= 50


def test_hostile_files_are_recorded_and_the_crawl_goes_on(crawled):
    _, conn, out = crawled
    assert "Crawl run 1 finished" in out.stdout
    errors = {row["url"].rsplit("/", 1)[-1]: row["error"] for row in
              conn.execute("select url, error from documents where error is not null")}
    for name in ("corrupt.pdf", "empty.doc", "bomb.docx"):
        assert errors.get(name), f"{name} has no recorded error: {errors}"
    too_big = conn.execute("select error from fetch_errors where url like '%huge.pdf'").fetchall()
    assert too_big, "the file over NIANBAO_MAX_FILE_BYTES left no trace"
    assert "with 1 failed download:" in out.stdout and "huge.pdf" in out.stdout, out.stdout
    assert not _report(conn, "/20190320/i4.html")  # the notice is not a report
