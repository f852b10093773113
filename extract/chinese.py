"""Traditional characters (繁體) to simplified, for decisions and label matches only.

Mirror sites and some portals serve reports as 政府信息公開工作年度報告 / 申請 / 行政復議; the
templates, the report decision and every label pattern are written in simplified characters.
Extraction compares the simplified form; what it stores as `raw` stays the text as found.

zhconv (PyPI, pure Python, its MediaWiki conversion table shipped inside the package, no
network) converts; it round-trips the seed reports exactly and is ~3 ms per 8,000
characters. opencc-python-reimplemented was tried too: it also rewrites 「」 quotes and
changes lengths, which would move the character offsets figures point at. The conversion
here is length-preserving by construction (a phrase conversion that changes the length
falls back to character by character), so an offset into the simplified text is an offset
into the text as found.
"""
from __future__ import annotations

import functools

try:
    import zhconv as _zhconv
except ImportError:  # pragma: no cover - the dependency is declared; a bare build still reads simplified text
    _zhconv = None



@functools.lru_cache(maxsize=1)
def _traditional_chars() -> frozenset:
    """Characters the conversion table changes (zhconv's single-character entries): a
    quick test before converting, so simplified text passes through untouched."""
    if _zhconv is None:
        return frozenset()
    _zhconv.zhconv.loaddict()
    table = _zhconv.zhconv.zhcdicts["zh2Hans"]
    return frozenset(k for k, v in table.items() if len(k) == 1 and v != k)


@functools.lru_cache(maxsize=65536)
def _char(ch: str) -> str:
    if _zhconv is None:
        return ch
    out = _zhconv.convert(ch, "zh-cn")
    return out if len(out) == 1 else ch


def has_traditional(text: str | None) -> bool:
    if not text:
        return False
    return not _traditional_chars().isdisjoint(text)


@functools.lru_cache(maxsize=4096)
def _convert(text: str) -> str:
    if _zhconv is None:
        return text
    out = _zhconv.convert(text, "zh-cn")
    if len(out) != len(text):
        out = "".join(_char(ch) for ch in text)
    return out


def to_simplified(text: str | None) -> str:
    """`text` in simplified characters, same length (offsets carry over); text with no
    traditional-only character is returned unchanged."""
    if not text:
        return text or ""
    if not has_traditional(text):
        return text
    if len(text) > 20000:
        # long documents: convert in slices at line ends so the cache stays useful
        parts, start = [], 0
        while start < len(text):
            end = text.find("\n", start + 10000)
            end = len(text) if end < 0 else end + 1
            parts.append(_convert(text[start:end]))
            start = end
        return "".join(parts)
    return _convert(text)
