"""Developer tooling that is not part of the installed product.

- `tools.demo_portal`: the generators of the demo and test portals' sites
  (the built site itself ships in `nianbao/demo_portal/site`).
- `tools.evaluate`: the extraction evaluation harness behind `nianbao evaluate`.
- `tools.capture` + `tools.export`: `nianbao sources capture`, which turns a small crawl
  of a real source into fixture pages the test portal server serves.
- `tools.layers`: the check that imports run one way between the pipeline's stages.

They run from a checkout (the `nianbao` command finds them next to the package).
"""
