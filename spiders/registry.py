"""The sources registry: which government bodies Nianbao crawls, and where.

`sources.json` (shipped next to this module) is a list of sources::

    {"id": "hengyang-city",                 # ascii slug, unique
     "name": "衡阳市人民政府",               # the body's name as it names itself
     "level": "city",                        # see LEVELS
     "region": "湖南省衡阳市",
     "portal": "https://www.hengyang.gov.cn/",
     "parent": "hunan-province",             # id of the parent source, or null
     "spider": "column",                     # see SPIDERS
     "columns": [{"url": "...",              # list page of a report column
                  "evidence": "...",         # where the column (or a report under it) was seen
                  "verified": true,          # true only if that exact column was seen to exist
                  "list_api": {...}}]}       # optional: see LIST_API below

A column lives on its source's portal host: a body whose reports are published
on its parent's portal (a city department, a development zone) gets that portal.
Columns marked ``verified: false`` are inferences (from an issue, a mirror
re-serving the portal, a CMS URL pattern); their evidence says from what.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlparse

LEVELS = ("province", "city", "county", "district", "department", "zone", "township")
# A column whose list a script fetches from an API that wants a request body the page's
# script assembles (TRS irs ``POST /irs/front/list``) names that request itself:
#   "list_api": {"url": "https://…/irs/front/list", "method": "POST",
#                "body": {"tenantId": 71, "tableName": "t_…", "pageNo": 1, "pageSize": 15, …},
#                "page_key": "pageNo",                       # the body's page number
#                "fields": {"title": "f_…", "url": "doc_pub_url", "date": "save_time"}}
# (copy the body from the browser's network panel). Only the "trs" spider reads it.
LIST_API_KEYS = {"url", "method", "body", "page_key", "fields"}
SPIDERS = ("column", "hengyang", "trs", "hanweb")
_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_DEFAULT = Path(__file__).with_name("sources.json")


def load_sources(path: str | Path | None = None) -> list[dict]:
    """The registry's sources, in file order: `path`, else $NIANBAO_SOURCES (a registry
    of your own, e.g. for a private list of portals), else the packaged sources.json."""
    import os

    if path is None and os.environ.get("NIANBAO_SOURCES"):
        path = os.environ["NIANBAO_SOURCES"]
    p = Path(path) if path is not None else _DEFAULT
    if not p.exists() and path is None:  # installed as a zip or without package data
        from importlib.resources import files
        text = files("nianbao.spiders").joinpath("sources.json").read_text(encoding="utf-8")
    else:
        text = p.read_text(encoding="utf-8")
    data = json.loads(text)
    if not isinstance(data, list):
        raise ValueError(f"{p}: the sources registry must be a JSON list")
    return data


def find(source_id: str, sources: list[dict] | None = None) -> dict | None:
    """The source with this id, or None."""
    for s in sources if sources is not None else load_sources():
        if s.get("id") == source_id:
            return s
    return None


def _host(url: str) -> str:
    return (urlparse(url).hostname or "").lower()


def _http(url) -> bool:
    if not isinstance(url, str):
        return False
    u = urlparse(url)
    return u.scheme in ("http", "https") and bool(u.hostname)


def column_config(source_id: str | None, url: str, sources: list[dict] | None = None) -> dict:
    """The registry's entry for this column of this source ({} when there is none)."""
    if source_id is None:
        return {}
    entry = find(source_id, sources) or {}
    return next((c for c in entry.get("columns", []) if isinstance(c, dict) and c.get("url") == url), {})


def _list_api_problems(api, portal_host: str | None, spider: str) -> list[str]:
    if not isinstance(api, dict):
        return ["list_api must be an object"]
    problems = [f"list_api has an unknown key {k!r}" for k in sorted(set(api) - LIST_API_KEYS)]
    if not _http(api.get("url")):
        problems.append(f"list_api url is not an http(s) URL: {api.get('url')!r}")
    elif portal_host and _host(api["url"]) != portal_host:
        problems.append(f"list_api url {api['url']} is not on the portal's host {portal_host}")
    if str(api.get("method", "POST")).upper() not in ("GET", "POST"):
        problems.append(f"list_api method must be GET or POST, not {api.get('method')!r}")
    body, key = api.get("body", {}), api.get("page_key", "pageNo")
    if not isinstance(body, dict):
        problems.append("list_api body must be a JSON object")
    elif key not in body:
        problems.append(f"list_api body has no page number {key!r} (set page_key)")
    if not isinstance(api.get("fields", {}), dict):
        problems.append("list_api fields must map title/url/date to the record's keys")
    if spider != "trs":
        problems.append(f"list_api is read by the trs spider only, not {spider!r}")
    return problems


def validate(sources: list[dict]) -> list[str]:
    """Problems in a registry, one sentence each; an empty list means it is clean."""
    problems: list[str] = []
    if not isinstance(sources, list):
        return ["the registry is not a list"]
    ids = [s.get("id") for s in sources if isinstance(s, dict)]
    known = set(ids)
    seen: set = set()
    column_urls: dict[str, str] = {}
    for i, s in enumerate(sources):
        if not isinstance(s, dict):
            problems.append(f"entry {i}: not an object")
            continue
        sid = s.get("id")
        where = f"{sid or f'entry {i}'}"
        if not isinstance(sid, str) or not _ID.match(sid):
            problems.append(f"{where}: id must be an ascii slug like 'hengyang-city'")
        if sid in seen:
            problems.append(f"{where}: duplicate id")
        seen.add(sid)
        for key in ("name", "region"):
            if not isinstance(s.get(key), str) or not s.get(key).strip():
                problems.append(f"{where}: missing {key}")
        if s.get("level") not in LEVELS:
            problems.append(f"{where}: unknown level {s.get('level')!r}")
        if s.get("spider", "column") not in SPIDERS:
            problems.append(f"{where}: unknown spider {s.get('spider')!r}")
        parent = s.get("parent")
        if parent is not None:
            if parent not in known:
                problems.append(f"{where}: unknown parent {parent!r}")
            elif parent == sid:
                problems.append(f"{where}: is its own parent")
        portal = s.get("portal")
        if not _http(portal):
            problems.append(f"{where}: portal is not an http(s) URL: {portal!r}")
        columns = s.get("columns")
        if not isinstance(columns, list) or not columns:
            problems.append(f"{where}: no columns")
            continue
        for c in columns:
            url = c.get("url") if isinstance(c, dict) else None
            if not _http(url):
                problems.append(f"{where}: column URL is not an http(s) URL: {url!r}")
                continue
            if _http(portal) and _host(url) != _host(portal):
                problems.append(f"{where}: column {url} is not on the portal's host {_host(portal)}")
            ev = c.get("evidence")
            if not isinstance(ev, str) or not ev.strip():
                problems.append(f"{where}: column {url} has no evidence")
            if not isinstance(c.get("verified"), bool):
                problems.append(f"{where}: column {url} has no verified true/false")
            if "list_api" in c:
                problems += [f"{where}: column {url}: {p}" for p in _list_api_problems(
                    c["list_api"], _host(portal) if _http(portal) else None,
                    c.get("spider") or s.get("spider", "column"))]
            if url in column_urls and column_urls[url] != sid:
                problems.append(f"{where}: column {url} is also listed by {column_urls[url]}")
            column_urls.setdefault(url, sid)
    # parent chains must end (no cycles)
    parents = {s.get("id"): s.get("parent") for s in sources if isinstance(s, dict)}
    for sid in parents:
        chain, cur = set(), sid
        while cur is not None and cur in parents:
            if cur in chain:
                problems.append(f"{sid}: parent chain loops")
                break
            chain.add(cur)
            cur = parents[cur]
    return problems
