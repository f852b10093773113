"""Bodies: who publishes reports, under one name each (a post-pass of extraction).

Reports name their issuing body in many ways: 蒸湘区 / 衡阳市蒸湘区人民政府, 衡阳市政府 /
衡阳市人民政府 / 衡阳市人民政府办公室, full-width letters, a body renamed in the 2018-2019
institutional reform (衡阳市卫生和计划生育委员会 → 衡阳市卫生健康委员会). This pass gives each
body one row in `bodies`, every report its `reports.body_id`, and keeps every name seen as
the body's aliases.

The sources registry (spiders/sources.json) lists who is expected to publish; its bodies
come first (origin 'registry'), bodies first seen in reports join them (origin 'reports').
A report name is matched, in this order:
1. its display form (NFKC, no spaces, renames applied) is a known body's name or alias;
2. its key (also 人民政府/政府/办公室 suffixes dropped, 管理委员会 → 管委会 ...) is a known
   body's key; a government wins over its own office when both are registered;
3. it names a place (…区, …县, …镇) that is the tail of exactly one known place body's key
   (蒸湘区 → 衡阳市蒸湘区), the region prefix having been left out.
Otherwise it is a new body. Body ids are kept across runs (matched by name and key), so links to
/nianbao/bodies/<id> stay valid when the derived tables are rebuilt.

Correction notices (更正说明) are linked to the report they correct: same body, same year
(`documents.corrects_report_id`).
"""
from __future__ import annotations

import json
import logging
import re
import unicodedata

logger = logging.getLogger(__name__)

# Old name part -> current name part. Applied to every name before matching, so a body's
# reports under its old and new names are one body (the old name stays an alias). Only
# renames that hold wherever they occur belong here (the 2018 national reform of the
# health and agriculture bodies, repeated at every level); a local renaming that is not
# universal (国土资源局 became 自然资源局 in some cities, 自然资源和规划局 in others) does not.
RENAMES = (
    ("卫生和计划生育委员会", "卫生健康委员会"),
    ("卫生和计划生育局", "卫生健康局"),
    ("农业委员会", "农业农村局"),
)
# Equivalent spellings, for matching only (the display name keeps what the body wrote).
ABBREVIATIONS = (
    ("高新技术产业开发区", "高新区"),
    ("经济技术开发区", "经开区"),
    ("管理委员会", "管委会"),
    ("街道办事处", "街道"),
)
_GOV_OFFICE = re.compile(r"(人民政府|政府)(办公室|办公厅)$")
_GOV = re.compile(r"(人民政府|政府)$")
_PLACE = re.compile(r"(省|自治区|市|州|盟|地区|县|区|旗|镇|乡|街道)$")
_PROVINCIAL_CITIES = ("北京市", "天津市", "上海市", "重庆市")
# Registry levels -> the five levels of the analysis. A district is a county-level body; a
# development zone's 管委会 is administered at county level and publishes as one.
LEVEL_OF_REGISTRY = {"province": "province", "city": "city", "county": "county", "district": "county",
                     "zone": "county", "township": "township", "department": "department"}
LEVELS = ("province", "city", "county", "township", "department")


def display_name(name: str) -> str:
    """The name as shown: NFKC (full-width letters and digits to ASCII), no spaces, renames."""
    s = unicodedata.normalize("NFKC", name or "")
    s = re.sub(r"\s+", "", s)
    for old, new in RENAMES:
        s = s.replace(old, new)
    return s


def name_key(name: str) -> str:
    """The matching key: the display name with 人民政府/政府/办公室 suffixes dropped and the
    long forms of zone names shortened (衡阳市人民政府办公室 -> 衡阳市)."""
    s = display_name(name)
    for long, short in ABBREVIATIONS:
        s = s.replace(long, short)
    s = _GOV_OFFICE.sub("", s) or s
    s = _GOV.sub("", s) or s
    return s


def is_place(key: str) -> bool:
    return len(key) >= 2 and bool(_PLACE.search(key))


def infer_level(key: str) -> str:
    """Level of a body known only from reports, from its name."""
    if re.search(r"(镇|乡|街道)$", key):
        return "township"
    if key.endswith(("省", "自治区")) or key in _PROVINCIAL_CITIES:
        return "province"
    if re.search(r"(县|区|旗)$", key) or re.search(r"(开发区|高新区|经开区|新区)管委会$", key):
        return "county"
    if key.endswith(("市", "州", "盟", "地区")):
        return "city"
    return "department"


class _Body:
    __slots__ = ("id", "name", "key", "level", "region", "parent", "source_id", "aliases", "origin")

    def __init__(self, name, key, level, region, parent, source_id, origin):
        self.id = None
        self.name, self.key, self.level, self.region = name, key, level, region
        self.parent, self.source_id, self.origin = parent, source_id, origin
        self.aliases: list[str] = []

    def alias(self, raw: str) -> None:
        if raw and raw != self.name and raw not in self.aliases:
            self.aliases.append(raw)


class BodyIndex:
    """Registry bodies plus bodies seen in reports, and the name -> body resolution."""

    def __init__(self, sources: list[dict]):
        self.bodies: list[_Body] = []
        self._by_display: dict[str, _Body] = {}
        self._by_key: dict[str, list[_Body]] = {}
        by_source: dict[str, _Body] = {}
        for s in sources:
            if not s.get("name"):
                continue
            b = _Body(display_name(s["name"]), name_key(s["name"]), LEVEL_OF_REGISTRY.get(s.get("level"), "department"),
                      s.get("region"), None, s.get("id"), "registry")
            b.alias(s["name"])
            by_source[s.get("id")] = b
            self._add(b)
        for s in sources:
            if s.get("parent") in by_source and s.get("id") in by_source:
                by_source[s["id"]].parent = by_source[s["parent"]]

    def _add(self, b: _Body) -> None:
        self.bodies.append(b)
        self._by_display.setdefault(b.name, b)
        self._by_key.setdefault(b.key, []).append(b)

    def find(self, raw: str) -> _Body | None:
        shown = display_name(raw)
        if not shown:
            return None
        if shown in self._by_display:
            return self._by_display[shown]
        key = name_key(raw)
        candidates = self._by_key.get(key)
        if candidates:
            # 衡阳市政府 is the city government, not its office, when both are registered
            return min(candidates, key=lambda b: (b.name.endswith(("办公室", "办公厅")), b.origin != "registry"))
        if is_place(key):
            tails = {id(b): b for b in self.bodies if b.key != key and b.key.endswith(key) and is_place(b.key)}
            if len(tails) == 1:
                return next(iter(tails.values()))
        return None

    def resolve(self, raw: str) -> _Body | None:
        """The body this name stands for, made a new one (origin 'reports') if unknown."""
        if not display_name(raw):
            return None
        b = self.find(raw)
        if b is None:
            key = name_key(raw)
            region_body = self._enclosing(key)
            region = region_body.region if region_body else _leading_place(key)
            b = _Body(display_name(raw), key, infer_level(key), region, region_body, None, "reports")
            self._add(b)
        b.alias(raw)
        self._by_display.setdefault(display_name(raw), b)
        return b

    def _enclosing(self, key: str) -> _Body | None:
        """The most specific known place whose key starts this one (衡阳市 for 衡阳市教育局)."""
        best = None
        for b in self.bodies:
            if b.key != key and is_place(b.key) and b.level != "department" and key.startswith(b.key):
                if best is None or len(b.key) > len(best.key):
                    best = b
        return best


def _leading_place(key: str) -> str | None:
    m = re.match(r"^(.{1,12}?(?:省|自治区|市|州|盟|县|区|旗))", key)
    return m.group(1) if m else None


# ------------------------------------------------------------------ corrections
_CORRECTION_TITLE = re.compile(
    r"(?:关于)?[《“\"]?(?P<body>.+?)(?P<year>(?:19|20)\d\d)年度?政府信息公开(?:工作)?年度?报告")
_YEAR = re.compile(r"((?:19|20)\d\d)年")


def correction_target(title: str) -> tuple[str | None, int | None]:
    """(body, year) a correction notice's title names: 关于衡阳市2018年政府信息公开工作年度报告的更正说明."""
    m = _CORRECTION_TITLE.search(title or "")
    if m:
        body = re.sub(r"^(关于|对)", "", m.group("body")).strip("《》“”\"")
        return body or None, int(m.group("year"))
    y = _YEAR.search(title or "")
    return None, int(y.group(1)) if y else None


# ------------------------------------------------------------------ the pass
def _columns(db, table: str) -> set[str]:
    return {r[1] for r in db.execute(f"PRAGMA table_info([{table}])").fetchall()}


def ensure_bodies_schema(db) -> None:
    db.execute("""CREATE TABLE IF NOT EXISTS bodies (
        id INTEGER PRIMARY KEY, name TEXT NOT NULL, normalized_name TEXT NOT NULL,
        level TEXT, region TEXT, parent_id INTEGER REFERENCES bodies(id) DEFERRABLE INITIALLY DEFERRED, source_id TEXT,
        aliases TEXT, origin TEXT, reports INTEGER, first_year INTEGER, last_year INTEGER)""")
    if "reports" in db.table_names() and "body_id" not in _columns(db, "reports"):
        db.execute("ALTER TABLE reports ADD COLUMN body_id INTEGER REFERENCES bodies(id) DEFERRABLE INITIALLY DEFERRED")
        db.execute("CREATE INDEX IF NOT EXISTS idx_reports_body_id ON reports(body_id)")
    if "documents" in db.table_names() and "corrects_report_id" not in _columns(db, "documents"):
        # no REFERENCES, like documents.report_id: `nianbao extract` drops reports before documents
        db.execute("ALTER TABLE documents ADD COLUMN corrects_report_id INTEGER")


def _load_sources() -> list[dict]:
    try:
        from nianbao.spiders.registry import load_sources

        return load_sources()
    except Exception as e:  # a broken private registry must not stop extraction
        logger.warning("bodies: sources registry not loaded (%s); bodies come from reports only", e)
        return []


def assign_bodies(db, sources: list[dict] | None = None) -> dict:
    """Rebuild `bodies`, `reports.body_id`, `documents.corrects_report_id` and the analysis
    views. Idempotent; body ids are kept for bodies already known (by normalized name)."""
    from nianbao.db import transaction
    from nianbao.extract.analysis_views import create_views

    ensure_bodies_schema(db)
    index = BodyIndex(_load_sources() if sources is None else sources)
    reports = db.execute("SELECT id, body, year FROM reports").fetchall()
    names = sorted({r[1] for r in reports if r[1]}, key=lambda n: (-len(name_key(n)), n))
    resolved = {n: index.resolve(n) for n in names}  # most qualified names first: they make the bodies

    # normalized_name is not unique (a government and its office share it): name + key is
    known = {(key, name): bid for bid, key, name in db.execute("SELECT id, normalized_name, name FROM bodies")}
    next_id = max(known.values(), default=0) + 1
    for b in index.bodies:
        if (b.key, b.name) in known:
            b.id = known[(b.key, b.name)]
        else:
            b.id, next_id = next_id, next_id + 1
    years: dict[int, list[int]] = {}
    for rid, body, year in reports:
        b = resolved.get(body)
        if b is not None and year:
            years.setdefault(b.id, []).append(year)
    counts: dict[int, int] = {}
    for rid, body, year in reports:
        b = resolved.get(body)
        if b is not None:
            counts[b.id] = counts.get(b.id, 0) + 1
    with transaction(db):
        # reports.body_id references bodies (an immediate constraint when db.py created the
        # table): check it at COMMIT, once every body is back under its kept id
        db.execute("PRAGMA defer_foreign_keys = ON")
        db.execute("DELETE FROM bodies")
        db.conn.executemany(
            "INSERT INTO bodies (id, name, normalized_name, level, region, parent_id, source_id, aliases, origin, "
            "reports, first_year, last_year) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(b.id, b.name, b.key, b.level, b.region, b.parent.id if b.parent else None, b.source_id,
              json.dumps(b.aliases, ensure_ascii=False), b.origin, counts.get(b.id, 0),
              min(years[b.id]) if b.id in years else None, max(years[b.id]) if b.id in years else None)
             for b in index.bodies])
        db.conn.executemany("UPDATE reports SET body_id = ? WHERE id = ?",
                            [(resolved[body].id if resolved.get(body) else None, rid) for rid, body, _ in reports])
        linked = _link_corrections(db, index)
    create_views(db)
    return {"bodies": len(index.bodies), "bodies_from_reports": sum(b.origin == "reports" for b in index.bodies),
            "corrections_linked": linked}


def _link_corrections(db, index: BodyIndex) -> int:
    """A correction notice points at the report of its body and year (the first published)."""
    cols = _columns(db, "documents")
    kind = "doc_type = 'correction' OR " if "doc_type" in cols else ""
    extra = ", ".join(c for c in ("body", "year") if c in cols)
    rows = db.execute(
        f"SELECT id, title{', ' + extra if extra else ''} FROM documents "
        f"WHERE ({kind}(title LIKE '%更正%' AND coalesce(is_report, 0) = 0))").fetchall()
    db.execute("UPDATE documents SET corrects_report_id = NULL WHERE corrects_report_id IS NOT NULL")
    linked = 0
    for row in rows:
        doc_id, title = row[0], row[1]
        facts = dict(zip(extra.split(", "), row[2:])) if extra else {}
        body, year = facts.get("body"), facts.get("year")
        t_body, t_year = correction_target(title)
        body, year = body or t_body, year or t_year
        b = index.find(body) if body else None
        if b is None or b.id is None or not year:
            continue
        hit = db.execute("SELECT id FROM reports WHERE body_id = ? AND year = ? "
                         "ORDER BY published IS NULL, published, id LIMIT 1", [b.id, int(year)]).fetchone()
        if hit:
            db.execute("UPDATE documents SET corrects_report_id = ? WHERE id = ?", [hit[0], doc_id])
            linked += 1
    return linked
