"""Stage 4 of 5 of the pipeline, installed as `nianbao.extract` (the top-level folder `extract/`).

Documents to facts: page text, the report decision, title/body/year, the statistics of
the three national templates, consistency checks, attachment readers, and the pipeline
that rebuilds every derived table from the archive alone.

Imports run one way, spiders -> crawler -> archive -> extract -> publish: this stage may
import `nianbao.spiders`, `nianbao.crawler`, `nianbao.archive` and the core (`nianbao.db`,
`nianbao.fts`), never a later stage nor the application on top (`nianbao.cli`,
`nianbao.runner`, `nianbao.scrapy_extension`, `nianbao.sources_check`,
`nianbao.demo_portal`); tools/layers.py checks it.
"""
