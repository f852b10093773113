"""`nianbao sources check`: does each report column answer, and list reports?

One plain GET per column (no crawl), robots.txt respected, one request per
second per host: safe to run against every portal of the registry.
"""
from __future__ import annotations

import time
import urllib.error
import urllib.request
import urllib.robotparser
from urllib.parse import urlparse

from nianbao.crawler.settings import USER_AGENT
from nianbao.extract.document import REPORT_TITLE, decode_html, nfkc
from nianbao.spiders.links import classify_list_links


def _allowed(url: str, robots: dict, timeout: float) -> bool:
    base = "{0.scheme}://{0.netloc}".format(urlparse(url))
    if base not in robots:
        rp = urllib.robotparser.RobotFileParser()
        try:
            req = urllib.request.Request(base + "/robots.txt", headers={"User-Agent": USER_AGENT})
            with urllib.request.urlopen(req, timeout=timeout) as r:
                rp.parse(r.read().decode("utf-8", "replace").splitlines())
        except Exception:
            rp.parse([])  # no robots.txt: everything allowed
        robots[base] = rp
    return robots[base].can_fetch(USER_AGENT, url)


def check_columns(entries: list[dict], timeout: float = 20.0, delay: float = 1.0) -> list[dict]:
    results, robots, last = [], {}, {}
    for entry in entries:
        for column in entry["columns"]:
            url = column["url"]
            host = urlparse(url).netloc
            wait = last.get(host, 0) + delay - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            row = {"source": entry["id"], "url": url, "status": None, "items": 0, "report_items": 0,
                   "ok": False, "error": ""}
            try:
                if not _allowed(url, robots, timeout):
                    row["error"] = "forbidden by robots.txt"
                else:
                    req = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
                    with urllib.request.urlopen(req, timeout=timeout) as r:
                        row["status"] = r.status
                        _, html = decode_html(r.read(), r.headers.get("Content-Type"))
                    items = [l for l in classify_list_links(html, url) if l.kind in ("item", "attachment")]
                    row["items"] = len(items)
                    row["report_items"] = sum(1 for l in items if REPORT_TITLE.search(nfkc(l.text)))
                    row["ok"] = row["report_items"] > 0
            except urllib.error.HTTPError as e:
                row["status"], row["error"] = e.code, str(e.reason)
            except Exception as e:  # DNS, refused, timeout: the column does not answer
                row["error"] = f"{e.__class__.__name__}: {e}"[:200]
            last[host] = time.monotonic()
            results.append(row)
    return results
