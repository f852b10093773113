"""Incremental recrawls: an edited report gets a second version; the first is kept."""
import shutil
import sqlite3

from conftest import DatasetteServer, FAST, run_cli

from nianbao.demo_portal.server import DEMO_SITE, start_portal


def test_edited_report_gets_a_second_version(tmp_path, demo_manifest):
    site = tmp_path / "site"
    shutil.copytree(DEMO_SITE, site)
    portal = start_portal(site)
    try:
        args = ["crawl", "--db", tmp_path / "n.db", "--archive", tmp_path / "warc", *FAST,
                "--start-url", portal.url + demo_manifest["columns"][0]["path"]]
        run_cli(*args)
        page = site / "20150323" / "i1234567.html"
        html = page.read_text("utf-8")
        assert "1112936" in html
        page.write_text(html.replace("1112936", "1112937"), "utf-8")  # the office corrects a figure
        out = run_cli(*args)
        assert "0 new, 1 updated" in out.stdout
    finally:
        portal.stop()
    conn = sqlite3.connect(tmp_path / "n.db")
    rid, versions = conn.execute("select id, versions from reports where url like '%/20150323/i1234567.html'").fetchone()
    assert versions == 2
    # versions keep no text of their own: it is read again from the archived capture
    import sqlite_utils

    from nianbao.extract.versions import version_text

    db = sqlite_utils.Database(conn)
    rows = list(db.query("select * from report_versions where report_id = ? order by version", [rid]))
    texts = [version_text(db, tmp_path / "warc", row) for row in rows]
    assert len(texts) == 2 and texts[0] != texts[1]
    assert "1112936" in texts[0] and "1112937" in texts[1]
    assert texts[1] == conn.execute("select text from reports where id = ?", [rid]).fetchone()[0]
    assert version_text(db, tmp_path / "warc", rows[0]["id"]) == texts[0]
    value = conn.execute("select value from metrics where report_id = ? and code = (select id from metric_codes where code = 'old.proactive.total')", [rid]).fetchone()[0]
    assert value == 1112937  # the figures follow the newest version
    # only that report changed
    assert conn.execute("select count(*) from reports where versions > 1").fetchone()[0] == 1
    server = DatasetteServer(tmp_path / "n.db", tmp_path / "warc")
    try:
        rows = server.get_json("/n/changed_reports.json?_shape=array")
        assert [r["report_id"] for r in rows] == [rid]
    finally:
        server.stop()
