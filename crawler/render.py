"""Rendering chosen by the spider, put in place by the crawler (a Scrapy add-on).

Spiders only say *what* a column needs: ``render="browser"`` (registry entry, `--browser`,
`scrapy crawl column -a render=browser`) makes the spider set the plain setting
NIANBAO_RENDER=browser when it is built. Scrapy then loads the add-ons, and `RenderAddon`
installs the browser crawl's settings (crawler/browser.py: the Chromium download handler
and the middleware that marks requests for the browser). So spiders never import the
crawler, and nothing of scrapy-playwright is imported unless a crawl renders.
"""
from __future__ import annotations


class RenderAddon:
    def update_settings(self, settings) -> None:
        if settings.get("NIANBAO_RENDER") != "browser":
            return
        from nianbao.crawler.browser import browser_settings

        for key, value in browser_settings().items():
            if key == "DOWNLOADER_MIDDLEWARES":
                merged = settings.getdict("DOWNLOADER_MIDDLEWARES")
                merged.update(value)
                value = merged
            # "spider": above the project's own defaults (its http handler), below -s
            settings.set(key, value, priority="spider")
