"""Stage 2 of 5 of the pipeline, installed as `nianbao.crawler` (the top-level folder `crawler/`).

Running crawls: polite Scrapy settings, download/spider middlewares (conditional GET,
back-off, scope), the run lock, browser rendering, several processes through Redis.

Imports run one way, spiders -> crawler -> archive -> extract -> publish: this stage may
import `nianbao.spiders` and `nianbao.db`, never a later stage (tools/layers.py checks it).
"""
