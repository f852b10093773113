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
* an archived redirect becomes ``{"redirect": location, "redirect_status": 301}``.

``DIR/CAPTURED.json`` says where each file came from (`write_capture_dir`); a page a
browser crawl archived is the rendered DOM, not the bytes sent, and is marked ``rendered``.
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


def _alt_path(item: Exported, taken: dict[str, str], dirs: set[str], salt: bool = False) -> str:
    """A file name for what cannot sit at its URL's own path."""
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
    stem = stem + (f"_{_query_slug(parts.query)}" if parts.query else "")
    if salt:
        stem += "_" + hashlib.sha1(item.url.encode()).hexdigest()[:8]
    candidate = posixpath.join(folder or "/", stem + ext)
    if _too_long(candidate):
        candidate = posixpath.join(folder or "/", hashlib.sha1(item.url.encode()).hexdigest()[:16] + ext)
    if (candidate in taken and taken[candidate] != item.sha256) or candidate in dirs \
            or posixpath.basename(candidate) in _RESERVED:
        if salt:
            raise ValueError(f"no file name for {item.url}")
        return _alt_path(item, taken, dirs, salt=True)
    return candidate


def _parents(path: str) -> list[str]:
    out, cur = [], posixpath.dirname(path)
    while cur not in ("/", ""):
        out.append(cur)
        cur = posixpath.dirname(cur)
    return out


def plan(items: list[Exported], redirects: list[tuple[str, int, str]] = ()) -> dict[str, dict]:
    """Give each item its site path (``item.path``); return the quirks that route to them.

    `redirects` are (url, status, location) of archived redirects, routed when no file
    answers the same target."""
    quirks: dict[str, dict] = {}
    naturals = {id(it): natural_path(it.url) for it in items}
    dirs = {d for p in naturals.values() if p for d in _parents(p)}
    taken: dict[str, str] = {}  # site path -> sha256 of the body written there
    # Files at their own path first (so that routed names never take those), then the rest.
    deferred = []
    for it in items:
        p = naturals[id(it)]
        if p and p not in dirs and not _too_long(p) and posixpath.basename(p) not in _RESERVED \
                and taken.get(p, it.sha256) == it.sha256:
            it.path = p
            taken[p] = it.sha256
            if it.content_type and _norm_type(it.content_type) != _norm_type(served_type(p)):
                quirks[quirk_key(it.url)] = {"content_type": it.content_type}
        else:
            deferred.append(it)
    for it in deferred:
        it.path = _alt_path(it, taken, dirs)
        taken[it.path] = it.sha256
        rule = {"file": it.path}
        if it.content_type:
            rule["content_type"] = it.content_type
        quirks[quirk_key(it.url)] = rule
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
        out.append(Exported(row[0], row[1], row[2], row[3] or "other", row[4], row[5], row[6], stored.body,
                            rendered=_rendered(archive, row[7], row[8])))
    return out


def write_capture_dir(out_dir: str | Path, items: list[Exported], redirects: list[tuple[str, int, str]] = (),
                      info: dict | None = None) -> dict:
    """Write the items under `out_dir` at their planned paths, quirks.json if any route is
    needed, and CAPTURED.json (`info` first, then ``files``: url, path, fetched_at, status,
    content_type, sha256, source, kind; and ``redirects``). Returns the manifest."""
    out = Path(out_dir)
    quirks = plan(items, redirects)
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
                          "source": it.source, "kind": it.kind, **({"rendered": True} if it.rendered else {})}
                         for it in items]
    manifest["redirects"] = [{"url": u, "status": s, "location": loc} for u, s, loc in redirects]
    (out / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", "utf-8")
    return manifest
