"""Stage 3 of 5 of the pipeline, installed as `nianbao.archive` (the top-level folder `archive/`).

Keeping every response as received: append-only WARC files, their index in SQLite
(`captures`), deduplication, recovery of a killed run, reading bytes back; and the Scrapy
downloader middlewares that do it during a crawl (scrapy_middlewares.py: every response
archived, streamed files stored, conditional GETs answered from the archive).

Imports run one way, spiders -> crawler -> archive -> extract -> publish: this stage may
import `nianbao.spiders`, `nianbao.crawler` and the core (`nianbao.db`, `nianbao.fts`),
never a later stage nor the application on top (`nianbao.cli`, `nianbao.runner`,
`nianbao.scrapy_extension`, `nianbao.sources_check`, `nianbao.demo_portal`); tools/layers.py
checks it.
"""
