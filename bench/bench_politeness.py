"""Politeness at scale: 200 portals, one per loopback address, crawled in one run.

    .venv/bin/python bench/bench_politeness.py [--hosts 200] [--details 7] [--large-hosts 1000]
                                              [--large-details 4] [--skip-baseline]

Serves a tiny report column on each of 127.0.0.2, 127.0.0.3, … (robots.txt, a list
page, a second list page, `details` detail pages: 10 requests per host by default),
then crawls all columns in ONE `nianbao crawl --no-extract` with the
default politeness (≥1 s between requests to a host, one connection per host,
AutoThrottle) and `-s CONCURRENT_REQUESTS=<4 × hosts>`, and reports:

* crawl time: first request to last request, from the servers' own clocks
  (process start-up and the extraction, timed separately, excluded);
* the politeness bound: a host that gets n requests needs at least (n − 1) s,
  so the whole crawl can't take less than (max n − 1) s; ratio = time / bound
  (target ≤ 1.15);
* pages/s, the crawler's peak RSS (VmHWM of the process, polled);
* politeness held: the smallest gap between two requests to one host as the server's
  kernel received them (SO_TIMESTAMPNS), and how many were under DOWNLOAD_DELAY, 1 s
  (must be 0);
* the same for a baseline measured in the same run: the same spider with the
  same settings in a plain Scrapy process, without Nianbao's archive,
  incremental and back-off middlewares or its run extension (fetch only).

Then the same at 1,000 hosts (7 requests each, no extraction), both crawlers again.
Only loopback addresses are used; every server stops at the end.
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = 1.15  # issue 14: the 200-host crawl within 1.15x of the politeness bound
TOO_CLOSE = 1.0  # seconds (DOWNLOAD_DELAY): two requests to one host closer than this at the server break the floor


# -- the portals ----------------------------------------------------------------------------

SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)  # Linux


def kernel_arrival(sock) -> float | None:
    """When the kernel received the next request's first bytes (SO_TIMESTAMPNS, wall clock).

    "As the server sees it": a Python thread among hundreds in this process wakes up and
    logs a request tens of ms after it arrived, by a varying amount, which made gaps look
    shorter or longer than they were on the wire. The kernel's receive time is what a
    server's network stack saw; the data is only peeked at, the handler reads it as usual."""
    try:
        data, ancillary, _, _ = sock.recvmsg(1, 256, socket.MSG_PEEK)
    except OSError:
        return None
    if not data:
        return None
    for level, kind, cdata in ancillary:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(cdata) >= 16:
            sec, nsec = struct.unpack("qq", cdata[:16])
            return sec + nsec / 1e9
    return None


def _page(title: str, body: str) -> bytes:
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title></head>'
            f"<body>{body}</body></html>").encode("utf-8")


def site_pages(n: int, details: int) -> dict[str, bytes]:
    """One report column: index.html and pages/2.html list `details` report pages between them."""
    name = f"第{n}市人民政府"
    items = [(f"/2023{(i % 12) + 1:02d}15/i{n * 100 + i}.html", f"{name}{2022 - i}年政府信息公开工作年度报告",
              f"2023-{(i % 12) + 1:02d}-15") for i in range(details)]
    half = (len(items) + 1) // 2

    def listing(chunk, nav):
        lis = "".join(f'<li><a href="{href}">{text}</a><span>{date}</span></li>' for href, text, date in chunk)
        return _page(f"政府信息公开年报_{name}", f'<h2>政府信息公开年报</h2><ul class="list">{lis}</ul>'
                                               f'<div class="page">{nav}</div>')

    pages = {
        "/robots.txt": b"User-agent: *\nDisallow: /private/\n",
        "/xxgk/ndbg/index.html": listing(items[:half], '<span>1</span> <a href="pages/2.html">2</a> '
                                                       '<a href="pages/2.html">下一页</a>'),
        "/xxgk/ndbg/pages/2.html": listing(items[half:], '<a href="../index.html">上一页</a> '
                                                         '<a href="../index.html">1</a> <span>2</span>'),
    }
    for href, text, date in items:
        pages[href] = _page(text, f"<h1>{text}</h1><p>发布日期：{date}</p><p>根据《中华人民共和国政府信息公开条例》"
                                  f"要求，现公布{text}。本报告中所列数据的统计期限自2022年1月1日起至2022年12月31日止。</p>")
    return pages


def loopback_address(i: int) -> str:
    """The i-th portal's address: 127.0.0.2, 127.0.0.3, … 127.0.0.255, 127.0.1.0, … (all loopback)."""
    n = i + 2
    return f"127.0.{n // 256}.{n % 256}"


class Portals:
    """One ThreadingHTTPServer per loopback address; every request logged with its arrival time."""

    def __init__(self, hosts: int, details: int):
        self.log: list[tuple[float, str, str]] = []
        self._lock = threading.Lock()
        self.servers = []
        self.port = None
        log, lock = self.log, self._lock

        for i in range(hosts):
            addr = loopback_address(i)
            pages = site_pages(i + 2, details)

            class Handler(BaseHTTPRequestHandler):
                site = pages

                def log_message(self, *args):
                    pass

                def handle_one_request(self):
                    self.arrived = kernel_arrival(self.connection)
                    super().handle_one_request()

                def do_GET(self):
                    with lock:
                        log.append((self.arrived or time.time(), self.server.server_address[0], self.path))
                    body = self.site.get(self.path.split("?", 1)[0])
                    code = 200 if body is not None else 404
                    body = body if body is not None else b"not found"
                    self.send_response(code)
                    self.send_header("Content-Type", "text/plain" if self.path.endswith(".txt") or code != 200
                                     else "text/html; charset=utf-8")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)

            server = ThreadingHTTPServer((addr, self.port or 0), Handler)
            # accepted connections inherit it: every request gets its kernel receive time
            server.socket.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
            server.daemon_threads = True
            self.port = server.server_address[1]
            threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.5}, daemon=True).start()
            self.servers.append(server)

    def urls(self) -> list[str]:
        return [f"http://{s.server_address[0]}:{self.port}/xxgk/ndbg/index.html" for s in self.servers]

    def take_log(self) -> list[tuple[float, str, str]]:
        with self._lock:
            out = list(self.log)
            self.log.clear()
        return out

    def stop(self):
        # shutdown() waits for the server's next poll (0.5 s): all at once, not one after another
        stoppers = [threading.Thread(target=s.shutdown, daemon=True) for s in self.servers]
        for t in stoppers:
            t.start()
        for t in stoppers:
            t.join()
        for s in self.servers:
            s.server_close()


# -- running and measuring a crawler process -----------------------------------------------------

def run_measured(cmd: list[str], env=None, timeout: float = 1800) -> tuple[float, int, subprocess.CompletedProcess]:
    """(wall seconds, peak RSS bytes from VmHWM, result) of a child process."""
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})})
    peak = 0
    out_chunks: dict[str, str] = {}

    def drain(name, stream):
        out_chunks[name] = stream.read()

    threads = [threading.Thread(target=drain, args=(n, s), daemon=True) for n, s in (("out", proc.stdout), ("err", proc.stderr))]
    for t in threads:
        t.start()
    while proc.poll() is None:
        try:
            for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]) * 1024)
        except (FileNotFoundError, ProcessLookupError):
            pass
        if time.monotonic() - start > timeout:
            proc.kill()
        time.sleep(0.05)
    for t in threads:
        t.join()
    wall = time.monotonic() - start
    return wall, peak, subprocess.CompletedProcess(cmd, proc.returncode, out_chunks.get("out", ""), out_chunks.get("err", ""))


def analyse(log: list[tuple[float, str, str]]) -> dict:
    per_host: dict[str, list[tuple[float, str]]] = {}
    for t, host, path in log:
        per_host.setdefault(host, []).append((t, path))
    gaps, close = [], []
    for host, times in per_host.items():
        times.sort()
        for (a, pa), (b, pb) in zip(times, times[1:]):
            gaps.append(b - a)
            if b - a < TOO_CLOSE:
                close.append(f"{host}: {pa} -> {pb} {b - a:.3f} s")
    n_max = max(len(v) for v in per_host.values())
    first, last = min(t for t, _, _ in log), max(t for t, _, _ in log)
    crawl = last - first
    bound = n_max - 1
    return {
        "requests": len(log), "hosts": len(per_host), "max_per_host": n_max,
        "min_per_host": min(len(v) for v in per_host.values()),
        "crawl_s": crawl, "bound_s": bound, "ratio": crawl / bound if bound else float("nan"),
        "pages_per_s": len(log) / crawl if crawl else float("nan"),
        "min_gap_s": min(gaps) if gaps else float("nan"), "gaps_too_close": len(close), "too_close": close[:10],
        # where the time goes: hosts starting late vs each host's own pace
        "start_spread_s": max(v[0][0] for v in per_host.values()) - first,
        "max_host_span_s": max(v[-1][0] - v[0][0] for v in per_host.values()),
    }


def baseline_main(urls_file: str, concurrency: int) -> None:
    """Child process: the same spider and politeness settings, plain Scrapy, no archive."""
    from scrapy.crawler import CrawlerProcess
    from scrapy.settings import Settings

    from nianbao.crawler import settings as nianbao_settings
    from nianbao.spiders.generic import ReportColumnSpider

    s = Settings()
    s.setmodule(nianbao_settings, priority="project")
    s.set("DOWNLOADER_MIDDLEWARES", {}, priority="cmdline")  # Scrapy's own retry etc. stay, ours go
    s.set("EXTENSIONS", {}, priority="cmdline")
    # Scrapy's own download handler and resolver (ours check scope and stream files)
    s.set("DOWNLOAD_HANDLERS", {}, priority="cmdline")
    s.set("TWISTED_DNS_RESOLVER", "scrapy.resolver.CachingThreadedResolver", priority="cmdline")
    s.set("CONCURRENT_REQUESTS", concurrency, priority="cmdline")
    s.set("LOG_LEVEL", "WARNING", priority="cmdline")
    urls = Path(urls_file).read_text().split()
    process = CrawlerProcess(s)
    process.crawl(ReportColumnSpider, start_urls=urls)
    process.start()


def describe(name: str, m: dict, wall: float, peak: int) -> str:
    return (f"{name:<9} {m['requests']:>5} requests on {m['hosts']} hosts ({m['min_per_host']}–{m['max_per_host']} per host); "
            f"crawl {m['crawl_s']:.2f} s vs bound {m['bound_s']:.0f} s = {m['ratio']:.3f}×; "
            f"{m['pages_per_s']:.1f} pages/s (hosts started within {m['start_spread_s']:.2f} s, "
            f"slowest host {m['max_host_span_s']:.2f} s); process {wall:.2f} s; peak RSS {peak / 2**20:.0f} MiB; "
            f"politeness: min gap {m['min_gap_s']:.3f} s, {m['gaps_too_close']} gaps < {TOO_CLOSE} s"
            + "".join(f"\n          too close: {c}" for c in m["too_close"]))


def measure(hosts: int, details: int, args, extract: bool = True) -> tuple[dict, bool]:
    """Serve `hosts` portals, crawl them with plain Scrapy (baseline) and with nianbao; print both."""
    concurrency = max(64, 2 * hosts)
    portals = Portals(hosts, details)
    results = {}
    ok_archive = True
    try:
        with tempfile.TemporaryDirectory(prefix="nianbao-bench-") as tmp:
            tmp = Path(tmp)
            urls = portals.urls()
            (tmp / "urls.txt").write_text("\n".join(urls))
            print(f"{hosts} portals on {loopback_address(0)}–{loopback_address(hosts - 1)}:{portals.port}, "
                  f"{3 + details} requests each; CONCURRENT_REQUESTS={concurrency}, default politeness", flush=True)
            if not args.skip_baseline:
                wall, peak, res = run_measured([sys.executable, __file__, "--baseline-child", str(tmp / "urls.txt"),
                                                str(concurrency)])
                if res.returncode:
                    print(res.stderr[-3000:], file=sys.stderr)
                    raise SystemExit(1)
                m = analyse(portals.take_log())
                results["baseline"] = dict(m, process_s=wall, peak_rss=peak)
                print(describe("baseline", m, wall, peak), flush=True)
            runs = []
            for i in range(args.repeat):
                db, archive = tmp / f"bench{i}.db", tmp / f"warc{i}"
                prof = ["-m", "cProfile", "-o", args.profile] if args.profile else []
                cmd = [sys.executable, *prof, "-m", "nianbao.cli", "crawl", "--no-extract", "--db", str(db),
                       "--archive", str(archive), "-s", f"CONCURRENT_REQUESTS={concurrency}", "-s", "LOG_LEVEL=WARNING"]
                for extra in args.set:
                    cmd += ["-s", extra]
                for u in urls:
                    cmd += ["--start-url", u]
                wall, peak, res = run_measured(cmd)
                if res.returncode:
                    print(res.stdout[-2000:], res.stderr[-3000:], file=sys.stderr)
                    raise SystemExit(1)
                m = analyse(portals.take_log())
                runs.append(dict(m, process_s=wall, peak_rss=peak))
                last_served = m["requests"]
                print(describe("nianbao", m, wall, peak), flush=True)
            # the median run by ratio; the worst politeness and the highest memory of all runs
            runs.sort(key=lambda r: r["ratio"])
            m = runs[len(runs) // 2]
            results["nianbao"] = dict(m, gaps_too_close=max(r["gaps_too_close"] for r in runs),
                                      min_gap_s=min(r["min_gap_s"] for r in runs),
                                      peak_rss=max(r["peak_rss"] for r in runs),
                                      ratios=[round(r["ratio"], 3) for r in runs])
            if args.repeat > 1:
                print(f"nianbao median of {args.repeat}: ratio {m['ratio']:.3f}× (all: {results['nianbao']['ratios']})")
            import sqlite3

            captures = sqlite3.connect(db).execute("select count(*) from captures").fetchone()[0]
            ok_archive = captures == last_served
            results["nianbao"].update(captures=captures)
            if extract:
                ex_wall, ex_peak, res = run_measured([sys.executable, "-m", "nianbao.cli", "extract", "--new-only",
                                                      "--db", str(db), "--archive", str(archive)])
                reports = sqlite3.connect(db).execute("select count(*) from reports").fetchone()[0]
                print(f"          archived {captures} responses (= {last_served} served); extraction afterwards "
                      f"{ex_wall:.2f} s for {reports} reports, peak RSS {ex_peak / 2**20:.0f} MiB", flush=True)
                results["nianbao"].update(extract_s=ex_wall, reports=reports)
            else:
                print(f"          archived {captures} responses (= {last_served} served)", flush=True)
    finally:
        portals.stop()
    nb = results["nianbao"]
    verdict = "OK" if nb["ratio"] <= TARGET else "ABOVE TARGET"
    print(f"{hosts} hosts: ratio {nb['ratio']:.3f}× (target ≤ {TARGET}×: {verdict})"
          + (f"; baseline {results['baseline']['ratio']:.3f}×" if "baseline" in results else "")
          + f"; smallest gap at the server {nb['min_gap_s']:.3f} s"
          + f" (politeness {'held' if nb['gaps_too_close'] == 0 else 'BROKEN'})"
          + f"; peak RSS {nb['peak_rss'] / 2**20:.0f} MiB"
          + (f" vs {results['baseline']['peak_rss'] / 2**20:.0f} MiB plain Scrapy" if "baseline" in results else ""),
          flush=True)
    return results, nb["gaps_too_close"] == 0 and ok_archive


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--hosts", type=int, default=200)
    ap.add_argument("--details", type=int, default=7, help="detail pages per portal (requests = 3 + details)")
    ap.add_argument("--large-hosts", type=int, default=1000,
                    help="then the same at this many hosts, without extraction (0: skip)")
    ap.add_argument("--large-details", type=int, default=4)
    ap.add_argument("--skip-baseline", action="store_true")
    ap.add_argument("--repeat", type=int, default=1, help="nianbao crawls to run; the median ratio is reported")
    ap.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE",
                    help="extra Scrapy setting for the nianbao crawl (experiments)")
    ap.add_argument("--profile", metavar="FILE", help="run the nianbao crawl under cProfile, stats to FILE")
    ap.add_argument("--baseline-child", nargs=2, metavar=("URLS_FILE", "CONCURRENCY"), help=argparse.SUPPRESS)
    args, _ = ap.parse_known_args(argv)  # `./run bench` passes its arguments to every bench
    if args.baseline_child:
        baseline_main(args.baseline_child[0], int(args.baseline_child[1]))
        return 0
    for n in (args.hosts, args.large_hosts):
        if not 0 <= n <= 60000:
            ap.error("--hosts/--large-hosts must be 1..60000 (loopback addresses 127.0.0.2 …)")
    results, ok = measure(args.hosts, args.details, args)
    out = {str(args.hosts): results}
    if args.large_hosts:
        print("", flush=True)
        large, ok_large = measure(args.large_hosts, args.large_details, args, extract=False)
        out[str(args.large_hosts)] = large
        ok = ok and ok_large
    print("json " + json.dumps(out))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
