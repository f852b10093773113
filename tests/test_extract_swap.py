"""A full `nianbao extract` builds new tables and swaps them in at once (issue 9 item 7).

Readers must always see a whole set of derived tables, the old or the new one; a
rebuild killed half way leaves the old one; two extractions never interleave.
"""
import fcntl
import signal
import sqlite3
import subprocess
import sys
import threading
import time

from conftest import run_cli

SIGNATURE_SQL = """select (select count(*) from reports), (select count(*) from documents),
    (select count(*) from metrics), (select count(*) from report_versions), (select count(*) from checks),
    (select count(*) from reports_fts where reports_fts match '"衡阳"'),
    (select count(*) from metric_values)"""


class Reader(threading.Thread):
    """Queries the derived tables as fast as it can, as Datasette would, until stopped."""

    def __init__(self, db_path):
        super().__init__(daemon=True)
        self.db_path, self.seen, self.errors, self.stop = db_path, [], [], threading.Event()

    def run(self):
        conn = sqlite3.connect(self.db_path, timeout=30)
        while not self.stop.is_set():
            try:
                self.seen.append(conn.execute(SIGNATURE_SQL).fetchone())
            except sqlite3.OperationalError as e:  # "no such table": a reader saw a missing table
                self.errors.append(str(e))
            time.sleep(0.002)
        conn.close()


def _extract(db_path, archive, *extra):
    return subprocess.Popen([sys.executable, "-m", "nianbao.cli", "extract", "--db", str(db_path),
                             "--archive", str(archive), "--workers", "1", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _building(db_path):
    conn = sqlite3.connect(db_path, timeout=30)
    try:
        return conn.execute("select count(*) from sqlite_master where name = '_next_reports'").fetchone()[0] and \
            conn.execute("select count(*) from _next_reports").fetchone()[0] > 0
    except sqlite3.OperationalError:
        return False
    finally:
        conn.close()


def test_kill_during_extract_leaves_the_old_tables_and_readers_never_see_half(crawled_demo):
    _, db_path, archive, _ = crawled_demo
    full = sqlite3.connect(db_path).execute(SIGNATURE_SQL).fetchone()
    assert full[0] >= 10 and full[5] > 0
    reader = Reader(db_path)
    reader.start()
    try:
        proc = _extract(db_path, archive)
        deadline = time.time() + 60
        while not _building(db_path) and time.time() < deadline and proc.poll() is None:
            time.sleep(0.01)
        assert proc.poll() is None, "extraction finished before it could be killed"
        proc.send_signal(signal.SIGKILL)  # kill -9 half way through the rebuild
        proc.wait()
        time.sleep(0.2)
        after_kill = sqlite3.connect(db_path).execute(SIGNATURE_SQL).fetchone()
        assert after_kill == full  # the old set, whole

        proc = _extract(db_path, archive)  # a new run cleans up after the killed one
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        time.sleep(0.2)
    finally:
        reader.stop.set()
        reader.join()
    assert not reader.errors
    assert len(reader.seen) > 20
    assert set(reader.seen) == {full}  # old set and new set are the same archive: never anything else
    conn = sqlite3.connect(db_path)
    assert not conn.execute("select name from sqlite_master where name like '\\_next\\_%' escape '\\'").fetchall()
    # the swapped-in tables are the usual ones: indexes named as in a new database,
    # foreign keys pointing at the live tables, the search index over reports
    names = {n for (n,) in conn.execute("select name from sqlite_master where type = 'index'")}
    assert {"idx_reports_url", "idx_metrics_report_id_code", "idx_documents_capture_id"} <= names
    assert {r[2] for r in conn.execute("pragma foreign_key_list(metrics)")} == {"reports", "metric_codes", "captures"}
    assert "content='reports'" in conn.execute("select sql from sqlite_master where name = 'reports_fts'").fetchone()[0]
    assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
    assert not conn.execute("pragma foreign_key_check").fetchall()


def test_a_second_extract_exits_with_a_clear_message(crawled_demo):
    _, db_path, archive, _ = crawled_demo
    with open(str(db_path) + ".extract.lock", "a+") as held:  # as a running extraction holds it
        held.write("4242")
        held.flush()
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        result = run_cli("extract", "--db", db_path, "--archive", archive, check=False)
    assert result.returncode == 75
    assert "another extraction of this database is running" in result.stderr
    assert "4242" in result.stderr
    assert sqlite3.connect(db_path).execute("select count(*) from reports").fetchone()[0] > 0
