"""Stage 4 of 5 of the pipeline, installed as `nianbao.extract` (the top-level folder `extract/`).

Documents to facts: page text, the report decision, title/body/year, the statistics of
the three national templates, consistency checks, attachment readers, and the pipeline
that rebuilds every derived table from the archive alone.

Imports run one way, spiders -> crawler -> archive -> extract -> publish: this stage may
import `nianbao.spiders`, `nianbao.crawler`, `nianbao.archive` and `nianbao.db`, never a later stage (tools/layers.py checks it).
"""
