"""Datasette plugin: Chinese search in Datasette's own table search, and the archived bytes.

- `escape_fts` is the SQL function Datasette's `?_search=` wraps the query in;
  registering ours last replaces it with the CJK-aware rewrite of search.py, so
  the stock search box and the JSON API find 衡阳, 复议 and 依申请公开.
- `/-/nianbao/capture/<id>` shows an archived response under a banner, with a figure
  highlighted (capture_view.py), so every figure can be traced to its bytes.
"""
from __future__ import annotations

from datasette import hookimpl
from datasette.utils.asgi import Response

from nianbao.publish import capture_view, download
from nianbao.publish.search import fts_query


@hookimpl(trylast=True)  # after Datasette's own prepare_connection, so ours wins
def prepare_connection(conn):
    conn.create_function("escape_fts", 1, fts_query)
    conn.create_function("nianbao_fts_query", 1, fts_query)


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
    return [*capture_view.ROUTES, *download.ROUTES, (r"^/-/nianbao/nianbao\.css$", stylesheet)]


@hookimpl
def extra_template_vars(view_name, datasette):
    return download.extra_template_vars(view_name, datasette)  # the download link (home, database pages)


@hookimpl
def asgi_wrapper():
    return capture_view.hide_server_paths  # /-/databases.json shows absolute paths
