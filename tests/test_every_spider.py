"""Every registered spider crawls its family's fixture portal and archives reports.

A spider registered in `spiders.catalog` (a new `spiders/family_<name>.py`) without a
fixture portal in FAMILY_PORTALS fails here: each family comes with saved pages and a
served site (tests/fixtures/pages/, tests/portals/<family>/).

`crawl_family` is shared by tests/test_spider_*.py: it serves a portal, writes a sources
registry of one source whose spider is the family's, and runs `nianbao crawl --source`
with $NIANBAO_SOURCES pointing at it, as a user with a registry of their own would.
"""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from conftest import FAST, ROOT, run_cli

PORTALS = Path(__file__).resolve().parent / "portals"
# spider name -> (site folder, manifest); the generic spider has the demo portal
FAMILY_PORTALS = {
    "column": (ROOT / "nianbao" / "demo_portal" / "site", ROOT / "nianbao" / "demo_portal" / "manifest.json"),
    "hengyang": (PORTALS / "hengyang" / "site", PORTALS / "hengyang" / "manifest.json"),
    "trs": (PORTALS / "trs" / "site", PORTALS / "trs" / "manifest.json"),
    "hanweb": (PORTALS / "hanweb" / "site", PORTALS / "hanweb" / "manifest.json"),
}


def registry_entry(source_id: str, spider: str, portal_url: str, column_paths: list[str],
                   list_apis: dict[str, dict] | None = None) -> dict:
    """A registry source of these columns; `list_apis`: {column path: its manifest list_api,
    whose url is a path on the portal}."""
    columns = []
    for p in column_paths:
        column = {"url": portal_url + p, "evidence": "test fixture portal", "verified": True}
        if (list_apis or {}).get(p):
            column["list_api"] = {**list_apis[p], "url": portal_url + list_apis[p]["url"]}
        columns.append(column)
    return {"id": source_id, "name": f"{spider} 测试门户", "level": "city", "region": "测试",
            "portal": portal_url + "/", "parent": None, "spider": spider, "columns": columns}


def manifest_entry(source_id: str, spider: str, portal_url: str, manifest: dict) -> dict:
    """The registry source of a fixture portal's columns, as its manifest lists them."""
    return registry_entry(source_id, spider, portal_url, [c["path"] for c in manifest["columns"]],
                          {c["path"]: c["list_api"] for c in manifest["columns"] if c.get("list_api")})


def crawl_sources(entries: list[dict], work: Path, *settings: str):
    """`nianbao crawl --source …` over a registry of these entries; returns the CLI result."""
    registry = work / "sources.json"
    registry.write_text(json.dumps(entries, ensure_ascii=False), "utf-8")
    args = ["crawl", "--db", work / "n.db", "--archive", work / "warc", *FAST, *settings]
    for e in entries:
        args += ["--source", e["id"]]
    return run_cli(*args, env={"NIANBAO_SOURCES": str(registry)})


def crawl_family(family: str, work: Path, *settings: str):
    """Serve tests/portals/<family>, crawl it with the family's spider; (portal, manifest, db path, out)."""
    from nianbao.demo_portal.server import start_portal

    site, manifest_path = FAMILY_PORTALS[family]
    manifest = json.loads(manifest_path.read_text("utf-8"))
    portal = start_portal(site)
    try:
        out = crawl_sources([manifest_entry(f"{family}-fixture", family, portal.url, manifest)], work, *settings)
    except BaseException:
        portal.stop()
        raise
    return portal, manifest, work / "n.db", out


def target(url: str) -> str:
    """A URL as the portal logged its request: path?query, percent-decoded."""
    parts = urlsplit(url)
    return unquote(parts.path + ("?" + parts.query if parts.query else ""))


def rows(db_path: Path, sql: str) -> list[sqlite3.Row]:
    conn = sqlite3.connect(db_path)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def expected_reports(manifest: dict) -> dict[str, dict]:
    return {p["path"]: p for p in manifest["pages"]
            if p.get("is_report") and p.get("kind") == "detail" and p.get("status", 200) == 200}


def _via_matches(via: str, t: str) -> bool:
    """`via` is a request target, or its start and then fragments it holds: 'start...frag'."""
    first, *rest = via.split("...")
    return t.startswith(first) and all(part in t for part in rest)


def check_family_crawl(portal, manifest, db_path) -> None:
    """All reports found with their titles and years, nothing else; every list page and
    article fetched; every response the portal gave is in the archive; no dead links followed."""
    got = {urlsplit(r["url"]).path: r for r in rows(db_path, "select url, title, year from reports")}
    want = expected_reports(manifest)
    assert set(got) == set(want), (sorted(set(want) - set(got)), sorted(set(got) - set(want)))
    wrong = [(p, got[p]["title"], got[p]["year"]) for p, w in want.items()
             if got[p]["title"] != w["title"] or got[p]["year"] != w["year"]]
    assert not wrong, wrong
    captures = rows(db_path, "select url, status, kind from captures")
    archived = {target(r["url"]) for r in captures}
    requested = [unquote(r.path) for r in portal.requests]
    assert requested and set(requested) <= archived, sorted(set(requested) - archived)
    for page in manifest["pages"]:  # every list page, JSON/XML answer and article was fetched
        if page.get("kind") in ("list", "detail"):
            via = page.get("via")
            if page.get("post"):  # a POSTed query: asked for with that JSON body, and archived
                assert via in archived and any(
                    r.method == "POST" and unquote(r.path) == via and page["post"].items() <= json.loads(r.body).items()
                    for r in portal.requests), page
                continue
            assert page["path"] in archived or (via and any(_via_matches(via, t) for t in archived)), page
    assert {r["status"] for r in captures} == {200}, [(r["url"], r["status"]) for r in captures if r["status"] != 200]


@pytest.fixture(scope="module")
def crawled_all(tmp_path_factory):
    """One crawl, one source per registered spider, each on its own fixture portal."""
    from nianbao.demo_portal.server import start_portal
    from nianbao.spiders.catalog import SPIDERS, _load_families

    _load_families()
    missing = sorted(set(SPIDERS) - set(FAMILY_PORTALS))
    portals, entries = {}, []
    if not missing:
        for name in sorted(SPIDERS):
            site, manifest_path = FAMILY_PORTALS[name]
            manifest = json.loads(manifest_path.read_text("utf-8"))
            portals[name] = start_portal(site)
            entries.append(manifest_entry(f"every-{name}", name, portals[name].url, manifest))
    work = tmp_path_factory.mktemp("every")
    try:
        out = crawl_sources(entries, work) if entries else None
        yield missing, portals, work / "n.db", out
    finally:
        for p in portals.values():
            p.stop()


def test_every_registered_spider_has_a_fixture_portal(crawled_all):
    missing, *_ = crawled_all
    assert not missing, f"spiders without a fixture portal (add one to FAMILY_PORTALS): {missing}"


@pytest.mark.parametrize("name", sorted(FAMILY_PORTALS))
def test_spider_archives_reports(crawled_all, name):
    from nianbao.spiders.catalog import SPIDERS, _load_families

    _load_families()
    assert name in SPIDERS, f"fixture portal for a spider that is not registered: {name}"
    missing, portals, db_path, _ = crawled_all
    assert not missing
    port = f":{portals[name].port}/"
    reports = [r["url"] for r in rows(db_path, "select url from reports") if port in r["url"]]
    assert len(reports) >= 1, f"spider {name!r} archived no report"
    sources = {r["source"] for r in rows(db_path, "select distinct source from captures where source is not null")}
    assert f"every-{name}" in sources
