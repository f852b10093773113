"""Progress of a crawl from public APIs (crawler/progress.py): plain lines in the log with
what is queued and an estimate, a bar on a terminal. The old line read `engine.slot`,
which Scrapy 2.19 no longer has, and always said 0 pages queued."""
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

PAGES = 30


def _site(root: Path) -> Path:
    (root / "col").mkdir(parents=True)
    (root / "d").mkdir()
    (root / "robots.txt").write_text("User-agent: *\nAllow: /\n")
    rows = "".join(f'<li><a href="/d/p{i}.html">某县{i}号政府信息公开文件</a><span>2020-01-01</span></li>'
                   for i in range(PAGES))
    (root / "col" / "index.html").write_text(
        f'<html><head><meta charset="utf-8"></head><body><ul>{rows}</ul></body></html>', "utf-8")
    for i in range(PAGES):
        (root / "d" / f"p{i}.html").write_text(f'<html><head><meta charset="utf-8"><title>文件{i}</title></head>'
                                               f'<body><p>正文{i}</p></body></html>', "utf-8")
    return root


def _args(portal, tmp_path):
    return [sys.executable, "-m", "nianbao.cli", "crawl", "--start-url", portal.url + "/col/index.html",
            "--db", str(tmp_path / "n.db"), "--archive", str(tmp_path / "warc"), "--no-extract",
            "-s", "DOWNLOAD_DELAY=0.1", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "NIANBAO_PROGRESS_INTERVAL=0.5",
            "-s", "LOG_LEVEL=INFO"]


def test_progress_lines_count_what_is_queued_and_estimate_the_rest(tmp_path):
    from nianbao.demo_portal.server import start_portal

    portal = start_portal(_site(tmp_path / "site"))
    try:
        out = subprocess.run(_args(portal, tmp_path), capture_output=True, text=True, timeout=120)
    finally:
        portal.stop()
    assert out.returncode == 0, out.stderr[-3000:]
    lines = re.findall(r"progress: (\d+) pages archived .*?, (\d+) queued, (\d+) in the downloader, (\d+) errors; "
                       r"[\d.]+ pages/s, (about \d+ s left|no estimate yet)", out.stderr)
    assert len(lines) >= 3, out.stderr[-3000:]
    # pages waiting: in the scheduler or at the downloader (waiting for their host's turn)
    assert any(int(queued) + int(waiting) > 5 for _, queued, waiting, _, _ in lines), lines
    assert any(eta.startswith("about") for *_, eta in lines), lines
    archived = [int(a) for a, *_ in lines]
    assert archived == sorted(archived) and archived[-1] > archived[0]
    assert re.search(rf"done: {PAGES + 2} pages archived", out.stderr), out.stderr[-2000:]


def test_a_bar_on_a_terminal(tmp_path):
    from nianbao.demo_portal.server import start_portal

    portal = start_portal(_site(tmp_path / "site"))
    leader, follower = pty.openpty()
    try:
        proc = subprocess.Popen(_args(portal, tmp_path), stdout=subprocess.DEVNULL, stderr=follower)
        os.close(follower)
        seen = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
        assert proc.wait(timeout=120) == 0
    finally:
        os.close(leader)
        portal.stop()
    bars = re.findall(rb"\r\[[#.]{30}\] (\d+)/(\d+) pages", seen)
    assert bars, seen[-2000:]
