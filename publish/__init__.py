"""Stage 5 of 5 of the pipeline, installed as `nianbao.publish` (the top-level folder `publish/`).

Showing it: Chinese full-text search and the Datasette plugin (report pages, archived
copies, downloads).

Imports run one way, spiders -> crawler -> archive -> extract -> publish: this stage may
import every earlier stage and the core (`nianbao.db`, `nianbao.fts`), never a later stage
nor the application on top (`nianbao.cli`, `nianbao.runner`, `nianbao.scrapy_extension`,
`nianbao.sources_check`, `nianbao.demo_portal`); tools/layers.py checks it.
"""
