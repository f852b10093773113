"""Province-specific statistics tables (e.g. Fujian's 指标名称 | 计量单位 | N年度 | 历年累计)."""
from __future__ import annotations

from .model import Grid, Harmonized


def is_variant(grids: list[Grid]) -> bool:
    return False


def variant_harmonized(grids: list[Grid]) -> list[Harmonized]:
    return []
