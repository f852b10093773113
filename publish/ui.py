"""Datasette hooks of the reading UI: the report page's data and links in every cell.

Registered as its own Datasette plugin (entry point `nianbao_ui` in pyproject.toml), next to
publish/plugin.py, so the two can change independently. Templates live in
publish/templates (passed to Datasette with --template-dir by `nianbao serve`):
row-nianbao-reports.html is the report page, index.html and database.html the home pages.
"""
from __future__ import annotations

import os

from datasette import hookimpl

from .cells import render
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
    if view_name in ("index", "database"):
        return lambda: home_vars(datasette, database if view_name == "database" else None,
                                 request.actor if request else None)
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
            lambda conn: report_context(conn, report_id, base, _archive_dir(datasette), db.path))
        return {"nianbao_report": context}

    return report_vars
