"""Scheduled crawls through a real Scrapyd server, and plain `scrapy crawl` in the project."""
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from conftest import free_port, wait_http

ROOT = Path(__file__).resolve().parent.parent
FAST = {"DOWNLOAD_DELAY": "0.05", "AUTOTHROTTLE_START_DELAY": "0.05"}


def test_scrapy_crawl_in_the_project_records_a_run(demo_portal, demo_manifest, tmp_path):
    """`scrapy crawl column` (what Scrapyd runs) archives, records the run and extracts."""
    work = tmp_path / "proj"
    work.mkdir()
    shutil.copy(ROOT / "scrapy.cfg", work / "scrapy.cfg")
    env = {**os.environ, "NIANBAO_DB": str(tmp_path / "n.db"), "NIANBAO_ARCHIVE": str(tmp_path / "warc")}
    start = demo_portal.url + demo_manifest["columns"][0]["path"]
    args = [sys.executable, "-m", "scrapy", "crawl", "column", "-a", f"start_urls={start}", "-L", "WARNING"]
    for k, v in FAST.items():
        args += ["-s", f"{k}={v}"]
    proc = subprocess.run(args, cwd=work, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    conn = sqlite3.connect(tmp_path / "n.db")
    run = conn.execute("select status, pages, reports_new, settings from crawl_runs").fetchone()
    assert run[0] == "finished" and run[1] > 10 and run[2] >= 5 and '"started_by": "scrapy"' in run[3]
    assert conn.execute("select count(*) from reports").fetchone()[0] == run[2]


@pytest.mark.skipif(not shutil.which("scrapyd", path=str(Path(sys.executable).parent)), reason="scrapyd not installed")
def test_scrapyd_schedules_and_runs_a_crawl(demo_portal, demo_manifest, tmp_path):
    work = tmp_path / "scrapyd"
    work.mkdir()
    shutil.copy(ROOT / "scrapy.cfg", work / "scrapy.cfg")
    port = free_port()
    (work / "scrapyd.conf").write_text(
        f"[scrapyd]\nbind_address = 127.0.0.1\nhttp_port = {port}\neggs_dir = {work}/eggs\n"
        f"logs_dir = {work}/logs\nitems_dir =\ndbs_dir = {work}/dbs\npoll_interval = 0.5\n")
    env = {**os.environ, "NIANBAO_DB": str(tmp_path / "n.db"), "NIANBAO_ARCHIVE": str(tmp_path / "warc")}
    server = subprocess.Popen([str(Path(sys.executable).parent / "scrapyd")], cwd=work, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_http(url + "/daemonstatus.json", proc=server)
        assert "nianbao" in httpx.get(url + "/listprojects.json").json()["projects"]
        start = demo_portal.url + demo_manifest["columns"][0]["path"]
        data = {"project": "nianbao", "spider": "column", "start_urls": start}
        data.update({"setting": [f"{k}={v}" for k, v in FAST.items()]})
        job = httpx.post(url + "/schedule.json", data=data).json()
        assert job["status"] == "ok", job
        deadline = time.time() + 180
        while time.time() < deadline:
            jobs = httpx.get(url + "/listjobs.json", params={"project": "nianbao"}).json()
            if any(j["id"] == job["jobid"] for j in jobs["finished"]):
                break
            time.sleep(0.5)
        else:
            raise AssertionError("the Scrapyd job did not finish")
        conn = sqlite3.connect(tmp_path / "n.db")
        assert conn.execute("select status from crawl_runs").fetchone()[0] == "finished"
        assert conn.execute("select count(*) from reports").fetchone()[0] >= 5
    finally:
        server.terminate()
        server.wait(10)
