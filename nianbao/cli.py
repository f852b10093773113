"""The `nianbao` command line."""
from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import click

from nianbao import __version__

DEFAULT_DB = "data/nianbao.db"
DEFAULT_ARCHIVE = "data/warc"
REPO_ROOT = Path(__file__).resolve().parent.parent


def metadata_path() -> Path:
    """metadata.json lives at the top of the checkout (Datasette's convention)."""
    for candidate in (REPO_ROOT / "metadata.json", Path(__file__).with_name("metadata.json")):
        if candidate.exists():
            return candidate
    raise click.ClickException("metadata.json not found")


# Optional features and the extra that installs each, for a one-line message instead of a traceback.
EXTRAS = {"scrapy_playwright": "browser", "playwright": "browser", "scrapy_redis": "distributed", "redis": "distributed"}


def missing_extra(error: ModuleNotFoundError) -> click.ClickException:
    top = (error.name or "").split(".")[0]
    extra = EXTRAS.get(top)
    if extra is None:
        raise error
    return click.ClickException(f"this needs the optional '{extra}' part of Nianbao ({top} is not installed): "
                                f"pip install 'nianbao[{extra}]'")


def require_extras(*module_lists: list[str]) -> None:
    """Refuse before anything starts (no crawl_runs row, no lock) when an optional part is missing."""
    import importlib.util

    for name in (m for modules in module_lists for m in modules):
        if importlib.util.find_spec(name) is None:
            raise missing_extra(ModuleNotFoundError(f"No module named {name!r}", name=name))


def checkout_tool(module: str, command: str):
    """Developer tooling (tools/) is not installed with the package: import it from the checkout."""
    import importlib

    if not (REPO_ROOT / "tools" / "__init__.py").exists():
        raise click.ClickException(f"`nianbao {command}` runs from a Nianbao checkout (git clone the repository): "
                                   f"its tooling and data are not part of the installed package")
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    return importlib.import_module(module)


def _parse_settings(pairs: tuple[str, ...]) -> dict:
    out = {}
    for pair in pairs:
        if "=" not in pair:
            raise click.BadParameter(f"{pair!r} is not NAME=VALUE", param_hint="-s")
        name, value = pair.split("=", 1)
        out[name.strip()] = value
    return out


# Exit statuses of `nianbao crawl` (also in its --help and the README).
EXIT_FAILED_DOWNLOADS = 3   # the crawl and extraction finished, but some downloads failed in the end
EXIT_LOCKED = 75            # EX_TEMPFAIL: another crawl holds the database's lock


def _print_summary(summary: dict) -> None:
    click.echo("")
    failed = summary.get("failed") or 0
    click.echo(f"Crawl run {summary['run_id']} finished ({summary.get('finish_reason')})"
               + (f" with {failed} failed download{'s' if failed != 1 else ''}" if failed else "") + ":")
    click.echo(f"  pages archived    {summary['pages']} ({summary['bytes']:,} bytes)"
               f"; not modified {summary['not_modified']}; taken from the archive {summary['from_archive']}")
    if summary.get("resumed_run"):
        click.echo(f"  resumed run       {summary['resumed_run']} (interrupted)")
    if summary.get("recovered_records"):
        click.echo(f"  recovered         {summary['recovered_records']} WARC records a killed run had not indexed")
    if "reports_new" in summary:
        click.echo(f"  reports           {summary['reports_new']} new, {summary['reports_updated']} updated"
                   f" ({summary['documents']} documents extracted, {summary['extraction_errors']} unreadable)")
    click.echo(f"  errors            {summary['errors']} (plus {summary['not_found']} not found"
               + (f", {summary['refused']} refused by the scope" if summary.get("refused") else "") + ")")
    if failed:
        click.echo(f"  failed downloads  {failed} URLs not got in the end (fetch_errors and captures of run"
                   f" {summary['run_id']}), e.g.:")
        for url, why in list((summary.get("failed_urls") or {}).items())[:5]:
            click.echo(f"    {url}  {why[:120]}")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="nianbao")
def cli():
    """Nianbao 年报: crawl, archive, extract and publish government
    information-disclosure annual reports (政府信息公开工作年度报告).

    \b
    Quick start:
        nianbao demo                      # demo portal -> crawl -> Datasette
        nianbao crawl --start-url URL     # crawl any report column
        nianbao serve                     # browse and search in Datasette
    """


@cli.command()
@click.option("--start-url", "start_urls", multiple=True, metavar="URL",
              help="List page of a report column (repeatable). Without it, crawl the sources registry.")
@click.option("--source", "source_ids", multiple=True, metavar="ID",
              help="Crawl only these registry sources (repeatable).")
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, type=click.Path(dir_okay=False))
@click.option("--archive", "archive_dir", default=DEFAULT_ARCHIVE, show_default=True,
              type=click.Path(file_okay=False), help="Directory of WARC files.")
@click.option("-s", "--set", "settings", multiple=True, metavar="NAME=VALUE",
              help="Override a Scrapy setting, as with `scrapy crawl -s`.")
@click.option("--no-resume", is_flag=True, help="Do not reuse pages an interrupted run already archived.")
@click.option("--no-extract", is_flag=True, help="Only crawl and archive; run `nianbao extract` later.")
@click.option("--browser", is_flag=True,
              help="Fetch the --start-url columns through headless Chromium (portals that need JavaScript).")
@click.option("--redis", "redis_url", metavar="URL",
              help="Share the queue and dupe filter with other crawler processes (scrapy-redis), e.g. redis://127.0.0.1:6379/0.")
def crawl(start_urls, source_ids, db_path, archive_dir, settings, no_resume, no_extract, browser, redis_url):
    """Crawl report columns, archive every response, extract the reports.

    Polite by default: robots.txt obeyed, one request per second per host,
    AutoThrottle, bounded retries with back-off. Only one crawl per database
    runs at a time; a crawl that was killed is resumed by the next one.

    \b
    Exit status:
        0   finished, every download succeeded (404s and scope refusals aside)
        3   finished (crawl and extraction done), but some downloads failed in
            the end: a fetch_errors row (reset, timeout, too large ...) with no
            later success, or a last answer of 4xx/5xx other than 404
        75  another crawl holds this database's lock; nothing was done
        1   the command itself failed (an error message says why); 2: bad usage

    \b
    Examples:
        nianbao crawl --start-url http://www.hengyang.gov.cn/xxgk/szfxxgkml/zfxxgkndbg/hysmhwzndbg/index.html
        nianbao crawl --source hengyang-city -s DOWNLOAD_DELAY=2
        nianbao crawl --db data/nianbao.db --archive data/warc     # the whole registry
    """
    from nianbao.crawler.lock import AlreadyRunning
    from nianbao.runner import run_crawl

    require_extras(["scrapy_playwright"] if browser else [], ["scrapy_redis", "redis"] if redis_url else [])
    sources = None
    if not start_urls:
        from nianbao.spiders.registry import load_sources

        entries = load_sources()
        if source_ids:
            unknown = set(source_ids) - {e["id"] for e in entries}
            if unknown:
                raise click.BadParameter(f"unknown source(s): {', '.join(sorted(unknown))}", param_hint="--source")
            entries = [e for e in entries if e["id"] in source_ids]
        sources = [(e["id"], c["url"]) for e in entries for c in e["columns"]]
        click.echo(f"Crawling {len(sources)} report columns of {len(entries)} sources from the registry")
    try:
        summary = run_crawl(db_path, archive_dir, list(start_urls) or None, sources, _parse_settings(settings),
                            resume=not no_resume, extract=not no_extract,
                            render="browser" if browser else None, redis_url=redis_url)
    except AlreadyRunning as e:
        click.echo(f"nianbao crawl: {e}; not starting a second one", err=True)
        sys.exit(EXIT_LOCKED)  # cron/systemd may simply try again later
    except ModuleNotFoundError as e:
        raise missing_extra(e)
    _print_summary(summary)
    if summary.get("failed"):
        click.echo(f"nianbao crawl: {summary['failed']} downloads failed (see fetch_errors of run "
                   f"{summary['run_id']}); exit status {EXIT_FAILED_DOWNLOADS}", err=True)
        sys.exit(EXIT_FAILED_DOWNLOADS)


@cli.command()
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, type=click.Path(dir_okay=False))
@click.option("--archive", "archive_dir", default=DEFAULT_ARCHIVE, show_default=True, type=click.Path(file_okay=False))
@click.option("--new-only", is_flag=True, help="Only captures not extracted yet (what a crawl does at its end).")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Worker processes reading documents [default: NIANBAO_EXTRACT_WORKERS or one per core].")
def extract(db_path, archive_dir, new_only, workers):
    """Rebuild every derived table from the archive alone (no network).

    Builds documents, reports, report_versions, metrics, harmonized, checks and
    the search index anew, in new tables that replace the old ones in one
    transaction at the end (readers never see a half-built set; a killed run
    leaves the old one). Running it twice gives the same tables. One extraction
    per database at a time: a second one exits with status 75.

    \b
    Example:
        nianbao extract --db data/nianbao.db --archive data/warc --workers 2
    """
    from nianbao.archive.store import Archive
    from nianbao.crawler.lock import ExtractLock
    from nianbao.db import connect
    from nianbao.extract.pipeline import extract_archive
    from nianbao.extract.rebuild import ExtractionBusy

    db = connect(db_path)
    Archive(db, archive_dir).recover()
    try:
        if new_only:
            with ExtractLock(db_path):  # waits for a running extraction, as a crawl's does
                result = extract_archive(db, archive_dir, only_new=True, workers=workers)
        else:
            result = extract_archive(db, archive_dir, workers=workers)
    except ExtractionBusy as e:
        click.echo(f"nianbao extract: {e}", err=True)
        sys.exit(75)  # EX_TEMPFAIL, as for a second crawl
    n_reports = db["reports"].count
    click.echo(f"Extracted {result['documents']} documents: {n_reports} reports in {db_path}"
               f" ({result['errors']} unreadable)")


@cli.command("extract-file")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--url", help="Where the document came from (relative links, guessing the body).")
@click.option("--content-type", help="Override type detection, e.g. 'text/html; charset=gbk'.")
def extract_file(path, url, content_type):
    """Extract one document and print ONE JSON object (see docs/extract-json.md).

    Reads HTML (any declared charset), plain text, PDF, DOC, DOCX, WPS, XLS or
    XLSX. A file it cannot read gives a one-line error and exit status 1.

    \b
    Example:
        nianbao extract-file report.html --url http://www.hengyang.gov.cn/20150323/i1.html
    """
    from nianbao.extract.document import UnreadableDocument, extract_file_json

    try:
        data = Path(path).read_bytes()
        result = extract_file_json(data, url=url, content_type=content_type, filename=Path(path).name)
    except (OSError, UnreadableDocument) as e:
        click.echo(f"nianbao extract-file: cannot read {path}: {e}", err=True)
        sys.exit(1)
    except Exception as e:  # the contract: never a traceback
        click.echo(f"nianbao extract-file: cannot read {path}: {e.__class__.__name__}: {e}", err=True)
        sys.exit(1)
    click.echo(json.dumps(result, ensure_ascii=False))


def exec_datasette(db_path: str, archive_dir: str, host: str, port: int, message: str) -> None:
    """Replace this process with `datasette serve` on the database (never returns)."""
    import os

    args, env = datasette_args(db_path, archive_dir, host, port)
    os.environ.update(env)
    from nianbao.publish.download import refresh

    # the download the home page links: made (or found current) before the first request
    info = refresh(db_path, env["NIANBAO_SNAPSHOT_DIR"])
    click.echo(f"Download snapshot: {info['full']['file']} ({info['full']['size']:,} bytes, "
               f"SHA-256 {info['full']['sha256']}); slim {info['slim']['size']:,} bytes")
    click.echo(message)
    os.execvp(sys.executable, [sys.executable, "-m", "datasette", "serve", *args])


def datasette_args(db_path: str, archive_dir: str, host: str, port: int) -> tuple[list[str], dict]:
    """Arguments for `datasette serve` with our metadata renamed to the database's name."""
    import os
    import tempfile

    metadata = json.loads(metadata_path().read_text(encoding="utf-8"))
    name = Path(db_path).stem
    if name != "nianbao":
        metadata["databases"][name] = metadata["databases"].pop("nianbao")
        for dashboard in metadata.get("plugins", {}).get("datasette-dashboards", {}).values():
            for part in (*dashboard.get("charts", {}).values(), *dashboard.get("filters", {}).values()):
                if part.get("db") == "nianbao":  # charts and pick-lists query the served database
                    part["db"] = name
    # The archive's path goes to the plugin through the environment only: metadata is public
    # (/-/metadata.json) and must not show the server's directories.
    fd, meta_file = tempfile.mkstemp(prefix="nianbao-metadata-", suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(metadata, fh, ensure_ascii=False)
    # Datasette refuses to download a mutable database (403): the plugin serves a snapshot
    # instead (publish/download.py), so allow_download stays off.
    args = [db_path, "--metadata", meta_file, "--host", host, "--port", str(port),
            "--setting", "sql_time_limit_ms", "5000", "--setting", "facet_time_limit_ms", "500",
            # suggested facets run one query per column over every hit: 2 s of a 2.4 s
            # search of 100,000 reports (bench/bench_search.py); the useful facets are in metadata
            "--setting", "suggest_facets", "off"]
    # the report page, the archived-copy page, the home pages (publish/templates): a plugin module is not a package,
    # so Datasette would not find a templates folder beside it by itself
    from importlib.resources import files

    args += ["--template-dir", str(files("nianbao.publish") / "templates")]
    return args, {"NIANBAO_ARCHIVE": str(Path(archive_dir).resolve()),
                  "NIANBAO_SNAPSHOT_DIR": str(snapshot_dir_for(db_path).resolve())}


def snapshot_dir_for(db_path: str) -> Path:
    """Where `nianbao serve` keeps the downloadable snapshots of a database."""
    return Path(db_path).parent / "snapshot"


@cli.command()
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, type=click.Path(dir_okay=False))
@click.option("--archive", "archive_dir", default=DEFAULT_ARCHIVE, show_default=True, type=click.Path(file_okay=False))
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("-p", "--port", default=8001, show_default=True, type=int)
def serve(db_path, archive_dir, host, port):
    """Publish the database with Datasette (search, facets, CSV/JSON, download).

    The database is named after its file: data/nianbao.db is served at /nianbao.
    The download on the home page is a consistent snapshot (full and slim) kept in a
    snapshot/ folder beside the database, remade when the database changes.

    \b
    Example:
        nianbao serve --db data/nianbao.db --port 8001
    """
    if not Path(db_path).exists():
        raise click.ClickException(f"{db_path} does not exist: run `nianbao crawl` or `nianbao demo` first")
    from nianbao.db import connect

    connect(db_path)  # bring an older file's schema up to date before serving it
    exec_datasette(db_path, archive_dir, host, port, f"Serving {db_path} at http://{host}:{port}/{Path(db_path).stem}")


@cli.command()
@click.argument("out", type=click.Path(dir_okay=False))
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, type=click.Path(dir_okay=False, exists=True))
@click.option("--slim", is_flag=True, help="Leave out the report texts and version texts (and the full-text "
                                           "index): every figure, check and link, in a small file.")
def snapshot(out, db_path, slim):
    """Write a consistent, compact copy of the database for download; print its SHA-256.

    Safe while a crawl is writing (SQLite's VACUUM INTO reads one snapshot).

    \b
    Example:
        nianbao snapshot nianbao-2026-11-21.db
        nianbao snapshot --slim nianbao-2026-11-21-slim.db
    """
    from nianbao.publish.download import make_snapshot

    out_path = Path(out)
    if out_path.exists():
        raise click.ClickException(f"{out} exists; choose a new file name")
    info = make_snapshot(db_path, out_path, slim_copy=slim)
    click.echo(f"Wrote {out} ({info['size']:,} bytes, {info['reports']} reports{', slim' if slim else ''})")
    click.echo(f"SHA-256 {info['sha256']}")


@cli.command("demo-portal")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("-p", "--port", default=8765, show_default=True, type=int)
@click.option("--site", default="demo", show_default=True, help="'demo' or a site folder with its quirks.json.")
def demo_portal(host, port, site):
    """Serve the bundled demo government portal (for trying Nianbao offline).

    \b
    Example:
        nianbao demo-portal --port 8765
    """
    from nianbao.demo_portal.server import main

    sys.exit(main(["--host", host, "--port", str(port), "--site", site]))


@cli.command()
@click.option("--dir", "workdir", default="data/demo", show_default=True, type=click.Path(file_okay=False),
              help="Where the demo database and archive go (replaced on each run).")
@click.option("-p", "--port", default=8001, show_default=True, type=int, help="Datasette port.")
@click.option("--no-serve", is_flag=True, help="Stop after the crawl (don't start Datasette).")
def demo(workdir, port, no_serve):
    """The whole pipeline on the bundled demo portal: serve it on 127.0.0.1,
    crawl it, extract the reports, then start Datasette and print the URL.

    \b
    Example:
        nianbao demo --port 8001
    """
    import subprocess

    from nianbao.demo_portal.server import DEMO_SITE, start_portal

    work = Path(workdir)
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    db_path, archive_dir = work / "nianbao.db", work / "warc"
    portal = start_portal(DEMO_SITE)
    click.echo(f"Demo portal serving at {portal.url}")
    start = portal.url.rstrip("/") + DEMO_START_PATH
    # Crawl in a child process: Scrapy's reactor and this process's portal thread stay apart.
    cmd = [sys.executable, "-m", "nianbao.cli", "crawl", "--start-url", start, "--db", str(db_path),
           "--archive", str(archive_dir), "-s", "DOWNLOAD_DELAY=0.1", "-s", "AUTOTHROTTLE_START_DELAY=0.1",
           "-s", "LOG_LEVEL=WARNING"]
    for extra in DEMO_EXTRA_COLUMNS:
        cmd += ["--start-url", portal.url.rstrip("/") + extra]
    try:
        done = subprocess.run(cmd)
    finally:
        portal.stop()
    # 3: the crawl finished with failed downloads (its summary says which): still a demo to show
    if done.returncode not in (0, EXIT_FAILED_DOWNLOADS):
        raise click.ClickException(f"the demo crawl failed (exit status {done.returncode})")
    if no_serve:
        return
    exec_datasette(str(db_path), str(archive_dir), "127.0.0.1", port,
                   f"\nOpen http://127.0.0.1:{port}/nianbao/reports  (Ctrl-C to stop)")


# The demo portal's two report columns (Hengyang-style and TRS-style).
DEMO_START_PATH = "/xxgk/szfxxgkml/zfxxgkndbg/hysmhwzndbg/index.html"
DEMO_EXTRA_COLUMNS = ["/xxgk/szfxxgkml/zfxxgkndbg/szfgzbmndbg/index.html"]


@cli.group(invoke_without_command=True)
@click.option("--source", "source_ids", multiple=True, metavar="ID", help="Only these sources (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--timeout", type=float, hidden=True)  # `nianbao sources --timeout 5 check`, as before
@click.pass_context
def sources(ctx, source_ids, as_json, timeout):
    """The sources registry: list it, check which report columns answer,
    capture real pages of a source.

    Without a subcommand, `list`. $NIANBAO_SOURCES points at a registry of your own.

    \b
    Examples:
        nianbao sources
        nianbao sources check --source hengyang-city
        nianbao sources capture ningbo-gxq --to /tmp/ningbo-gxq
    """
    ctx.obj = {"source_ids": source_ids, "as_json": as_json, "timeout": timeout}
    if ctx.invoked_subcommand is None:
        ctx.invoke(sources_list)


def _registry_entries(ctx, source_ids) -> list[dict]:
    from nianbao.spiders.registry import load_sources

    wanted = set(source_ids) | set((ctx.obj or {}).get("source_ids") or ())
    entries = load_sources()
    return [e for e in entries if e["id"] in wanted] if wanted else entries


@sources.command("list")
@click.option("--source", "source_ids", multiple=True, metavar="ID", help="Only these sources (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
def sources_list(ctx, source_ids=(), as_json=False):
    """List every government body and its report-column URLs.

    "(unverified)" marks URLs not yet seen to exist.

    \b
    Examples:
        nianbao sources list
        nianbao sources list --source hengyang-city --json
    """
    entries = _registry_entries(ctx, source_ids)
    if as_json or (ctx.obj or {}).get("as_json"):
        click.echo(json.dumps(entries, ensure_ascii=False, indent=2))
        return
    for e in entries:
        for c in e["columns"]:
            mark = "" if c.get("verified") else "  (unverified)"
            click.echo(f"{e['id']:<28} {e['name']:<20} {e.get('level', ''):<10} {c['url']}{mark}")


@sources.command("check")
@click.option("--source", "source_ids", multiple=True, metavar="ID", help="Only these sources (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--timeout", type=float, help="Seconds to wait for each column.  [default: 20]")
@click.pass_context
def sources_check(ctx, source_ids, as_json, timeout):
    """Check which report columns answer and list report-like items.

    Fetches each column's list page (one request per column, one per second
    per host) and tells whether it answers and lists items that look like
    annual reports: run it when online, before relying on a source. Exit
    status 1 if any column does not.

    \b
    Example:
        nianbao sources check --source hengyang-city
    """
    from nianbao.sources_check import check_columns

    timeout = timeout or (ctx.obj or {}).get("timeout") or 20.0
    results = check_columns(_registry_entries(ctx, source_ids), timeout=timeout)
    if as_json or (ctx.obj or {}).get("as_json"):
        click.echo(json.dumps(results, ensure_ascii=False, indent=2))
        return
    for r in results:
        verdict = "OK" if r["ok"] else "NO REPORTS" if r["status"] == 200 else "FAILED"
        click.echo(f"{verdict:<10} {r['source']:<28} {r['status'] or '-':<5} items {r['items']:<4} "
                   f"report-like {r['report_items']:<4} {r['url']}{'  ' + r['error'] if r['error'] else ''}")
    bad = sum(1 for r in results if not r["ok"])
    click.echo(f"{len(results) - bad} of {len(results)} columns answer with report-like items")
    sys.exit(1 if bad else 0)


@sources.command("capture")
@click.argument("source_id")
@click.option("--to", "out_dir", required=True, metavar="DIR", type=click.Path(file_okay=False),
              help="Folder to write the pages to (new or empty).")
@click.option("--column", "columns", multiple=True, metavar="URL",
              help="Only this report column of the source (repeatable; default: all its columns).")
@click.option("--max-list-pages", default=2, show_default=True, type=click.IntRange(min=0),
              help="List pages (or list answers) to follow per column beyond its first.")
@click.option("--max-details", default=3, show_default=True, type=click.IntRange(min=0),
              help="Detail pages and attachments to fetch and keep.")
@click.option("--db", "db_path", type=click.Path(dir_okay=False),
              help="Keep the crawl's archive in this database (with --archive); default: a temporary one.")
@click.option("--archive", "archive_dir", type=click.Path(file_okay=False), help="WARC folder for --db.")
@click.option("-s", "--set", "settings", multiple=True, metavar="NAME=VALUE",
              help="Override a Scrapy setting, as with `nianbao crawl -s`.")
def sources_capture(source_id, out_dir, columns, max_list_pages, max_details, db_path, archive_dir, settings):
    """Capture real pages of one source, to refresh the fixture pages.

    Runs a small polite crawl of the source with its registered spider and
    rendering (robots.txt, one request per second per host), then writes to
    DIR, at each URL's path, exactly as archived (a GBK page stays GBK; a
    source rendered in Chromium gives its rendered DOM, marked so): every
    list page and list answer (HTML column pages, JSON/XML list APIs) and
    robots.txt answered 200, and the first --max-details detail pages or
    attachments. A URL with a query string (gkmlpt `2050?page=2&sid=755001`,
    Hanweb `dataproxy.jsp?startrecord=3&...`) is written as
    <stem>_<query>.<ext> (`2050_page2_sid755001.json`) and routed in
    DIR/quirks.json; so is each answer to a POSTed JSON list query (TRS irs
    `/irs/front/list`, a list_api column), named and routed by the body's page
    number (`list_pageNo2.json`). So `nianbao demo-portal --site DIR` and the
    tests' portal server serve DIR like the portal. DIR/CAPTURED.json lists
    every file: url, path, fetched_at, status, content_type, sha256, source,
    kind, and for a POST its method and request_body.

    Nothing is written unless every column answered (exit status 1 otherwise).
    Then copy the pages you need into tests/fixtures/pages/<family>/ (see the
    README there). Scrapy logs only warnings: -s LOG_LEVEL=INFO shows progress.

    \b
    Examples:
        nianbao sources capture ningbo-gxq --to /tmp/ningbo-gxq
        nianbao sources capture hengyang-city --max-details 1 --to /tmp/hengyang \\
            --column https://www.hengyang.gov.cn/xxgk/szfxxgkml/zfxxgkndbg/hysmhwzndbg/index.html
    """
    capture = checkout_tool("tools.capture", "sources capture")
    CaptureError, capture_source = capture.CaptureError, capture.capture_source
    from nianbao.crawler.lock import AlreadyRunning

    try:
        manifest = capture_source(source_id, out_dir, list(columns), max_list_pages, max_details, db_path,
                                  archive_dir, _parse_settings(settings), echo=click.echo)
    except CaptureError as e:
        click.echo(f"nianbao sources capture: {e}", err=True)
        sys.exit(1)
    except AlreadyRunning as e:
        click.echo(f"nianbao sources capture: {e}; not starting a second crawl on {db_path}", err=True)
        sys.exit(75)
    files = manifest["files"]
    lists = sum(1 for f in files if f["kind"] == "list")
    details = sum(1 for f in files if f["kind"] in ("detail", "attachment"))
    routed = Path(out_dir, "quirks.json")
    click.echo(f"Wrote {len(files)} files to {out_dir}: {lists} list pages and answers, {details} detail pages"
               f" or attachments{', robots.txt' if any(f['kind'] == 'robots' for f in files) else ''}"
               + (f"; {routed} routes the URLs with query strings and POSTed queries" if routed.exists() else ""))
    if not details and max_details:
        click.echo("Note: no detail page was captured (the spider found no items on these columns).", err=True)
    click.echo(f"Serve it: nianbao demo-portal --site {out_dir}")


@cli.command()
@click.option("--cases", "cases_dir", default=str(REPO_ROOT / "tests" / "eval" / "cases"), show_default=True,
              type=click.Path(file_okay=False))
@click.option("--split", type=click.Choice(["dev", "heldout"]), help="Only one split of the evaluation set.")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
def evaluate(cases_dir, split, as_json):
    """Measure extraction accuracy on the hand-checked evaluation set.

    Prints cell precision/recall per template and layout, harmonized
    precision/recall, year/body/template accuracy and check agreement.

    \b
    Example:
        nianbao evaluate --split heldout
    """
    harness = checkout_tool("tools.evaluate", "evaluate")
    if not Path(cases_dir).is_dir():
        raise click.BadParameter(f"no evaluation cases in {cases_dir}", param_hint="--cases")
    run_eval, format_report = harness.evaluate, harness.format_report
    result = run_eval(Path(cases_dir), split=split)
    click.echo(json.dumps(result, ensure_ascii=False, indent=2) if as_json else format_report(result))


if __name__ == "__main__":
    cli()
