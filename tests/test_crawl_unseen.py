"""The generic spider on a portal it was not written for (tests/portals/unseen):
other bodies, years and layouts; a 500 that succeeds on retry, slow pages, a 429,
GBK pages, links off the host. Every annual report is archived and listed, nothing else."""
import json
import sqlite3
from pathlib import Path
from urllib.parse import urlparse

import pytest

from conftest import FAST, run_cli

UNSEEN = Path(__file__).parent / "portals" / "unseen"


@pytest.fixture(scope="module")
def crawled_unseen(tmp_path_factory):
    from nianbao.demo_portal.server import start_portal

    manifest = json.loads((UNSEEN / "manifest.json").read_text("utf-8"))
    portal = start_portal(UNSEEN / "site")
    work = tmp_path_factory.mktemp("unseen")
    args = ["crawl", "--db", work / "n.db", "--archive", work / "warc", *FAST]
    for col in manifest["columns"]:
        args += ["--start-url", portal.url + col["path"]]
    out = run_cli(*args)
    yield manifest, portal, work / "n.db", out
    portal.stop()


def _expected_reports(manifest):
    forbidden = tuple(manifest.get("robots_disallow", []))
    return [p for p in manifest["pages"] if p.get("is_report") and p.get("status", 200) == 200
            and p.get("kind") == "detail" and not p["path"].startswith(forbidden)]


def test_every_report_archived_and_listed(crawled_unseen):
    manifest, _, db_path, _ = crawled_unseen
    conn = sqlite3.connect(db_path)
    conn.row_factory = sqlite3.Row
    got = {urlparse(r["url"]).path: dict(r) for r in conn.execute("select * from reports")}
    expected = _expected_reports(manifest)
    assert len(expected) >= 10
    wrong = []
    for page in expected:
        r = got.get(page["path"])
        if r is None:
            wrong.append(f"missing {page['path']} {page['title']}")
            continue
        for key in ("body", "year", "template"):
            if r[key] != page[key]:
                wrong.append(f"{page['path']}: {key} {r[key]!r} != {page[key]!r}")
    assert not wrong, "\n".join(wrong)


def test_nothing_else_is_a_report(crawled_unseen):
    manifest, _, db_path, _ = crawled_unseen
    conn = sqlite3.connect(db_path)
    report_paths = {urlparse(u).path for (u,) in conn.execute("select url from reports")}
    allowed = {p["path"] for p in _expected_reports(manifest)}
    allowed |= {p["path"] for p in manifest["pages"] if p.get("is_report") and p.get("kind") == "attachment"}
    allowed |= {urlparse(p["via"]).path for p in manifest["pages"] if p.get("via") and p.get("is_report")}
    assert report_paths <= allowed, report_paths - allowed


def test_quirks_survived_and_politeness_kept(crawled_unseen):
    manifest, portal, db_path, _ = crawled_unseen
    conn = sqlite3.connect(db_path)
    statuses = [s for (s,) in conn.execute("select status from captures")]
    assert 500 in statuses and 429 in statuses  # archived, then retried to success
    paths = portal.requests.paths()
    for prefix in manifest.get("robots_disallow", []):
        assert not [p for p in paths if p.startswith(prefix)]
    hosts = {urlparse(u).hostname for (u,) in conn.execute("select url from captures")}
    assert hosts == {"127.0.0.1"}
