"""Issue 9: a download that fails is a fetch_errors row, counts in the summary, and makes
`nianbao crawl` exit with status 3 once the whole crawl and extraction are done; a clean
crawl exits 0. A failed attempt a retry made good, and a 404, do not count as failures."""
import json

from conftest import FAST, db_rows, run_cli

LIST = """<html><head><meta charset="utf-8"></head><body><ul>
<li><a href="/20200101/i1.html">某县2019年政府信息公开工作年度报告</a><span>2020-01-01</span></li>
</ul></body></html>"""
PAGE = """<html><head><meta charset="utf-8"><title>某县2019年政府信息公开工作年度报告</title></head><body>
<h1>某县2019年政府信息公开工作年度报告</h1><p>详见附件。</p>
<a href="/files/ok.pdf">年度报告.pdf</a> <a href="/files/flaky.pdf">附表.pdf</a>
<a href="/files/lost.pdf">统计表.pdf</a> <a href="/files/gone.pdf">旧版.pdf</a></body></html>"""


def _site(tmp_path, quirks: dict):
    site = tmp_path / "site"
    for d in ("col", "20200101", "files"):
        (site / d).mkdir(parents=True)
    (site / "robots.txt").write_text("User-agent: *\nAllow: /\n")
    (site / "col" / "index.html").write_text(LIST, "utf-8")
    (site / "20200101" / "i1.html").write_text(PAGE, "utf-8")
    for name in ("ok.pdf", "flaky.pdf", "lost.pdf"):  # gone.pdf is missing: a 404
        (site / "files" / name).write_bytes(b"%PDF-1.4\n% not a real report\n")
    (site / "quirks.json").write_text(json.dumps(quirks))
    return site


def _crawl(tmp_path, quirks: dict):
    from nianbao.demo_portal.server import start_portal

    portal = start_portal(_site(tmp_path, quirks))
    try:
        out = run_cli("crawl", "--start-url", portal.url + "/col/index.html", "--db", tmp_path / "n.db",
                      "--archive", tmp_path / "warc", *FAST, "-s", "RETRY_TIMES=2", check=False)
        return out, portal.requests.paths()
    finally:
        portal.stop()


def _rows(tmp_path, sql):
    return db_rows(tmp_path / "n.db", sql)


# the first two requests for flaky.pdf are reset (Twisted itself asks again once on a reused
# connection, so Scrapy sees one or two failed attempts), then it is answered: made good
FLAKY = {"/files/flaky.pdf": {"reset": True, "times": 2}}


def test_a_clean_crawl_exits_0(tmp_path):
    out, paths = _crawl(tmp_path, FLAKY)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert paths.count("/files/flaky.pdf") == 3 and "/files/gone.pdf" in paths
    assert "failed download" not in out.stdout
    assert "(plus 1 not found)" in out.stdout, out.stdout
    # the reset attempt is still on record (and in the run's error figure): an attempt, not a failure
    assert _rows(tmp_path, "select count(*) from fetch_errors where url like '%/flaky.pdf'")[0][0] >= 1
    assert _rows(tmp_path, "select status from captures where url like '%/flaky.pdf'") == [(200,)]


def test_a_connection_reset_is_a_fetch_error_and_exit_status_3(tmp_path):
    out, paths = _crawl(tmp_path, {**FLAKY, "/files/lost.pdf": {"reset": True}})
    assert out.returncode == 3, out.stdout[-3000:] + out.stderr[-3000:]
    # asked for, and retried (RETRY_TIMES=2: three attempts), then given up
    assert paths.count("/files/lost.pdf") >= 3
    errors = _rows(tmp_path, "select crawl_run_id, kind, error from fetch_errors where url like '%/lost.pdf'")
    assert len(errors) == 3 and {(run, kind) for run, kind, _ in errors} == {(1, "attachment")}, errors
    # Scrapy's own exception (as its HTTP handler raises it: what RETRY_EXCEPTIONS names), with the cause
    assert all(e.startswith("DownloadFailedError: ") and "ConnectionLost" in e for _, _, e in errors), errors
    assert not _rows(tmp_path, "select 1 from captures where url like '%/lost.pdf'")
    # the crawl went on and the extraction ran: the other files are archived and read
    assert _rows(tmp_path, "select count(*) from captures where url like '%/ok.pdf' and status = 200")[0][0] == 1
    assert "documents extracted" in out.stdout
    # the summary says so, and why; the run's row has the figure
    assert "Crawl run 1 finished (finished) with 1 failed download:" in out.stdout, out.stdout
    assert "failed downloads  1" in out.stdout and "/files/lost.pdf" in out.stdout
    assert "exit status 3" in out.stderr
    detail = json.loads(_rows(tmp_path, "select error_detail from crawl_runs where id = 1")[0][0])
    assert detail["failed_downloads"] == 1


def test_an_error_answer_that_outlives_its_retries_is_a_failure_too(tmp_path):
    out, _ = _crawl(tmp_path, {"/files/lost.pdf": {"status": 503}})
    assert out.returncode == 3, out.stdout[-3000:] + out.stderr[-3000:]
    assert "/files/lost.pdf  HTTP 503" in out.stdout, out.stdout
