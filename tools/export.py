"""Export archived responses as a folder the fixture portal server can serve.

Each exported capture is written to ``DIR/<url path>`` with the archived bytes (content
encoding undone, nothing else: a GBK page stays GBK). What a static folder cannot say by
itself goes into ``DIR/quirks.json``, in the format `nianbao.demo_portal.server.Quirks`
reads, the convention the family fixture portals (``tests/portals/<family>/site``) use:

* a URL with a query string (``/gkmlpt/api/all/2050?page=2&sid=755001``,
  ``/module/web/jpage/dataproxy.jsp?startrecord=3&…``) is written next to its path as
  ``<stem>_<query><ext>`` (``2050_page2_sid755001.json``, the extension from the answer's
  type) and routed there: ``{"/gkmlpt/api/all/2050?page=2&sid=755001": {"file":
  "/gkmlpt/api/all/2050_page2_sid755001.json", "content_type": "application/json"}}``;
* a path that cannot be a file at its own place (``/xxgk/ndbg`` when ``/xxgk/ndbg/…`` is
  a folder too, a second body for the same path) is routed the same way;
* a Content-Type the server would not guess from the extension is kept
  (``{"/a/index.html": {"content_type": "text/html; charset=GBK"}}``);
* an archived redirect becomes ``{"redirect": location, "redirect_status": 301}``;
* answers to JSON bodies POSTed to one URL (TRS irs ``POST /irs/front/list``, one body per
  list page) are each written to a file named for the body's page number
  (``/irs/front/list_pageNo2.json``) and routed by a ``json_body`` rule: ``{"/irs/front/list":
  {"json_body": {"require": {"tenantId": 303, "tableName": "t_…"}, "page_key": "pageNo",
  "pages": {"1": "/irs/front/list_pageNo1.json", "2": …}}, "content_type": …}}`` (``require``:
  the body's top-level scalars that every page shares; a list of such rules when several
  lists are queried at one URL). A form POSTed with the paging in the URL (Hanweb
  ``dataproxy.jsp?startrecord=…`` by POST) is routed by its URL like a GET.

``DIR/CAPTURED.json`` says where each file came from (`write_capture_dir`); a page a
browser crawl archived is the rendered DOM, not the bytes sent, and is marked ``rendered``;
a POSTed request's ``method`` and ``request_body`` are listed too.
"""
from __future__ import annotations

import hashlib
import json
import mimetypes
import posixpath
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urljoin, urlsplit

from nianbao.archive.store import Archive
from nianbao.archive.warcfile import read_record

MANIFEST = "CAPTURED.json"
QUIRKS = "quirks.json"
_RESERVED = {QUIRKS, MANIFEST}       # names the capture itself writes (the server never serves quirks.json)
_SLUG_MAX = 60                       # characters of a query kept in a file name
_NAME_MAX = 200                      # bytes of one path component (filesystems allow 255)
_UNSAFE = re.compile(r"[^A-Za-z0-9.-]+")
_SCRIPT_EXTS = {".jsp", ".php", ".asp", ".aspx", ".do", ".action", ".cgi", ".ashx"}
# body keys a list query commonly pages by, when the caller does not say
_PAGE_KEYS = ("pageNo", "page", "pageIndex", "pageNum", "currentPage", "current", "pn")


@dataclass
class Exported:
    capture_id: int
    url: str
    status: int
    kind: str
    fetched_at: str
    content_type: str | None
    source: str | None
    body: bytes
    path: str = ""  # site path, "/a/b.html"
    rendered: bool = False  # the DOM headless Chromium rendered (crawler/browser.py), not bytes sent
    method: str = "GET"
    request_body: bytes | None = None  # of a request the archive kept (a POST): which answer this is
    request_type: str | None = None    # its Content-Type
    routed: bool = True  # set by `plan`: False if no quirk leads a request to this file

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.body).hexdigest()


def quirk_key(url: str) -> str:
    """The request target as the portal server matches it: path?query, percent-decoded."""
    parts = urlsplit(url)
    return unquote((parts.path or "/") + (f"?{parts.query}" if parts.query else ""))


def natural_path(url: str) -> str | None:
    """Where a static server finds this URL (``/a/`` -> ``/a/index.html``); None if it has a query."""
    parts = urlsplit(url)
    if parts.query:
        return None
    raw = unquote(parts.path or "/")
    path = "/" + posixpath.normpath("/" + raw).lstrip("/")
    if raw.endswith("/") or path == "/":
        path = path.rstrip("/") + "/index.html"
    return path


def served_type(path: str) -> str:
    """The Content-Type the portal server sends for a file at `path`."""
    from nianbao.demo_portal.server import CONTENT_TYPES

    suffix = posixpath.splitext(path)[1].lower()
    return CONTENT_TYPES.get(suffix) or mimetypes.guess_type(path)[0] or "application/octet-stream"


def _norm_type(value: str | None) -> str:
    return re.sub(r"\s+", "", (value or "").lower())


def _ext_for(content_type: str | None, body: bytes, url_ext: str) -> str:
    """A file extension that says what the answer is: from its type and first bytes."""
    head = body[:200].lstrip()
    sniffed = (".json" if head[:1] in (b"{", b"[") else
               ".xml" if head.startswith(b"<?xml") or head.lower().startswith(b"<datastore") else None)
    ctype = (content_type or "").split(";")[0].strip().lower()
    if "json" in ctype:
        return ".json"
    if "xml" in ctype:
        return ".xml"
    if "javascript" in ctype:
        return sniffed or ".js"
    if sniffed:
        return sniffed  # JSON or XML sent as text/html or text/plain (common)
    if "html" in ctype:
        return url_ext if url_ext.lower() in (".htm", ".html", ".shtml") else ".html"
    if url_ext and url_ext.lower() not in _SCRIPT_EXTS:
        return url_ext
    guess = mimetypes.guess_extension(ctype) if ctype else None
    return guess or (".html" if head[:1] == b"<" else ".bin")


def _query_slug(query: str) -> str:
    """``page=2&sid=755001`` -> ``page2_sid755001`` (ASCII letters, digits, dots and dashes)."""
    parts = []
    for k, v in parse_qsl(query, keep_blank_values=True):
        piece = _UNSAFE.sub("", k) + _UNSAFE.sub("", v)
        if piece:
            parts.append(piece)
    slug = "_".join(parts) or _UNSAFE.sub("", query)
    if len(slug) > _SLUG_MAX:
        slug = slug[:_SLUG_MAX].rstrip("_") + "_" + hashlib.sha1(query.encode()).hexdigest()[:8]
    return slug


def _too_long(path: str) -> bool:
    return any(len(part.encode("utf-8")) > _NAME_MAX for part in path.split("/"))


def _ident(item: Exported) -> bytes:
    """What tells this answer from others at its URL: the URL, and a kept request's body."""
    return item.url.encode() + (item.request_body or b"")


def _alt_path(item: Exported, taken: dict[str, str], dirs: set[str], salt: bool = False, extra: str = "") -> str:
    """A file name for what cannot sit at its URL's own path (`extra`: added to the stem)."""
    parts = urlsplit(item.url)
    raw = unquote(parts.path or "/")
    path = "/" + posixpath.normpath("/" + raw).lstrip("/")
    if raw.endswith("/") or path == "/":
        folder, name = path.rstrip("/"), "index"
    else:
        folder, name = posixpath.split(path)
    stem, url_ext = posixpath.splitext(name)
    if not stem:
        stem, url_ext = name or "index", ""
    ext = _ext_for(item.content_type, item.body, url_ext)
    stem = stem + (f"_{_query_slug(parts.query)}" if parts.query else "") + extra
    if salt:
        stem += "_" + hashlib.sha1(_ident(item)).hexdigest()[:8]
    candidate = posixpath.join(folder or "/", stem + ext)
    if _too_long(candidate):
        candidate = posixpath.join(folder or "/", hashlib.sha1(_ident(item)).hexdigest()[:16] + ext)
    if (candidate in taken and taken[candidate] != item.sha256) or candidate in dirs \
            or posixpath.basename(candidate) in _RESERVED:
        if salt:
            raise ValueError(f"no file name for {item.url}")
        return _alt_path(item, taken, dirs, salt=True, extra=extra)
    return candidate


def _parents(path: str) -> list[str]:
    out, cur = [], posixpath.dirname(path)
    while cur not in ("/", ""):
        out.append(cur)
        cur = posixpath.dirname(cur)
    return out


def _json_query(item: Exported) -> dict | None:
    """The JSON object a POST (or other non-GET) sent, if its body is one."""
    if item.method == "GET" or not item.request_body:
        return None
    try:
        query = json.loads(item.request_body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return query if isinstance(query, dict) else None


def _scalar(value) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


def _page_key(queries: list[dict], given: str | None) -> str | None:
    """The body key that numbers the pages: `given` (a registry list_api's page_key), else
    the one scalar key whose value differs between the bodies, else a usual name."""
    if given:
        return given if all(_scalar(q.get(given)) and given in q for q in queries) else None
    common = [k for k in queries[0] if all(k in q and _scalar(q[k]) for q in queries)]
    differing = [k for k in common if len({json.dumps(q[k]) for q in queries}) > 1]
    if len(differing) == 1:
        return differing[0]
    usual = [k for k in _PAGE_KEYS if k in common and (k in differing or not differing)]
    return usual[0] if usual else None


def _plan_json_posts(items: list[Exported], page_key: str | None, taken: dict[str, str],
                     dirs: set[str]) -> dict | None:
    """Files and the ``json_body`` rule for the answers to JSON bodies POSTed to one URL;
    None (route them by URL) when no page key numbers them. Sets each item's path, and
    ``routed`` False for an answer no rule can lead to."""
    from nianbao.demo_portal.server import json_body_file

    queries = [_json_query(it) for it in items]
    key = _page_key(queries, page_key)
    if key is None:
        return None

    def page_of(q: dict) -> str:
        return str(q[key])

    def name(q: dict, tag: str = "") -> str:
        return tag + "_" + (_UNSAFE.sub("", key) + _UNSAFE.sub("", page_of(q)) or "page")

    def spec(require: dict, group: list[int]) -> dict:
        return {"require": require, "page_key": key,
                "pages": {page_of(queries[i]): items[i].path for i in group if items[i].routed}}

    def assign(group: list[int], tag: str = "") -> None:
        pages: dict[str, str] = {}  # page -> sha256 of the answer that page gets
        for i in group:
            it, q = items[i], queries[i]
            it.path = _alt_path(it, taken, dirs, extra=name(q, tag))
            taken[it.path] = it.sha256
            it.routed = pages.setdefault(page_of(q), it.sha256) == it.sha256

    pages = {}
    if all(pages.setdefault(page_of(q), it.sha256) == it.sha256 for it, q in zip(items, queries)):
        # one list: each page number has one answer; require what every body holds alike
        assign(list(range(len(items))))
        first = queries[0]
        require = {k: v for k, v in first.items() if k != key and _scalar(v)
                   and all(k in q and q[k] == v for q in queries)}
        rule = spec(require, list(range(len(items))))
    else:
        # several lists queried at one URL (two irs columns): one rule per body but its page
        # number, each requiring its scalars and whatever tells it from the others
        groups: dict[str, list[int]] = {}
        for i, q in enumerate(queries):
            rest = {k: v for k, v in q.items() if k != key}
            groups.setdefault(json.dumps(rest, sort_keys=True, ensure_ascii=False), []).append(i)
        rests = [json.loads(c) for c in groups]
        differing = {k for r in rests for k in r if any(o.get(k, object()) != r[k] for o in rests)}
        rule = []
        for canon, group in groups.items():
            assign(group, "_" + hashlib.sha1(canon.encode()).hexdigest()[:8])
            rest = json.loads(canon)
            rule.append(spec({k: v for k, v in rest.items() if _scalar(v) or k in differing}, group))
        rule.sort(key=lambda r: -len(r["require"]))  # the most specific first
    for it, q in zip(items, queries):
        if it.routed and json_body_file(rule, json.dumps(q).encode()) != it.path:
            it.routed = False
    return rule


def plan(items: list[Exported], redirects: list[tuple[str, int, str]] = (),
         page_keys: dict[str, str] | None = None) -> dict[str, dict]:
    """Give each item its site path (``item.path``); return the quirks that route to them.

    `redirects` are (url, status, location) of archived redirects, routed when no file
    answers the same target. `page_keys`: {quirk_key(url): the JSON body key that numbers
    the pages POSTed there} (a registry list_api's page_key), else it is inferred. An item
    no route can lead to (a second answer for one request target) gets ``routed`` False."""
    quirks: dict[str, dict] = {}
    by_key: dict[str, list[Exported]] = {}
    for it in items:
        by_key.setdefault(quirk_key(it.url), []).append(it)
    # answers chosen by a POSTed JSON body: routed by it, never at their URL's own path
    posted = {k for k, its in by_key.items() if all(_json_query(it) is not None for it in its)}
    naturals = {id(it): None if quirk_key(it.url) in posted else natural_path(it.url) for it in items}
    dirs = {d for p in naturals.values() if p for d in _parents(p)}
    taken: dict[str, str] = {}  # site path -> sha256 of the body written there
    answer: dict[str, str] = {}  # request target -> sha256 of the answer routed there
    # Files at their own path first (so that routed names never take those), then the rest.
    deferred = []
    for it in items:
        p = naturals[id(it)]
        if p and p not in dirs and not _too_long(p) and posixpath.basename(p) not in _RESERVED \
                and taken.get(p, it.sha256) == it.sha256:
            it.path = p
            taken[p] = it.sha256
            key = quirk_key(it.url)
            if answer.setdefault(key, it.sha256) != it.sha256:
                it.routed = False
            elif it.content_type and _norm_type(it.content_type) != _norm_type(served_type(p)):
                quirks[key] = {"content_type": it.content_type}
        else:
            deferred.append(it)
    for key in [k for k in by_key if k in posted]:
        rule = _plan_json_posts(by_key[key], (page_keys or {}).get(key), taken, dirs)
        if rule is None:
            continue  # no page number: routed by URL below
        quirks[key] = {"json_body": rule}
        ctype = next((it.content_type for it in by_key[key] if it.content_type), None)
        if ctype:
            quirks[key]["content_type"] = ctype
        deferred = [it for it in deferred if quirk_key(it.url) != key]
    for it in deferred:
        it.path = _alt_path(it, taken, dirs)
        taken[it.path] = it.sha256
        key = quirk_key(it.url)
        if answer.setdefault(key, it.sha256) != it.sha256:
            it.routed = False  # one target, two answers (bodies the portal server cannot tell apart)
            continue
        rule = {"file": it.path}
        if it.content_type:
            rule["content_type"] = it.content_type
        quirks[key] = rule
    answered = {quirk_key(it.url) for it in items}
    for url, status, location in redirects:
        key = quirk_key(url)
        if key in answered or key in quirks or not location:
            continue
        target = urljoin(url, location)
        t, u = urlsplit(target), urlsplit(url)
        if (t.hostname or "").lower() == (u.hostname or "").lower():
            # the portal's own host: keep it on whatever host serves the capture
            location = (t.path or "/") + (f"?{t.query}" if t.query else "")
        else:
            location = target
        quirks[key] = {"redirect": location, "redirect_status": status}
    return quirks


def _rendered(archive: Archive, warc_file: str, offset: int) -> bool:
    record, fh = read_record(archive.directory / warc_file, offset)
    try:
        http = record.http_headers
        return bool(http and http.get_header("X-Nianbao-Rendered"))
    finally:
        fh.close()


def read_captures(archive: Archive, capture_ids: list[int]) -> list[Exported]:
    """The captures' bodies and facts, in the order given."""
    out = []
    for cid in capture_ids:
        row = archive.db.execute(
            "SELECT id, url, status, kind, fetched_at, content_type, source, warc_file, warc_offset"
            " FROM captures WHERE id = ?", [cid]
        ).fetchone()
        if row is None:
            raise KeyError(cid)
        stored = archive.read(cid)
        item = Exported(row[0], row[1], row[2], row[3] or "other", row[4], row[5], row[6], stored.body,
                        rendered=_rendered(archive, row[7], row[8]))
        request = archive.request_of(cid)
        if request is not None:
            item.method, headers, item.request_body = request[0], request[1], request[2]
            item.request_type = next((v for k, v in headers if k.lower() == "content-type"), None)
        out.append(item)
    return out


def _request_facts(it: Exported) -> dict:
    if it.request_body is None and it.method == "GET":
        return {}
    facts = {"method": it.method, "request_body": (it.request_body or b"").decode("utf-8", "replace")}
    if it.request_type:
        facts["request_content_type"] = it.request_type
    return facts


def write_capture_dir(out_dir: str | Path, items: list[Exported], redirects: list[tuple[str, int, str]] = (),
                      info: dict | None = None, page_keys: dict[str, str] | None = None) -> dict:
    """Write the items under `out_dir` at their planned paths (`plan`), quirks.json if any
    route is needed, and CAPTURED.json (`info` first, then ``files``: url, path, fetched_at,
    status, content_type, sha256, source, kind, for a POST method, request_body and
    request_content_type, ``"unrouted": true`` for a file no quirk leads to; and
    ``redirects``). Returns the manifest."""
    out = Path(out_dir)
    quirks = plan(items, redirects, page_keys)
    written: set[str] = set()
    for it in items:
        if it.path in written:
            continue  # two URLs, one body (``/a/`` and ``/a/index.html``)
        f = out / it.path.lstrip("/")
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_bytes(it.body)
        written.add(it.path)
    if quirks:
        (out / QUIRKS).write_text(json.dumps(quirks, ensure_ascii=False, indent=1) + "\n", "utf-8")
    manifest = dict(info or {})
    manifest["files"] = [{"url": it.url, "path": it.path.lstrip("/"), "fetched_at": it.fetched_at,
                          "status": it.status, "content_type": it.content_type, "sha256": it.sha256,
                          "source": it.source, "kind": it.kind, **({"rendered": True} if it.rendered else {}),
                          **_request_facts(it), **({} if it.routed else {"unrouted": True})}
                         for it in items]
    manifest["redirects"] = [{"url": u, "status": s, "location": loc} for u, s, loc in redirects]
    (out / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", "utf-8")
    return manifest
