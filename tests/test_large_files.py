"""A 200 MB attachment: streamed to disk and into the WARC, memory stays bounded,
extraction refuses it by size, the crawl goes on. A file over the hard cap is refused."""
import hashlib
import json
import sqlite3
import subprocess
import sys
import time

import psutil

from conftest import FAST

from nianbao.archive.warcfile import read_record

LIST = """<html><head><meta charset="utf-8"></head><body><ul>
<li><a href="/20200101/i1.html">某县2019年政府信息公开工作年度报告</a><span>2020-01-01</span></li>
</ul></body></html>"""
PAGE = """<html><head><meta charset="utf-8"><title>某县2019年政府信息公开工作年度报告</title></head><body>
<h1>某县2019年政府信息公开工作年度报告</h1><p>详见附件。</p>
<a href="/files/big.pdf">年度报告（扫描件）.pdf</a> <a href="/files/huge.pdf">汇编.pdf</a></body></html>"""


def _site(tmp_path, big_mb: int, huge_mb: int = 5):
    site = tmp_path / "site"
    (site / "col").mkdir(parents=True)
    (site / "20200101").mkdir()
    (site / "files").mkdir()
    (site / "robots.txt").write_text("User-agent: *\nAllow: /\n")
    (site / "col" / "index.html").write_text(LIST, "utf-8")
    (site / "20200101" / "i1.html").write_text(PAGE, "utf-8")
    digest = hashlib.sha256()
    block = (b"%PDF-1.4 scanned page " + bytes(range(256)) * 64) [:16384]
    with open(site / "files" / "big.pdf", "wb") as fh:
        for _ in range(big_mb * 64):  # big_mb MiB
            fh.write(block)
            digest.update(block)
    with open(site / "files" / "huge.pdf", "wb") as fh:
        fh.truncate(huge_mb * 1024 * 1024)
    return site, digest.hexdigest()


def _crawl_with_peak_rss(args) -> tuple[subprocess.CompletedProcess, int]:
    proc = subprocess.Popen([sys.executable, "-m", "nianbao.cli", *map(str, args)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ps, peak = psutil.Process(proc.pid), 0
    while proc.poll() is None:
        try:
            peak = max(peak, ps.memory_info().rss)
        except psutil.Error:
            pass
        time.sleep(0.05)
    out, err = proc.communicate()
    return subprocess.CompletedProcess(args, proc.returncode, out, err), peak


def _crawl_site(tmp_path, big_mb):
    from nianbao.demo_portal.server import start_portal

    site, sha = _site(tmp_path, big_mb)
    portal = start_portal(site)
    try:
        done, peak = _crawl_with_peak_rss([
            "crawl", "--start-url", portal.url + "/col/index.html", "--db", tmp_path / "n.db",
            "--archive", tmp_path / "warc", *FAST])
    finally:
        portal.stop()
    assert done.returncode == 0, done.stderr[-3000:]
    return sha, peak


def test_200_mb_attachment_is_streamed_with_bounded_memory(tmp_path):
    _, baseline = _crawl_site(tmp_path / "small", 9)  # just over NIANBAO_STREAM_ABOVE
    tmp_path = tmp_path / "large"
    sha, peak = _crawl_site(tmp_path, 200)
    # the crawler's memory does not grow with the file: 200 MiB cost at most 30 MiB more than 9 MiB
    assert peak < baseline + 30 * 2**20, f"{peak / 2**20:.0f} MiB for 200 MiB vs {baseline / 2**20:.0f} MiB for 9 MiB"
    conn = sqlite3.connect(tmp_path / "n.db")
    conn.row_factory = sqlite3.Row
    cap = conn.execute("select * from captures where url like '%big.pdf' and status = 200").fetchone()
    assert cap["content_length"] == 200 * 2**20 and cap["sha256"] == sha
    # the WARC record holds the whole file, byte for byte
    record, fh = read_record(tmp_path / "warc" / cap["warc_file"], cap["warc_offset"])
    got = hashlib.sha256()
    while chunk := record.raw_stream.read(1 << 20):
        got.update(chunk)
    fh.close()
    assert got.hexdigest() == sha
    doc = conn.execute("select error from documents where capture_id = ?", [cap["id"]]).fetchone()
    assert "extraction limit" in doc["error"]
    assert conn.execute("select count(*) from reports").fetchone()[0] == 1  # the page is still the report


def test_file_over_the_hard_cap_is_refused_and_recorded(tmp_path):
    from conftest import run_cli
    from nianbao.demo_portal.server import start_portal

    site, _ = _site(tmp_path, 2, huge_mb=5)
    portal = start_portal(site)
    try:
        out = run_cli("crawl", "--start-url", portal.url + "/col/index.html", "--db", tmp_path / "n.db",
                      "--archive", tmp_path / "warc", *FAST, "-s", "NIANBAO_STREAM_ABOVE=1000000",
                      "-s", "NIANBAO_MAX_FILE_BYTES=3000000", check=False)
    finally:
        portal.stop()
    # the refused file is a failed download: the crawl finishes, and exits 3 (issue 9)
    assert out.returncode == 3 and "huge.pdf" in out.stdout, out.stdout[-3000:] + out.stderr[-3000:]
    conn = sqlite3.connect(tmp_path / "n.db")
    refused = conn.execute("select error from fetch_errors where url like '%huge.pdf'").fetchone()
    assert refused and "NIANBAO_MAX_FILE_BYTES" in refused[0]
    assert not conn.execute("select 1 from captures where url like '%huge.pdf'").fetchone()
    # the 2 MiB one was over NIANBAO_STREAM_ABOVE: streamed, and complete
    assert conn.execute("select content_length from captures where url like '%big.pdf'").fetchone()[0] == 2 * 2**20


def test_the_streamed_download_takes_its_turn_at_the_host(tmp_path):
    """A large file is downloaded once, by the download handler, as the host's one
    connection while it lasts: no other request to the host arrives during it, and the
    next one waits the delay after it, as after any download. (It used to be stopped at
    its headers and fetched a second time outside Scrapy.)"""
    import threading

    from conftest import run_cli
    from nianbao.demo_portal.server import PortalHandler, start_portal

    site, sha = _site(tmp_path, 9)  # just over NIANBAO_STREAM_ABOVE
    # big.pdf linked last: Scrapy takes it first (LIFO), so huge.pdf waits for its turn
    page = site / "20200101" / "i1.html"
    page.write_text(PAGE.replace('<a href="/files/big.pdf">年度报告（扫描件）.pdf</a> <a href="/files/huge.pdf">汇编.pdf</a>',
                                 '<a href="/files/huge.pdf">汇编.pdf</a> <a href="/files/big.pdf">年度报告（扫描件）.pdf</a>'),
                    "utf-8")
    assert "huge.pdf\">汇编.pdf</a> <a href=\"/files/big.pdf" in page.read_text("utf-8")
    log, lock = [], threading.Lock()
    data = (site / "files" / "big.pdf").read_bytes()

    class SlowBigFile(PortalHandler):
        def _handle(self, *args, **kwargs):
            arrived = time.monotonic()
            if self.path == "/files/big.pdf":  # 9 MiB in 1 MiB steps, about 1.8 s
                self.send_response(200)
                self.send_header("Content-Type", "application/pdf")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                try:
                    for i in range(0, len(data), 1 << 20):
                        if i:
                            time.sleep(0.2)
                        self.wfile.write(data[i:i + (1 << 20)])
                    self.wfile.flush()
                except OSError:
                    pass
            else:
                super()._handle(*args, **kwargs)
            with lock:
                log.append((arrived, time.monotonic(), self.path))

    delay = 0.5
    portal = start_portal(site)
    portal.server.RequestHandlerClass = SlowBigFile
    try:
        run_cli("crawl", "--start-url", portal.url + "/col/index.html", "--db", tmp_path / "n.db",
                "--archive", tmp_path / "warc", *FAST, "-s", f"DOWNLOAD_DELAY={delay}",
                "-s", f"AUTOTHROTTLE_START_DELAY={delay}")
    finally:
        portal.stop()
    big = sorted((a, e) for a, e, p in log if p == "/files/big.pdf")
    assert len(big) == 1, big  # one download, streamed as it arrives
    start, end = big[0]
    assert end - start > 1.0  # the slow answer really was slow
    during = [p for a, e, p in log if p != "/files/big.pdf" and start <= a <= end]
    assert not during, f"requests arrived while the file was streamed: {during}"
    after = sorted((round(a - end, 3), p) for a, e, p in log if a > end)
    assert after, f"no request came after the large file: {sorted(log)}"
    assert after[0][0] >= delay - 0.02, f"{after[0][1]} came {after[0][0]} s after the streamed file, not {delay} s"
    conn = sqlite3.connect(tmp_path / "n.db")
    assert conn.execute("select sha256 from captures where url like '%big.pdf' and status = 200").fetchone()[0] == sha



CRAWL_ENV = str(__import__("pathlib").Path(__file__).resolve().parent / "crawl_env")


def _padded_report_pdf(size: int) -> bytes:
    """A real report PDF (the fixture), made `size`-ish bytes large by an embedded file of
    random bytes, as a scanned report's images make it large."""
    import os
    from pathlib import Path

    import pymupdf

    doc = pymupdf.open(Path(__file__).resolve().parent / "fixtures" / "attachments" / "report2018.pdf")
    doc.embfile_add("scan.bin", os.urandom(size))
    data = doc.tobytes()
    doc.close()
    return data


def test_9_mb_pdf_in_a_plain_install_is_archived_and_extracted(tmp_path):
    """Without the distributed extra importable (scrapy-redis, redis), a report PDF over
    NIANBAO_STREAM_ABOVE is archived whole and extracted; the crawl reports no error. (It
    used to be dropped silently: streaming imported crawler/distributed.py.)"""
    import os

    from conftest import run_cli
    from nianbao.demo_portal.server import start_portal

    site, _ = _site(tmp_path, 1)
    pdf = _padded_report_pdf(9 * 2**20)
    assert len(pdf) > 9 * 2**20
    (site / "files" / "big.pdf").write_bytes(pdf)
    (site / "files" / "huge.pdf").write_bytes(_padded_report_pdf(1000))
    env = {"PYTHONPATH": os.pathsep.join([CRAWL_ENV, os.environ.get("PYTHONPATH", "")]),
           "NIANBAO_TEST_BLOCK_IMPORTS": "scrapy_redis,redis,scrapy_playwright"}
    check = subprocess.run([sys.executable, "-c", "import scrapy_redis"], env={**os.environ, **env},
                           capture_output=True, text=True)
    assert "blocked by the test" in check.stderr  # the harness really hides the extra
    portal = start_portal(site)
    try:
        out = run_cli("crawl", "--start-url", portal.url + "/col/index.html", "--db", tmp_path / "n.db",
                      "--archive", tmp_path / "warc", *FAST, env=env)
    finally:
        portal.stop()
    assert "errors            0" in out.stdout, out.stdout
    conn = sqlite3.connect(tmp_path / "n.db")
    cap = conn.execute("select id, content_length, sha256 from captures where url like '%big.pdf'"
                       " and status = 200").fetchone()
    assert cap and cap[1] == len(pdf) and cap[2] == hashlib.sha256(pdf).hexdigest()
    doc = conn.execute("select error, title from documents where capture_id = ?", [cap[0]]).fetchone()
    assert doc is not None and doc[0] is None, doc
    assert not conn.execute("select * from fetch_errors").fetchall()
