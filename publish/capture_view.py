"""The archived-copy viewer: `/-/nianbao/capture/<id>` and the two routes behind it.

- `/-/nianbao/capture/<id>`: a Datasette page whose banner says this is an archived copy
  (original URL, fetch time, HTTP status, SHA-256, WARC file and offset, the other captures
  of the same URL, a download link), then the archived page in a sandboxed <iframe>, or, for
  a file (PDF, DOC, XLS...), its download link and the text Nianbao extracted from it.
- `/-/nianbao/capture/<id>/view`: what the frame shows: the archived HTML with its links and
  images pointed at their archived copies (or marked as not archived), scripts, refreshes and
  plugins removed, and the figure a `?grid=&row=&col=` or `?q=` link names wrapped in
  `<mark id="nianbao-mark">`.
- `/-/nianbao/capture/<id>/raw`: the bytes exactly as archived, streamed, under the original
  file name; inline only for images, style sheets and fonts the frame loads.

Every answer carries a Content-Security-Policy with `default-src 'none'` and `sandbox`:
an archived page is hostile input served from Datasette's origin, so it never runs a
script, never loads anything from another site and cannot redirect (the CSP sandbox also
covers a raw file opened directly). Grid positions are those of extract/tables.py (the same
parse, the same rowspan/colspan expansion), so a metric's src_grid/src_row/src_col name the
cell the extractor read.
"""
from __future__ import annotations

import asyncio
import html as html_lib
import mimetypes
import os
import re
import unicodedata
import urllib.parse
from pathlib import Path
from typing import Iterator

from datasette.utils.asgi import AsgiStream, NotFound, Response

MARK_ID = "nianbao-mark"
# The largest body the viewer reads (decoded). Larger captures are refused with 413
# rather than held in memory; NIANBAO_VIEW_MAX_BYTES changes it.
DEFAULT_MAX_BYTES = 50 * 1024 * 1024
# Pages larger than this are offered for download but not rewritten/marked in the frame.
DEFAULT_MAX_REWRITE_BYTES = 8 * 1024 * 1024
CHUNK = 64 * 1024

# What the framed copy may load: only the archive itself ('self'), inline styles (pages
# pasted from Word are all style="..."), data: images. No script, no form, no plugin, no
# other site. The sandbox lets a click on a link open the linked archived copy in the
# whole window, and nothing else (no scripts, no same-origin access, no forms).
FRAME_SANDBOX = "allow-top-navigation-by-user-activation allow-downloads"
VIEW_CSP = ("default-src 'none'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
            "font-src 'self' data:; media-src 'self'; frame-src 'self'; frame-ancestors 'self'; "
            "base-uri 'none'; form-action 'none'; sandbox " + FRAME_SANDBOX)
RAW_CSP = "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; sandbox"
# The banner page is our own template: Datasette's scripts and styles, the frame, nothing else.
PAGE_CSP = ("default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            "frame-src 'self'; frame-ancestors 'self'; base-uri 'none'; form-action 'self'")
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}

INLINE_TYPES = ("image/", "text/css", "font/", "application/font", "application/x-font")
TEMPLATES = Path(__file__).with_name("templates")


# -- where the archive is, which database ------------------------------------------

def archive_dir() -> Path | None:
    """The WARC directory, from the server's environment (never from metadata, which is public)."""
    value = os.environ.get("NIANBAO_ARCHIVE")
    return Path(value) if value else None


def max_bytes() -> int:
    try:
        return int(os.environ.get("NIANBAO_VIEW_MAX_BYTES", DEFAULT_MAX_BYTES))
    except ValueError:
        return DEFAULT_MAX_BYTES


def pick_database(datasette, request):
    """The database named by ?db= (404 if there is none of that name), else the first file database."""
    name = request.args.get("db")
    if name:
        if name not in datasette.databases or name == "_internal" or datasette.databases[name].is_memory:
            raise NotFound(f"no database {name!r}")
        return datasette.databases[name]
    for db_name, db in datasette.databases.items():
        if db_name != "_internal" and not db.is_memory:
            return db
    raise NotFound("no database")


def db_param(datasette, name: str) -> str | None:
    """What links to the viewer need as ?db= for database `name`: nothing for the database
    the viewer opens by default (the first file database), else its name."""
    first = next((n for n, db in datasette.databases.items() if n != "_internal" and not db.is_memory), None)
    return None if name == first else name


def add_db(url: str, db: str | None) -> str:
    """A viewer link with ?db= first in its query (other links and db=None: unchanged)."""
    if not db or "/-/nianbao/capture/" not in url or "db=" in url:
        return url
    path, _, fragment = url.partition("#")
    path, _, query = path.partition("?")
    query = urllib.parse.urlencode({"db": db}) + ("&" + query if query else "")
    return f"{path}?{query}" + (f"#{fragment}" if fragment else "")


CAPTURE_COLUMNS = ("id, url, fetched_at, status, content_type, content_length, sha256, warc_file, "
                   "warc_offset, warc_length, record_type, kind, filename, link_text, referer")


async def capture_row(db, capture_id: int) -> dict:
    if capture_id > 2 ** 62:
        raise NotFound(f"no capture {capture_id}")
    rows = (await db.execute(f"select {CAPTURE_COLUMNS} from captures where id = ?", [capture_id])).rows
    if not rows:
        raise NotFound(f"no capture {capture_id}")
    return dict(rows[0])


def with_db(path: str, request, **params) -> str:
    """A viewer URL keeping ?db= of the current request."""
    query = {k: v for k, v in params.items() if v is not None}
    if request is not None and request.args.get("db"):
        query = {"db": request.args.get("db"), **query}
    return path + ("?" + urllib.parse.urlencode(query) if query else "")


# Methods whose src_grid numbers the grids the viewer rebuilds (HTML tables, or an attachment's
# tables as its reader returns them); text-layout and flattened grids are cut from the text.
GRID_METHODS = ("table", "ocr")


def figure_url(capture_id: int, raw: str | None = None, method: str | None = None, src_grid: int | None = None,
               src_row: int | None = None, src_col: int | None = None, db: str | None = None) -> str:
    """The viewer link of one figure (a metrics or harmonized row): its cell when the row has
    a grid position the viewer can rebuild, else its text; the raw text rides along as a
    fallback for the viewer."""
    params: dict = {"db": db} if db else {}
    if method in GRID_METHODS and None not in (src_grid, src_row, src_col):
        params.update(grid=src_grid, row=src_row, col=src_col)
    if raw:
        params["q"] = raw
    return f"/-/nianbao/capture/{capture_id}" + ("?" + urllib.parse.urlencode(params) if params else "") + \
        (f"#{MARK_ID}" if raw or "grid" in params else "")


# -- reading the body (the one place to plug in a bounded streaming reader) ---------

class TooLarge(Exception):
    pass


try:  # the bounded reader's refusal (archive/store.py, issue 9); absent from older archives
    from nianbao.archive.store import BodyTooLarge
except ImportError:  # pragma: no cover - depends on the archive stage's version
    class BodyTooLarge(Exception):
        pass


def read_archived(conn, directory: Path, capture_id: int, limit: int):
    """(StoredBody without its body, chunks): a capture's body in chunks of at most CHUNK bytes.

    With archive/store.py's bounded streaming reader (`Archive.open_body`) the body is read
    from the WARC file and inflated chunk by chunk as it is sent, never whole, and reading
    past `limit` decoded bytes raises BodyTooLarge. An archive without it goes through
    `Archive.read` (the whole body in memory); the size check after it keeps a body over
    `limit` from being sent or parsed."""
    import sqlite_utils

    from nianbao.archive.store import Archive, StoredBody

    archive = Archive(sqlite_utils.Database(conn), directory)
    if hasattr(archive, "open_body"):
        stream = archive.open_body(capture_id, limit)
        meta = StoredBody(stream.capture_id, stream.url, stream.status, stream.headers, b"", stream.fetched_at,
                          stream.content_type)

        def streamed() -> Iterator[bytes]:
            try:
                yield from stream.chunks(CHUNK)
            finally:
                stream.close()

        return meta, streamed()
    stored = archive.read(capture_id)
    if len(stored.body) > limit:
        raise TooLarge(f"capture {capture_id} is {len(stored.body):,} bytes (limit {limit:,})")
    body, stored.body = stored.body, b""

    def chunks() -> Iterator[bytes]:
        view = memoryview(body)
        for start in range(0, len(view), CHUNK):
            yield bytes(view[start:start + CHUNK])

    return stored, chunks()


async def load(db, capture_id: int, row: dict, limit: int | None = None):
    directory = archive_dir()
    if directory is None or not directory.is_dir():
        raise NotFound("archive directory not configured (nianbao serve --archive DIR)")
    limit = limit or max_bytes()
    # content_length is the length as received; a compressed body can only grow, so a
    # capture already over the limit is refused before a byte is read
    if (row.get("content_length") or 0) > limit:
        raise TooLarge(f"capture {capture_id} is {row['content_length']:,} bytes (limit {limit:,})")
    try:
        return await db.execute_fn(lambda conn: read_archived(conn, directory, capture_id, limit))
    except BodyTooLarge as e:
        raise TooLarge(str(e))
    except (KeyError, FileNotFoundError) as e:
        raise NotFound(f"capture {capture_id}: archived body not found ({e})")


async def body_bytes(db, capture_id: int, row: dict, limit: int | None = None):
    """The whole body, for pages the viewer parses (bounded by `limit`)."""
    stored, chunks = await load(db, capture_id, row, limit)
    try:
        return stored, await asyncio.to_thread(lambda: b"".join(chunks))
    except BodyTooLarge as e:
        raise TooLarge(str(e))


def too_large(e: Exception) -> Response:
    return Response.text(f"413: {e}. 文件过大，无法在线查看。", status=413,
                         headers={**SECURITY_HEADERS, "Content-Security-Policy": RAW_CSP})


# -- file names and types ------------------------------------------------------------

def _disposition_filename(value: str | None) -> str | None:
    if not value:
        return None
    m = re.search(r"filename\*\s*=\s*([\w-]+)'[^']*'([^;]+)", value, re.I)
    if m:
        try:
            return urllib.parse.unquote(m.group(2).strip(), encoding=m.group(1))
        except LookupError:
            pass
    m = re.search(r'filename\s*=\s*"([^"]*)"|filename\s*=\s*([^;]+)', value, re.I)
    if m:
        name = (m.group(1) or m.group(2) or "").strip()
        return urllib.parse.unquote(name) if "%" in name else name
    return None


def download_name(row: dict, headers: dict | None = None) -> str:
    """The file's original name: as indexed, else the archived Content-Disposition, else the URL."""
    name = row.get("filename") or _disposition_filename((headers or {}).get("content-disposition"))
    if not name:
        path = urllib.parse.urlsplit(row["url"]).path
        name = urllib.parse.unquote(path.rsplit("/", 1)[-1]) or f"capture-{row['id']}"
        if "." not in name:
            ext = mimetypes.guess_extension((row.get("content_type") or "").split(";")[0].strip()) or ""
            name += ext
    name = re.sub(r'[\x00-\x1f/\\"]', "_", name).strip() or f"capture-{row['id']}"
    return name[:200]


def content_disposition(name: str, inline: bool) -> str:
    # the plain filename= is for old clients only; filename*= carries the real (Chinese) name
    stem, dot, ext = name.rpartition(".")
    ascii_stem = re.sub(r"[^A-Za-z0-9._ -]", "", (stem if dot else name).encode("ascii", "ignore").decode())
    ascii_ext = re.sub(r"[^A-Za-z0-9]", "", ext) if dot else ""
    ascii_name = (ascii_stem.strip(" .") or "download") + (f".{ascii_ext}" if ascii_ext else "")
    return (f"{'inline' if inline else 'attachment'}; filename=\"{ascii_name}\"; "
            f"filename*=UTF-8''{urllib.parse.quote(name, safe='')}")


def media_type(row: dict, headers: dict | None = None) -> str:
    value = (headers or {}).get("content-type") or row.get("content_type") or "application/octet-stream"
    return value.replace("\r", "").replace("\n", "")


def page_kind(row: dict, head: bytes | None = None) -> str:
    """'html', 'text', 'image' or 'file' (shown as a download and its extracted text)."""
    ct = (row.get("content_type") or "").lower()
    if ct.startswith("image/"):
        return "image"
    if head is not None:
        from nianbao.extract.document import UnreadableDocument, sniff

        try:
            kind = sniff(head, row.get("content_type"), row.get("filename"))
        except UnreadableDocument:
            return "file"
        return {"html": "html", "text": "text"}.get(kind, "file")
    if "html" in ct:
        return "html"
    if ct.startswith("text/plain"):
        return "text"
    return "file"


# -- the raw route ---------------------------------------------------------------------

async def capture_raw(request, datasette):
    capture_id = int(request.url_vars["id"])
    db = pick_database(datasette, request)
    row = await capture_row(db, capture_id)
    try:
        stored, chunks = await load(db, capture_id, row)
    except TooLarge as e:
        return too_large(e)
    ctype = media_type(row, stored.headers)
    inline = ctype.lower().startswith(INLINE_TYPES) and request.args.get("download") is None
    headers = {
        **SECURITY_HEADERS,
        "Content-Security-Policy": RAW_CSP,
        "Content-Disposition": content_disposition(download_name(row, stored.headers), inline),
        "X-Nianbao-Archived-Url": row["url"].encode("ascii", "ignore").decode(),
        "X-Nianbao-Fetched-At": row["fetched_at"] or "",
    }

    async def stream(writer):
        while True:
            try:
                chunk = await asyncio.to_thread(next, chunks, None)
            except BodyTooLarge:
                break  # inflated past the limit after the headers went out: the download ends short
            if chunk is None:
                break
            await writer.send({"type": "http.response.body", "body": chunk, "more_body": True})

    return AsgiStream(stream, status=200, headers=headers, content_type=ctype)


# -- rewriting an archived page for the frame ------------------------------------------

URL_ATTRS = {  # element -> attributes holding a URL to another archived response
    "a": ("href",), "area": ("href",), "img": ("src",), "link": ("href",), "input": ("src",),
    "source": ("src",), "video": ("src", "poster"), "audio": ("src",), "track": ("src",),
    "iframe": ("src",), "frame": ("src",), "table": ("background",), "td": ("background",),
    "th": ("background",), "body": ("background",),
}
NAVIGATION = {"a", "area"}
REMOVE = ("script", "object", "embed", "applet", "base", "portal")
VIEW_STYLE = """
mark#nianbao-mark, mark.nianbao-mark { background: #ffe14d; color: #000; outline: 3px solid #e8590c; }
mark#nianbao-mark { scroll-margin-top: 35vh; }
.nianbao-not-archived { color: #777 !important; text-decoration: line-through dotted !important; cursor: not-allowed; }
img.nianbao-not-archived { outline: 1px dashed #999; min-width: 2em; min-height: 1em; }
"""


def absolute(base: str, ref: str | None) -> str | None:
    ref = (ref or "").strip()
    if not ref or ref.startswith("#"):
        return None
    try:
        url = urllib.parse.urljoin(base, ref)
    except ValueError:
        return None
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        return None
    return urllib.parse.urldefrag(url)[0]


def archived_targets(conn, urls: set[str], fetched_at: str | None) -> dict[str, int]:
    """url -> capture id of its archived copy: a 2xx answer if there is one, the latest fetched
    at or before this page (as the page was then), else the earliest after it."""
    by_url: dict[str, list[tuple]] = {}
    urls = sorted(urls)
    for start in range(0, len(urls), 500):
        batch = urls[start:start + 500]
        sql = f"select url, id, status, fetched_at from captures where url in ({', '.join('?' * len(batch))})"
        for url, cid, status, at in conn.execute(sql, batch).fetchall():
            by_url.setdefault(url, []).append((at or "", cid, status or 0))
    found = {}
    for url, cands in by_url.items():
        good = [c for c in cands if 200 <= c[2] < 300] or cands
        before = [c for c in good if c[0] <= (fetched_at or "")]
        found[url] = (max(before) if before else min(good))[1]
    return found


def _not_archived(tag, attr: str, url: str) -> None:
    tag[f"data-nianbao-original-{attr}"] = url
    del tag[attr]
    tag["class"] = (tag.get("class") or []) + ["nianbao-not-archived"]
    tag["title"] = f"未存档 Not archived: {url}"


def rewrite_links(soup, page_url: str, targets: dict[str, int], request) -> None:
    for tag in soup.find_all(list(URL_ATTRS)):
        for attr in URL_ATTRS[tag.name]:
            if not tag.has_attr(attr):
                continue
            value = tag[attr] if isinstance(tag[attr], str) else " ".join(tag[attr])
            if value.strip().startswith("#"):
                continue
            url = absolute(page_url, value)
            if url is None:
                scheme = value.strip().lower().split(":", 1)[0]
                if scheme in ("mailto", "tel") and tag.name in NAVIGATION:
                    continue
                if scheme == "data" and tag.name not in NAVIGATION:
                    continue  # an inline image: part of the page itself
                # javascript:, malformed: nothing to follow in an archive
                tag[f"data-nianbao-original-{attr}"] = value
                del tag[attr]
                tag["title"] = "脚本链接，存档中不运行 Script link: does not run in the archive"
                continue
            cid = targets.get(url)
            tag.attrs.pop("target", None)  # archived links open in the whole window, unarchived ones nowhere
            if cid is None:
                if tag.name == "link":
                    tag.decompose()  # an unarchived style sheet or icon: nothing to show
                    break
                _not_archived(tag, attr, url)
                continue
            fragment = urllib.parse.urlsplit(urllib.parse.urljoin(page_url, value)).fragment
            if tag.name in NAVIGATION:
                tag[attr] = with_db(f"/-/nianbao/capture/{cid}", request) + (f"#{fragment}" if fragment else "")
                tag["target"] = "_top"
                tag["data-nianbao-original-href"] = url
            elif tag.name in ("iframe", "frame"):
                tag[attr] = with_db(f"/-/nianbao/capture/{cid}/view", request)
            else:
                tag[attr] = with_db(f"/-/nianbao/capture/{cid}/raw", request)
        if tag.decomposed:
            continue
        for attr in ("srcset", "ping", "longdesc", "action"):
            if tag.has_attr(attr):
                del tag[attr]


def link_urls(soup, page_url: str) -> set[str]:
    urls = set()
    for tag in soup.find_all(list(URL_ATTRS)):
        for attr in URL_ATTRS[tag.name]:
            if tag.has_attr(attr) and isinstance(tag[attr], str):
                url = absolute(page_url, tag[attr])
                if url:
                    urls.add(url)
    return urls


def neutralise(soup) -> str | None:
    """Remove what must never act from the archive's origin: scripts, plugins, <base>,
    meta refreshes (an open redirect); the page's <base href> is returned for resolving links."""
    base = soup.find("base", href=True)
    base_href = base["href"] if base else None
    for tag in soup.find_all(REMOVE):
        tag.decompose()
    for meta in soup.find_all("meta"):
        if (meta.get("http-equiv") or "").strip().lower() in ("refresh", "set-cookie"):
            meta.decompose()
    for tag in soup.find_all(True):
        for attr in [a for a in tag.attrs if a.lower().startswith("on")]:
            del tag[attr]  # event handlers never run under the CSP; dropped so they do not even show
    for form in soup.find_all("form"):
        form.attrs.pop("action", None)
    return base_href


# -- marking a figure -------------------------------------------------------------------

def _fold(ch: str) -> str:
    """What a character is compared as: NFKC (full-width digits), no whitespace."""
    return "".join(c for c in unicodedata.normalize("NFKC", ch) if not c.isspace())


def _folded_index(text_pieces: list[str]) -> tuple[str, list[tuple[int, int]]]:
    """The folded text of the pieces and, per folded character, (piece index, char offset)."""
    folded, where = [], []
    for p, piece in enumerate(text_pieces):
        for i, ch in enumerate(piece):
            for f in _fold(ch):
                folded.append(f)
                where.append((p, i))
    return "".join(folded), where


def find_text(pieces: list[str], query: str) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """First occurrence of `query` in the pieces' joint text (whitespace and width ignored):
    ((first piece, offset), (last piece, offset after the last char))."""
    needle = "".join(_fold(ch) for ch in query or "")
    if not needle:
        return None
    folded, where = _folded_index(pieces)
    at = folded.find(needle)
    if at < 0:
        return None
    first = where[at]
    last_piece, last_off = where[at + len(needle) - 1]
    return first, (last_piece, last_off + 1)


SKIP_TEXT = {"script", "style", "title", "head", "textarea", "option", "noscript", "template"}


def _text_nodes(root) -> list:
    from bs4 import Comment, NavigableString

    nodes = []
    for node in root.descendants:
        if isinstance(node, NavigableString) and not isinstance(node, Comment) and type(node) is NavigableString:
            if not any(p.name in SKIP_TEXT for p in node.parents if p is not None and p.name):
                nodes.append(node)
    return nodes


def mark_text(soup, query: str) -> bool:
    """Wrap the first occurrence of `query` in the page's text in <mark> (one per text node it
    spans; the first has id="nianbao-mark")."""
    root = soup.body or soup
    nodes = _text_nodes(root)
    span = find_text([str(n) for n in nodes], query)
    if span is None:
        return False
    (p0, o0), (p1, o1) = span
    first = True
    for p in range(p0, p1 + 1):
        node = nodes[p]
        text = str(node)
        start = o0 if p == p0 else 0
        end = o1 if p == p1 else len(text)
        if start >= end:
            continue
        mark = soup.new_tag("mark")
        mark.string = text[start:end]
        if first:
            mark["id"] = MARK_ID
            first = False
        else:
            mark["class"] = ["nianbao-mark"]
        pieces = [x for x in (text[:start], mark, text[end:]) if not isinstance(x, str) or x]
        node.replace_with(*pieces)
    return not first


def mark_cell(soup, grid: int, row: int, col: int) -> bool:
    """Wrap the contents of the table cell at (grid, row, col) of extract/tables.py in <mark>."""
    from bs4 import Tag

    from nianbao.extract.tables import grids_from_soup

    grids = grids_from_soup(soup)
    if not 0 <= grid < len(grids):
        return False
    elements = getattr(grids[grid], "elements", None) or []
    if not 0 <= row < len(elements) or not 0 <= col < len(elements[row]):
        return False
    cell = elements[row][col]
    if cell is None:
        return False
    # wrap the cell's own content; a table nested in it is a grid of its own and stays outside
    runs, run = [], []
    for child in list(cell.contents):
        nested = isinstance(child, Tag) and (child.name == "table" or child.find("table") is not None)
        if nested:
            if run:
                runs.append(run)
            run = []
        else:
            run.append(child)
    runs = runs + [run] if run else runs
    if not runs:
        return False
    for i, run in enumerate(runs):
        mark = soup.new_tag("mark", id=MARK_ID) if i == 0 else soup.new_tag("mark", attrs={"class": "nianbao-mark"})
        run[0].insert_before(mark)
        for child in run:
            mark.append(child.extract())
    return True


def _int_arg(request, name: str) -> int | None:
    value = request.args.get(name)
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


def highlight_request(request) -> dict:
    return {"grid": _int_arg(request, "grid"), "row": _int_arg(request, "row"), "col": _int_arg(request, "col"),
            "q": (request.args.get("q") or "")[:2000] or None}


def apply_highlight(soup, want: dict) -> bool:
    if None not in (want["grid"], want["row"], want["col"]):
        if mark_cell(soup, want["grid"], want["row"], want["col"]):
            return True
    return bool(want["q"]) and mark_text(soup, want["q"])


def render_archived_page(conn, html: str, row: dict, request, want: dict) -> tuple[str, bool]:
    """(the page to show in the frame, whether the figure was marked). Runs in a database
    thread: parsing is CPU work and the link lookups need the connection."""
    from nianbao.extract.tables import parse_html

    soup = parse_html(html)
    marked = apply_highlight(soup, want)  # before anything is removed, so positions are the extractor's
    base_href = neutralise(soup)
    base = urllib.parse.urljoin(row["url"], base_href) if base_href else row["url"]
    targets = archived_targets(conn, link_urls(soup, base), row.get("fetched_at"))
    rewrite_links(soup, base, targets, request)
    style = soup.new_tag("style")
    style.string = VIEW_STYLE
    (soup.head or soup).insert(0, style)
    return str(soup), marked


async def capture_frame(request, datasette):
    """The archived page as the frame shows it (rewritten, marked, inert)."""
    capture_id = int(request.url_vars["id"])
    db = pick_database(datasette, request)
    row = await capture_row(db, capture_id)
    try:
        stored, body = await body_bytes(db, capture_id, row)
    except TooLarge as e:
        return too_large(e)
    headers = {**SECURITY_HEADERS, "Content-Security-Policy": VIEW_CSP}
    kind = page_kind(row, body[:4096]) if body else "text"
    if kind == "html" and len(body) <= DEFAULT_MAX_REWRITE_BYTES:
        from nianbao.extract.document import decode_html

        _, html = decode_html(body, stored.headers.get("content-type") or row.get("content_type"))
        want = highlight_request(request)
        page, _ = await db.execute_fn(lambda conn: render_archived_page(conn, html, row, request, want))
        return Response(page, status=200, headers=headers, content_type="text/html; charset=utf-8")
    if kind in ("text", "html"):
        from nianbao.extract.document import decode_text

        return Response(decode_text(body), headers=headers, content_type="text/plain; charset=utf-8")
    # images and files are not pages: the frame shows the image, or says to download the file
    if kind == "image":
        img = with_db(f"/-/nianbao/capture/{capture_id}/raw", request)
        return Response(f'<!doctype html><img src="{html_lib.escape(img)}" alt="">', headers=headers,
                        content_type="text/html; charset=utf-8")
    return Response("<!doctype html><p>文件请下载查看。Download the file to view it.</p>", headers=headers,
                    content_type="text/html; charset=utf-8")


# -- the banner page -------------------------------------------------------------------

def _page_title(body: bytes, content_type: str | None) -> str | None:
    from nianbao.extract.document import decode_html

    _, html = decode_html(body[:200_000], content_type)
    m = re.search(r"<title[^>]*>(.*?)</title>", html, re.I | re.S)
    return html_lib.unescape(re.sub(r"\s+", " ", m.group(1))).strip()[:300] if m else None


def text_with_mark(text: str, query: str | None) -> tuple[str, bool]:
    """Escaped HTML of a document's extracted text with the first occurrence of `query` marked."""
    if query:
        span = find_text([text], query)
        if span:
            (_, start), (_, end) = span
            return (html_lib.escape(text[:start]) + f'<mark id="{MARK_ID}">' + html_lib.escape(text[start:end])
                    + "</mark>" + html_lib.escape(text[end:])), True
    return html_lib.escape(text), False


def grid_with_mark(cells: list[list[str]], row: int | None, col: int | None) -> str:
    out = ['<table class="nianbao-grid">']
    for r, cells_row in enumerate(cells):
        out.append("<tr>")
        for c, cell in enumerate(cells_row):
            text = html_lib.escape(cell or "")
            if r == row and c == col:
                text = f'<mark id="{MARK_ID}">{text}</mark>'
            out.append(f"<td>{text}</td>")
        out.append("</tr>")
    out.append("</table>")
    return "".join(out)


async def document_text(body: bytes, stored, row: dict, want: dict) -> dict:
    """The extracted text (and the marked grid) of a file capture, through the extract readers."""
    from nianbao.extract.document import UnreadableDocument, read_document

    try:
        doc = await asyncio.to_thread(read_document, body, stored.headers.get("content-type")
                                      or row.get("content_type"), row.get("filename"))
    except UnreadableDocument as e:
        return {"error": str(e)}
    except Exception as e:  # a reader that fails must not take the page down
        return {"error": f"{type(e).__name__}: {e}"}
    result = {"marked": False}
    grids = doc.get("grids") or []
    if None not in (want["grid"], want["row"], want["col"]) and 0 <= want["grid"] < len(grids):
        cells = grids[want["grid"]].cells
        if 0 <= want["row"] < len(cells) and 0 <= want["col"] < len(cells[want["row"]]):
            result["grid_html"] = grid_with_mark(cells, want["row"], want["col"])
            result["grid_index"] = want["grid"]
            result["marked"] = True
    text_html, marked = text_with_mark(doc.get("text") or "", None if result["marked"] else want["q"])
    result["text_html"] = text_html
    result["marked"] = result["marked"] or marked
    return result


async def capture_page(request, datasette):
    capture_id = int(request.url_vars["id"])
    db = pick_database(datasette, request)
    row = await capture_row(db, capture_id)
    want = highlight_request(request)
    versions = [dict(r) for r in (await db.execute(
        "select id, fetched_at, status, sha256, record_type from captures where url = ? order by fetched_at, id "
        "limit 200", [row["url"]])).rows]
    reports = []
    try:  # the report(s) this response was read as: a way back from the copy to the figures
        for rid, title in (await db.execute(
                "select r.id, r.title from documents d join reports r on r.id = d.report_id "
                "where d.capture_id = ? order by r.id limit 10", [capture_id])).rows:
            reports.append({"title": title or f"#{rid}", "url": datasette.urls.row(db.name, "reports", str(rid))})
    except Exception:
        pass  # a database without the derived tables (archive only): no report to link
    context = {
        "capture": row, "versions": versions, "reports": reports, "want": want, "highlighting": any(v is not None for v in want.values()),
        "raw_url": with_db(f"/-/nianbao/capture/{capture_id}/raw", request),
        "download_url": with_db(f"/-/nianbao/capture/{capture_id}/raw", request, download=1),
        "version_url": lambda cid: with_db(f"/-/nianbao/capture/{cid}", request),
        "sandbox": FRAME_SANDBOX, "frame_url": None, "title": None, "document": None, "error": None,
        "redirect": None,
    }
    try:
        stored, body = await body_bytes(db, capture_id, row)
    except TooLarge as e:
        stored, body = None, None
        context["error"] = f"文件过大，无法在线查看，请下载。 Too large to show here: download it. ({e})"
    if stored is not None:
        context["filename"] = download_name(row, stored.headers)
        kind = page_kind(row, body[:4096]) if body else "text"
        context["kind"] = kind
        location = stored.headers.get("location")
        if 300 <= (row["status"] or 0) < 400 and location:
            target = absolute(row["url"], location)
            if target:
                cid = (await db.execute_fn(lambda conn: archived_targets(conn, {target}, row.get("fetched_at")))
                       ).get(target)
                context["redirect"] = {"url": target,
                                       "archived": with_db(f"/-/nianbao/capture/{cid}", request) if cid else None}
        if kind == "html":
            context["title"] = _page_title(body, stored.headers.get("content-type") or row.get("content_type"))
        if kind in ("html", "text", "image"):
            params = {k: v for k, v in want.items() if v is not None}
            context["frame_url"] = with_db(f"/-/nianbao/capture/{capture_id}/view", request, **params) + (
                f"#{MARK_ID}" if params else "")
        elif want["q"] or want["grid"] is not None or request.args.get("text"):
            context["document"] = await document_text(body, stored, row, want)
        else:
            context["text_url"] = with_db(f"/-/nianbao/capture/{capture_id}", request, text=1)
    else:
        context["filename"] = download_name(row)
        context["kind"] = "file"
    template = datasette.jinja_env.from_string((TEMPLATES / "nianbao_capture.html").read_text("utf-8"))
    html = await datasette.render_template(template, context, request=request, view_name="nianbao_capture")
    return Response.html(html, headers={**SECURITY_HEADERS, "Content-Security-Policy": PAGE_CSP})


ROUTES = [
    (r"^/-/nianbao/capture/(?P<id>\d+)$", capture_page),
    (r"^/-/nianbao/capture/(?P<id>\d+)/view$", capture_frame),
    (r"^/-/nianbao/capture/(?P<id>\d+)/raw$", capture_raw),
]


# -- no server paths in public JSON --------------------------------------------------------

HIDDEN_PATHS = ("/-/databases.json", "/-/databases")


def hide_server_paths(app):
    """ASGI wrapper: Datasette's /-/databases.json lists each database file's absolute path;
    the server's directories are nobody's business, so it answers 404."""
    async def wrapped(scope, receive, send):
        if scope.get("type") == "http" and scope.get("path") in HIDDEN_PATHS:
            body = b"404: not published"
            await send({"type": "http.response.start", "status": 404,
                        "headers": [[b"content-type", b"text/plain; charset=utf-8"],
                                    [b"content-length", str(len(body)).encode()]]})
            await send({"type": "http.response.body", "body": body})
            return
        await app(scope, receive, send)

    return wrapped
