"""Datasette-facing Chinese search: the query rewrite and readable snippets.

The index itself (segmented text, external-content FTS5 over `reports`) is
`nianbao/fts.py`. Here:

- `fts_query()` rewrites what a person typed into an FTS5 MATCH expression over
  the segmented text:
  - a 2+ character term becomes the phrase of its bigrams ("依申请公开" ->
    "依申 申请 请公 公开"), which matches only where the characters are adjacent;
  - a 1 character term becomes a prefix query ("衡"*), since every occurrence of
    a character starts a bigram or is a run's last character.
  It is registered in Datasette as `escape_fts` (see plugin.py), the function
  Datasette's own table search (`?_search=`) calls, so the standard UI and JSON
  API search Chinese correctly. Stock sqlite3 can query the table too:
  `select rowid from reports_fts where reports_fts match '"衡阳"'`.
- `snippet()` cuts a window of the ORIGINAL text around the first match and wraps
  every match in `<mark>`; FTS5's own snippet() would show the bigram-segmented
  index text ("衡阳 阳市 市"), which nobody can read.
"""
from __future__ import annotations

import html
import re
import unicodedata

from nianbao.fts import CJK_RUN, TOKEN, bigrams, normalize, segment  # noqa: F401  (segment: re-exported)

MARK_OPEN, MARK_CLOSE = "<mark>", "</mark>"


def _quote(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


def _terms(query: str | None) -> list[str]:
    return [quoted or bare for quoted, bare in re.findall(r'"([^"]*)"|(\S+)', query or "")]


def fts_query(query: str, prefix_terms=None) -> str:
    """Rewrite what a person typed into an FTS5 MATCH expression over `segment()`ed text.

    Terms separated by spaces must all match (like Datasette's default escaping);
    a quoted "..." group is one phrase.

    `prefix_terms(char)`, when given, lists the index's terms that start with `char`
    (None: too many to list). A term ending in a lone character then becomes the OR of
    its phrases with each of those terms in place of the prefix ("2019年" -> ("2019 年"
    OR "2019 年度" OR ...)): the same rows, but FTS5 walks each phrase's doclists in
    rowid order instead of first merging every doclist of every term the prefix covers
    (~1 s for 的* over 100,000 reports, ~30 ms for its 114 phrases; see table_search.py).
    """
    if query is None:
        return ""
    clauses = []
    for tokens, prefix in _clauses(query):
        if prefix and prefix_terms is not None:
            terms = prefix_terms(tokens[-1])
            if terms is not None:
                phrases = [_quote(" ".join([*tokens[:-1], t])) for t in terms]
                if not phrases:
                    return '""'  # no term starts with the character: nothing matches
                clauses.append(phrases[0] if len(phrases) == 1 else "(" + " OR ".join(phrases) + ")")
                continue
        phrase = _quote(" ".join(tokens))
        clauses.append(phrase + (" *" if prefix else ""))
    if not clauses:
        # Nothing searchable (only punctuation): match nothing rather than error.
        return '""'  # an empty phrase: valid FTS5, matches no row
    # FTS5 reads two phrases side by side as AND, but not a phrase beside a (group)
    return (" AND " if any(c.startswith("(") for c in clauses) else " ").join(clauses)


def _clauses(query: str) -> list[tuple[list[str], bool]]:
    """(tokens, prefix) of each term: a lone trailing character makes a prefix query."""
    out = []
    for term in _terms(query):
        tokens: list[str] = []
        prefix = False
        pieces = TOKEN.findall(normalize(term))
        for i, piece in enumerate(pieces):
            if CJK_RUN.fullmatch(piece):
                if len(piece) == 1 and i == len(pieces) - 1:
                    prefix = True  # a lone trailing character: any bigram starting with it
                tokens.extend(bigrams(piece))
            else:
                tokens.append(piece)
        if tokens:
            out.append((tokens, prefix))
    return out


def _term_patterns(query: str | None) -> list[str]:
    """A regex per term over normalized text: its tokens in order, anything but letters
    and digits between them (as the index's phrase match allows)."""
    patterns = []
    for term in _terms(query):
        pieces = TOKEN.findall(normalize(term))
        if pieces:
            patterns.append(r"[\W_]*".join(re.escape(p) for p in pieces))
    return patterns


def _normalized_with_offsets(text: str) -> tuple[str, list[int] | None]:
    """The text as the index sees it, and where each of its characters starts in the
    original (None when they are the same length, the usual case: 1 to 1)."""
    folded = normalize(text)
    if len(folded) == len(text):
        return folded, None
    out, starts = [], []
    for i, ch in enumerate(text):
        piece = unicodedata.normalize("NFKC", ch).lower()
        out.append(piece)
        starts.extend([i] * len(piece))
    return "".join(out), starts


def match_spans(text: str | None, query: str | None) -> list[tuple[int, int]]:
    """(start, end) offsets in the original text of every match of any term, in order."""
    if not text:
        return []
    patterns = _term_patterns(query)
    if not patterns:
        return []
    folded, starts = _normalized_with_offsets(text)
    spans = []
    for m in re.finditer("|".join(f"(?:{p})" for p in patterns), folded):
        if m.end() == m.start():
            continue
        if starts is None:
            spans.append((m.start(), m.end()))
        else:
            end = starts[m.end()] if m.end() < len(starts) else len(text)
            spans.append((starts[m.start()], end))
    return spans


def snippet(text: str | None, query: str | None, width: int = 120) -> str:
    """About `width` characters of the original text around the first match, every match
    in it wrapped in <mark>…</mark>, "…" where it is cut. Plain text otherwise (no other
    markup is added: render it escaped, then turn only the mark tags back, see plugin.py)."""
    if not text:
        return ""
    spans = match_spans(text, query)
    if not spans:
        return _clip(text, 0, width)
    first = spans[0][0]
    start = max(0, first - width // 3)
    end = min(len(text), start + width)
    out, at = [], start
    for s, e in spans:
        if e <= start:
            continue
        if s >= end:
            break
        s = max(s, at)
        out.append(text[at:s])
        out.append(MARK_OPEN + text[s:e] + MARK_CLOSE)
        at = e
    if at < end:
        out.append(text[at:end])
    return ("…" if start > 0 else "") + _flat("".join(out)) + ("…" if end < len(text) else "")


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _clip(text: str, start: int, width: int) -> str:
    piece = _flat(text[start:start + width])
    return piece + ("…" if len(text) > start + width else "")


def snippet_html(value: str) -> str:
    """A snippet as HTML: everything escaped except our own <mark> and </mark>."""
    escaped = html.escape(value or "", quote=False)
    return escaped.replace(html.escape(MARK_OPEN), MARK_OPEN).replace(html.escape(MARK_CLOSE), MARK_CLOSE)
