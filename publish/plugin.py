"""Datasette plugin: Chinese search in Datasette's own table search, and the archived bytes.

- `escape_fts` is the SQL function Datasette's `?_search=` wraps the query in;
  registering ours last replaces it with the CJK-aware rewrite of search.py, so
  the stock search box and the JSON API find 衡阳, 复议 and 依申请公开.
- `nianbao_snippet(text, query)` cuts the original text around the first match with
  every match in `<mark>` (the `search` canned query uses it; `render_cell` shows a
  `snippet` column's marks as marks, everything else escaped).
- The reports table's `?_search=` is ours (table_search.py): one index walk in rowid
  order before the view decides whether the search has more than NIANBAO_FACET_MAX_HITS
  hits (5,000); then the count is skipped, the page's rows are read by id, and the page
  says so. Facets of type `capped` (metadata.json) are column facets that are counted
  only when a search leaves at most that many rows: counting three facets over 90,000
  hits of a common word took seconds; their headers stay and say why they are empty.
- `/-/nianbao/capture/<id>` shows an archived response under a banner, with a figure
  highlighted (capture_view.py), so every figure can be traced to its bytes.
"""
from __future__ import annotations

from datasette import hookimpl
from datasette.utils.asgi import Response

from nianbao.publish import analysis, capture_view, download
from nianbao.publish.analysis import extra_body_script, menu_links  # noqa: F401  (analysis layer hooks)
from nianbao.publish import table_search
from nianbao.publish.search import fts_query, snippet, snippet_html


@hookimpl(trylast=True)  # after Datasette's own prepare_connection, so ours wins
def prepare_connection(conn):
    conn.create_function("escape_fts", 1, fts_query)
    conn.create_function("nianbao_fts_query", 1, fts_query)
    conn.create_function("nianbao_snippet", 2, snippet, deterministic=True)
    # Read pages through a memory map: a search with 90,000 hits looks up every hit's
    # row (Datasette's count); from the map that costs half what pread() calls do.
    conn.execute("PRAGMA mmap_size = 4294967296")


@hookimpl
def render_cell(value, column, table):
    if column == "snippet" and table is None and isinstance(value, str):
        from markupsafe import Markup

        return Markup(snippet_html(value))  # escaped, but for our own <mark> tags
    return None


facet_max_hits = table_search.max_hits


@hookimpl(trylast=True)  # after Datasette's own search filter, so our search box setting wins
def filters_from_request(request, database, table, datasette):
    return table_search.filters(request, database, table, datasette)


def _capped_facet_class():
    from datasette.facets import ColumnFacet

    class CappedColumnFacet(ColumnFacet):
        """A column facet that is not counted over a search with too many hits.

        Without a search the facet reads the column's index and is quick at any size;
        with one, counting means looking up every hit's row. Above the cap the facet is
        listed with no values and `"capped": true`, so the page and the JSON API stay fast
        and a narrower search (or a filter) brings the counts back."""
        type = "capped"

        async def suggest(self):
            return []  # suggestions are ColumnFacet's job

        async def facet_results(self):
            searching = bool((self.request.args.get("_search") or "").strip()) or any(
                k.startswith("_search_") for k in self.request.args)
            if not searching or not self.get_configs():
                return await super().facet_results()
            state = table_search.search_state(self.request)
            if state is not None:  # the wrapper asked the index: no count to run here
                if not state["many"]:
                    return await super().facet_results()
                hits = None
            else:
                hits = await self.get_row_count()
                if hits is not None and hits <= facet_max_hits():
                    return await super().facet_results()
            cap = facet_max_hits()
            results = []
            for source_and_config in self.get_configs():
                config = source_and_config["config"]
                column = config.get("column") or config["simple"]
                results.append({
                    "name": column, "type": self.type, "hideable": False,
                    "toggle_url": self.ds.urls.path(self.request.path), "results": [], "truncated": True,
                    "capped": True, "hits": hits, "more_than": cap,
                    "note": f"{f'{hits:,}' if hits is not None else f'多于 {cap:,}'} 条结果，多于 {cap:,} 条时不分面计数；"
                            f"请缩小搜索范围 (not counted over more than {cap:,} hits: narrow the search)",
                })
            return results, []

    return CappedColumnFacet


@hookimpl
def register_facet_classes():
    return [_capped_facet_class()]


# Table views show the start of long report texts; row pages (body.row) show it all.
CSS = """
/* a canned query's SQL wraps instead of making the page three screens wide */
pre#sql-query { white-space: pre-wrap; word-break: break-word; }
dl.column-descriptions { columns: 3 22em; column-gap: 2em; font-size: 0.8rem; margin: 0.5em 0; }
dl.column-descriptions dt { break-after: avoid; }
dl.column-descriptions dd { break-before: avoid; margin-bottom: 0.3em; }
body.table td.col-text { max-width: 40em; }
body.table td.col-title, body.table td.col-body { min-width: 12em; }
body.table td.col-url { max-width: 16em; word-break: break-all; font-size: 0.85em; }
p.nianbao-search-note { border-left: 4px solid #d4a017; padding: 0.2em 0 0.2em 0.6em; }
/* codes in words (codes.py): the code itself small and grey beside its label */
.nb-code { color: #777; font-size: 0.8em; font-weight: normal; }
th .nb-col-zh { white-space: nowrap; }
.facet-info li.nb-facet-value { break-inside: avoid; }
.facet-info .nb-count { color: #555; }
.nb-facet-note { color: #a60; font-size: 0.85em; margin: 0.2em 0; }
details.nb-column-notes > summary, details.nb-definition > summary { cursor: pointer; color: #555; }
body.table td.col-text { display: -webkit-box; -webkit-line-clamp: 4; -webkit-box-orient: vertical; overflow: hidden; }
"""


async def stylesheet(request):
    return Response(CSS, content_type="text/css; charset=utf-8")


@hookimpl
def extra_css_urls():
    return ["/-/nianbao/nianbao.css"]


@hookimpl
def register_routes():
    return [*capture_view.ROUTES, *download.ROUTES, (r"^/-/nianbao/nianbao\.css$", stylesheet),
            *analysis.ROUTES]


@hookimpl
def extra_template_vars(view_name, request, datasette):
    if view_name == "table":  # over a search too common to count, a line that says so
        return {"nianbao_search_note": table_search.search_note(request)}
    return download.extra_template_vars(view_name, datasette)  # the download link (home, database pages)


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        # /-/databases.json shows absolute paths; the reports search is decided before the view
        return table_search.search_wrapper(datasette, capture_view.hide_server_paths(app))
    return wrap
