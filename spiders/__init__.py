"""Stage 1 of 5 of the pipeline, installed as `nianbao.spiders` (the top-level folder `spiders/`).

Knowing portals: one spider per CMS family (generic column spider, Hengyang, TRS, Hanweb),
the registry of bodies and their report columns (sources.json), list and pagination rules.

Imports run one way, spiders -> crawler -> archive -> extract -> publish: this stage may
import nothing but the core (`nianbao.db`, `nianbao.fts`), never a later stage nor the
application on top (`nianbao.cli`, `nianbao.runner`, `nianbao.scrapy_extension`,
`nianbao.sources_check`, `nianbao.demo_portal`); tools/layers.py checks it.
"""
