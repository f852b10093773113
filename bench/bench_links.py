"""List-page parsing time against page size: linear now, quadratic before issue 9.

    .venv/bin/python bench/bench_links.py [--sizes 2500,5000,20000,200000] [--baseline-max 5000]

For each size, a list page whose report links sit straight under <body> (each followed by
its date: the case where a row is the whole body) is parsed by `classify_list_links`;
the baseline, measured in the same run, is the pre-issue-9 algorithm (row text read per
anchor, container position found with `preceding::*` per anchor), run only up to
`--baseline-max` links because it is quadratic. Prints seconds (wall and CPU) and the ratio.
"""
from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urljoin, urlparse

from parsel import Selector

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from nianbao.spiders import links  # noqa: E402


def page(n: int) -> str:
    items = "".join(f'<a href="/xxgk/ndbg/2024{i % 12 + 1:02d}/t20240115_{i}.html">某单位{i}号政府信息公开工作年度报告</a>'
                    f" 2024-01-15<br>" for i in range(n))
    return f"<html><body>{items}</body></html>"


def baseline(html: str, page_url: str) -> int:
    """The item search of classify_list_links before issue 9 (kept here to measure against)."""
    def context_text(anchor):
        for xp in ("ancestor::li[1]", "ancestor::tr[1]", "ancestor::dd[1]", ".."):
            node = anchor.xpath(xp)
            if node:
                return " ".join(t.strip() for t in node.xpath(".//text()").getall())
        return ""

    def container_key(anchor):
        for xp in ("ancestor::ul[1]", "ancestor::table[1]", "ancestor::dl[1]", "ancestor::div[1]"):
            node = anchor.xpath(xp)
            if node:
                return xp + str(len(node.xpath("preceding::*")))
        return "page"

    candidates = []
    for a in Selector(text=html).xpath("//a[@href]"):
        url = urljoin(page_url, a.attrib["href"])
        label = " ".join(t.strip() for t in a.xpath(".//text()").getall()).strip()
        date = links._DATE.search(context_text(a))
        if len(label) >= 4 and (date or links._DETAIL_HREF.search(url)):
            candidates.append((a, url))
    Counter(container_key(a) for a, _ in candidates)
    return len(candidates)


def timed(fn, *args):
    w, c = time.perf_counter(), time.process_time()
    result = fn(*args)
    return time.perf_counter() - w, time.process_time() - c, result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="2500,5000,20000,200000")
    ap.add_argument("--baseline-max", type=int, default=5000)
    args, _ = ap.parse_known_args()
    url = "http://h.gov.cn/xxgk/ndbg/index.html"
    print(f"{'links':>8} {'now wall s':>11} {'now cpu s':>10} {'before wall s':>14} {'before/now':>11}")
    for n in (int(x) for x in args.sizes.split(",")):
        html = page(n)
        wall, cpu, found = timed(links.classify_list_links, html, url)
        assert sum(l.kind == "item" for l in found) == n
        if n <= args.baseline_max:
            bwall, _, bfound = timed(baseline, html, url)
            assert bfound == n
            print(f"{n:>8} {wall:>11.2f} {cpu:>10.2f} {bwall:>14.2f} {bwall / wall:>10.0f}x")
        else:
            print(f"{n:>8} {wall:>11.2f} {cpu:>10.2f} {'(skipped)':>14} {'':>11}")


if __name__ == "__main__":
    main()
