"""Harmonized values stated in sentences."""
from __future__ import annotations

from .model import Harmonized


def narrative_harmonized(text: str, template: str | None) -> list[Harmonized]:
    return []
