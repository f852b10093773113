"""Chinese full-text search that works in stock SQLite and in Datasette.

SQLite's unicode61 tokenizer treats a run of Chinese characters as one token and
the trigram tokenizer finds nothing for 1-2 character queries (衡阳, 复议). A
custom tokenizer would make the file unreadable without our code. So the FTS5
table indexes *pre-segmented* text with the stock unicode61 tokenizer: every run
of CJK characters is written as its overlapping bigrams plus the run's last
character ("衡阳市" -> "衡阳 阳市 市"). Queries are rewritten the same way:

- a 2+ character term becomes the phrase of its bigrams ("依申请公开" ->
  "依申 申请 请公 公开"), which matches only where the characters are adjacent;
- a 1 character term becomes a prefix query ("衡"*), since every occurrence of
  a character starts a bigram or is a run's last character.

`fts_query()` is registered in Datasette as `escape_fts` (see plugin.py), the
function Datasette's own table search (`?_search=`) calls, so the standard UI
and JSON API search Chinese correctly. Stock sqlite3 can query the table too:
`select rowid from reports_fts where reports_fts match '"衡阳"'`.
"""
from __future__ import annotations

import re
import unicodedata

FTS_TABLE = "reports_fts"
FTS_COLUMNS = ("title", "body", "text")

# CJK Unified Ideographs (+ Ext A, compatibility) — the characters unicode61 glues together.
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_RUN = re.compile(f"[{_CJK}]+")
_TOKEN = re.compile(f"[{_CJK}]+|[^\\W_{_CJK}]+", re.UNICODE)


def _normalize(text: str) -> str:
    # NFKC folds full-width digits and letters (２０１９ -> 2019) so they match.
    return unicodedata.normalize("NFKC", text or "").lower()


def _bigrams(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i:i + 2] for i in range(len(run) - 1)]


def segment(text: str) -> str:
    """Text as the FTS table stores it: CJK runs as bigrams + the run's last char."""
    out: list[str] = []
    for match in _TOKEN.finditer(_normalize(text)):
        token = match.group(0)
        if _CJK_RUN.fullmatch(token):
            out.extend(_bigrams(token))
            if len(token) > 1:
                out.append(token[-1])
        else:
            out.append(token)
    return " ".join(out)


def _quote(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


def fts_query(query: str) -> str:
    """Rewrite what a person typed into an FTS5 MATCH expression over `segment()`ed text.

    Terms separated by spaces must all match (like Datasette's default escaping);
    a quoted "..." group is one phrase.
    """
    if query is None:
        return ""
    parts = re.findall(r'"([^"]*)"|(\S+)', query)
    clauses = []
    for quoted, bare in parts:
        term = quoted or bare
        tokens: list[str] = []
        prefix = False
        pieces = _TOKEN.findall(_normalize(term))
        for i, piece in enumerate(pieces):
            if _CJK_RUN.fullmatch(piece):
                if len(piece) == 1 and i == len(pieces) - 1:
                    prefix = True  # a lone trailing character: any bigram starting with it
                tokens.extend(_bigrams(piece))
            else:
                tokens.append(piece)
        if not tokens:
            continue
        phrase = _quote(" ".join(tokens))
        clauses.append(phrase + (" *" if prefix else ""))
    if not clauses:
        # Nothing searchable (only punctuation): match nothing rather than error.
        return '""'  # an empty phrase: valid FTS5, matches no row
    return " ".join(clauses)


def ensure_fts(db) -> None:
    if FTS_TABLE not in db.table_names():
        cols = ", ".join(FTS_COLUMNS)
        db.execute(
            f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5({cols}, tokenize='unicode61 remove_diacritics 2')"
        )


def drop_fts(db) -> None:
    if FTS_TABLE in db.table_names():
        db.execute(f"DROP TABLE {FTS_TABLE}")


def index_report(db, report_id: int, title: str | None, body: str | None, text: str | None) -> None:
    db.execute(f"DELETE FROM {FTS_TABLE} WHERE rowid = ?", [report_id])
    db.execute(
        f"INSERT INTO {FTS_TABLE} (rowid, title, body, text) VALUES (?, ?, ?, ?)",
        [report_id, segment(title or ""), segment(body or ""), segment(text or "")],
    )


def unindex_report(db, report_id: int) -> None:
    db.execute(f"DELETE FROM {FTS_TABLE} WHERE rowid = ?", [report_id])
