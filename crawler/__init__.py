"""Stage 2 of 5 of the pipeline, installed as `nianbao.crawler` (the top-level folder `crawler/`).

Running crawls: polite Scrapy settings, download/spider middlewares (back-off, scope,
link cap), the download handler that streams large bodies to disk, the run lock, browser
rendering, several processes through Redis. What writes or reads the archive (the
archiving and conditional-GET middlewares) is the archive stage's; the settings name
those middlewares by dotted path only.

Imports run one way, spiders -> crawler -> archive -> extract -> publish: this stage may
import `nianbao.spiders` and the core (`nianbao.db`, `nianbao.fts`), never a later stage nor
the application on top (`nianbao.cli`, `nianbao.runner`, `nianbao.scrapy_extension`,
`nianbao.sources_check`, `nianbao.demo_portal`); tools/layers.py checks it.
"""
