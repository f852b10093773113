"""`nianbao sources capture`: real pages of one registry source, for the fixture folders.

A small polite crawl of the source with its registered spider and rendering (the crawl's
own politeness: robots.txt, one request per second per host, back-off), limited to a few
list pages per column (NIANBAO_MAX_LIST_PAGES) and a few detail pages (`KeepFewDetails`
never schedules more), then the archived answers are written to a folder by
`tools.export`: each at its URL's path, exactly as received, with a
CAPTURED.json and the quirks.json that lets the fixture portal server serve the folder.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable
from urllib.parse import urljoin

from scrapy.spidermiddlewares.base import BaseSpiderMiddleware

from nianbao import __version__

DETAIL_KINDS = ("detail", "attachment")
LIST_KINDS = ("list", "robots")


class CaptureError(Exception):
    """The capture cannot be made (bad input, or the portal did not answer); nothing was written."""


class KeepFewDetails(BaseSpiderMiddleware):
    """Schedule at most NIANBAO_CAPTURE_MAX_DETAILS distinct detail pages and attachments
    (the first ones the spider asks for); list pages and list answers are not limited here."""

    def __init__(self, crawler):
        super().__init__(crawler)
        self.limit = crawler.settings.getint("NIANBAO_CAPTURE_MAX_DETAILS", 3)
        self.kept: set[str] = set()

    def get_processed_request(self, request, response):
        if request.meta.get("nianbao_kind") not in DETAIL_KINDS or request.url in self.kept:
            return request
        if len(self.kept) >= self.limit:
            self.crawler.stats.inc_value("nianbao/capture/details_not_fetched")
            return None
        self.kept.add(request.url)
        return request


def _check_target(out_dir: Path) -> None:
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise CaptureError(f"{out_dir} exists and is not an empty folder; give a new one")


def _column_failures(db, run_id: int, columns: list[str], archive) -> list[str]:
    """One sentence per column whose list page did not answer 200 (redirects followed)."""
    answers: dict[str, list[tuple[int, int]]] = {}
    for cid, url, status in db.execute(
            "SELECT id, url, status FROM captures WHERE crawl_run_id = ? ORDER BY id", [run_id]):
        answers.setdefault(url, []).append((cid, status))
    errors = {url: err for url, err in db.execute(
        "SELECT url, error FROM fetch_errors WHERE crawl_run_id = ? ORDER BY id", [run_id])}
    failures = []
    for column in columns:
        url, why = column, None
        for _ in range(6):
            got = answers.get(url)
            if not got:
                why = errors.get(url) or "no answer (robots.txt forbids it, or the host failed too often)"
                break
            statuses = [s for _, s in got]
            if 200 in statuses:
                why = None
                break
            cid, status = got[-1]
            location = archive.read(cid).headers.get("location") if 300 <= status < 400 else None
            if not location:
                why = f"HTTP {status}"
                break
            url = urljoin(url, location)
        else:
            why = "too many redirects"
        if why:
            failures.append(f"{column}: {why}" + (f" (after redirects, at {url})" if url != column else ""))
    return failures


def _select(db, run_id: int, archive, max_details: int):
    """(list capture ids, detail capture ids, redirects) archived by this run: the first
    answer to each request (a URL, and for a POSTed list query its method and body too)."""
    lists, details, redirects, seen = [], [], [], set()
    rows = db.execute("SELECT id, url, status, kind FROM captures WHERE crawl_run_id = ? ORDER BY id", [run_id])
    for cid, url, status, kind in rows.fetchall():
        request = archive.request_of(cid) if status == 200 and kind in LIST_KINDS else None
        if request is not None:
            url = (url, request[0], request[2])
        if url in seen:
            continue
        if status == 200 and kind in LIST_KINDS:
            lists.append(cid)
        elif kind in DETAIL_KINDS and status in (200, 304):
            if status == 304:  # a page this archive already held: the body the crawl used
                row = db.execute("SELECT id FROM captures WHERE url = ? AND status = 200 ORDER BY id DESC LIMIT 1",
                                 [url]).fetchone()
                if row is None:
                    continue
                cid = row[0]
            if len(details) >= max_details:
                continue
            details.append(cid)
        elif 300 <= status < 400 and kind in LIST_KINDS + DETAIL_KINDS:
            location = archive.read(cid).headers.get("location")
            if location:
                redirects.append((url, status, location))
            continue
        else:
            continue
        seen.add(url)
    return lists, details, redirects


def capture_source(source_id: str, out_dir: str | Path, columns: list[str] | None = None,
                   max_list_pages: int = 2, max_details: int = 3, db_path: str | Path | None = None,
                   archive_dir: str | Path | None = None, settings: dict | None = None,
                   echo: Callable[[str], None] = print) -> dict:
    """Crawl a little of one registry source and write what it answered to `out_dir`.

    Returns the CAPTURED.json manifest. Raises CaptureError (nothing written) for an
    unknown source or column, a non-empty `out_dir`, a column that did not answer 200, or
    no page at all. `db_path`/`archive_dir`: keep the crawl's archive there (both or
    neither; default a temporary folder, removed afterwards)."""
    from tools.export import quirk_key, read_captures, write_capture_dir
    from nianbao.archive.store import Archive
    from nianbao.runner import run_crawl
    from nianbao.db import connect
    from nianbao.spiders.registry import find

    entry = find(source_id)
    if entry is None:
        raise CaptureError(f"unknown source {source_id!r}: not in the sources registry"
                           f" ({os.environ.get('NIANBAO_SOURCES') or 'the packaged sources.json'});"
                           " `nianbao sources` lists the ids")
    known = [c["url"] for c in entry.get("columns", [])]
    if columns:
        unknown = [c for c in columns if c not in known]
        if unknown:
            raise CaptureError(f"{', '.join(unknown)} is not a column of {source_id}; its columns: "
                               + ", ".join(known))
    columns = list(dict.fromkeys(columns or known))
    if not columns:
        raise CaptureError(f"source {source_id} has no columns")
    if (db_path is None) != (archive_dir is None):
        raise CaptureError("give --db and --archive together (or neither: a temporary archive)")
    out_dir = Path(out_dir)
    _check_target(out_dir)

    workspace = None
    if db_path is None:
        workspace = Path(tempfile.mkdtemp(prefix="nianbao-capture-"))
        db_path, archive_dir = workspace / "capture.db", workspace / "warc"
    staging = db = None
    try:
        overrides = {"LOG_LEVEL": "WARNING", **(settings or {})}
        overrides.update({
            "NIANBAO_MAX_LIST_PAGES": max_list_pages,
            "NIANBAO_CAPTURE_MAX_DETAILS": max_details,
            "SPIDER_MIDDLEWARES": {"tools.capture.KeepFewDetails": 50},
        })
        spider = entry.get("spider", "column")
        echo(f"Capturing {len(columns)} column(s) of {source_id} ({entry.get('name', '')}) with the {spider!r} spider:"
             f" up to {max_list_pages} more list page(s) per column, {max_details} detail page(s)")
        summary = run_crawl(db_path, archive_dir, None, [(source_id, u) for u in columns], overrides,
                            resume=False, extract=False)
        db = connect(db_path)
        archive = Archive(db, archive_dir)
        run_id = summary["run_id"]
        failures = _column_failures(db.conn, run_id, columns, archive)
        lists, details, redirects = _select(db.conn, run_id, archive, max_details)
        if failures:
            raise CaptureError("nothing written: these columns did not answer:\n  " + "\n  ".join(failures)
                               + ("\n(--column URL captures the columns that do)" if len(failures) < len(columns)
                                  else ""))
        if not [i for i in lists if db.conn.execute("SELECT kind FROM captures WHERE id = ?", [i]).fetchone()[0]
                == "list"]:
            raise CaptureError("nothing written: no list page was captured")
        items = read_captures(archive, lists + details)
        # the body key a column's POSTed list query numbers its pages by (registry list_api)
        page_keys = {quirk_key(c["list_api"]["url"]): c["list_api"].get("page_key", "pageNo")
                     for c in entry.get("columns", []) if c.get("list_api", {}).get("url")}
        for it in items:
            it.source = it.source or source_id  # robots.txt is asked for by Scrapy, for every source
        info = {"source": source_id, "name": entry.get("name"), "spider": spider,
                "render": entry.get("render"), "columns": columns,
                "captured_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "max_list_pages": max_list_pages, "max_details": max_details, "nianbao": __version__}
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.partial-", dir=out_dir.parent))
        manifest = write_capture_dir(staging, items, redirects, info, page_keys)
        for f in manifest["files"]:
            if f.get("unrouted"):
                echo(f"warning: {f['path']} ({f.get('method', 'GET')} {f['url']} {f.get('request_body', '')})"
                     " is written, but the portal server cannot tell its request from another's")
        _check_target(out_dir)  # still free?
        if out_dir.exists():
            out_dir.rmdir()
        os.rename(staging, out_dir)
        staging = None
        return manifest
    finally:
        if db is not None:
            db.conn.close()
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        if workspace is not None:
            shutil.rmtree(workspace, ignore_errors=True)
