"""Registry-driven crawls: per-source figures, silent redesigns flagged, `sources check`."""
import json
import sqlite3

import pytest

from conftest import FAST, run_cli


@pytest.fixture()
def registry(demo_portal, demo_manifest, tmp_path):
    col = demo_portal.url + demo_manifest["columns"][0]["path"]
    entries = [
        {"id": "demo-city", "name": "衡阳市人民政府", "level": "city", "region": "湖南省衡阳市",
         "portal": demo_portal.url + "/", "parent": None, "spider": "column",
         "columns": [{"url": col, "evidence": "demo portal", "verified": True}]},
        {"id": "redesigned", "name": "某县人民政府", "level": "county", "region": "湖南省",
         "portal": demo_portal.url + "/", "parent": None, "spider": "column",
         "columns": [{"url": demo_portal.url + "/old/column/index.html", "evidence": "moved away", "verified": False}]},
    ]
    path = tmp_path / "sources.json"
    path.write_text(json.dumps(entries, ensure_ascii=False), "utf-8")
    return {"NIANBAO_SOURCES": str(path)}


def test_source_that_yields_nothing_for_three_runs_is_flagged(registry, tmp_path):
    db = tmp_path / "n.db"
    for _ in range(3):
        run_cli("crawl", "--db", db, "--archive", tmp_path / "warc", *FAST, env=registry)
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    health = {r["source"]: dict(r) for r in conn.execute("select * from source_health")}
    assert health["redesigned"]["flagged"] == 1 and health["redesigned"]["runs"] == 3
    assert health["demo-city"]["flagged"] == 0 and health["demo-city"]["last_report_pages"] >= 5
    first = conn.execute("select reports_new from source_runs where source = 'demo-city' order by crawl_run_id").fetchall()
    assert first[0][0] >= 5 and first[-1][0] == 0  # new only the first time
    sources = {s for (s,) in conn.execute("select distinct source from captures where source is not null")}
    assert sources == {"demo-city", "redesigned"}


def test_sources_check_tells_which_columns_answer(registry):
    out = run_cli("sources", "check", env=registry, check=False)
    assert out.returncode == 1  # one column is broken
    lines = {line.split()[1]: line for line in out.stdout.splitlines() if line.split()[:1] != ["1"]}
    assert lines["demo-city"].startswith("OK")
    assert lines["redesigned"].startswith("FAILED") and " 404 " in lines["redesigned"]
    assert "1 of 2 columns" in out.stdout


def test_sources_list_marks_unverified(registry):
    out = run_cli("sources", env=registry)
    assert "(unverified)" in out.stdout.splitlines()[1] and "(unverified)" not in out.stdout.splitlines()[0]
