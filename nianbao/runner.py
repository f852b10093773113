"""Run one crawl: recover the archive, crawl, extract what is new, record the run."""
from __future__ import annotations

import json
import logging
import os
from datetime import datetime, timezone
from pathlib import Path

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from nianbao.archive.store import Archive
from nianbao.crawler import settings as default_settings
from nianbao.crawler.lock import CrawlLock, ExtractLock
from nianbao.db import connect

logger = logging.getLogger(__name__)


def now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def close_dead_runs(db) -> int | None:
    """Mark runs whose process is gone as interrupted; return the newest such run's id."""
    resume = None
    for row in db.query("SELECT id, pid FROM crawl_runs WHERE status = 'running' ORDER BY id"):
        if not _pid_alive(row["pid"]) or row["pid"] == os.getpid():
            db["crawl_runs"].update(row["id"], {"status": "interrupted", "finished_at": now()})
            resume = row["id"]
    return resume


def runs_to_resume(db) -> list[int]:
    """Every interrupted run since the last finished one: kills on consecutive runs each
    leave part of the work, and a resumed run's pages taken from the archive are not
    captured again under its own id."""
    return [r[0] for r in db.execute(
        "SELECT id FROM crawl_runs WHERE status = 'interrupted' AND id > "
        "coalesce((SELECT max(id) FROM crawl_runs WHERE status = 'finished'), 0) ORDER BY id")]


def build_settings(db_path, archive_dir, run_id, resume_run, overrides: dict | None,
                   resume_runs: list[int] | None = None) -> Settings:
    s = Settings()
    s.setmodule(default_settings, priority="project")
    s.set("NIANBAO_DB", str(db_path), priority="project")
    s.set("NIANBAO_ARCHIVE", str(archive_dir), priority="project")
    s.set("NIANBAO_RUN_ID", run_id, priority="project")
    s.set("NIANBAO_RESUME_RUN", resume_run or 0, priority="project")
    s.set("NIANBAO_RESUME_RUNS", ",".join(map(str, resume_runs or [])), priority="project")
    for key, value in (overrides or {}).items():
        s.set(key, value, priority="cmdline")
    return s


def begin_run(db_path, archive_dir, start_urls, sources, overrides, resume: bool = True,
              started_by: str = "nianbao") -> dict:
    """Recover the archive, close dead runs, insert this run's row (call with the lock held)."""
    db = connect(db_path)
    recovered = Archive(db, archive_dir).recover()
    interrupted = close_dead_runs(db)
    resume_run = interrupted if resume else None
    resume_runs = runs_to_resume(db) if resume else []
    run_id = db["crawl_runs"].insert({
        "started_at": now(), "status": "running", "pid": os.getpid(), "host": os.uname().nodename,
        "start_urls": json.dumps(start_urls or [u for _, u in sources or []], ensure_ascii=False),
        "sources": json.dumps(sorted({s for s, _ in sources or []}), ensure_ascii=False),
        "settings": json.dumps(dict(overrides or {}, started_by=started_by), ensure_ascii=False),
    }).last_pk
    db.conn.close()
    return {"run_id": run_id, "resume_run": resume_run, "resume_runs": resume_runs,
            "recovered": recovered["indexed"]}


def _count(stats_list: list[dict], key: str) -> int:
    return sum(int(st.get(key, 0) or 0) for st in stats_list)


def record_sources(db, run_id: int) -> None:
    """Per-source figures of this run (source_runs), from what the run archived."""
    rows = db.query(
        """select source, count(*) as pages,
                  sum(case when status >= 400 and status != 404 then 1 else 0 end) as errors,
                  count(distinct case when kind in ('detail', 'attachment') and url in (select url from reports)
                                      then url end) as report_pages,
                  (select count(*) from reports r join captures c2 on c2.id = r.capture_id
                    where c2.crawl_run_id = :run and c2.source = captures.source and r.versions = 1) as reports_new
           from captures where crawl_run_id = :run and source is not null group by source""",
        {"run": run_id})
    db["source_runs"].insert_all(({"crawl_run_id": run_id, **r} for r in rows), replace=True)


def failed_downloads(db, run_id: int) -> dict[str, str]:
    """What this run asked for and did not get in the end, {url: why} (issue 9).

    * a download that failed (a `fetch_errors` row: refused connection, reset, timeout,
      cut off, over NIANBAO_MAX_FILE_BYTES, a streamed file that could not be archived)
      and no answer under 400 for that URL in the run: an attempt a retry made good is
      not a failure;
    * a URL whose last answer in this run is an error status other than 404
      (a 403, or a 500/503 that outlived its retries).

    Not failures, and counted apart: 404 (the page is gone: "not found"), the scope's
    refusals (`refused: …`, a decision: crawler/scope.py), the link cap (`link cap: …`),
    and robots.txt (without one Scrapy crawls as if everything were allowed).
    """
    failed: dict[str, str] = {}
    for url, error in db.execute(
            """select f.url, f.error from fetch_errors f
               where f.crawl_run_id = :run and f.error not like 'refused:%' and f.error not like 'link cap:%'
                 and f.url not like '%/robots.txt'
                 and not exists (select 1 from fetch_errors r where r.crawl_run_id = :run and r.url = f.url
                                 and r.error like 'refused:%')
                 and not exists (select 1 from captures c where c.crawl_run_id = :run and c.url = f.url
                                 and c.status < 400)
               order by f.id""", {"run": run_id}):
        failed[url] = error
    for url, status in db.execute(
            """select c.url, c.status from captures c
               where c.crawl_run_id = :run and c.status >= 400 and c.status != 404
                 and coalesce(c.kind, '') != 'robots' and c.url not like '%/robots.txt'
                 and c.id = (select max(c2.id) from captures c2 where c2.crawl_run_id = :run and c2.url = c.url)
               order by c.id""", {"run": run_id}):
        failed.setdefault(url, f"HTTP {status}")
    return failed


def finish_run(db_path, archive_dir, run: dict, stats_list: list[dict], extract: bool = True) -> dict:
    """Extract what is new, write the run's figures to `crawl_runs`, return the summary."""
    db = connect(db_path)
    statuses: dict[str, int] = {}
    for st in stats_list:
        for k, v in st.items():
            if k.startswith("nianbao/status/"):
                statuses[k] = statuses.get(k, 0) + int(v)
    summary = {
        "run_id": run["run_id"],
        "resumed_run": run["resume_run"],
        "recovered_records": run["recovered"],
        "pages": _count(stats_list, "nianbao/archived"),
        "bytes": _count(stats_list, "nianbao/archived_bytes"),
        "not_modified": _count(stats_list, "nianbao/not_modified"),
        "from_archive": _count(stats_list, "nianbao/resumed_from_archive"),
        "errors": _count(stats_list, "nianbao/download_errors")
        + sum(v for k, v in statuses.items() if k[-3:].isdigit() and int(k[-3:]) >= 400 and not k.endswith("/404")),
        "not_found": statuses.get("nianbao/status/404", 0),
        "refused": _count(stats_list, "nianbao/scope/refused"),
        "finish_reason": ",".join(sorted({str(st.get("finish_reason")) for st in stats_list})),
    }
    failed = failed_downloads(db, run["run_id"])
    summary["failed"] = len(failed)
    summary["failed_urls"] = dict(list(failed.items())[:20])
    if extract:
        from nianbao.extract.pipeline import extract_archive

        # one extraction at a time per database: the workers of a distributed crawl
        # finish at different times; the later one finds the earlier one's work done
        with ExtractLock(db_path):
            result = extract_archive(db, archive_dir, only_new=True)
        summary.update(reports_new=result["reports_new"], reports_updated=result["reports_updated"],
                       documents=result["documents"], extraction_errors=result["errors"])
    detail = dict(statuses, failed_downloads=len(failed))
    for st in stats_list:
        for k, v in st.items():
            if "error" in k or k.startswith("nianbao/source/"):
                detail[k] = detail.get(k, 0) + (v if isinstance(v, int) else 0)
    record_sources(db, run["run_id"])
    db["crawl_runs"].update(run["run_id"], {
        "finished_at": now(), "status": "finished",
        "pages": summary["pages"], "bytes": summary["bytes"], "errors": summary["errors"],
        "reports_new": summary.get("reports_new"), "reports_updated": summary.get("reports_updated"),
        "error_detail": json.dumps(detail, ensure_ascii=False, default=str),
    })
    return summary


def _groups(start_urls, sources, render) -> list[tuple[str, str | None, list[str] | None, list]]:
    """One crawler per (spider family, rendering): [(spider name, render, start_urls, sources)]."""
    from nianbao.spiders.registry import column_config, load_sources

    groups: dict[tuple[str, str | None], list] = {}
    if start_urls:
        groups[("column", render)] = []
    if sources:
        registry = load_sources()
        info = {e["id"]: e for e in registry}
        for source_id, url in sources:
            entry = info.get(source_id, {})
            column = column_config(source_id, url, registry)
            key = (column.get("spider") or entry.get("spider") or "column",
                   column.get("render") or entry.get("render") or render)
            groups.setdefault(key, []).append((source_id, url))
    return [(name, rend, start_urls if (name, rend) == ("column", render) else None, srcs)
            for (name, rend), srcs in groups.items()]


def run_crawl(db_path: str | Path, archive_dir: str | Path, start_urls: list[str] | None = None,
              sources: list[tuple[str, str]] | None = None, overrides: dict | None = None,
              resume: bool = True, extract: bool = True, render: str | None = None,
              redis_url: str | None = None) -> dict:
    """Crawl, then extract; returns the run's summary (also stored in `crawl_runs`).

    Sources of different CMS families run their own spider, side by side in one
    process; `render="browser"` fetches through headless Chromium; `redis_url`
    shares the queue and the dupe filter with other crawler processes.
    """
    from nianbao.spiders.catalog import spider_class

    with CrawlLock(db_path) if not redis_url else _no_lock():
        run = begin_run(db_path, archive_dir, start_urls, sources, overrides, resume)
        base = build_settings(db_path, archive_dir, run["run_id"], run["resume_run"], overrides, run["resume_runs"])
        if redis_url:
            from nianbao.crawler.distributed import distributed_settings

            for key, value in distributed_settings(redis_url).items():
                base.set(key, value, priority="project")
        process = CrawlerProcess(base)
        for name, rend, urls, srcs in _groups(start_urls, sources, render):
            # a crawler per group; a browser group's spider asks for rendering and the
            # crawler's add-on installs its download handler (crawler/render.py)
            process.crawl(spider_class(name), start_urls=urls, sources=srcs or None, render=rend)
        crawlers = list(process.crawlers)
        process.start()
        stats = [c.stats.get_stats() for c in crawlers if c.stats]
        return finish_run(db_path, archive_dir, run, stats, extract)


class _no_lock:
    """Distributed crawls share one database on purpose: no per-process lock."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False
