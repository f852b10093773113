"""A gzip bomb a portal serves is archived as received, and nothing that reads it back
(extraction, recovery, `Archive.read`, `Archive.open_body`) inflates it past the limit."""
import gzip
import json
import sqlite3
import subprocess
import sys
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import FAST, run_cli

from nianbao.archive.store import (DEFAULT_MAX_DECODED_BYTES, Archive, BodyTooLarge, decode_content_encoding)
from nianbao.db import connect

BOMB_DECODED = 600 << 20  # 600 MB of HTML in about 1.2 MB of gzip
LIST = "/xxgk/ndbg/index.html"
BOMB = "/xxgk/ndbg/202401/t20240125_1001.html"
GOOD = "/xxgk/ndbg/202301/t20230130_1000.html"

REPORT = ("<html><head><meta charset='utf-8'><title>某县2022年政府信息公开工作年度报告</title></head><body>"
          "<h1>某县2022年政府信息公开工作年度报告</h1><p>本报告根据《中华人民共和国政府信息公开条例》编制。"
          "本年度主动公开政府信息1234条，收到政府信息公开申请56件。</p></body></html>")


def _bomb() -> bytes:
    block = "<p>某县政府信息公开工作年度报告</p>\n".encode() * (1 << 15)
    c = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    out, n = [c.compress(b"<html><head><meta charset='utf-8'></head><body>")], 0
    while n < BOMB_DECODED:
        out.append(c.compress(block))
        n += len(block)
    out.append(c.compress(b"</body></html>") + c.flush())
    return b"".join(out)


@pytest.fixture(scope="module")
def bomb_portal():
    bomb = _bomb()
    listing = (f"<html><head><meta charset='utf-8'></head><body><ul>"
               f"<li><a href='{BOMB}'>某县2023年政府信息公开工作年度报告</a><span>2024-01-25</span></li>"
               f"<li><a href='{GOOD}'>某县2022年政府信息公开工作年度报告</a><span>2023-01-30</span></li>"
               f"</ul></body></html>").encode()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            headers = {"Content-Type": "text/html; charset=utf-8"}
            if self.path == LIST:
                body = listing
            elif self.path == GOOD:
                body = REPORT.encode()
            elif self.path == BOMB:
                body, headers["Content-Encoding"] = bomb, "gzip"
            else:
                body = b"not found"
                self.send_response(404)
            if self.path in (LIST, GOOD, BOMB):
                self.send_response(200)
            for k, v in {**headers, "Content-Length": str(len(body))}.items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", len(bomb)
    server.shutdown()
    server.server_close()


def _peak_rss_mb(*args) -> tuple[int, subprocess.CompletedProcess]:
    """Run `nianbao ARGS` in a child of a fresh interpreter; (the child's peak RSS in MB, result)."""
    wrapper = ("import json, resource, subprocess, sys\n"
               "p = subprocess.run([sys.executable, '-m', 'nianbao.cli', *sys.argv[1:]], capture_output=True, text=True)\n"
               "print(json.dumps([resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024, p.returncode,"
               " p.stdout[-2000:], p.stderr[-3000:]]))\n")
    out = subprocess.run([sys.executable, "-c", wrapper, *map(str, args)], capture_output=True, text=True,
                         timeout=600, check=True)
    peak, code, stdout, stderr = json.loads(out.stdout)
    return peak, subprocess.CompletedProcess(args, code, stdout, stderr)


def test_gzip_bomb_is_archived_and_read_back_bounded(bomb_portal, tmp_path):
    url, bomb_size = bomb_portal
    db_path, archive = tmp_path / "n.db", tmp_path / "warc"
    crawl_peak, crawl = _peak_rss_mb("crawl", "--db", db_path, "--archive", archive, "--start-url", url + LIST,
                                     "--no-extract", *FAST)
    assert crawl.returncode == 0, crawl.stderr
    db = connect(db_path)
    bomb_id, stored = db.execute("select id, content_length from captures where url = ?", [url + BOMB]).fetchone()
    assert stored == bomb_size  # archived as received: the gzip bytes, not inflated
    assert crawl_peak < 300, f"crawl peaked at {crawl_peak} MB"

    # reading it back decoded stops at the limit with a clear error, in memory or streamed
    arch = Archive(db, archive)
    with pytest.raises(BodyTooLarge, match="NIANBAO_MAX_DECODED_BYTES"):
        arch.read(bomb_id)
    read = 0
    with arch.open_body(bomb_id) as body:
        assert body.decoded and body.content_encoding == "gzip" and body.length == bomb_size
        with pytest.raises(BodyTooLarge) as err:
            for chunk in body.chunks():
                assert len(chunk) <= 1 << 16
                read += len(chunk)
    assert err.value.capture_id == bomb_id
    assert DEFAULT_MAX_DECODED_BYTES - (1 << 16) <= read <= DEFAULT_MAX_DECODED_BYTES
    # a smaller limit for one read
    with pytest.raises(BodyTooLarge):
        arch.read(bomb_id, limit=1 << 20)
    # the ordinary page next to it reads whole
    good_id = db.execute("select id from captures where url = ?", [url + GOOD]).fetchone()[0]
    assert "1234条" in arch.read(good_id).body.decode()

    # forget the bomb's index row: `nianbao extract` recovers it from the WARC (streamed,
    # stored length), then extracts: an error row for the bomb, the report beside it, bounded memory
    db.execute("delete from captures where id = ?", [bomb_id])
    db.conn.close()
    extract_peak, extract = _peak_rss_mb("extract", "--db", db_path, "--archive", archive)
    assert extract.returncode == 0, extract.stderr
    conn = sqlite3.connect(db_path)
    new_id, length = conn.execute("select id, content_length from captures where url = ?", [url + BOMB]).fetchone()
    assert length == bomb_size
    error = conn.execute("select error from documents where capture_id = ?", [new_id]).fetchone()[0]
    assert "BodyTooLarge" in error and "NIANBAO_MAX_DECODED_BYTES" in error
    assert conn.execute("select count(*) from reports where url = ?", [url + GOOD]).fetchone()[0] == 1
    print("peaks MB: crawl", crawl_peak, "extract", extract_peak)
    assert extract_peak < 300, f"extraction peaked at {extract_peak} MB"


def test_decode_content_encoding_streams_and_keeps_what_does_not_decode():
    page = "<p>年报</p>".encode() * 1000
    assert decode_content_encoding(gzip.compress(page), "gzip") == page
    assert decode_content_encoding(gzip.compress(page[:7]) + gzip.compress(page[7:]), "gzip") == page  # two members
    assert decode_content_encoding(zlib.compress(page), "deflate") == page
    raw = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    assert decode_content_encoding(raw.compress(page) + raw.flush(), "deflate") == page  # raw deflate
    assert decode_content_encoding(b"<p>not gzip</p>", "gzip") == b"<p>not gzip</p>"  # a lying server
    assert decode_content_encoding(page, None) == page
    with pytest.raises(BodyTooLarge):
        decode_content_encoding(gzip.compress(page), "gzip", limit=len(page) - 1)
    try:
        import brotli
    except ImportError:
        return
    assert decode_content_encoding(brotli.compress(page), "br") == page
    with pytest.raises(BodyTooLarge):
        decode_content_encoding(brotli.compress(b"\0" * (8 << 20)), "br", limit=1 << 20)
