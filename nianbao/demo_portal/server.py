"""A tiny static web server that behaves like a Chinese government portal.

It serves a site folder (the bundled demo site, or a test fixture portal) on
127.0.0.1 with a ThreadingHTTPServer in a background thread and reproduces the
habits of real portals that a crawler has to live with:

* ``.html`` is sent as ``text/html`` *without* a charset, so a GBK page declares
  its encoding only in ``<meta>``;
* strong ``ETag`` (content hash) and ``Last-Modified`` (file mtime), with 304
  answers to ``If-None-Match`` / ``If-Modified-Since``;
* misbehaviour driven by ``quirks.json`` in the site folder (see ``Quirks``).

Every request is recorded in ``handle.requests`` so tests can assert what a
crawler did and did not fetch.

stdlib only.
"""
from __future__ import annotations

import argparse
import email.utils
import fnmatch
import hashlib
import json
import mimetypes
import posixpath
import socket
import struct
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator, NamedTuple

PACKAGE_DIR = Path(__file__).resolve().parent
DEMO_SITE = PACKAGE_DIR / "site"

CONTENT_TYPES = {
    ".html": "text/html",  # deliberately no charset: the page's <meta> decides
    ".htm": "text/html",
    ".shtml": "text/html",
    ".jsp": "text/html",
    ".txt": "text/plain",
    ".css": "text/css",
    ".js": "application/javascript",
    ".json": "application/json",
    ".xml": "application/xml",
    ".pdf": "application/pdf",
    ".doc": "application/msword",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xls": "application/vnd.ms-excel",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".wps": "application/kswps",
    ".zip": "application/zip",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".gif": "image/gif",
    ".ico": "image/x-icon",
}

# The page a WAF such as Ruishu answers with (HTTP 412) before it sets a cookie.
PAGE_412 = (
    b'<!DOCTYPE html><html><head><meta charset="utf-8"><title></title>'
    b'<script type="text/javascript">var _$ck="FSSBBIl1UgzbN7N80S";'
    b"document.cookie='FSSBBIl1UgzbN7N80T=demo; path=/';"
    b"setTimeout(function(){location.reload();},10);</script></head><body></body></html>"
)


def gate_page(cookie: str) -> bytes:
    """PAGE_412 setting the cookie ``cookie`` (the ``cookie_gate`` quirk)."""
    return PAGE_412.replace(b"FSSBBIl1UgzbN7N80T=", cookie.encode("ascii") + b"=")


def _has_cookie(header: str | None, name: str) -> bool:
    return any(part.split("=", 1)[0].strip() == name for part in (header or "").split(";"))


def _error_page(code: int, message: str) -> bytes:
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{code} {message}</title></head>'
        f"<body><h1>{code} {message}</h1><p>对不起，您访问的页面出错了。</p></body></html>"
    ).encode("utf-8")


class Request(NamedTuple):
    method: str
    path: str  # the request target as sent, query string included
    headers: dict[str, str]
    body: bytes = b""


class RequestLog:
    """Thread-safe, append-only list of ``Request(method, path, headers)``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[Request] = []

    def append(self, item: Request) -> None:
        with self._lock:
            self._items.append(item)

    def snapshot(self) -> list[Request]:
        with self._lock:
            return list(self._items)

    def paths(self) -> list[str]:
        """Request targets without the query string, percent-decoded."""
        return [urllib.parse.unquote(urllib.parse.urlsplit(r.path).path) for r in self.snapshot()]

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __iter__(self) -> Iterator[Request]:
        return iter(self.snapshot())

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def __getitem__(self, i):
        return self.snapshot()[i]

    def __repr__(self) -> str:
        return f"RequestLog({self.snapshot()!r})"


def json_body_file(spec: dict[str, Any] | list[dict[str, Any]], body: bytes) -> str | None:
    """The site path a ``json_body`` quirk answers a POSTed `body` with; None: 400.

    `spec` may be a list (several lists queried at one URL, e.g. two irs columns): the
    first spec whose ``require`` pairs the body holds answers."""
    try:
        query = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(query, dict):
        return None
    for one in spec if isinstance(spec, list) else [spec]:
        if all(k in query and query[k] == v for k, v in one.get("require", {}).items()):
            page = query.get(one.get("page_key", "pageNo"))
            return one.get("pages", {}).get(str(page)) or one.get("empty")
    return None


class Quirks:
    """Misbehaviour read from ``quirks.json``: ``{pattern: rule}``.

    A pattern is matched against the request target with its query string
    (``/attach/download.jsp?id=101``) and then against the bare path; exact
    matches win over globs (``fnmatch``: ``*`` spans slashes). A rule may hold:

    ``status``               answer this status instead of the file (500, 404, 429, 412, 503 ...)
    ``times``                ... only for the first N matching requests, then behave
    ``retry_after``          Retry-After header (seconds) sent with the status
    ``delay``                seconds to sleep before answering
    ``reset``                (true) no answer at all: the connection is reset (TCP RST)
                             as soon as the request is read (with ``times``: the first N)
    ``redirect``             302 to this location (``redirect_status`` to change the code)
    ``file``                 serve this site path instead (``download.jsp?id=N`` style)
    ``content_disposition``  Content-Disposition header to add
    ``content_type``         Content-Type to send instead of the guessed one
    ``cookie_gate``          a Ruishu-style gate: 412 + a script that sets this cookie and
                             reloads, unless the request already carries the cookie
    ``json_body``            a search API answering a POSTed JSON query (TRS irs):
                             ``{"require": {key: value}, "page_key": "pageNo", "pages": {"1": file},
                             "empty": file}``: 400 unless the body is JSON holding every
                             ``require`` pair, else the file for its page number (``empty``
                             past the last page); a list of such objects: the first whose
                             ``require`` the body holds answers

    Keys starting with ``_`` (comments) are ignored.
    """

    def __init__(self, rules: dict[str, dict[str, Any]] | None = None) -> None:
        self.rules = {k: v for k, v in (rules or {}).items() if not k.startswith("_")}
        self._hits: dict[str, int] = {}
        self._lock = threading.Lock()

    @classmethod
    def load(cls, site_dir: Path) -> "Quirks":
        f = site_dir / "quirks.json"
        return cls(json.loads(f.read_text("utf-8")) if f.exists() else {})

    def match(self, target: str) -> tuple[str, dict[str, Any]] | None:
        path = urllib.parse.unquote(urllib.parse.urlsplit(target).path)
        full = urllib.parse.unquote(target)
        for cand in (full, path):
            if cand in self.rules:
                return cand, self.rules[cand]
        for cand in (full, path):
            for pattern, rule in self.rules.items():
                if any(c in pattern for c in "*?[") and fnmatch.fnmatchcase(cand, pattern):
                    return pattern, rule
        return None

    def hit(self, pattern: str) -> int:
        """Count one request for ``pattern``; returns how many came before it."""
        with self._lock:
            n = self._hits.get(pattern, 0)
            self._hits[pattern] = n + 1
            return n

    def reset(self) -> None:
        with self._lock:
            self._hits.clear()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    site_dir: Path
    quirks: Quirks
    log: RequestLog
    cache: dict[Path, tuple[float, int, bytes, str]]

    def handle_error(self, request, client_address) -> None:
        # A client that hangs up mid-body (a crawler stopping a big download) is normal
        # for a web server, not a traceback.
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return
        super().handle_error(request, client_address)


class PortalHandler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    server_version = "nginx"
    sys_version = ""

    def version_string(self) -> str:
        return "nginx"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - silence
        pass

    def do_HEAD(self) -> None:
        self._handle(head=True)

    def do_GET(self) -> None:
        self._handle(head=False)

    def do_POST(self) -> None:
        n = int(self.headers.get("Content-Length") or 0)
        self._handle(head=False, body=self.rfile.read(n) if n else b"")

    # -- helpers --------------------------------------------------------
    def _send(self, code: int, body: bytes, headers: dict[str, str] | None = None, head: bool = False) -> None:
        self.send_response(code)
        headers = dict(headers or {})
        if code != 304:
            headers.setdefault("Content-Type", "text/html")
            headers["Content-Length"] = str(len(body))
        for k, v in headers.items():
            try:
                v.encode("latin-1")
            except UnicodeEncodeError:
                # real servers put raw UTF-8 bytes in headers (filename*=UTF-8''统计表.xls)
                v = v.encode("utf-8").decode("latin-1")
            self.send_header(k, v)
        self.end_headers()
        if not head and code != 304:
            self.wfile.write(body)

    def _reset(self) -> None:
        """Hang up without an answer: SO_LINGER 0 makes close() send a TCP RST."""
        self.close_connection = True
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()

    def _resolve(self, url_path: str) -> Path | None:
        path = posixpath.normpath(urllib.parse.unquote(url_path))
        if url_path.endswith("/") or path == "/":
            path = path.rstrip("/") + "/index.html"
        root = self.server.site_dir
        f = (root / path.lstrip("/")).resolve()
        if root not in f.parents and f != root:
            return None
        if f.is_dir():
            f = f / "index.html"
        return f if f.is_file() and f.name != "quirks.json" else None

    def _file(self, f: Path) -> tuple[float, bytes, str]:
        st = f.stat()
        cached = self.server.cache.get(f)
        if cached and cached[0] == st.st_mtime and cached[1] == st.st_size:
            return cached[0], cached[2], cached[3]
        data = f.read_bytes()
        etag = '"' + hashlib.sha1(data).hexdigest()[:20] + '"'
        self.server.cache[f] = (st.st_mtime, st.st_size, data, etag)
        return st.st_mtime, data, etag

    def _handle(self, head: bool, body: bytes = b"") -> None:
        target = self.path
        self.server.log.append(Request(self.command, target, dict(self.headers.items()), body))
        url_path = urllib.parse.urlsplit(target).path
        extra: dict[str, str] = {}

        m = self.server.quirks.match(target)
        if m:
            pattern, rule = m
            n = self.server.quirks.hit(pattern)
            gate = rule.get("cookie_gate")
            if gate and not _has_cookie(self.headers.get("Cookie"), gate):
                self._send(412, gate_page(gate), {"Cache-Control": "no-store"}, head)
                return
            if rule.get("delay"):
                time.sleep(float(rule["delay"]))
            status = rule.get("status")
            times = rule.get("times")
            if rule.get("reset") and (times is None or n < int(times)):
                self._reset()
                return
            if status and (times is None or n < int(times)):
                status = int(status)
                hdrs: dict[str, str] = {}
                if "retry_after" in rule:
                    hdrs["Retry-After"] = str(rule["retry_after"])
                if status == 412:
                    body = PAGE_412
                else:
                    try:
                        phrase = HTTPStatus(status).phrase
                    except ValueError:
                        phrase = "Error"
                    body = _error_page(status, phrase)
                self._send(status, body, hdrs, head)
                return
            if rule.get("redirect"):
                loc = rule["redirect"]
                self._send(int(rule.get("redirect_status", 302)), b"", {"Location": loc}, head)
                return
            if rule.get("json_body"):
                url_path = json_body_file(rule["json_body"], body)
                if url_path is None:
                    self._send(400, b'{"success":false,"code":"400","msg":"bad query"}',
                               {"Content-Type": "application/json;charset=UTF-8"}, head)
                    return
            if rule.get("file"):
                url_path = rule["file"]
            if rule.get("content_disposition"):
                extra["Content-Disposition"] = rule["content_disposition"]
            if rule.get("content_type"):
                extra["Content-Type"] = rule["content_type"]

        f = self._resolve(url_path)
        if f is None:
            self._send(404, _error_page(404, "Not Found"), None, head)
            return
        if f.name == "index.html" and not url_path.endswith("/") and not url_path.endswith("index.html"):
            # like nginx: /dir -> 301 /dir/
            self._send(301, b"", {"Location": url_path + "/"}, head)
            return
        mtime, data, etag = self._file(f)
        last_modified = email.utils.formatdate(int(mtime), usegmt=True)
        headers = {
            "Content-Type": CONTENT_TYPES.get(f.suffix.lower())
            or (mimetypes.guess_type(f.name)[0] or "application/octet-stream"),
            "ETag": etag,
            "Last-Modified": last_modified,
            "Accept-Ranges": "none",
        }
        headers.update(extra)

        inm = self.headers.get("If-None-Match")
        ims = self.headers.get("If-Modified-Since")
        not_modified = False
        if inm is not None:
            tags = [t.strip() for t in inm.split(",")]
            not_modified = "*" in tags or etag in tags or ("W/" + etag) in tags
        elif ims:
            try:
                since = email.utils.parsedate_to_datetime(ims).timestamp()
                not_modified = int(mtime) <= since
            except (TypeError, ValueError, IndexError, OverflowError):
                not_modified = False
        if not_modified:
            self._send(304, b"", {k: v for k, v in headers.items() if k in ("ETag", "Last-Modified")}, head)
            return
        self._send(200, data, headers, head)


@dataclass
class PortalHandle:
    """A running portal. ``url`` has no trailing slash."""

    server: _Server
    thread: threading.Thread
    site_dir: Path
    host: str
    port: int
    requests: RequestLog = field(repr=False)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url_for(self, path: str) -> str:
        return self.url + (path if path.startswith("/") else "/" + path)

    @property
    def quirks(self) -> Quirks:
        return self.server.quirks

    def reset(self) -> None:
        """Forget quirk counters and the request log (fail-N-times starts again)."""
        self.server.quirks.reset()
        self.requests.clear()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def __enter__(self) -> "PortalHandle":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


# Kept for the name the design card uses.
PortalServer = PortalHandle


def resolve_site(site: str | Path | None) -> Path:
    """``None``/``"demo"`` is the bundled demo site; ``"unseen"`` is looked up in tests/portals."""
    if site is None or str(site) == "demo":
        return DEMO_SITE
    p = Path(site)
    if not p.exists() and str(site) == "unseen":
        p = PACKAGE_DIR.parent.parent / "tests" / "portals" / "unseen" / "site"
    if p.is_dir() and (p / "site").is_dir() and not (p / "index.html").exists():
        p = p / "site"
    if not p.is_dir():
        raise FileNotFoundError(f"site folder not found: {site}")
    return p.resolve()


def start_portal(site_dir: Path | str | None = None, host: str = "127.0.0.1", port: int = 0) -> PortalHandle:
    """Serve ``site_dir`` in a background thread; returns a handle (``.url``, ``.stop()``)."""
    site = resolve_site(site_dir)
    server = _Server((host, port), PortalHandler)
    server.site_dir = site
    server.quirks = Quirks.load(site)
    server.log = RequestLog()
    server.cache = {}
    t = threading.Thread(target=server.serve_forever, name=f"portal-{server.server_address[1]}", daemon=True)
    t.start()
    return PortalHandle(server, t, site, host, server.server_address[1], server.log)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="nianbao demo-portal", description="Serve the demo government portal on 127.0.0.1")
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--site", default="demo", help="'demo' (bundled), 'unseen', or a site folder")
    ap.add_argument("--log", action="store_true", help="print every request")
    args = ap.parse_args(argv)
    handle = start_portal(args.site, args.host, args.port)
    print(handle.url + "/", flush=True)
    manifest = handle.site_dir.parent / "manifest.json"
    if manifest.exists():
        for col in json.loads(manifest.read_text("utf-8")).get("columns", []):
            print(f"  {col['name']}: {handle.url}{col['path']}", flush=True)
    seen = 0
    try:
        while True:
            time.sleep(0.5)
            if args.log:
                reqs = handle.requests.snapshot()
                for r in reqs[seen:]:
                    print(f"{r.method} {r.path}", flush=True)
                seen = len(reqs)
    except KeyboardInterrupt:
        pass
    finally:
        handle.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
