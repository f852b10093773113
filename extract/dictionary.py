"""The code dictionary in the database: `metric_codes` and `harmonized_names` from the spec.

Loaded on every extraction run, so the database always explains the codes its figures
use. Rows are upserted by code: an id once given to a code keeps pointing at it, so
figures written by an earlier run stay right when the spec grows.
"""
from __future__ import annotations

import re

from .templates import load_harmonized, load_metrics

# English words for the parts of a code (spec/metrics.tsv): `requests.result.refused.
# state_secret.natural_person` reads "Requests handled: refused — state secret; applicant:
# natural persons". Chinese labels come from the spec's official row and column labels.
_SECTIONS_EN = {
    "old.proactive": "Proactive disclosure", "old.response": "Responding to public concerns",
    "old.requests": "Disclosure on request", "old.review": "Administrative reconsideration",
    "old.litigation": "Administrative lawsuits", "old.complaints": "Complaints",
    "old.fees": "Fees", "old.capacity": "Staff and budget", "old.meetings": "Meetings and training",
}
_OLD_ITEMS_EN = {
    "total": "total", "normative_docs": "normative documents disclosed", "normative_docs_issued":
    "normative documents issued", "via_gazette": "via the government gazette", "via_website": "via the website",
    "via_weibo": "via Weibo", "via_wechat": "via WeChat", "via_other": "via other channels",
    "hotspots": "public concerns responded to", "press_conferences": "press conferences",
    "press_conferences_heads": "press conferences attended by the head", "online_interviews": "online interviews",
    "online_interviews_heads": "online interviews with the head", "interpretations": "policy interpretations published",
    "weibo_wechat": "events answered on Weibo/WeChat", "other": "other", "received": "requests received",
    "received_in_person": "received in person", "received_fax": "received by fax", "received_online": "received online",
    "received_letter": "received by letter", "closed": "requests closed", "closed_on_time": "closed on time",
    "closed_extended": "closed after an extension", "answered": "requests answered",
    "already_public": "already proactively disclosed", "granted": "granted", "partly_granted": "partly granted",
    "refused": "refused", "refused_state_secret": "refused: state secret",
    "refused_commercial_secret": "refused: commercial secret", "refused_privacy": "refused: personal privacy",
    "refused_security": "refused: endangers security or stability",
    "refused_not_gov_info": "refused: not government information", "refused_other_law": "refused: other legal grounds",
    "not_this_agency": "not held by this agency", "not_exist": "information does not exist",
    "asked_to_amend": "applicant asked to amend", "other_channel": "referred to another channel",
    "upheld": "upheld", "corrected": "corrected", "units": "disclosure offices", "reading_points": "reading rooms",
    "staff": "staff", "staff_fulltime": "full-time staff", "staff_parttime": "part-time staff",
    "budget": "dedicated budget", "meetings": "meetings held", "trainings": "training courses",
    "trainees": "people trained",
}
_ENTITIES_EN = {
    "rules": "rules (规章)", "normative_docs": "normative documents", "licensing": "administrative licensing",
    "other_services": "other administrative services", "penalty": "administrative penalties",
    "coercion": "administrative coercion", "fees": "administrative fees", "procurement": "government procurement",
}
_T2_COLUMNS_EN = {
    "made": "made this year", "published": "published this year", "total_public": "total made public",
    "issued": "issued this year", "repealed": "repealed this year", "in_force": "in force",
    "prev_items": "items last year", "change": "change this year", "decisions": "decisions",
    "amount": "amount", "items": "items",
}
_T3_ROWS_EN = {
    "new": "New requests this year", "carried_in": "Requests carried over from last year",
    "carried_out": "Requests carried over to next year", "result.total": "Requests handled: total",
    "result.disclosed": "Requests handled: disclosed", "result.partly": "Requests handled: partly disclosed",
    "result.other": "Requests handled: other outcome",
}
_T3_GROUPS_EN = {"refused": "refused", "unable": "could not be provided", "not_processed": "not processed",
                 "other": "other outcome"}
_T3_REASONS_EN = {
    "state_secret": "state secret", "prohibited_by_law": "prohibited by other laws",
    "security_stability": "endangers security or stability", "third_party": "protects a third party",
    "internal_affairs": "internal affairs", "process_info": "process information",
    "enforcement_files": "law-enforcement files", "inquiry_matters": "matters for official inquiry",
    "not_held": "not held by this agency", "needs_creation": "would have to be created",
    "unclear": "still unclear after amendment", "petition": "petitions and complaints",
    "repeated": "repeated request", "publication": "asks for a publication",
    "mass_repeated": "mass repeated requests", "confirmation": "asks to confirm or reissue information",
    "no_amendment": "applicant did not amend in time", "no_fee_paid": "applicant did not pay the fee",
    "other": "other",
}
_APPLICANTS_EN = {
    "natural_person": "natural persons", "commercial": "companies", "research": "research institutions",
    "public_interest": "public-interest organisations", "legal_services": "legal-service institutions",
    "other_org": "other organisations", "total": "all applicants",
}
_REVIEW_EN = {"review": "Administrative reconsideration", "litigation_direct": "Lawsuits filed directly",
              "litigation_after_review": "Lawsuits filed after reconsideration"}
_OUTCOMES_EN = {"upheld": "upheld", "corrected": "corrected", "other": "other outcome", "pending": "pending",
                "total": "total"}


def _meaning_en(code: str) -> str:
    """An English sentence-fragment for a code; falls back to its words."""
    parts = code.split(".")
    if parts[0] == "old" and len(parts) == 3:
        return f"{_SECTIONS_EN.get('.'.join(parts[:2]), parts[1])}: {_OLD_ITEMS_EN.get(parts[2], parts[2].replace('_', ' '))}"
    if parts[0].startswith("art20_") and len(parts) == 3:
        article = parts[0].split("_")[1]
        return (f"Proactive disclosure (Art. 20 item {article}), {_ENTITIES_EN.get(parts[1], parts[1])}: "
                f"{_T2_COLUMNS_EN.get(parts[2], parts[2])}")
    if parts[0] == "requests":
        applicant = _APPLICANTS_EN.get(parts[-1], parts[-1])
        row = ".".join(parts[1:-1])
        if row in _T3_ROWS_EN:
            return f"{_T3_ROWS_EN[row]}; applicant: {applicant}"
        if len(parts) == 5 and parts[1] == "result":
            group = _T3_GROUPS_EN.get(parts[2], parts[2])
            return f"Requests handled: {group} — {_T3_REASONS_EN.get(parts[3], parts[3])}; applicant: {applicant}"
    if parts[0] in _REVIEW_EN and len(parts) == 2:
        return f"{_REVIEW_EN[parts[0]]}: {_OUTCOMES_EN.get(parts[1], parts[1])}"
    return " / ".join(p.replace("_", " ") for p in parts)


# notes in brackets that explain how to count, not what is counted: kept in meaning_zh only
_COUNTING_NOTE = re.compile(r"（(?:不同|区分处理|不包括)[^）]*）")
_GROUP_PREFIX = {"refused_": "不同意公开："}
_OLD_GROUPS = {"review": "行政复议：", "litigation": "行政诉讼："}
_YEAR_FORMS = " / "


def _short(text: str) -> str:
    """Label text without its numbering (（一）, 1., 三、, 其中：) and counting notes."""
    t = _COUNTING_NOTE.sub("", (text or "").strip())
    t = re.sub(r"^其中[：:]", "", t)
    prev = None
    while prev != t:
        prev = t
        t = re.sub(r"^(?:[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）|\(?\d{1,2}[.、．)）])\s*", "", t).strip()
    return t


def label_zh(row_label: str, column_label: str, code: str = "") -> str:
    """A short Chinese label that tells one code from every other, in the words of the forms:
    the row (its group first, numbering dropped), then the column where it adds something."""
    row = (row_label or "").split(_YEAR_FORMS)[0].strip()
    col = (column_label or "").split(_YEAR_FORMS)[0].strip()
    pieces = [_short(p) for p in row.split(" ") if _short(p)]
    if row.startswith("三、（七）"):
        pieces = ["办理结果总计"]
    is_t4 = code.split(".")[0] in ("review", "litigation_direct", "litigation_after_review")
    label = f"{pieces[0]}（{pieces[1]}）" if is_t4 and len(pieces) == 2 else "：".join(pieces)
    if code.startswith("old."):
        _, section, item = code.split(".", 2)
        label = next((prefix + label for key, prefix in _GROUP_PREFIX.items() if item.startswith(key)), label)
        if section in _OLD_GROUPS and item != "total":       # 被依法纠错数 of 复议 and of 诉讼 alike
            label = _OLD_GROUPS[section] + label
    group, _, col = col.rpartition(" ")          # 法人或其他组织 商业企业 -> 商业企业
    if group == "法人或其他组织" and col == "其他":
        col = "其他法人或其他组织"
    if col in ("", "统计数", "数量"):
        return label
    if is_t4:
        return f"{label}：{col}"
    return f"{label}（{col}）"


def load_dictionary(db) -> dict[str, dict[str, int]]:
    """Upsert the spec into the dictionary tables; returns {"metrics": code->id, "harmonized": name->id}."""
    for spec in load_metrics():
        row = {"code": spec.code, "templates": ",".join(spec.templates), "section": spec.section,
               "row_label": spec.row_label, "column_label": spec.column_label, "unit": spec.unit,
               "label_zh": label_zh(spec.row_label, spec.column_label, spec.code),
               "meaning_zh": _meaning_zh(spec),
               "meaning_en": _meaning_en(spec.code)}
        _upsert(db, "metric_codes", "code", row)
    for h in load_harmonized():
        row = {"name": h["name"], "label_zh": h["label_zh"], "unit": h["unit"] or None,
               "gk2008": h["gk2008"] or None, "gk2019_gk2021": h["gk2019_gk2021"] or None,
               "meaning_zh": _harmonized_meaning_zh(h), "meaning_en": h["meaning"]}
        _upsert(db, "harmonized_names", "name", row)
    return {"metrics": dict(db.execute("SELECT code, id FROM metric_codes").fetchall()),
            "harmonized": dict(db.execute("SELECT name, id FROM harmonized_names").fetchall())}


def _meaning_zh(spec) -> str:
    """The official wording in full: which form(s), section, row and column, with the unit."""
    forms = "、".join({"gk2008": "2008年版", "gk2019": "2019年版", "gk2021": "2021年版"}.get(t, t)
                     for t in spec.templates)
    where = "；".join(p for p in (spec.section, f"行：{spec.row_label}" if spec.row_label else "",
                                  f"列：{spec.column_label}" if spec.column_label else "") if p)
    return f"{forms}年报统计表 {where}（单位：{spec.unit}）" if spec.unit else f"{forms}年报统计表 {where}"


def _harmonized_meaning_zh(h: dict) -> str:
    """Where the comparable figure comes from in each form."""
    labels = {s.code: label_zh(s.row_label, s.column_label, s.code) for s in load_metrics()}

    def words(formula: str) -> str:
        out = []
        for term in formula.split("+"):
            term = term.strip()
            m = re.fullmatch(r"sum\((.+)\.\*\.total\)", term)
            if m:
                out.append(f"「{m.group(1)}」各项总计之和".replace("requests.result.refused", "不予公开"))
            else:
                out.append(f"「{labels.get(term) or labels.get(term + '.total') or term}」")
        return " + ".join(out)

    parts = [h["label_zh"] + (f"（{h['unit']}）" if h["unit"] else "")]
    if h["gk2008"]:
        parts.append(f"2008年版：{words(h['gk2008'])}")
    if h["gk2019_gk2021"]:
        parts.append(f"2019/2021年版：{words(h['gk2019_gk2021'])}")
    if not h["gk2008"] and not h["gk2019_gk2021"]:
        parts.append("只见于报告正文")
    return "。".join(parts)


def _upsert(db, table: str, key: str, row: dict) -> None:
    cols = list(row)
    updates = ", ".join(f"{c} = excluded.{c}" for c in cols if c != key)
    db.execute(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)}) "
               f"ON CONFLICT({key}) DO UPDATE SET {updates}", [row[c] for c in cols])
