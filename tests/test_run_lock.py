"""One lock for every way a crawl starts: `scrapy crawl` (and so Scrapyd) beside a running
`nianbao crawl` on the same database stops at once and records nothing as its own."""
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _count(db_path, sql):
    try:
        conn = sqlite3.connect(db_path, timeout=5)
        try:
            return conn.execute(sql).fetchone()[0]
        finally:
            conn.close()
    except sqlite3.OperationalError:
        return 0


def test_scrapy_crawl_while_nianbao_crawl_holds_the_lock(demo_portal, demo_manifest, tmp_path):
    db_path, archive = tmp_path / "nianbao.db", tmp_path / "warc"
    starts = [demo_portal.url + c["path"] for c in demo_manifest["columns"]]
    first_args = [sys.executable, "-m", "nianbao.cli", "crawl", "--db", str(db_path), "--archive", str(archive),
                  "-s", "DOWNLOAD_DELAY=0.5", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "LOG_LEVEL=WARNING",
                  "--no-extract", *sum([["--start-url", s] for s in starts], [])]
    first = subprocess.Popen(first_args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 60
        while _count(db_path, "select count(*) from captures") < 2:
            assert first.poll() is None, "the first crawl ended before the second one could start"
            assert time.time() < deadline
            time.sleep(0.1)

        work = tmp_path / "proj"
        work.mkdir()
        shutil.copy(ROOT / "scrapy.cfg", work / "scrapy.cfg")
        env = {**os.environ, "NIANBAO_DB": str(db_path), "NIANBAO_ARCHIVE": str(archive)}
        second = subprocess.run(
            [sys.executable, "-m", "scrapy", "crawl", "column", "-a", f"start_urls={starts[0]}",
             "-s", "DOWNLOAD_DELAY=0.05", "-s", "LOG_LEVEL=INFO"],
            cwd=work, env=env, capture_output=True, text=True, timeout=120)
        assert first.poll() is None, "the first crawl should still be running"
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()

    # the second crawl stopped at once, non-zero, saying why
    assert second.returncode != 0, second.stderr[-3000:]
    assert "another crawl holds" in second.stderr and "does not start" in second.stderr, second.stderr[-3000:]
    # ... and recorded nothing as its own: no run row, no capture, no WARC file
    conn = sqlite3.connect(db_path)
    assert conn.execute("select count(*) from crawl_runs").fetchone()[0] == 1
    assert conn.execute("select count(*) from captures where crawl_run_id is not 1").fetchone()[0] == 0
    pids = {p.name.rsplit("-", 1)[-1].split(".")[0] for p in archive.glob("*.warc.gz")}
    assert pids == {str(first.pid)}
    # it did not fetch anything either: the engine never opened
    assert "Spider opened" not in second.stderr
