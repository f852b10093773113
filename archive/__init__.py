"""Stage 3 of 5 of the pipeline, installed as `nianbao.archive` (the top-level folder `archive/`).

Keeping every response as received: append-only WARC files, their index in SQLite
(`captures`), deduplication, recovery of a killed run, reading bytes back.

Imports run one way, spiders -> crawler -> archive -> extract -> publish: this stage may
import `nianbao.spiders`, `nianbao.crawler` and `nianbao.db`, never a later stage (tools/layers.py checks it).
"""
