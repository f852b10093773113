"""Spiders by name, as the sources registry names them ("spider": "column", ...)."""
from __future__ import annotations

from nianbao.spiders.generic import ReportColumnSpider

SPIDERS: dict[str, type[ReportColumnSpider]] = {"column": ReportColumnSpider}


def register(cls: type[ReportColumnSpider]) -> type[ReportColumnSpider]:
    SPIDERS[cls.name] = cls
    return cls


def spider_class(name: str | None) -> type[ReportColumnSpider]:
    """The spider for a CMS family; the generic one for anything unknown."""
    _load_families()
    return SPIDERS.get(name or "column", ReportColumnSpider)


def _load_families() -> None:
    # Family spiders register themselves when imported.
    import importlib
    import pkgutil

    import nianbao.spiders as pkg

    for mod in pkgutil.iter_modules(pkg.__path__):
        if mod.name.startswith("family_"):
            importlib.import_module(f"nianbao.spiders.{mod.name}")
