"""One crawl per database at a time (cron and timers can overlap otherwise).

An flock on `<db>.lock`: the kernel releases it when the process dies, even by
`kill -9`, so a crashed run never leaves a stale lock behind.
"""
from __future__ import annotations

import fcntl
import os
from pathlib import Path


class AlreadyRunning(RuntimeError):
    pass


class CrawlLock:
    def __init__(self, db_path: str | Path):
        self.path = Path(str(db_path) + ".lock")
        self._fh = None

    def __enter__(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = open(self.path, "a+")
        try:
            fcntl.flock(self._fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._fh.seek(0)
            holder = self._fh.read().strip()
            self._fh.close()
            raise AlreadyRunning(f"another crawl holds {self.path} (pid {holder or '?'})")
        self._fh.seek(0)
        self._fh.truncate()
        self._fh.write(str(os.getpid()))
        self._fh.flush()
        return self

    def __exit__(self, *exc):
        if self._fh:
            fcntl.flock(self._fh.fileno(), fcntl.LOCK_UN)
            self._fh.close()


class ExtractLock:
    """Blocking flock on `<db>.extract.lock`: extractions of one database take turns."""

    def __init__(self, db_path: str | Path):
        self.path = Path(str(db_path) + ".extract.lock")
        self._fh = None

    def __enter__(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = open(self.path, "a+")
        fcntl.flock(self._fh.fileno(), fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        if self._fh:
            fcntl.flock(self._fh.fileno(), fcntl.LOCK_UN)
            self._fh.close()
            self._fh = None
