"""Datasette hooks of the reading UI: the report page's data and links in every cell.

Registered as its own Datasette plugin (entry point `nianbao_ui` in pyproject.toml), next to
publish/plugin.py, so the two can change independently. Templates live in
publish/templates (passed to Datasette with --template-dir by `nianbao serve`):
row-nianbao-reports.html is the report page, index.html and database.html the home pages,
table.html and its partials (_table.html, _facet_results.html, _suggested_facets.html) the
table pages, with codes in words (codes.py).
"""
from __future__ import annotations

import os

from datasette import hookimpl

from .capture_view import db_param
from .cells import figure_labels, render
from .codes import COLUMN_NAMES, code_labels
from .home import home_vars
from .report_page import report_context


def _archive_dir(datasette) -> str | None:
    config = datasette.plugin_config("nianbao") or {}
    return config.get("archive") or os.environ.get("NIANBAO_ARCHIVE")


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    return render(row, value, column, table, database, datasette)


@hookimpl
def extra_template_vars(template, database, table, view_name, request, datasette):
    if view_name in ("index", "database"):   # "database" is also every query page
        async def page_vars():
            home = await home_vars(datasette, database if view_name == "database" else None,
                                   request.actor if request else None)
            return {**home, "nianbao_columns": COLUMN_NAMES}
        return page_vars
    if view_name == "table":
        # codes in words for the facets (_facet_results.html) and the filter form (table.html)
        async def table_vars():
            figures = await figure_labels(datasette, database) if table == "figure_values" else None
            return {"nianbao_codes": code_labels(table, figures), "nianbao_columns": COLUMN_NAMES}
        return table_vars
    if view_name == "row" and table != "reports":
        # another table's row (_nianbao_row.html): codes in words, Chinese titles of the tables that point at it
        async def row_vars():
            tables = (datasette.metadata(database=database) or {}).get("tables") or {}
            return {"nianbao_codes": code_labels(table), "nianbao_columns": COLUMN_NAMES,
                    "nianbao_titles": {t: m.get("title") for t, m in tables.items() if m.get("title")}}
        return row_vars
    if view_name != "row" or table != "reports" or request is None:
        return None

    async def report_vars():
        try:
            report_id = int(request.url_vars["pks"])
        except (KeyError, ValueError):
            return {}
        db = datasette.get_database(database)
        base = datasette.urls.path("")
        if base.endswith("/"):
            base = base[:-1]
        context = await db.execute_fn(
            lambda conn: report_context(conn, report_id, base, _archive_dir(datasette), db.path,
                                        db=db_param(datasette, database)))
        tables = (datasette.metadata(database=database) or {}).get("tables") or {}
        return {"nianbao_report": context,
                "nianbao_titles": {t: m.get("title") for t, m in tables.items() if m.get("title")}}

    return report_vars
