"""A full extraction builds a new set of derived tables and swaps it in at once.

Readers (Datasette, a snapshot, a cron job's query) must never see a half-built
set, and a rebuild killed half way must leave the old set as it was. So the
rebuild writes into `_next_<table>` copies (same DDL as a new database gets,
`nianbao.db.derived_schema`), while the live tables stay untouched, and at the
end one transaction drops the live tables and renames the new ones into place.
SQLite's WAL gives every reader the set as of its own read transaction: before
the commit the old one, after it the new one.

Only one extraction of a database runs at a time: a flock on `<db>.extract.lock`
(the file a crawl's end-of-run extraction locks too, crawler/lock.py). The kernel
drops it when the process dies, even by kill -9; `_next_` tables a killed rebuild
left behind are dropped by the next one.
"""
from __future__ import annotations

import fcntl
import os
import re
from pathlib import Path

from nianbao.db import DERIVED_TABLES, DERIVED_VIEWS, derived_schema, ensure_derived_schema, transaction
from nianbao.fts import FTS_TABLE, create_sql, drop_fts, optimize

PREFIX = "_next_"
_NAME = r"""["\[`]?(\w+)["\]`]?"""


class ExtractionBusy(RuntimeError):
    """Another extraction of the same database holds the lock."""


def _lock_path(db) -> Path:
    main = next(row[2] for row in db.execute("PRAGMA database_list").fetchall() if row[1] == "main")
    return Path(str(main) + ".extract.lock")


def renamed(sql: str, kind: str, prefix: str = PREFIX) -> str:
    """The DDL of a table or index with `prefix` before its own (and its table's) name."""
    if kind == "table":
        return re.sub(rf"^\s*CREATE TABLE\s+{_NAME}", lambda m: f"CREATE TABLE [{prefix}{m.group(1)}]", sql, 1)
    return re.sub(rf"^\s*CREATE (UNIQUE )?INDEX\s+{_NAME}\s+ON\s+{_NAME}",
                  lambda m: f"CREATE {m.group(1) or ''}INDEX [{prefix}{m.group(2)}] ON [{prefix}{m.group(3)}]",
                  sql, 1)


class Rebuild:
    """`with Rebuild(db) as r:` write into `r.tables[...]`, then `r.swap()`; leaving the
    block without swapping drops what was built and leaves the live tables alone."""

    def __init__(self, db):
        self.db = db
        self.schema = derived_schema()
        self.tables = {t: PREFIX + t for t in DERIVED_TABLES}
        self.tables[FTS_TABLE] = PREFIX + FTS_TABLE
        self._fh = None
        self.swapped = False

    def __enter__(self):
        self._lock()
        ensure_derived_schema(self.db)  # the dictionary tables and views the new set refers to
        # The new tables' foreign keys name the live tables (reports, not _next_reports)
        # so that they are right once renamed; while building they must not be enforced.
        self.db.execute("PRAGMA foreign_keys=OFF")
        with transaction(self.db):
            self._drop_next()
            for kind, _, _, sql in self.schema:
                self.db.execute(renamed(sql, kind))
            self.db.execute(create_sql(self.tables[FTS_TABLE]))
        return self

    def _lock(self) -> None:
        path = _lock_path(self.db)
        self._fh = open(path, "a+")
        try:
            fcntl.flock(self._fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._fh.seek(0)
            holder = self._fh.read().strip()
            self._fh.close()
            self._fh = None
            raise ExtractionBusy(f"another extraction of this database is running (it holds {path}"
                                 f"{', pid ' + holder if holder else ''}); try again when it has finished")
        self._fh.seek(0)
        self._fh.truncate()
        self._fh.write(str(os.getpid()))
        self._fh.flush()

    def _drop_next(self) -> None:
        drop_fts(self.db, self.tables[FTS_TABLE])
        for (name,) in self.db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE ? ESCAPE '\\'",
                [PREFIX.replace("_", "\\_") + "%"]).fetchall():
            if name.startswith(PREFIX) and not name.startswith(PREFIX + FTS_TABLE):
                self.db.execute(f"DROP TABLE IF EXISTS [{name}]")

    def swap(self) -> None:
        """Drop the live set and rename the new one into place, in one transaction."""
        db = self.db
        optimize(db, self.tables[FTS_TABLE])  # one b-tree: smaller and faster to query
        # legacy_alter_table: rename without re-checking every view (views of other
        # stages name the live tables, which do not exist between drop and rename).
        db.execute("PRAGMA legacy_alter_table=ON")
        try:
            with transaction(db):
                for table in DERIVED_TABLES:
                    db.execute(f"DROP TABLE IF EXISTS [{table}]")
                drop_fts(db)
                for table in DERIVED_TABLES:
                    db.execute(f"ALTER TABLE [{PREFIX + table}] RENAME TO [{table}]")
                db.execute(f"ALTER TABLE [{self.tables[FTS_TABLE]}] RENAME TO [{FTS_TABLE}]")
                # indexes keep their names through a rename: give them their usual ones
                for kind, name, _, sql in self.schema:
                    if kind == "index":
                        db.execute(f"DROP INDEX [{PREFIX + name}]")
                        db.execute(sql)
                for view, sql in DERIVED_VIEWS.items():
                    db.execute(f"CREATE VIEW IF NOT EXISTS [{view}] AS {sql}")
        finally:
            db.execute("PRAGMA legacy_alter_table=OFF")
        self.swapped = True

    def __exit__(self, exc_type, exc, tb):
        try:
            if not self.swapped:
                try:
                    with transaction(self.db):
                        self._drop_next()
                except Exception:  # the next rebuild drops them anyway
                    pass
            self.db.execute("PRAGMA foreign_keys=ON")
        finally:
            if self._fh:
                fcntl.flock(self._fh.fileno(), fcntl.LOCK_UN)
                self._fh.close()
        return False
