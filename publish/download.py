"""The database as one download: a consistent SQLite copy with its SHA-256.

Datasette 0.65 refuses to download a mutable database (403 "Database download is
forbidden"), and the served file changes while a crawl writes. So the download is a
snapshot: `VACUUM INTO` reads one consistent state of the database (safe while a crawl
writes) into a compact new file, which is then renamed into place, so a reader never gets
half a file. `nianbao serve` makes it before starting Datasette; the plugin serves it at
`/-/nianbao/download/<name>.db` and, when the database has changed, makes a fresh one in the
background (at most every NIANBAO_SNAPSHOT_REFRESH seconds).

The slim snapshot leaves out the report texts (`reports.text`, `report_versions.text`) and
the full-text index built from them: every figure, check and link stays, for a small download.
"""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import time
from pathlib import Path

SNAPSHOT_INFO = "snapshot.json"
DEFAULT_REFRESH_SECONDS = 3600  # a long crawl changes the database all the time
# Texts the slim snapshot leaves out: (table, column). The FTS index holds them again.
TEXT_COLUMNS = (("reports", "text"), ("report_versions", "text"))


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1024 * 1024), b""):
            h.update(chunk)
    return h.hexdigest()


def _fts_tables(conn: sqlite3.Connection) -> list[str]:
    """Full-text tables (virtual tables using fts3/4/5): their shadow tables go with them."""
    rows = conn.execute("select name, sql from sqlite_master where type = 'table' and sql like 'CREATE VIRTUAL TABLE%'")
    return [name for name, sql in rows if "using fts" in (sql or "").lower()]


def slim(path: Path) -> None:
    """Leave the report texts and version texts (and the full-text index) out of a copy."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        tables = {r[0] for r in conn.execute("select name from sqlite_master where type = 'table'")}
        conn.execute("BEGIN")
        for fts in _fts_tables(conn):
            conn.execute(f'DROP TABLE "{fts}"')
        for table, column in TEXT_COLUMNS:
            if table in tables and column in {r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')}:
                conn.execute(f'UPDATE "{table}" SET "{column}" = NULL')
        conn.execute("COMMIT")
        conn.execute("VACUUM")
    finally:
        conn.close()


def count_reports(path: Path) -> int:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        has = conn.execute("select 1 from sqlite_master where name = 'reports'").fetchone()
        return conn.execute("select count(*) from reports").fetchone()[0] if has else 0
    finally:
        conn.close()


def make_snapshot(db_path: str | Path, out: str | Path, slim_copy: bool = False) -> dict:
    """Write a consistent copy of db_path to out (atomically); returns its facts.

    {"file", "size", "sha256", "created" (UTC ISO), "reports", "slim"}"""
    db_path, out = Path(db_path), Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.unlink(missing_ok=True)
    try:
        conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
        try:
            conn.execute("VACUUM INTO ?", [str(tmp)])
        finally:
            conn.close()
        if slim_copy:
            slim(tmp)
        info = {"file": out.name, "size": tmp.stat().st_size, "sha256": file_sha256(tmp),
                "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "reports": count_reports(tmp),
                "slim": slim_copy}
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return info


# -- the server's snapshots --------------------------------------------------------------

def snapshot_dir() -> Path | None:
    value = os.environ.get("NIANBAO_SNAPSHOT_DIR")
    return Path(value) if value else None


def database_changed_at(db_path: Path) -> float:
    """Last write to the database (the WAL file holds recent commits)."""
    times = [p.stat().st_mtime for p in (db_path, Path(f"{db_path}-wal")) if p.exists()]
    return max(times, default=0.0)


def file_names(db_path: Path) -> tuple[str, str]:
    return f"{db_path.stem}.db", f"{db_path.stem}-slim.db"


def read_info(directory: Path) -> dict | None:
    try:
        return json.loads((directory / SNAPSHOT_INFO).read_text("utf-8"))
    except (OSError, ValueError):
        return None


def refresh(db_path: str | Path, directory: str | Path, force: bool = False) -> dict:
    """Make the full and slim snapshots of db_path in directory unless they are current;
    returns the snapshot info ({"database_mtime", "full": {...}, "slim": {...}})."""
    db_path, directory = Path(db_path), Path(directory)
    info = read_info(directory)
    changed = database_changed_at(db_path)
    full_name, slim_name = file_names(db_path)
    if (not force and info and info.get("database_mtime") == changed and (directory / full_name).exists()
            and (directory / slim_name).exists()):
        return info
    info = {"database_mtime": changed,
            "full": make_snapshot(db_path, directory / full_name),
            "slim": make_snapshot(db_path, directory / slim_name, slim_copy=True)}
    tmp = directory / f".{SNAPSHOT_INFO}.tmp"
    tmp.write_text(json.dumps(info, ensure_ascii=False, indent=1), "utf-8")
    os.replace(tmp, directory / SNAPSHOT_INFO)
    return info


class BackgroundRefresh:
    """At most one refresh at a time, at most one per `every` seconds, never in a request's way."""

    def __init__(self):
        self.lock = threading.Lock()
        self.last_try = time.monotonic()  # `nianbao serve` has just made one

    def maybe_start(self, db_path: Path, directory: Path) -> None:
        try:
            every = float(os.environ.get("NIANBAO_SNAPSHOT_REFRESH", DEFAULT_REFRESH_SECONDS))
        except ValueError:
            every = DEFAULT_REFRESH_SECONDS
        info = read_info(directory)
        if info and info.get("database_mtime") == database_changed_at(db_path):
            return
        if time.monotonic() - self.last_try < every or not self.lock.acquire(blocking=False):
            return
        self.last_try = time.monotonic()

        def run():
            try:
                refresh(db_path, directory)
            except Exception as e:  # a failed refresh keeps the previous snapshot; say why in the log
                print(f"nianbao: snapshot refresh failed: {e}", flush=True)
            finally:
                self.lock.release()

        threading.Thread(target=run, name="nianbao-snapshot", daemon=True).start()


background = BackgroundRefresh()


def served_database_path(datasette) -> Path | None:
    for name, db in datasette.databases.items():
        if name != "_internal" and not db.is_memory and db.path:
            return Path(db.path)
    return None


def download_links(datasette) -> dict | None:
    """What the home and database pages show about the download (None: no snapshot)."""
    directory = snapshot_dir()
    if directory is None:
        return None
    info = read_info(directory)
    if not info:
        return None
    db_path = served_database_path(datasette)
    if db_path is not None:
        background.maybe_start(db_path, directory)
    out = {}
    for key in ("full", "slim"):
        if key in info and (directory / info[key]["file"]).exists():
            out[key] = {**info[key], "url": f"/-/nianbao/download/{info[key]['file']}",
                        "size_mb": f"{info[key]['size'] / 1024 / 1024:.1f}",
                        "created_text": info[key]["created"].replace("T", " ").replace("Z", " UTC")}
    return out or None


async def download_route(request, datasette):
    from datasette.utils.asgi import AsgiFileDownload, NotFound

    directory = snapshot_dir()
    name = request.url_vars["name"]
    info = read_info(directory) if directory else None
    files = {info[k]["file"]: info[k] for k in ("full", "slim") if k in (info or {})}
    if name not in files or not (directory / name).exists():
        raise NotFound("no such snapshot")
    db_path = served_database_path(datasette)
    if db_path is not None:
        background.maybe_start(db_path, directory)
    return AsgiFileDownload(directory / name, filename=name, content_type="application/vnd.sqlite3",
                            headers={"X-Content-Type-Options": "nosniff",
                                     "X-Nianbao-SHA256": files[name]["sha256"],
                                     "Cache-Control": "no-cache"})


ROUTES = [(r"^/-/nianbao/download/(?P<name>[A-Za-z0-9_.-]+\.db)$", download_route)]


def extra_template_vars(view_name, datasette):
    if view_name in ("index", "database"):
        return {"nianbao_download": download_links(datasette)}
    return {}
