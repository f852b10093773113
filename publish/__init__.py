"""Stage 5 of 5 of the pipeline, installed as `nianbao.publish` (the top-level folder `publish/`).

Showing it: Chinese full-text search and the Datasette plugin (report pages, archived
copies, downloads).

Imports run one way, spiders -> crawler -> archive -> extract -> publish: this stage may
import every earlier stage and `nianbao.db`, never a later stage (tools/layers.py checks it).
"""
