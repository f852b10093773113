"""Shared fixtures: real portals on 127.0.0.1, the real CLI in a subprocess."""
from __future__ import annotations

import json
import os
import socket
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEMO_MANIFEST = ROOT / "nianbao" / "demo_portal" / "manifest.json"
# Debian's Chromium for the UI tests, and the flags the machine's closed network needs
# (no background connections to Google)
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# Crawl tests keep politeness machinery on but shorten the 1 s per-host delay.
FAST = ["-s", "DOWNLOAD_DELAY=0.05", "-s", "AUTOTHROTTLE_START_DELAY=0.05", "-s", "NIANBAO_BACKOFF_BASE=0.2",
        "-s", "LOG_LEVEL=WARNING"]


def run_cli(*args, check=True, timeout=300, env=None) -> subprocess.CompletedProcess:
    """Run `nianbao ARGS` as a user would (a separate process, real Scrapy reactor)."""
    proc = subprocess.run([sys.executable, "-m", "nianbao.cli", *map(str, args)], capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, **(env or {})})
    if check and proc.returncode != 0:
        raise AssertionError(f"nianbao {' '.join(map(str, args))} exited {proc.returncode}\n"
                             f"stdout:\n{proc.stdout[-3000:]}\nstderr:\n{proc.stderr[-5000:]}")
    return proc


def db_rows(db_path, sql, params=()):
    """The rows of one query, on a connection closed after it (the file stays free for the next crawl)."""
    import sqlite3

    conn = sqlite3.connect(db_path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float = 30.0, proc=None) -> None:
    import urllib.request

    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"server exited with {proc.returncode}")
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except Exception:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {timeout}s")


@pytest.fixture(scope="session")
def demo_manifest() -> dict:
    return json.loads(DEMO_MANIFEST.read_text("utf-8"))


@pytest.fixture()
def demo_portal():
    from nianbao.demo_portal.server import DEMO_SITE, start_portal

    handle = start_portal(DEMO_SITE)
    yield handle
    handle.stop()


@pytest.fixture(scope="module")
def crawled_demo(tmp_path_factory):
    """One real crawl of both demo columns; (portal, db_path, archive_dir, cli output)."""
    from nianbao.demo_portal.server import DEMO_SITE, start_portal

    work = tmp_path_factory.mktemp("demo")
    portal = start_portal(DEMO_SITE)
    manifest = json.loads(DEMO_MANIFEST.read_text("utf-8"))
    args = ["crawl", "--db", work / "nianbao.db", "--archive", work / "warc", *FAST]
    for col in manifest["columns"]:
        args += ["--start-url", portal.url + col["path"]]
    out = run_cli(*args)
    yield portal, work / "nianbao.db", work / "warc", out
    portal.stop()


class DatasetteServer:
    def __init__(self, db_path: Path, archive: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "nianbao.cli", "serve", "--db", str(db_path), "--archive", str(archive),
             "--port", str(self.port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            wait_http(self.url + "/-/versions.json", proc=self.proc)
        except AssertionError:
            self.proc.kill()
            raise AssertionError("Datasette did not start:\n" + self.proc.stdout.read().decode(errors="replace")[-3000:])

    def get_json(self, path: str):
        import httpx

        r = httpx.get(self.url + path, timeout=30)
        r.raise_for_status()
        return r.json()

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
