"""`kill -9` in the middle of a crawl loses nothing, and the next run continues."""
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from urllib.parse import urlparse

from conftest import FAST, run_cli

from nianbao.archive.store import Archive
from nianbao.db import connect


def _count(db_path, sql):
    try:
        conn = sqlite3.connect(db_path, timeout=5)
        return conn.execute(sql).fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def test_kill_9_loses_nothing_and_next_run_resumes(demo_portal, demo_manifest, tmp_path):
    db_path, archive = tmp_path / "nianbao.db", tmp_path / "warc"
    starts = [demo_portal.url + c["path"] for c in demo_manifest["columns"]]
    args = [sys.executable, "-m", "nianbao.cli", "crawl", "--db", str(db_path), "--archive", str(archive),
            "-s", "DOWNLOAD_DELAY=0.4", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "LOG_LEVEL=WARNING"]
    for s in starts:
        args += ["--start-url", s]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while _count(db_path, "select count(*) from captures where kind = 'detail' and status = 200") < 4:
        assert proc.poll() is None, "crawl ended before it could be killed"
        assert time.time() < deadline
        time.sleep(0.1)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()

    # Everything indexed before the kill is readable from the WARC files.
    db = connect(db_path)
    before = list(db.query("select id, url, sha256 from captures"))
    archive_obj = Archive(db, archive)
    for row in before:
        archive_obj.read(row["id"])
    run1_details = {r["url"] for r in db.query(
        "select url from captures where kind = 'detail' and status = 200 and crawl_run_id = 1")}
    assert run1_details
    db.conn.close()

    requests_before = len(demo_portal.requests)
    out = run_cli("crawl", "--db", db_path, "--archive", archive, *FAST, *sum([["--start-url", s] for s in starts], []))
    assert "resumed run       1" in out.stdout

    conn = sqlite3.connect(db_path)
    assert conn.execute("select status from crawl_runs where id = 1").fetchone()[0] == "interrupted"
    # nothing captured before the kill was lost
    ids_after = {r[0] for r in conn.execute("select id from captures")}
    assert {r["id"] for r in before} <= ids_after
    # pages the killed run had archived were not downloaded again
    second_run_paths = Counter(r.path for r in demo_portal.requests.snapshot()[requests_before:])
    for url in run1_details:
        assert second_run_paths[urlparse(url).path] == 0, f"{url} fetched again after resume"
    # and the resumed crawl finished the job: every report is there
    forbidden = tuple(demo_manifest["robots_disallow"])
    expected = {p["path"] for p in demo_manifest["pages"] if p.get("is_report") and p.get("kind") == "detail"
                and p.get("status", 200) == 200 and not p["path"].startswith(forbidden)}
    got = {urlparse(u).path for (u,) in conn.execute("select url from reports")}
    assert expected <= got


def test_torn_record_is_cut_and_unindexed_record_recovered(tmp_path):
    db = connect(tmp_path / "n.db")
    archive = Archive(db, tmp_path / "warc")
    archive.store("http://a/1", 200, "OK", [("Content-Type", "text/html")], "<p>一</p>".encode(), kind="detail")
    warc = archive._current()
    # a record written but not indexed (killed between the two), then a torn one
    warc.write_response("http://a/2", 200, "OK", [("X-Nianbao-Kind", "detail")], b"two",
                        "2026-01-01T00:00:00.000000Z", "sha256:" + "0" * 64)
    warc._fh.write(b"\x1f\x8b\x08\x00torn")
    warc._fh.flush()
    db.conn.close()

    db2 = connect(tmp_path / "n.db")
    result = Archive(db2, tmp_path / "warc").recover()
    assert result == {"indexed": 1, "truncated_bytes": 8}
    rows = {r["url"]: r for r in db2.query("select url, kind from captures")}
    assert rows["http://a/2"]["kind"] == "detail"
    assert Archive(db2, tmp_path / "warc").read(2).body == b"two"
    # recovery is idempotent
    assert Archive(db2, tmp_path / "warc").recover() == {"indexed": 0, "truncated_bytes": 0}


def test_kills_on_consecutive_runs_then_a_resume_asks_nothing_again(demo_portal, demo_manifest, tmp_path):
    """Run 1 killed, run 2 (resuming it) killed too: run 3 resumes both, so no detail page or
    attachment either of them asked for is asked again (not even conditionally)."""
    db_path, archive = tmp_path / "nianbao.db", tmp_path / "warc"
    starts = sum([["--start-url", demo_portal.url + c["path"]] for c in demo_manifest["columns"]], [])
    slow = [sys.executable, "-m", "nianbao.cli", "crawl", "--db", str(db_path), "--archive", str(archive),
            "--no-extract", "-s", "DOWNLOAD_DELAY=0.3", "-s", "AUTOTHROTTLE_ENABLED=False",
            "-s", "LOG_LEVEL=WARNING", *starts]
    for run_id in (1, 2):
        proc = subprocess.Popen(slow, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 120
        while _count(db_path, "select count(*) from captures where kind in ('detail', 'attachment') "
                              f"and status = 200 and crawl_run_id = {run_id}") < 3:
            assert proc.poll() is None, f"run {run_id} ended before it could be killed"
            assert time.time() < deadline
            time.sleep(0.1)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()

    conn = sqlite3.connect(db_path)
    asked = {urlparse(u).path for (u,) in conn.execute(
        "select url from captures where kind in ('detail', 'attachment') and status in (200, 304) "
        "and crawl_run_id in (1, 2)")}
    conn.close()
    requests_before = len(demo_portal.requests)
    out = run_cli("crawl", "--db", db_path, "--archive", archive, *FAST, *starts)
    assert "resumed run       2" in out.stdout
    again = Counter(r.path for r in demo_portal.requests.snapshot()[requests_before:])
    assert not {p: n for p, n in again.items() if p in asked}, "pages of interrupted runs asked again"
    conn = sqlite3.connect(db_path)
    assert [s for (s,) in conn.execute("select status from crawl_runs order by id")] == [
        "interrupted", "interrupted", "finished"]
