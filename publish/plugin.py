"""Datasette plugin: Chinese search in Datasette's own table search, and the archived bytes.

- `escape_fts` is the SQL function Datasette's `?_search=` wraps the query in;
  registering ours last replaces it with the CJK-aware rewrite of search.py, so
  the stock search box and the JSON API find 衡阳, 复议 and 依申请公开.
- `/-/nianbao/capture/<id>` serves a capture's body exactly as archived, so
  every figure can be traced from metrics -> reports -> captures -> bytes.
"""
from __future__ import annotations

import os
from pathlib import Path

from datasette import hookimpl
from datasette.utils.asgi import Response

from nianbao.publish import analysis
from nianbao.publish.analysis import extra_body_script, menu_links  # noqa: F401  (analysis layer hooks)
from nianbao.publish.search import fts_query


@hookimpl(trylast=True)  # after Datasette's own prepare_connection, so ours wins
def prepare_connection(conn):
    conn.create_function("escape_fts", 1, fts_query)
    conn.create_function("nianbao_fts_query", 1, fts_query)


def _archive_dir(datasette) -> Path | None:
    config = datasette.plugin_config("nianbao") or {}
    value = config.get("archive") or os.environ.get("NIANBAO_ARCHIVE")
    return Path(value) if value else None


async def capture_body(request, datasette):
    capture_id = int(request.url_vars["id"])
    directory = _archive_dir(datasette)
    if directory is None or not directory.exists():
        return Response.text("archive directory not configured (nianbao serve --archive DIR)", status=404)
    from nianbao.archive.store import Archive

    db_name = request.args.get("db") or next(
        (name for name, db in datasette.databases.items() if not db.is_memory and name != "_internal"), None)
    database = datasette.get_database(db_name)

    def read(conn):
        import sqlite_utils

        return Archive(sqlite_utils.Database(conn), directory).read(capture_id)

    try:
        stored = await database.execute_fn(read)
    except KeyError:
        return Response.text(f"no capture {capture_id}", status=404)
    content_type = stored.headers.get("content-type") or "application/octet-stream"
    headers = {"X-Nianbao-Archived-Url": stored.url.encode("ascii", "ignore").decode(),
               "X-Nianbao-Fetched-At": stored.fetched_at,
               "Content-Security-Policy": "script-src 'none'"}  # archived pages never run scripts here
    return Response(stored.body, status=200, headers=headers, content_type=content_type)



# Table views show the start of long report texts; row pages (body.row) show it all.
CSS = """
dl.column-descriptions { columns: 3 22em; column-gap: 2em; font-size: 0.8rem; margin: 0.5em 0; }
dl.column-descriptions dt { break-after: avoid; }
dl.column-descriptions dd { break-before: avoid; margin-bottom: 0.3em; }
body.table td.col-text { max-width: 40em; }
body.table td.col-title, body.table td.col-body { min-width: 12em; }
body.table td.col-url { max-width: 16em; word-break: break-all; font-size: 0.85em; }
body.table td.col-text { display: -webkit-box; -webkit-line-clamp: 4; -webkit-box-orient: vertical; overflow: hidden; }
"""


async def stylesheet(request):
    return Response(CSS, content_type="text/css; charset=utf-8")


@hookimpl
def extra_css_urls():
    return ["/-/nianbao/nianbao.css"]


@hookimpl
def register_routes():
    return [(r"^/-/nianbao/capture/(?P<id>\d+)$", capture_body), (r"^/-/nianbao/nianbao\.css$", stylesheet),
            *analysis.ROUTES]
