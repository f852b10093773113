"""How single cells read in Datasette's tables (the `render_cell` hook, see ui.py).

Every `report_id` leads to the report page, every `capture_id` to the archived copy (and
the index row behind it), a report's or capture's URL to both the live page and the
archived copy, and counts print as integers (a float that is a whole number shows as 94,
not 94.0). Anything else is left to Datasette (None).
"""
from __future__ import annotations

from markupsafe import Markup, escape

import time

from .analysis import code_label
from .capture_view import add_db, db_param
from .check_words import describe
from .codes import label_of
from .report_page import ARCHIVE_ROUTE, format_value

# tables and views whose report_id / capture_id columns get links (any other table keeps Datasette's)
REPORT_ID_TABLES = {"metrics", "harmonized", "checks", "documents", "report_versions", "metric_values",
                    "harmonized_values", "report_figures", "coverage"}

# tables and views whose status / level columns are coverage statuses and body levels
CODE_LABEL_TABLES = {"coverage", "bodies", "report_figures", "figure_values"}


def _plain(value):
    """Datasette passes an expanded foreign key as {"value": 3, "label": "…"}."""
    if isinstance(value, dict) and "value" in value:
        return value["value"], value.get("label")
    return value, None


def _get(row, column):
    try:
        return _plain(row[column])[0]
    except (KeyError, IndexError):
        return None


def archived_link(datasette, capture_id, database: str | None = None) -> Markup:
    path = ARCHIVE_ROUTE.format(id=capture_id)
    if database is not None:
        path = add_db(path, db_param(datasette, database))   # the viewer opens the first database by default
    return Markup('<a class="nianbao-archived" href="{}" title="存档副本 archived copy">存档副本 #{}</a>').format(
        datasette.urls.path(path), capture_id)


_CODES: dict[str, tuple[float, dict]] = {}


async def _codes(datasette, database) -> dict:
    """code -> (label_zh, row_label, column_label, unit), refreshed every minute (extract reloads it)."""
    cached = _CODES.get(database)
    if cached and time.monotonic() - cached[0] < 60:
        return cached[1]
    db = datasette.get_database(database)
    rows = (await db.execute("SELECT code, label_zh, row_label, column_label, unit FROM metric_codes")).rows
    names = (await db.execute("SELECT name, label_zh, unit FROM harmonized_names")).rows
    codes = {r[0]: tuple(r[1:]) for r in rows}
    codes.update({n[0]: (n[1], n[1], None, n[2]) for n in names})
    _CODES[database] = (time.monotonic(), codes)
    return codes


async def figure_labels(datasette, database) -> dict:
    """harmonized name -> Chinese label (figure_values.figure), from the dictionary table."""
    try:
        codes = await _codes(datasette, database)
    except Exception:        # a database without the dictionary
        return {}
    db = datasette.get_database(database)
    names = {r[0] for r in (await db.execute("SELECT name FROM harmonized_names")).rows}
    return {name: codes[name][0] for name in names if name in codes and codes[name][0]}


def code_cell(words: str, code) -> Markup:
    """A code in words, the code itself beside it in small type and on hover."""
    return Markup('<span class="nianbao-code" title="{}">{}</span> <small class="nb-code">{}</small>').format(
        code, words, code)


async def render(row, value, column, table, database, datasette):
    plain, label = _plain(value)
    if plain is None or plain == "":
        return None
    if column == "detail" and table in ("checks", None) and isinstance(plain, str) and _get(row, "rule"):
        # a check's figures in words (Chinese, then the stored detail)
        try:
            words = describe(_get(row, "rule"), bool(_get(row, "ok")) if _get(row, "ok") is not None else "≠" not in plain,
                             plain, await _codes(datasette, database))
        except Exception:        # a database without the dictionary: leave the cell to Datasette
            return None
        return Markup('{}<br><small style="color:#666">{}</small>').format(words.zh, plain)
    if column in ("status", "level") and (table in CODE_LABEL_TABLES or table is None):
        words = code_label(column, plain)       # 逾期 late, 县级 county
        if words:
            return Markup('<span class="nianbao-code" title="{}">{}</span>').format(plain, words)
    if table is not None and not isinstance(plain, float):
        figures = await figure_labels(datasette, database) if table == "figure_values" and column == "figure" else None
        words = label_of(table, column, plain, figures)   # 2019 年版全国格式 gk2019, 文章页 detail
        if words:
            return code_cell(words, plain)
    if column == "capture_id" and isinstance(plain, int):
        return Markup('<span style="white-space: nowrap">{} <a class="nianbao-index" href="{}" '
                      'title="存档记录 archive index row">索引</a></span>').format(
            archived_link(datasette, plain, database), datasette.urls.row(database, "captures", plain))
    if column == "report_id" and isinstance(plain, int) and (table in REPORT_ID_TABLES or table is None):
        if label is None:
            db = datasette.get_database(database)
            found = (await db.execute("SELECT title FROM reports WHERE id = ?", [plain])).first()
            label = found[0] if found else None
        return Markup('<a class="nianbao-report" href="{}">{}</a>').format(
            datasette.urls.row(database, "reports", plain), label or f"报告 #{plain}")
    if table == "reports" and column == "title" and _get(row, "id") is not None:
        return Markup('<a class="nianbao-report" href="{}">{}</a>').format(
            datasette.urls.row(database, "reports", _get(row, "id")), plain)
    if table in ("reports", "captures", "documents") and column == "url" and isinstance(plain, str):
        capture_id = _get(row, "id") if table == "captures" else _get(row, "capture_id")
        # in the reports table the URL would squeeze the title column: the report page shows it in full
        shown = "原网页" if table == "reports" else plain
        live = Markup('<a class="nianbao-live" href="{}" title="{}">{}</a>').format(plain, plain, shown)
        if capture_id is None:
            return live
        return live + Markup(" · " if table == "reports" else "<br>") + archived_link(datasette, capture_id, database)
    if isinstance(plain, float) and column not in ("warc_offset",):
        return Markup(escape(format_value(plain)))
    return None
