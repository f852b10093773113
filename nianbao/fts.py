"""The reports search index: Chinese text segmented for stock FTS5, stored once.

SQLite's unicode61 tokenizer treats a run of Chinese characters as one token and
the trigram tokenizer finds nothing for 1-2 character queries (衡阳, 复议). A
custom tokenizer would make the file unreadable without our code. So the FTS5
table indexes *pre-segmented* text with the stock unicode61 tokenizer: every run
of CJK characters is written as its overlapping bigrams plus the run's last
character ("衡阳市" -> "衡阳 阳市 市"). `publish/search.py` rewrites queries the
same way.

The table is *external content* over `reports` (content='reports'): it keeps the
index only, never a second (let alone bigram-segmented, twice as long) copy of the
text. The price: FTS5 cannot re-read what it indexed, so replacing a row's entry
needs the segmented values it was indexed with; `segment()` is deterministic and
recomputes them from the report row before it changes (see `index_report`). Never
run the FTS5 'rebuild' command on it: that would index the unsegmented text.

This module belongs to no stage: the schema (nianbao.db), extraction (which
indexes) and publishing (which rewrites queries) all use it.
"""
from __future__ import annotations

import re
import unicodedata

FTS_TABLE = "reports_fts"
# `text` first: FTS5 writes a column marker (2 bytes) before every position list of
# any column but the first, i.e. once per distinct term per report. With the text
# first, the long column's ~2,000 lists per report carry none: the index is a quarter
# smaller (1.29 GB -> ~0.95 GB at 100,000 reports, bench/bench_size.py) and reads less.
# Columns are matched by name everywhere (inserts, `_search_title=`, bm25 weights equal).
FTS_COLUMNS = ("text", "title", "body")
CONTENT_TABLE = "reports"

# CJK Unified Ideographs (+ Ext A, compatibility) — the characters unicode61 glues together.
CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
CJK_RUN = re.compile(f"[{CJK}]+")
TOKEN = re.compile(f"[{CJK}]+|[^\\W_{CJK}]+", re.UNICODE)


def normalize(text: str | None) -> str:
    # NFKC folds full-width digits and letters (２０１９ -> 2019) so they match.
    return unicodedata.normalize("NFKC", text or "").lower()


def bigrams(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i:i + 2] for i in range(len(run) - 1)]


_SPLIT = re.compile(f"([{CJK}]+)|([^\\W_{CJK}]+)", re.UNICODE)


def segment(text: str | None) -> str:
    """Text as the FTS table indexes it: CJK runs as bigrams + the run's last char."""
    out: list[str] = []
    add, extend = out.append, out.extend
    for run, word in _SPLIT.findall(normalize(text)):
        if word:
            add(word)
        elif len(run) == 1:
            add(run)
        else:
            extend(map(str.__add__, run, run[1:]))  # the bigrams, without a Python-level loop
            add(run[-1])
    return " ".join(out)


def segment_report(title: str | None, body: str | None, text: str | None) -> tuple[str, str, str]:
    """The three indexed values of a report (what extraction workers compute off the writer)."""
    return segment(title), segment(body), segment(text)


def create_sql(table: str = FTS_TABLE) -> str:
    """DDL of the index. A rebuild creates it under another name but with content='reports',
    the name its content table has once the rebuilt tables are swapped in."""
    cols = ", ".join(FTS_COLUMNS)
    return (f"CREATE VIRTUAL TABLE [{table}] USING fts5({cols}, content='{CONTENT_TABLE}', content_rowid='id', "
            "tokenize='unicode61 remove_diacritics 2')")


def is_external_content(db, table: str = FTS_TABLE) -> bool:
    row = db.execute("SELECT sql FROM sqlite_master WHERE name = ?", [table]).fetchone()
    return bool(row and "content=" in row[0].replace(" ", ""))


def ensure_fts(db, table: str = FTS_TABLE) -> None:
    if table not in db.table_names():
        db.execute(create_sql(table))


def drop_fts(db, table: str = FTS_TABLE) -> None:
    if table in db.table_names():
        db.execute(f"DROP TABLE [{table}]")


def index_segments(db, report_id: int, segments: tuple[str, str, str],
                   old_segments: tuple[str, str, str] | None = None, table: str = FTS_TABLE) -> None:
    """Index a report's segmented values; `old_segments`: what it was indexed with before (an update)."""
    if old_segments is not None:
        db.execute(f"INSERT INTO [{table}] ([{table}], rowid, title, body, text) VALUES ('delete', ?, ?, ?, ?)",
                   [report_id, *old_segments])
    db.execute(f"INSERT INTO [{table}] (rowid, title, body, text) VALUES (?, ?, ?, ?)", [report_id, *segments])


def index_report(db, report_id: int, title: str | None, body: str | None, text: str | None,
                 old: tuple[str | None, str | None, str | None] | None = None, table: str = FTS_TABLE) -> None:
    """Index one report; `old` = its (title, body, text) as indexed before, when it was."""
    index_segments(db, report_id, segment_report(title, body, text),
                   segment_report(*old) if old is not None else None, table)


def unindex_report(db, report_id: int, title: str | None, body: str | None, text: str | None,
                   table: str = FTS_TABLE) -> None:
    """Remove a report from the index: call it BEFORE the reports row changes or goes."""
    db.execute(f"INSERT INTO [{table}] ([{table}], rowid, title, body, text) VALUES ('delete', ?, ?, ?, ?)",
               [report_id, *segment_report(title, body, text)])


def reindex_all(db, table: str = FTS_TABLE) -> int:
    """Recreate the index from the reports rows (an old database whose index kept its own copy)."""
    drop_fts(db, table)
    db.execute(create_sql(table))
    n = 0
    for rid, title, body, text in db.execute(f"SELECT id, title, body, text FROM [{CONTENT_TABLE}]").fetchall():
        index_report(db, rid, title, body, text, table=table)
        n += 1
    optimize(db, table)
    return n


def optimize(db, table: str = FTS_TABLE) -> None:
    """Merge the index's b-trees into one: smaller file, faster queries (after a bulk load)."""
    db.execute(f"INSERT INTO [{table}] ([{table}]) VALUES ('optimize')")
