"""The reports table's `?_search=` in Datasette, fast at 100,000 reports.

Datasette's own search filter turns `?_search=` into `id in (select rowid from fts where
fts match ...)`: every hit is found and stored before the first row is read, and the page
does it three times or more (the rows, the count, each facet). For a word in nearly every
report, a phrase of 3+ bigrams (依申请公开, 政府信息) or a prefix ("2019年" -> "2019 年"*),
one such evaluation costs 70-300 ms over 100,000 reports. So:

1. `search_wrapper` (an ASGI wrapper, before the view) asks the index once, in rowid order,
   for the hits after the page's cursor: `... match ? [and rowid > :next] order by rowid
   limit max(CAP, page size) + 1`. FTS5 walks its doclists in rowid order and stops there,
   so a phrase costs a few ms however common it is (a prefix still merges its terms once).
2. More than CAP hits (NIANBAO_FACET_MAX_HITS, 5,000): the wrapper adds `_nocount=capped`
   to the query (Datasette then skips its count), the `capped` facets (plugin.py) are
   listed without values, and the page says so in Chinese first (`search_note`). A link
   carrying `_nocount=capped` (the next page, the search form's hidden fields) is decided
   afresh: the wrapper drops it and asks again, so a narrower search gets its count and
   facets back. A `_nocount` the reader typed is left alone.
3. `filters` (the `filters_from_request` hook, in place of Datasette's: metadata.json
   names no `fts_table` for reports, so Datasette's own search filter stays out) gives the
   rows clause. When the table is in its default order (by id) with no other filter, and
   there are more than CAP hits, the page's rows are the first page-size + 1 hits the
   wrapper already has: `id in (<those ids>)`, the same rows in the same order as the
   full clause would give, and `_next` pagination works as before. Any other request
   (few hits, a filter, `_sort`, CSV streaming, column search `_search_title=`) gets the
   full clause, exactly what Datasette wrote.
4. A term ending in a lone character is a prefix query (search.py); FTS5 answers one by
   merging the doclists of every term the prefix covers, ~100 ms to 1 s at 100,000
   reports whatever the LIMIT. The wrapper spells the prefix out as the OR of its terms
   (`prefix_terms`, listed once per index state): the same rows, walked in rowid order.
"""
from __future__ import annotations

import logging
import os
import sqlite3
import urllib.parse

from nianbao.fts import CONTENT_TABLE, FTS_TABLE
from nianbao.publish.search import fts_query

log = logging.getLogger(__name__)
SCOPE_KEY = "nianbao.search"
CAPPED = "capped"  # the value of the `_nocount` the wrapper adds (and may drop again)
# arguments that leave the table in Datasette's default order over just the search's hits
PLAIN_ARGS = {"_search", "_next", "_size", "_nocount", "_nofacet", "_nosuggest", "_col", "_nocol", "_labels",
              "_label", "_json", "_shape", "_trace", "_timelimit", "_nl", "_dl", "_header", "_context"}


def max_hits() -> int:
    return int(os.environ.get("NIANBAO_FACET_MAX_HITS", "5000"))


MAX_PREFIX_TERMS = 500  # a prefix covering more terms stays a prefix query
_VOCAB: dict[tuple, tuple[str, ...] | None] = {}  # (file, index structure, char) -> its terms


def prefix_terms(conn, char: str) -> tuple[str, ...] | None:
    """The index's terms that start with `char`, None when more than MAX_PREFIX_TERMS.

    Listing them reads their doclists once (fts5vocab counts them), about what one prefix
    query costs, so the list is kept until the index changes: the key holds the FTS5
    structure record (row 10 of the `_data` table), which every write to the index rewrites."""
    structure = conn.execute(f"select block from [{FTS_TABLE}_data] where id = 10").fetchone()
    path = conn.execute("select file from pragma_database_list where name = 'main'").fetchone()[0]
    key = (path, structure[0] if structure else None, char)
    if key not in _VOCAB:
        conn.execute(f"create virtual table if not exists temp.nianbao_vocab using fts5vocab(main, [{FTS_TABLE}], row)")
        terms = [t for (t,) in conn.execute(
            "select term from temp.nianbao_vocab where term >= ? and term < ?", [char, chr(ord(char) + 1)])
            if t.startswith(char)]
        if len(_VOCAB) > 4096:
            _VOCAB.clear()
        _VOCAB[key] = tuple(terms) if len(terms) <= MAX_PREFIX_TERMS else None
    return _VOCAB[key]


def match_expression(conn, search: str, raw: bool = False) -> str:
    """The MATCH expression of a `_search`, prefixes spelled out as their terms (search.py)."""
    return search if raw else fts_query(search, lambda char: prefix_terms(conn, char))


def _split_path(datasette, path: str) -> tuple[str, str, str] | None:
    """(database, table, format) of a table URL (`/db/table`, `/db/table.json`), else None."""
    from datasette.utils import tilde_decode

    base = datasette.setting("base_url") or "/"
    if base != "/" and path.startswith(base):
        path = "/" + path[len(base):]
    parts = path.strip("/").split("/")
    if len(parts) != 2:
        return None
    table, _, fmt = parts[1].partition(".")
    return tilde_decode(parts[0]), tilde_decode(table), fmt


def search_wrapper(datasette, app):
    async def wrapped(scope, receive, send):
        if scope.get("type") == "http" and b"_search=" in scope.get("query_string", b""):
            try:
                scope = await _prepare(datasette, scope)
            except sqlite3.Error:  # a query FTS5 rejects (`_searchmode=raw`): Datasette reports it
                pass
            except Exception:  # never fail a search here: the view's full clause still answers
                log.exception("reports search: could not decide before the view")
        await app(scope, receive, send)

    return wrapped


async def _prepare(datasette, scope: dict) -> dict:
    where = _split_path(datasette, scope.get("path", ""))
    if where is None or where[1] != CONTENT_TABLE or where[0] not in datasette.databases:
        return scope
    database, table, _ = where
    decoded = urllib.parse.parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
    ours = [(k, v) for k, v in decoded if not (k == "_nocount" and v == CAPPED)]
    args = dict(ours)
    search = (args.get("_search") or "").strip()
    db = datasette.get_database(database)
    if not search or not await db.table_exists(FTS_TABLE):
        return _with_query(scope, ours, decoded)
    cap = max_hits()
    page_size = _page_size(datasette, database, table, args)
    after = _cursor(args)
    plain = (page_size is not None and after is not False and set(args) <= PLAIN_ARGS
             and "_stream" not in args and not _default_sort(datasette, database, table))
    match = await db.execute_fn(lambda conn: match_expression(conn, search, args.get("_searchmode") == "raw"))
    want = max(cap, page_size or 0) + 1
    sql = (f"select rowid from [{FTS_TABLE}] where [{FTS_TABLE}] match :q"
           + (" and rowid > :after" if after else "") + " order by rowid limit :n")
    ids = [r[0] for r in await db.execute(sql, {"q": match, "after": after, "n": want})]
    many = len(ids) > cap
    if not many and after:  # fewer after the cursor: how many are there in all?
        sql = f"select count(*) from (select rowid from [{FTS_TABLE}] where [{FTS_TABLE}] match :q limit :n)"
        many = (await db.execute(sql, {"q": match, "n": cap + 1})).first()[0] > cap
    state = {"database": database, "table": table, "search": args.get("_search"), "many": many, "cap": cap,
             "match": match,
             "page_ids": ids[:page_size + 1] if (many and plain) else None}
    if many and "_nocount" not in args:
        ours.append(("_nocount", CAPPED))
    scope = _with_query(scope, ours, decoded)
    scope[SCOPE_KEY] = state
    return scope


def _with_query(scope: dict, pairs: list, original: list) -> dict:
    if pairs == original:
        return scope
    return dict(scope, query_string=urllib.parse.urlencode(pairs).encode("ascii"))


def _page_size(datasette, database, table, args) -> int | None:
    """The page size Datasette will use (it reads one row more to know there is a next page)."""
    size = args.get("_size") or datasette.table_metadata(database, table).get("size")
    if size == "max":
        return datasette.setting("max_returned_rows")
    try:
        return int(size) if size else datasette.setting("default_page_size")
    except ValueError:
        return None  # Datasette answers 400 itself


def _cursor(args) -> int | None | bool:
    """The id after which the page starts (`_next` in the default order), None on the first
    page, False when `_next` is not an id."""
    value = args.get("_next")
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        return False


def _default_sort(datasette, database, table) -> bool:
    meta = datasette.table_metadata(database, table)
    return bool(meta.get("sort") or meta.get("sort_desc"))


def search_state(request) -> dict | None:
    """What the wrapper found for this request, if it searched the reports table."""
    if request is None:
        return None
    return request.scope.get(SCOPE_KEY)


def filters(request, database, table, datasette):
    """The `filters_from_request` hook for the reports table: the search box and its clause."""
    if table != CONTENT_TABLE:
        return None

    async def inner():
        from datasette.filters import FilterArguments
        from datasette.utils import escape_sqlite
        from datasette.utils.asgi import BadRequest

        db = datasette.get_database(database)
        if not await db.table_exists(FTS_TABLE):
            return None
        args = request.args
        raw = args.get("_searchmode") == "raw"
        where, params, described = [], {}, []
        context = {"supports_search": True}
        search = args.get("_search")
        if search is not None:
            context["search"] = search
            if search.strip():
                state = search_state(request)
                if state and state["page_ids"] is not None and state["search"] == search \
                        and (state["database"], state["table"]) == (database, table):
                    ids = ", ".join(str(int(i)) for i in state["page_ids"])
                    where.append(f"[id] in ({ids})")  # this page's hits, found by the wrapper
                elif state and state["search"] == search and (state["database"], state["table"]) == (database, table) \
                        and not raw and state["match"] != fts_query(search):
                    # a prefix, spelled out as its terms: the same rows, read in rowid order
                    where.append(f"[id] in (select rowid from [{FTS_TABLE}] where [{FTS_TABLE}] match :search_fts)")
                    params["search_fts"] = state["match"]
                else:
                    where.append(f"[id] in (select rowid from [{FTS_TABLE}] where [{FTS_TABLE}] match "
                                 + (":search)" if raw else "escape_fts(:search))"))
                params["search"] = search
                described.append(f'search matches "{search}"')
        else:
            columns = None
            for i, key in enumerate(k for k in args if k.startswith("_search_")):
                column = key[len("_search_"):]
                columns = columns or await db.table_columns(FTS_TABLE)
                if column not in columns:
                    raise BadRequest("Cannot search by that column")
                where.append(f"[id] in (select rowid from [{FTS_TABLE}] where {escape_sqlite(column)} match "
                             + (f":search_{i})" if raw else f"escape_fts(:search_{i}))"))
                params[f"search_{i}"] = args.get(key)
                described.append(f'search column "{column}" matches "{args.get(key)}"')
                context["search"] = args.get(key)
        return FilterArguments(where, params, described, context)

    return inner


def search_note(request) -> str | None:
    """The line the table page shows over a search with too many hits to count."""
    state = search_state(request)
    if not state or not state["many"]:
        return None
    cap = state["cap"]
    return (f"约 {cap:,}+ 条结果：结果多于 {cap:,} 条时不精确计数，年度、格式、发布机关的分面统计也仅在结果不多于 "
            f"{cap:,} 条时显示。请缩小搜索范围或添加筛选条件。"
            f" More than {cap:,} reports match: they are not counted, and the facets are shown only for "
            f"{cap:,} hits or fewer. Narrow the search or add a filter.")
