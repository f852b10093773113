"""Back-off ends: after a 500 and a 503 with Retry-After, a fast portal is crawled at its
usual pace again (AutoThrottle off), and Retry-After is capped by NIANBAO_BACKOFF_MAX.
Before, the first 500 left the host's delay at the back-off for the rest of the run."""
import json
import time
from pathlib import Path

from conftest import run_cli

PAGES = 60
SETTINGS = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "NIANBAO_BACKOFF_BASE=1",
            "-s", "NIANBAO_BACKOFF_MAX=1", "-s", "LOG_LEVEL=WARNING"]


def _site(root: Path, quirks: dict | None) -> Path:
    (root / "col").mkdir(parents=True)
    (root / "d").mkdir()
    (root / "robots.txt").write_text("User-agent: *\nAllow: /\n")
    rows = "\n".join(f'<li><a href="/d/p{i}.html">某县{i}号政府信息公开文件</a><span>2020-01-01</span></li>'
                     for i in range(PAGES))
    (root / "col" / "index.html").write_text(
        f'<html><head><meta charset="utf-8"></head><body><ul>{rows}</ul></body></html>', "utf-8")
    for i in range(PAGES):
        (root / "d" / f"p{i}.html").write_text(
            f'<html><head><meta charset="utf-8"><title>文件{i}</title></head><body><p>正文{i}</p></body></html>',
            "utf-8")
    if quirks:
        (root / "quirks.json").write_text(json.dumps(quirks))
    return root


def _timed_crawl(tmp_path: Path, quirks: dict | None) -> tuple[float, list[str]]:
    from nianbao.demo_portal.server import start_portal

    portal = start_portal(_site(tmp_path / "site", quirks))
    try:
        t0 = time.monotonic()
        run_cli("crawl", "--start-url", portal.url + "/col/index.html", "--db", tmp_path / "n.db",
                "--archive", tmp_path / "warc", "--no-extract", *SETTINGS)
        return time.monotonic() - t0, portal.requests.paths()
    finally:
        portal.stop()


def test_back_off_ends_when_the_host_answers_normally(tmp_path):
    undisturbed, _ = _timed_crawl(tmp_path / "calm", None)
    disturbed, paths = _timed_crawl(tmp_path / "faults", {
        # the list page first answers 503 with a Retry-After of an hour (capped at 1 s) ...
        "/col/index.html": {"status": 503, "times": 1, "retry_after": 3600},
        # ... and the first detail page asked for answers 500 (1 s back-off)
        "/d/*": {"status": 500, "times": 1},
    })
    # both faults were retried and every page fetched
    assert paths.count("/col/index.html") == 2
    details = [p for p in paths if p.startswith("/d/")]
    assert len(details) == PAGES + 1 and len(set(details)) == PAGES
    # the two 1 s pauses and some noise; before, every page after the first fault waited 1 s
    assert disturbed < undisturbed + 2 + 4, f"{disturbed:.1f} s with two faults vs {undisturbed:.1f} s without"
