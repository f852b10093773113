"""The national statistics tables of the annual reports, as data and as HTML.

* gk2008 - 政府信息公开情况统计表 (2008-2018 reports): rows of (label, unit, value)
* gk2019 - 国办公开办函〔2019〕60号 format (reports on 2019 and 2020)
* gk2021 - 国办公开办函〔2021〕30号 format (reports on 2021 onwards)

``synth_gk2019/synth_gk2021/synth_gk2008`` make internally consistent numbers
(table 三 balances per column, table 四 totals add up) and return them as
``{metric_code: number}`` with the codes of metrics.tsv; the ``*_html``
functions render those dicts as the tables real portals publish (merged cells
included).
"""
from __future__ import annotations

import html
import random
import re

APPLICANTS = ["natural_person", "commercial", "research", "public_interest", "legal_services", "other_org"]
APPLICANT_LABELS = ["自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"]

# (code, group label, item label) in the order of the form; group None = own row
RESULT_ROWS_COMMON = [
    ("disclosed", None, "（一）予以公开"),
    ("partly", None, "（二）部分公开（区分处理的，只计这一情形，不计其他情形）"),
    ("refused.state_secret", "（三）不予公开", "1.属于国家秘密"),
    ("refused.prohibited_by_law", "（三）不予公开", "2.其他法律行政法规禁止公开"),
    ("refused.security_stability", "（三）不予公开", "3.危及“三安全一稳定”"),
    ("refused.third_party", "（三）不予公开", "4.保护第三方合法权益"),
    ("refused.internal_affairs", "（三）不予公开", "5.属于三类内部事务信息"),
    ("refused.process_info", "（三）不予公开", "6.属于四类过程性信息"),
    ("refused.enforcement_files", "（三）不予公开", "7.属于行政执法案卷"),
    ("refused.inquiry_matters", "（三）不予公开", "8.属于行政查询事项"),
    ("unable.not_held", "（四）无法提供", "1.本机关不掌握相关政府信息"),
    ("unable.needs_creation", "（四）无法提供", "2.没有现成信息需要另行制作"),
    ("unable.unclear", "（四）无法提供", "3.补正后申请内容仍不明确"),
    ("not_processed.petition", "（五）不予处理", "1.信访举报投诉类申请"),
    ("not_processed.repeated", "（五）不予处理", "2.重复申请"),
    ("not_processed.publication", "（五）不予处理", "3.要求提供公开出版物"),
    ("not_processed.mass_repeated", "（五）不予处理", "4.无正当理由大量反复申请"),
    ("not_processed.confirmation", "（五）不予处理", "5.要求行政机关确认或重新出具已获取信息"),
]
RESULT_ROWS = {
    "gk2019": RESULT_ROWS_COMMON + [("other", None, "（六）其他处理")],
    "gk2021": RESULT_ROWS_COMMON
    + [
        ("other.no_amendment", "（六）其他处理", "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请"),
        ("other.no_fee_paid", "（六）其他处理", "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请"),
        ("other.other", "（六）其他处理", "3.其他"),
    ],
}
OUTCOMES = ["upheld", "corrected", "other", "pending", "total"]
OUTCOME_LABELS = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]

# gk2008: (code or None for a heading row, label, unit)
GK2008_ROWS = [
    (None, "一、主动公开情况", "——"),
    ("old.proactive.total", "（一）主动公开政府信息数（不同渠道和方式公开相同信息计1条）", "条"),
    ("old.proactive.normative_docs", "其中：主动公开规范性文件数", "条"),
    ("old.proactive.normative_docs_issued", "制发规范性文件总数", "件"),
    (None, "（二）通过不同渠道和方式公开政府信息的情况", "——"),
    ("old.proactive.via_gazette", "1.政府公报公开政府信息数", "条"),
    ("old.proactive.via_website", "2.政府网站公开政府信息数", "条"),
    ("old.proactive.via_weibo", "3.政务微博公开政府信息数", "条"),
    ("old.proactive.via_wechat", "4.政务微信公开政府信息数", "条"),
    ("old.proactive.via_other", "5.其他方式公开政府信息数", "条"),
    (None, "二、回应解读情况", "——"),
    ("old.response.hotspots", "（一）回应公众关注热点或重大舆情数（不同方式回应同一热点或舆情计1次）", "次"),
    (None, "（二）通过不同渠道和方式回应解读的情况", "——"),
    ("old.response.press_conferences", "1.参加或举办新闻发布会总次数", "次"),
    ("old.response.press_conferences_heads", "其中：主要负责同志参加新闻发布会次数", "次"),
    ("old.response.online_interviews", "2.政府网站在线访谈次数", "次"),
    ("old.response.online_interviews_heads", "其中：主要负责同志参加政府网站在线访谈次数", "次"),
    ("old.response.interpretations", "3.政策解读稿件发布数", "篇"),
    ("old.response.weibo_wechat", "4.微博微信回应事件数", "次"),
    ("old.response.other", "5.其他方式回应事件数", "次"),
    (None, "三、依申请公开情况", "——"),
    ("old.requests.received", "（一）收到申请数", "件"),
    ("old.requests.received_in_person", "1.当面申请数", "件"),
    ("old.requests.received_fax", "2.传真申请数", "件"),
    ("old.requests.received_online", "3.网络申请数", "件"),
    ("old.requests.received_letter", "4.信函申请数", "件"),
    ("old.requests.closed", "（二）申请办结数", "件"),
    ("old.requests.closed_on_time", "1.按时办结数", "件"),
    ("old.requests.closed_extended", "2.延期办结数", "件"),
    ("old.requests.answered", "（三）申请答复数", "件"),
    ("old.requests.already_public", "1.属于已主动公开范围数", "件"),
    ("old.requests.granted", "2.同意公开答复数", "件"),
    ("old.requests.partly_granted", "3.同意部分公开答复数", "件"),
    ("old.requests.refused", "4.不同意公开答复数", "件"),
    ("old.requests.refused_state_secret", "其中：涉及国家秘密", "件"),
    ("old.requests.refused_commercial_secret", "涉及商业秘密", "件"),
    ("old.requests.refused_privacy", "涉及个人隐私", "件"),
    ("old.requests.refused_security", "危及国家安全、公共安全、经济安全和社会稳定", "件"),
    ("old.requests.refused_not_gov_info", "不是《条例》所指政府信息", "件"),
    ("old.requests.refused_other_law", "法律法规规定的其他情形", "件"),
    ("old.requests.not_this_agency", "5.不属于本行政机关公开数", "件"),
    ("old.requests.not_exist", "6.申请信息不存在数", "件"),
    ("old.requests.asked_to_amend", "7.告知作出更改补充数", "件"),
    ("old.requests.other_channel", "8.告知通过其他途径办理数", "件"),
    ("old.review.total", "四、行政复议数量", "件"),
    ("old.review.upheld", "（一）维持具体行政行为数", "件"),
    ("old.review.corrected", "（二）被依法纠错数", "件"),
    ("old.review.other", "（三）其他情形数", "件"),
    ("old.litigation.total", "五、行政诉讼数量", "件"),
    ("old.litigation.upheld", "（一）维持具体行政行为或者驳回原告诉讼请求数", "件"),
    ("old.litigation.corrected", "（二）被依法纠错数", "件"),
    ("old.litigation.other", "（三）其他情形数", "件"),
    ("old.complaints.total", "六、举报投诉数量", "件"),
    ("old.fees.total", "七、依申请公开信息收取的费用", "万元"),
    (None, "八、机构建设和保障经费情况", "——"),
    ("old.capacity.units", "（一）政府信息公开工作专门机构数", "个"),
    ("old.capacity.reading_points", "（二）设置政府信息公开查阅点数", "个"),
    ("old.capacity.staff", "（三）从事政府信息公开工作人员数", "人"),
    ("old.capacity.staff_fulltime", "1.专职人员数（不包括政府公报及政府网站工作人员数）", "人"),
    ("old.capacity.staff_parttime", "2.兼职人员数", "人"),
    ("old.capacity.budget", "（四）政府信息公开专项经费（不包括用于政府公报编辑管理及政府网站建设维护等方面的经费）", "万元"),
    (None, "九、政府信息公开会议和培训情况", "——"),
    ("old.meetings.meetings", "（一）召开政府信息公开工作会议或专题会议数", "次"),
    ("old.meetings.trainings", "（二）举办各类培训班数", "次"),
    ("old.meetings.trainees", "（三）接受培训人员数", "人次"),
]
SECTION_RE = re.compile(r"^[一二三四五六七八九十]+、")


def esc(s: object) -> str:
    return html.escape(str(s), quote=True)


def fmt(v: float | int) -> str:
    if isinstance(v, float):
        return ("%.2f" % v).rstrip("0").rstrip(".")
    return str(v)


# ---------------------------------------------------------------- gk2008
def _norm(label: str) -> str:
    s = label.replace("、", ".").replace("(", "（").replace(")", "）").replace("《条列》", "《条例》")
    s = s.replace(":", "：")
    return re.sub(r"[\s\u3000\xa0]", "", s).replace("政府微博", "政务微博").replace("政府微信", "政务微信")


_GK2008_BY_SECTION: dict[str, dict[str, str]] = {}
_sec = ""
for _code, _label, _unit in GK2008_ROWS:
    if SECTION_RE.match(_label):
        _sec = _label[:2]
    if _code:
        _GK2008_BY_SECTION.setdefault(_sec, {})[_norm(_label)] = _code


def gk2008_metrics(rows: list[tuple[str, str, str]]) -> dict[str, float | int]:
    """Map a seed's gk2008 rows (label, unit, value) to metric codes.

    Blank cells are absent; 无 / 0 / — count as 0; '42703(...)' reads 42703."""
    out: dict[str, float | int] = {}
    sec = ""
    for label, _unit, value in rows:
        label = label.strip()
        if SECTION_RE.match(label):
            sec = label[:2]
        code = _GK2008_BY_SECTION.get(sec, {}).get(_norm(label))
        if code is None:
            # a row printed under the wrong section (it happens): search everywhere
            hits = [c for d in _GK2008_BY_SECTION.values() for k, c in d.items() if k == _norm(label)]
            code = hits[0] if len(hits) == 1 else None
        if code is None:
            continue
        v = value.strip().replace("\xa0", "")
        if not v:
            continue
        if v in ("无", "/", "—", "——", "-"):
            out[code] = 0
            continue
        m = re.match(r"^(\d+(?:\.\d+)?)", v)
        if m:
            num = float(m.group(1))
            out[code] = int(num) if num.is_integer() else num
    return out


def synth_gk2008(rng: random.Random, scale: int = 1) -> list[tuple[str, str, str]]:
    """Consistent gk2008 rows (label, unit, value-as-text)."""
    v: dict[str, int | float] = {}
    site = rng.randint(300, 2000) * scale
    v["old.proactive.via_gazette"] = rng.randint(0, 40)
    v["old.proactive.via_website"] = site
    v["old.proactive.via_weibo"] = rng.randint(0, 300)
    v["old.proactive.via_wechat"] = rng.randint(50, 600)
    v["old.proactive.via_other"] = rng.randint(0, 200)
    v["old.proactive.total"] = site + v["old.proactive.via_other"]
    v["old.proactive.normative_docs_issued"] = rng.randint(3, 30)
    v["old.proactive.normative_docs"] = v["old.proactive.normative_docs_issued"] - rng.randint(0, 2)
    v["old.response.hotspots"] = rng.randint(2, 30)
    v["old.response.press_conferences"] = pc = rng.randint(1, 12)
    v["old.response.press_conferences_heads"] = rng.randint(0, pc)
    v["old.response.online_interviews"] = oi = rng.randint(0, 10)
    v["old.response.online_interviews_heads"] = rng.randint(0, oi)
    v["old.response.interpretations"] = rng.randint(3, 60)
    v["old.response.weibo_wechat"] = rng.randint(0, 80)
    v["old.response.other"] = rng.randint(0, 40)
    ch = [rng.randint(0, 6), rng.randint(0, 2), rng.randint(3, 40), rng.randint(0, 8)]
    v["old.requests.received_in_person"], v["old.requests.received_fax"], v["old.requests.received_online"], v["old.requests.received_letter"] = ch
    rec = sum(ch)
    v["old.requests.received"] = rec
    ext = rng.randint(0, min(2, rec))
    v["old.requests.closed"] = rec
    v["old.requests.closed_on_time"] = rec - ext
    v["old.requests.closed_extended"] = ext
    refused_parts = [0, 0, rng.randint(0, 1), 0, rng.randint(0, 1), 0]
    refused = sum(refused_parts)
    rest = rec - refused
    partly = rng.randint(0, min(2, rest))
    rest -= partly
    already = rng.randint(0, rest // 3)
    rest -= already
    notthis = rng.randint(0, min(3, rest))
    rest -= notthis
    notexist = rng.randint(0, min(2, rest))
    rest -= notexist
    granted = rest
    v["old.requests.answered"] = rec
    v["old.requests.already_public"] = already
    v["old.requests.granted"] = granted
    v["old.requests.partly_granted"] = partly
    v["old.requests.refused"] = refused
    for code, n in zip(
        ["state_secret", "commercial_secret", "privacy", "security", "not_gov_info", "other_law"], refused_parts
    ):
        v["old.requests.refused_" + code] = n
    v["old.requests.not_this_agency"] = notthis
    v["old.requests.not_exist"] = notexist
    v["old.requests.asked_to_amend"] = 0
    v["old.requests.other_channel"] = 0
    r = [rng.randint(0, 2), 0, rng.randint(0, 1)]
    v["old.review.upheld"], v["old.review.corrected"], v["old.review.other"] = r
    v["old.review.total"] = sum(r)
    lt = [rng.randint(0, 1), 0, 0]
    v["old.litigation.upheld"], v["old.litigation.corrected"], v["old.litigation.other"] = lt
    v["old.litigation.total"] = sum(lt)
    v["old.complaints.total"] = 0
    v["old.fees.total"] = 0
    v["old.capacity.units"] = 1
    v["old.capacity.reading_points"] = rng.randint(1, 5)
    ft, pt = rng.randint(1, 4), rng.randint(2, 10)
    v["old.capacity.staff_fulltime"], v["old.capacity.staff_parttime"] = ft, pt
    v["old.capacity.staff"] = ft + pt
    v["old.capacity.budget"] = rng.choice([2, 3, 5, 8, 10, 12.5])
    v["old.meetings.meetings"] = rng.randint(1, 6)
    v["old.meetings.trainings"] = rng.randint(1, 4)
    v["old.meetings.trainees"] = rng.randint(20, 300)
    rows = []
    for code, label, unit in GK2008_ROWS:
        rows.append((label, unit, fmt(v[code]) if code else ""))
    return rows


def gk2008_html(rows: list[tuple[str, str, str]], style: str = "rowspan", caption: str | None = None) -> str:
    """Render gk2008 rows.

    style='rowspan': 4 columns, the section label in a row-spanning first column
    style='plain':   3 columns 统计指标 | 单位 | 统计数
    style='word':    like 'rowspan' but as Word pastes it (MsoNormal paragraphs, spans, &nbsp;)
    """
    word = style == "word"

    def cell(text: str, attrs: str = "", align: str = "center") -> str:
        text = str(text)
        if word:
            inner = esc(text) if text.strip() else "&nbsp;"
            return (
                f'<td{attrs} valign="middle" style="border:solid windowtext 1.0pt;padding:0cm 5.4pt 0cm 5.4pt">'
                f'<p class="MsoNormal" align="{align}" style="text-align:{align};line-height:15.0pt">'
                f"<span style=\"font-size:10.5pt;font-family:宋体;mso-bidi-font-family:宋体\">{inner}</span></p></td>"
            )
        return f"<td{attrs}>{esc(text) if text.strip() else '&nbsp;'}</td>"

    out = []
    if word:
        out.append(
            '<table class="MsoNormalTable" border="1" cellspacing="0" cellpadding="0" width="600" '
            'style="width:450.0pt;border-collapse:collapse;border:none;mso-border-alt:solid windowtext .5pt">'
        )
    else:
        out.append('<table border="1" cellspacing="0" cellpadding="0" class="tjb" width="100%">')
    if caption:
        out.append(f"<caption>{esc(caption)}</caption>")
    if style == "plain":
        out.append("<tr>" + cell("统计指标") + cell("单位") + cell("统计数") + "</tr>")
        for label, unit, value in rows:
            out.append("<tr>" + cell(label, align="left") + cell(unit) + cell(value) + "</tr>")
        out.append("</table>")
        return "\n".join(out)
    out.append("<tr>" + cell("统计指标", ' colspan="2"') + cell("单位") + cell("统计数") + "</tr>")
    # group rows by section
    groups: list[list[tuple[str, str, str]]] = []
    for r in rows:
        if SECTION_RE.match(r[0].strip()) or not groups:
            groups.append([r])
        else:
            groups[-1].append(r)
    for g in groups:
        head, subs = g[0], g[1:]
        if not subs:
            out.append("<tr>" + cell(head[0], ' colspan="2"', "left") + cell(head[1]) + cell(head[2]) + "</tr>")
            continue
        own_value = head[2].strip() not in ("",) or head[1].strip() not in ("——", "")
        n = len(subs) + (1 if own_value else 0)
        first = cell(head[0], f' rowspan="{n}"')
        if own_value:
            out.append("<tr>" + first + cell("", "") + cell(head[1]) + cell(head[2]) + "</tr>")
            first = ""
        for label, unit, value in subs:
            out.append("<tr>" + first + cell(label, align="left") + cell(unit) + cell(value) + "</tr>")
            first = ""
    out.append("</table>")
    return "\n".join(out)


# ---------------------------------------------------------------- gk2019 / gk2021
def synth_modern(rng: random.Random, template: str, county: bool = True, busy: int = 1) -> dict[str, float | int]:
    """Consistent numbers for tables 二, 三, 四 of gk2019/gk2021."""
    m: dict[str, float | int] = {}
    if template == "gk2019":
        rules = [0, 0, 0] if county else [rng.randint(1, 3)] * 2 + [rng.randint(20, 60)]
        m["art20_1.rules.made"], m["art20_1.rules.published"], m["art20_1.rules.total_public"] = rules
        made = rng.randint(2, 15)
        m["art20_1.normative_docs.made"] = made
        m["art20_1.normative_docs.published"] = made
        m["art20_1.normative_docs.total_public"] = made + rng.randint(20, 200)
        for grp in ("art20_5.licensing", "art20_5.other_services", "art20_6.penalty", "art20_6.coercion"):
            m[grp + ".prev_items"] = rng.randint(5, 300)
            m[grp + ".change"] = rng.randint(-12, 15)
            m[grp + ".decisions"] = rng.randint(0, 5000)
        m["art20_8.fees.prev_items"] = rng.randint(0, 20)
        m["art20_8.fees.change"] = rng.randint(-3, 1)
        m["art20_9.procurement.items"] = rng.randint(5, 200)
        m["art20_9.procurement.amount"] = round(rng.uniform(100, 20000), 2)
    else:
        if county:
            m["art20_1.rules.issued"], m["art20_1.rules.repealed"], m["art20_1.rules.in_force"] = 0, 0, 0
        else:
            m["art20_1.rules.issued"], m["art20_1.rules.repealed"] = rng.randint(0, 3), rng.randint(0, 2)
            m["art20_1.rules.in_force"] = rng.randint(15, 40)
        m["art20_1.normative_docs.issued"] = rng.randint(2, 20)
        m["art20_1.normative_docs.repealed"] = rng.randint(0, 10)
        m["art20_1.normative_docs.in_force"] = rng.randint(30, 300)
        m["art20_5.licensing.decisions"] = rng.randint(100, 20000)
        m["art20_6.penalty.decisions"] = rng.randint(0, 3000)
        m["art20_6.coercion.decisions"] = rng.randint(0, 200)
        m["art20_8.fees.amount"] = round(rng.uniform(0, 500), 2)

    rows = RESULT_ROWS[template]
    weights = {
        "disclosed": 50,
        "partly": 6,
        "refused.third_party": 1,
        "refused.process_info": 2,
        "refused.internal_affairs": 1,
        "unable.not_held": 12,
        "unable.needs_creation": 2,
        "unable.unclear": 1,
        "not_processed.petition": 2,
        "not_processed.repeated": 2,
        "other": 3,
        "other.no_amendment": 2,
        "other.other": 1,
    }
    col_new = {
        "natural_person": rng.randint(8, 60) * busy,
        "commercial": rng.randint(0, 8),
        "research": rng.randint(0, 1),
        "public_interest": 0,
        "legal_services": rng.randint(0, 3),
        "other_org": rng.randint(0, 2),
    }
    for a in APPLICANTS:
        new = col_new[a]
        ci = rng.randint(0, 2) if a == "natural_person" else 0
        co = rng.randint(0, min(3, new)) if a == "natural_person" else 0
        handled = new + ci - co
        counts = {code: 0 for code, _, _ in rows}
        codes = [c for c in counts if c in weights]
        for _ in range(handled):
            counts[rng.choices(codes, [weights[c] for c in codes])[0]] += 1
        m[f"requests.new.{a}"] = new
        m[f"requests.carried_in.{a}"] = ci
        m[f"requests.carried_out.{a}"] = co
        for code, n in counts.items():
            m[f"requests.result.{code}.{a}"] = n
        m[f"requests.result.total.{a}"] = handled
        if template == "gk2021":
            m[f"requests.result.other.{a}"] = sum(counts[c] for c in counts if c.startswith("other."))
    keys = sorted({k.rsplit(".", 1)[0] for k in m if k.startswith("requests.")})
    for k in keys:
        m[k + ".total"] = sum(m[f"{k}.{a}"] for a in APPLICANTS)
    if template == "gk2021":
        # no 'total' of 其他处理 is printed in the 2021 form; keep only printed cells
        for a in APPLICANTS + ["total"]:
            m.pop(f"requests.result.other.{a}", None)
    for grp in ("review", "litigation_direct", "litigation_after_review"):
        up = rng.randint(0, 3)
        cor = rng.randint(0, 1)
        oth = rng.randint(0, 1)
        pend = rng.randint(0, 1)
        if grp == "litigation_after_review":
            up, cor, oth, pend = rng.randint(0, 1), 0, 0, 0
        m[grp + ".upheld"], m[grp + ".corrected"], m[grp + ".other"], m[grp + ".pending"] = up, cor, oth, pend
        m[grp + ".total"] = up + cor + oth + pend
    return m


def check_modern(m: dict[str, float | int], template: str) -> None:
    """Assert the consistency rules of docs/extract-json.md (used by the generators)."""
    for a in APPLICANTS + ["total"]:
        assert m[f"requests.new.{a}"] + m[f"requests.carried_in.{a}"] == m[f"requests.result.total.{a}"] + m[f"requests.carried_out.{a}"]
        assert m[f"requests.result.total.{a}"] == sum(m[f"requests.result.{c}.{a}"] for c, _, _ in RESULT_ROWS[template])
    for k in {k.rsplit(".", 1)[0] for k in m if k.startswith("requests.")}:
        assert m[k + ".total"] == sum(m[f"{k}.{a}"] for a in APPLICANTS), k
    for grp in ("review", "litigation_direct", "litigation_after_review"):
        assert m[grp + ".total"] == sum(m[f"{grp}.{o}"] for o in OUTCOMES[:4])


def _td(v: object, attrs: str = "") -> str:
    return f"<td{attrs}>{esc(fmt(v)) if not isinstance(v, str) else esc(v)}</td>"


def table2_html(m: dict[str, float | int], template: str) -> str:
    o = ['<table border="1" cellspacing="0" cellpadding="0" width="100%" class="gk-table">']
    if template == "gk2019":
        o.append('<tr><td colspan="4">第二十条第（一）项</td></tr>')
        o.append("<tr><td>信息内容</td><td>本年新制作数量</td><td>本年新公开数量</td><td>对外公开总数量</td></tr>")
        for key, label in (("rules", "规章"), ("normative_docs", "规范性文件")):
            o.append("<tr>" + _td(label) + "".join(_td(m[f"art20_1.{key}.{c}"]) for c in ("made", "published", "total_public")) + "</tr>")
        for item, groups in (
            ("（五）", [("art20_5.licensing", "行政许可"), ("art20_5.other_services", "其他对外管理服务事项")]),
            ("（六）", [("art20_6.penalty", "行政处罚"), ("art20_6.coercion", "行政强制")]),
        ):
            o.append(f'<tr><td colspan="4">第二十条第{item}项</td></tr>')
            o.append("<tr><td>信息内容</td><td>上一年项目数量</td><td>本年增/减</td><td>处理决定数量</td></tr>")
            for key, label in groups:
                o.append("<tr>" + _td(label) + "".join(_td(m[f"{key}.{c}"]) for c in ("prev_items", "change", "decisions")) + "</tr>")
        o.append('<tr><td colspan="4">第二十条第（八）项</td></tr>')
        o.append('<tr><td>信息内容</td><td>上一年项目数量</td><td colspan="2">本年增/减</td></tr>')
        o.append("<tr>" + _td("行政事业性收费") + _td(m["art20_8.fees.prev_items"]) + _td(m["art20_8.fees.change"], ' colspan="2"') + "</tr>")
        o.append('<tr><td colspan="4">第二十条第（九）项</td></tr>')
        o.append('<tr><td>信息内容</td><td>采购项目数量</td><td colspan="2">采购总金额（万元）</td></tr>')
        o.append("<tr>" + _td("政府集中采购") + _td(m["art20_9.procurement.items"]) + _td(m["art20_9.procurement.amount"], ' colspan="2"') + "</tr>")
    else:
        o.append('<tr><td colspan="4">第二十条第（一）项</td></tr>')
        o.append("<tr><td>信息内容</td><td>本年制发件数</td><td>本年废止件数</td><td>现行有效件数</td></tr>")
        for key, label in (("rules", "规章"), ("normative_docs", "行政规范性文件")):
            o.append("<tr>" + _td(label) + "".join(_td(m[f"art20_1.{key}.{c}"]) for c in ("issued", "repealed", "in_force")) + "</tr>")
        o.append('<tr><td colspan="4">第二十条第（五）项</td></tr>')
        o.append('<tr><td>信息内容</td><td colspan="3">本年处理决定数量</td></tr>')
        o.append("<tr>" + _td("行政许可") + _td(m["art20_5.licensing.decisions"], ' colspan="3"') + "</tr>")
        o.append('<tr><td colspan="4">第二十条第（六）项</td></tr>')
        o.append('<tr><td>信息内容</td><td colspan="3">本年处理决定数量</td></tr>')
        o.append("<tr>" + _td("行政处罚") + _td(m["art20_6.penalty.decisions"], ' colspan="3"') + "</tr>")
        o.append("<tr>" + _td("行政强制") + _td(m["art20_6.coercion.decisions"], ' colspan="3"') + "</tr>")
        o.append('<tr><td colspan="4">第二十条第（八）项</td></tr>')
        o.append('<tr><td>信息内容</td><td colspan="3">本年收费金额（单位：万元）</td></tr>')
        o.append("<tr>" + _td("行政事业性收费") + _td(m["art20_8.fees.amount"], ' colspan="3"') + "</tr>")
    o.append("</table>")
    return "\n".join(o)


def table3_html(m: dict[str, float | int], template: str) -> str:
    cols = APPLICANTS + ["total"]
    o = ['<table border="1" cellspacing="0" cellpadding="0" width="100%" class="gk-table">']
    o.append('<tr><td colspan="3" rowspan="3">（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）</td><td colspan="7">申请人情况</td></tr>')
    o.append('<tr><td rowspan="2">自然人</td><td colspan="5">法人或其他组织</td><td rowspan="2">总计</td></tr>')
    o.append("<tr>" + "".join(f"<td>{x}</td>" for x in APPLICANT_LABELS[1:]) + "</tr>")

    def nums(key: str) -> str:
        return "".join(_td(m[f"{key}.{a}"]) for a in cols)

    o.append('<tr><td colspan="3">一、本年新收政府信息公开申请数量</td>' + nums("requests.new") + "</tr>")
    o.append('<tr><td colspan="3">二、上年结转政府信息公开申请数量</td>' + nums("requests.carried_in") + "</tr>")
    rows = RESULT_ROWS[template]
    n_rows = len(rows) + 1
    first = f'<td rowspan="{n_rows}">三、本年度办理结果</td>'
    i = 0
    while i < len(rows):
        code, group, label = rows[i]
        if group is None:
            o.append("<tr>" + first + f'<td colspan="2">{esc(label)}</td>' + nums(f"requests.result.{code}") + "</tr>")
            first = ""
            i += 1
            continue
        members = [r for r in rows if r[1] == group]
        grp = f'<td rowspan="{len(members)}">{esc(group)}</td>'
        for mcode, _, mlabel in members:
            o.append("<tr>" + first + grp + f"<td>{esc(mlabel)}</td>" + nums(f"requests.result.{mcode}") + "</tr>")
            first = grp = ""
        i += len(members)
    o.append('<tr><td colspan="2">（七）总计</td>' + nums("requests.result.total") + "</tr>")
    o.append('<tr><td colspan="3">四、结转下年度继续办理</td>' + nums("requests.carried_out") + "</tr>")
    o.append("</table>")
    return "\n".join(o)


def table4_html(m: dict[str, float | int]) -> str:
    o = ['<table border="1" cellspacing="0" cellpadding="0" width="100%" class="gk-table">']
    o.append('<tr><td colspan="5">行政复议</td><td colspan="10">行政诉讼</td></tr>')
    o.append(
        "<tr>"
        + "".join(f'<td rowspan="2">{x}</td>' for x in OUTCOME_LABELS)
        + '<td colspan="5">未经复议直接起诉</td><td colspan="5">复议后起诉</td></tr>'
    )
    o.append("<tr>" + "".join(f"<td>{x}</td>" for x in OUTCOME_LABELS * 2) + "</tr>")
    o.append(
        "<tr>"
        + "".join(_td(m[f"{g}.{x}"]) for g in ("review", "litigation_direct", "litigation_after_review") for x in OUTCOMES)
        + "</tr>"
    )
    o.append("</table>")
    return "\n".join(o)
