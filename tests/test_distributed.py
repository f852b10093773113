"""Two crawler processes, one crawl: scrapy-redis with a real Redis server.

Both processes are started at once with the same start URLs, database and
archive directory. Expected, from the portal's own request log and the database:

* every URL the portal served was requested exactly once, except robots.txt,
  which each process fetches for itself: exactly 2 requests for it;
* both processes fetched pages (captures of both runs, beyond robots.txt);
* captures == responses the portal served (robots.txt twice included): every
  response archived once, by the process that received it;
* every report of the demo manifest is in `reports` exactly once, and no
  capture has two `documents` rows, although both processes extract at their end;
* the crawl's keys are gone from Redis once the last process has left.
"""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from urllib.parse import urlparse

import pytest

from conftest import DEMO_MANIFEST, FAST, free_port

pytestmark = pytest.mark.slow


@pytest.fixture()
def redis_server(tmp_path):
    exe = shutil.which("redis-server")
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is not installed (./run tests installs Debian's redis-server)")
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    redis = pytest.importorskip("redis") if not os.environ.get("CI") else __import__("redis")
    port = free_port()
    work = tmp_path / "redis"
    work.mkdir()
    proc = subprocess.Popen([exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", str(work)], cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = redis.Redis(host="127.0.0.1", port=port)
    deadline = time.time() + 20
    while True:
        try:
            client.ping()
            break
        except redis.exceptions.ConnectionError:
            if proc.poll() is not None or time.time() > deadline:
                proc.kill()
                raise AssertionError(f"redis-server did not start (exit {proc.poll()})")
            time.sleep(0.1)
    yield f"redis://127.0.0.1:{port}/0", client
    proc.kill()
    proc.wait(timeout=10)


def test_two_processes_share_one_crawl(tmp_path, redis_server):
    from nianbao.demo_portal.server import DEMO_SITE, start_portal

    redis_url, client = redis_server
    manifest = json.loads(DEMO_MANIFEST.read_text("utf-8"))
    db_path, archive = tmp_path / "same.db", tmp_path / "same" / "warc"
    with start_portal(DEMO_SITE) as portal:
        args = [sys.executable, "-m", "nianbao.cli", "crawl", "--redis", redis_url, "--db", str(db_path),
                "--archive", str(archive), *FAST]
        for col in manifest["columns"]:
            args += ["--start-url", portal.url + col["path"]]
        procs = [subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(2)]
        outs = []
        for p in procs:
            try:
                out, err = p.communicate(timeout=240)
            except subprocess.TimeoutExpired:
                for q in procs:
                    q.kill()
                raise AssertionError("a distributed crawler process did not finish within 240 s")
            outs.append((p.returncode, out, err))
        for code, out, err in outs:
            assert code == 0, f"crawler exited {code}\nstdout:\n{out[-3000:]}\nstderr:\n{err[-5000:]}"
        served = portal.requests.snapshot()

    # 1. every page once; robots.txt once per process
    per_target = Counter(r.path for r in served)
    assert per_target.pop("/robots.txt") == 2
    twice = {t: n for t, n in per_target.items() if n > 1}
    assert not twice, f"requested more than once: {twice}"
    forbidden = tuple(manifest["robots_disallow"])
    details = [p["path"] for p in manifest["pages"] if p.get("kind") == "detail" and not p["path"].startswith(forbidden)]
    assert len(details) >= 10
    for path in details:
        assert per_target.get(path) == 1, f"detail page {path} requested {per_target.get(path, 0)} times"

    conn = sqlite3.connect(db_path)
    # 2. every response archived exactly once (robots.txt: once per process)
    n_captures = conn.execute("select count(*) from captures").fetchone()[0]
    assert n_captures == len(served), (n_captures, len(served))
    assert conn.execute("select count(*) from captures where url like '%/robots.txt'").fetchone()[0] == 2

    # 3. the work was shared: each process archived pages beyond its robots.txt
    runs = dict(conn.execute("select crawl_run_id, count(*) from captures where kind != 'robots' group by crawl_run_id"))
    assert len(runs) == 2 and all(n >= 1 for n in runs.values()), f"captures per run: {runs}"
    pids = {name.rsplit("-", 1)[-1] for name in (p.name.removesuffix(".warc.gz") for p in archive.glob("*.warc.gz"))}
    assert len(pids) == 2, f"WARC files of {pids}"

    # 4. each report exactly once, each capture extracted once
    reports = Counter(urlparse(u).path for (u,) in conn.execute("select url from reports"))
    assert not [u for u, n in reports.items() if n > 1]
    expected = [p["path"] for p in manifest["pages"] if p.get("is_report") and p.get("status", 200) == 200
                and p.get("kind") == "detail" and not p["path"].startswith(forbidden)]
    for path in expected:
        assert reports.get(path) == 1, f"report {path} in the database {reports.get(path, 0)} times"
    dup_docs = conn.execute("select capture_id from documents group by capture_id having count(*) > 1").fetchall()
    assert not dup_docs
    pending = conn.execute(
        "select count(*) from captures c where status = 200 and kind in ('detail', 'attachment') "
        "and id not in (select capture_id from documents)").fetchone()[0]
    assert pending == 0, "captures left unextracted"
    finished = conn.execute("select count(*) from crawl_runs where status = 'finished'").fetchone()[0]
    assert finished == 2

    # 5. the last process out cleaned up the crawl's keys (politeness reservations expire on their own)
    left = [k.decode() for k in client.keys("nianbao:*") if not k.startswith(b"nianbao:polite:")]
    assert not left, left


def test_killed_worker_requests_are_resumed_by_the_other(tmp_path, redis_server):
    """kill -9 one of two workers while it holds popped requests: the survivor puts
    them back in the queue (once the dead worker's heartbeat is stale) and finishes."""
    import signal

    from nianbao.demo_portal.server import DEMO_SITE, start_portal

    redis_url, client = redis_server
    manifest = json.loads(DEMO_MANIFEST.read_text("utf-8"))
    db_path, archive = tmp_path / "same.db", tmp_path / "warc"
    slow = [a if not a.startswith("DOWNLOAD_DELAY=") else "DOWNLOAD_DELAY=0.3" for a in FAST]
    with start_portal(DEMO_SITE) as portal:
        args = [sys.executable, "-m", "nianbao.cli", "crawl", "--redis", redis_url, "--db", str(db_path),
                "--archive", str(archive), *slow, "-s", "NIANBAO_REDIS_WORKER_TIMEOUT=3", "-s", "LOG_LEVEL=WARNING"]
        for col in manifest["columns"]:
            args += ["--start-url", portal.url + col["path"]]
        victim = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        survivor = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 60
        while True:  # wait until the victim holds requests it popped but has not downloaded
            held = sum(client.hlen(k) for k in client.keys(f"nianbao:*:inflight:*:{victim.pid}:*"))
            if held and len(portal.requests) > 8:
                break
            assert victim.poll() is None and time.time() < deadline, "never caught the victim holding requests"
            time.sleep(0.02)
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait()
        out, err = survivor.communicate(timeout=240)
        assert survivor.returncode == 0, err[-3000:]
    assert "put back in the queue" in err
    conn = sqlite3.connect(db_path)
    forbidden = tuple(manifest["robots_disallow"])
    expected = {p["path"] for p in manifest["pages"] if p.get("is_report") and p.get("status", 200) == 200
                and p.get("kind") == "detail" and not p["path"].startswith(forbidden)}
    got = {urlparse(u).path for (u,) in conn.execute("select url from reports")}
    assert expected <= got, f"lost with the killed worker: {sorted(expected - got)}"
