"""Codes in words (publish/codes.py) and the tables' Chinese titles (metadata.json).

Every table and view a reader can open has a Chinese title; the home page's guide names them
alike; every code a facet or cell can show has a Chinese label; and on the report page every
link to the archived copy names its database when the viewer would not open it by default."""
import json
import re
import sqlite3
from pathlib import Path

from nianbao.extract.document import HEADLINE_KINDS
from nianbao.publish import codes
from nianbao.publish.home import GUIDE
from nianbao.publish.report_page import report_context

METADATA = json.loads((Path(__file__).resolve().parents[1] / "metadata.json").read_text("utf-8"))
TABLES = METADATA["databases"]["nianbao"]["tables"]
CJK = re.compile(r"[\u4e00-\u9fff]")


def test_every_table_and_view_has_a_chinese_title(crawled_demo):
    _, db_path, _, _ = crawled_demo
    names = [r[0] for r in sqlite3.connect(db_path).execute(
        "select name from sqlite_master where type in ('table', 'view') and name not like 'reports_fts%' "
        "and name not like 'sqlite_%'")]
    assert "reports" in names and "coverage" in names
    untitled = [n for n in names if not CJK.match((TABLES.get(n) or {}).get("title", ""))]
    assert not untitled, untitled


def test_the_guide_and_the_table_pages_use_the_same_titles():
    for table, zh, _, _ in GUIDE:
        assert TABLES[table]["title"] == zh, table


def test_every_code_has_a_chinese_label():
    assert {kind for kind, *_ in HEADLINE_KINDS} <= set(codes.DOC_TYPE_LABELS)
    for table, column, values in [
        ("reports", "template", ["gk2008", "gk2019", "gk2021", "variant", "narrative"]),
        ("report_figures", "template", ["gk2019"]),
        ("documents", "doc_type", ["report", "correction", "unreadable", "error"]),
        ("documents", "kind", ["detail", "attachment"]),
        ("documents", "is_report", [0, 1, "0", "1"]),
        ("captures", "kind", ["robots", "list", "detail", "attachment", "other"]),
        ("captures", "record_type", ["response", "revisit"]),
        ("metrics", "method", ["table", "text-layout", "flattened-decoded", "narrative", "ocr"]),
        ("harmonized", "method", ["table", "narrative"]),
        ("checks", "ok", [0, 1]),
        ("crawl_runs", "status", ["running", "finished", "interrupted"]),
        ("coverage", "status", ["on_time", "late", "missing", "not_yet_due", "undated"]),
        ("bodies", "level", ["province", "city", "county", "township", "department"]),
        ("bodies", "origin", ["registry", "reports"]),
    ]:
        for value in values:
            assert CJK.search(codes.label_of(table, column, value) or ""), (table, column, value)
    assert codes.label_of("reports", "title", "gk2019") is None          # not a code column
    assert codes.label_of("captures", "status", 200) is None            # HTTP statuses stay numbers
    assert codes.label_of("figure_values", "figure", "requests_received", {"requests_received": "收到申请数"}) == "收到申请数"
    assert CJK.search(codes.label_of("figure_values", "figure", "share_refused", {}))


def test_report_links_name_a_database_that_is_not_the_default(crawled_demo):
    _, db_path, _, _ = crawled_demo
    conn = sqlite3.connect(db_path)
    rid = conn.execute("select id from reports where metrics_count > 0 limit 1").fetchone()[0]

    def hrefs(obj):
        if isinstance(obj, dict):
            for k, v in obj.items():
                if k.endswith("href") and isinstance(v, str):
                    yield v
                else:
                    yield from hrefs(v)
        elif isinstance(obj, list):
            for v in obj:
                yield from hrefs(v)

    plain = [h for h in hrefs(report_context(conn, rid)) if "/-/nianbao/capture/" in h]
    named = [h for h in hrefs(report_context(conn, rid, db="zweite")) if "/-/nianbao/capture/" in h]
    assert plain and len(plain) == len(named)
    assert not any("db=" in h for h in plain)
    assert all(re.search(r"/-/nianbao/capture/\d+\?db=zweite(&|#|$)", h) for h in named), named[:3]
    # the rest of each link is kept: the cell or sentence to highlight
    assert [h.replace("?db=zweite&", "?").replace("?db=zweite", "") for h in named] == plain
