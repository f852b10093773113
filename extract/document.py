"""One document in, the facts of docs/extract-json.md out.

Reads the bytes as a crawl fetched them (HTML in whatever charset it declares,
plain text, or an attachment), finds the text (trafilatura strips the portal's
chrome), decides whether it is an annual report, and names its title, issuing
body, year reported on, publication date and template. The statistics come
from `statistics.extract_statistics`, the same code for every container.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from bs4 import BeautifulSoup
from w3lib.encoding import html_to_unicode

from nianbao.extract.model import Statistics


class UnreadableDocument(Exception):
    """The bytes are not a document we can read (one-line message)."""


# -- reading -------------------------------------------------------------------

_HTML_SNIFF = re.compile(rb"<\s*(!doctype\s+html|html|head|body|meta|div|table|p|title)\b", re.I)
ATTACHMENT_MAGIC = {b"%PDF": "pdf", b"\xd0\xcf\x11\xe0": "ole", b"PK\x03\x04": "zip"}


def sniff(data: bytes, content_type: str | None = None, filename: str | None = None) -> str:
    """'html', 'text' or 'attachment'."""
    if not data:
        raise UnreadableDocument("empty file (0 bytes)")
    head = data[:8]
    for magic in ATTACHMENT_MAGIC:
        if head.startswith(magic):
            return "attachment"
    ct = (content_type or "").lower()
    name = (filename or "").lower()
    if any(x in ct for x in ("pdf", "msword", "officedocument", "ms-excel", "wps", "octet-stream")) or \
            name.endswith((".pdf", ".doc", ".docx", ".wps", ".xls", ".xlsx", ".et")):
        return "attachment"
    if "html" in ct or _HTML_SNIFF.search(data[:4096]):
        return "html"
    if b"\x00" in data[:4096]:
        raise UnreadableDocument("not a document Nianbao can read (binary data of unknown type)")
    return "text"


def decode_html(data: bytes, content_type: str | None = None) -> tuple[str, str]:
    """(encoding, text): BOM, then HTTP header, then <meta>, then detection (w3lib, as Scrapy)."""
    header = content_type if content_type and "charset" in content_type.lower() else None
    encoding, text = html_to_unicode(header, data)
    return encoding, text


def decode_text(data: bytes) -> str:
    for enc in ("utf-8-sig", "gb18030", "big5"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", errors="replace")


def page_text(html: str) -> str:
    """Main text of a page without nav, share bars and footers."""
    import trafilatura

    text = None
    try:
        text = trafilatura.extract(html, include_tables=True, include_comments=False, favor_recall=True,
                                   deduplicate=False, output_format="txt")
    except Exception:
        text = None
    if not text or len(text) < 50:
        soup = BeautifulSoup(html, "lxml")
        for tag in soup(["script", "style", "noscript"]):
            tag.decompose()
        text = soup.get_text("\n")
    return _tidy(text)


def _tidy(text: str) -> str:
    lines = [re.sub(r"[ \t\u3000\xa0]+", " ", ln).strip() for ln in text.splitlines()]
    out, blank = [], False
    for ln in lines:
        if not ln:
            if not blank and out:
                out.append("")
            blank = True
            continue
        out.append(ln)
        blank = False
    return "\n".join(out).strip()


# -- facts about the document ----------------------------------------------------

REPORT_TITLE = re.compile(
    r"(信息公开|政务公开).{0,14}(年度报告|年报|工作报告|年度工作报告)|信息公开年报|年度.{0,8}信息公开.{0,10}报告")
NOT_REPORT_TITLE = re.compile(
    r"(通知|通报|要点|意见|方案|办法|规定|指南|目录|更正|说明|解读|公告|公示|批复|征集|统计表$|"
    r"法治政府|关于报送|关于做好|关于印发|关于开展|编制发布|考核|评估|整改|清单|召开|会议|部署会|座谈|培训|"
    r"工作推进|动态|解读|图解)")
# The national format's section headings, as numbered lines: a report's skeleton.
REPORT_SECTIONS = re.compile(
    r"^\s*[一二三四五六七八九十]+\s*[、.．]\s*(?:总体情况|概述|主动公开政府信息(?:的)?情况|收到和处理政府信息公开申请情况|"
    r"依申请公开政府信息(?:的)?情况|政府信息公开行政复议|因政府信息公开(?:申请)?(?:被申请)?行政复议|"
    r"政府信息公开工作存在的主要问题|存在的主要问题|其他需要报告的事项|政府信息公开的收费)", re.M)
EVIDENCE = ("主动公开", "依申请", "行政复议", "行政诉讼", "政府信息公开", "信息公开")
_CN_DIGITS = {"〇": "0", "零": "0", "○": "0", "Ｏ": "0", "一": "1", "二": "2", "三": "3", "四": "4", "五": "5",
              "六": "6", "七": "7", "八": "8", "九": "9"}
_CN_YEAR = re.compile(r"[二][〇零○Ｏ一二三四五六七八九]{3}(?=年)")
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)\s*年?")
_CJK_CHARS = "\u4e00-\u9fff"
_NOT_BODIES = {"政府", "人民政府", "本级", "全县", "全市", "全区", "全镇", "本单位", "本机关", "单位", "机关"}


def plausible_body(name: str | None) -> bool:
    """A name that can be an issuing body (not "政府", "我局", "二是…。")."""
    if not name or name in _NOT_BODIES or len(name) > 40:
        return False
    if name[0] in "本我全该各其" or re.search(r"[。，,；;：:！!？?、]|[一二三四五六]是", name):
        return False
    return bool(BODY_SUFFIX.search(name))


BODY_SUFFIX = re.compile(
    r"(人民政府|政府办公室|政府办|管委会|管理委员会|委员会|办公室|办公厅|办事处|街道|局|厅|委|院|署|中心|办|"
    r"政府|区|县|市|镇|乡|所|站|队|公司|集团)$")
_SECTION = re.compile(r"^\s*(?:[一二三四五六七八九十]+\s*[、.]|[(（]\s*[一二三四五六七八九十\d]+\s*[)）]|\d+\s*[、.])")
# "附件一：衡阳国家高新区2018年度政府信息公开明细表": body and year of a report with no title
_TABLE_CAPTION = re.compile(
    r"^(?:附[件表]?[一二三四1-9]?\s*[:：]?\s*)?(.{2,30}?)\s*((?:19|20)\d{2})\s*年度?\s*政府信息公开(?:工作)?\S{0,6}(?:明细表|统计表|情况表)")
_BODY_IN_REPORT_NAME = re.compile(
    r"(?:19|20)\d{2}\s*年度?\s*([^\s，。,、（）()《》“”]{2,24}?)\s*(?:政府信息公开|信息公开)(?:工作)?(?:年度)?报告")
_BODY_AS_SUBJECT = re.compile(
    r"(?:19|20)\d{2}\s*年(?:度)?\s*[，,]\s*([^\s，。,、（）()《》“”]{2,24}?)\s*(?:认真|深入|坚持|严格|全面|进一步|继续|持续|紧紧|围绕|按照|以)")
_SITE_SPLIT = re.compile(r"\s*(?:[-_|｜—]{1,2}|——)\s*")


def _soup(html) -> BeautifulSoup:
    """A parsed page: `classify` parses once and hands the soup to each helper."""
    return html if isinstance(html, BeautifulSoup) else BeautifulSoup(html, "lxml")


def nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "")


def _cn_year(text: str) -> str:
    return _CN_YEAR.sub(lambda m: "".join(_CN_DIGITS.get(c, c) for c in m.group(0)), text)


# "现向社会公布龙口镇2022年度政府信息公开工作年度报告。": the report's own name
_PUBLISHED_NAME = re.compile(r"(?:公布|编制|发布)\s*([^。，,；;《》“”]{4,50}?(?:政府信息公开|信息公开|政务公开)[^。，,；;]{0,8}?(?:年度报告|年报))")
_LABEL_PREFIX = re.compile(r"^\s*(?:名\s*称|标\s*题|题\s*名|文章标题)\s*[:：]\s*")


def _clean_title(t: str | None) -> str | None:
    if not t:
        return None
    t = _LABEL_PREFIX.sub("", re.sub(r"\s+", " ", t)).strip(" \u3000\xa0【】[]")
    # breadcrumbs ("首页 > 信息公开 > 年度报告") and table rows are never titles
    if not t or re.search(r"[>»|]|当前位置|所在位置|第二十条", t):
        return None
    # a sentence ("根据…，制定本报告：") is not a title
    if re.search(r"[，,。；;]|[:：]$|^根据", nfkc(t).replace(",", "，")):
        return None
    return t


@dataclass
class Facts:
    is_report: bool
    title: str | None
    body: str | None
    year: int | None
    published: str | None
    reason: str
    candidates: list[str] = field(default_factory=list)


def title_candidates(html: str | None, text: str, link_text: str | None = None) -> list[str]:
    cands: list[str] = []
    if html:
        soup = _soup(html)
        for name in ("ArticleTitle", "articletitle", "title", "og:title", "Title", "DC.title"):
            tag = soup.find("meta", attrs={"name": name}) or soup.find("meta", attrs={"property": name})
            if tag and tag.get("content"):
                cands.append(tag["content"])
        # find_all, not CSS select(): soupsieve walked the whole tree once per selector
        # (a third of a page's extraction time); same nodes, same order
        for kind, value in (("name", "h1"), ("name", "h2"), ("class_", "title"), ("class_", "article-title"),
                            ("class_", "tit"), ("id", "title"), ("class_", "content-title"), ("name", "h3")):
            for node in soup.find_all(**{kind: value}, limit=3):
                cands.append(node.get_text(" ", strip=True))
        if soup.title and soup.title.string:
            cands.extend(p for p in _SITE_SPLIT.split(soup.title.string) if p)
    if link_text:
        cands.append(link_text)
    for line in text.splitlines()[:12]:
        # a section heading ("一、概述", "（一）…") is never the title
        if 4 <= len(line) <= 60 and "\t" not in line and not _SECTION.match(nfkc(line)):
            cands.append(line)
    m = _PUBLISHED_NAME.search(nfkc(text[:600]))
    if m:
        cands.append(m.group(1))
    out = []
    for c in cands:
        c = _clean_title(c)
        if c and c not in out and len(c) <= 100:
            out.append(c)
    return out


def choose_title(cands: list[str]) -> str | None:
    for c in cands:
        if REPORT_TITLE.search(nfkc(c)):
            return c
    for c in cands:
        if "报告" in c:
            return c
    return cands[0] if cands else None


def year_of(title: str | None, text: str, published: str | None) -> int | None:
    for source in (title or "", text[:600]):
        s = _cn_year(nfkc(source))
        m = re.search(r"((?:19|20)\d{2})\s*年?度?\s*(?:政府|信息|政务|的|工作|年度|年|\S{0,12}?信息公开)", s)
        if m and source is title:
            return int(m.group(1))
        if source is not title:
            m = re.search(r"统计(?:期限|时限|时间|区间)[^\d]{0,12}((?:19|20)\d{2})\s*年\s*1\s*月\s*1\s*日", s)
            if m:
                return int(m.group(1))
            m = re.search(r"((?:19|20)\d{2})\s*年度?(?:政府)?(?:信息公开|政务公开)", s)
            if m:
                return int(m.group(1))
    if title:
        m = _YEAR.search(_cn_year(nfkc(title)))
        if m:
            return int(m.group(1))
    opening = _cn_year(nfkc(text[:1500]))
    for pat in (r"截[止至]\s*((?:19|20)\d{2})\s*年\s*12\s*月\s*31\s*日",
                r"(?:^|\n)\s*((?:19|20)\d{2})\s*年度?\s*[,，]", r"((?:19|20)\d{2})\s*年度?\s*[,，]",
                r"本年度[^。]{0,30}?((?:19|20)\d{2})\s*年", r"(?:^|\n)\s*((?:19|20)\d{2})\s*年"):
        m = re.search(pat, opening)
        if m:
            return int(m.group(1))
    if published and published[:4].isdigit():
        return int(published[:4]) - 1  # reports come out in the first quarter about the year before
    return None


def body_of(title: str | None, text: str, html: str | None, source_body: str | None = None) -> str | None:
    for name in _body_candidates(title, text, html):
        if plausible_body(name):
            return name
    return source_body


def _body_candidates(title: str | None, text: str, html: str | None):
    """Places a report names its issuing body, most telling first."""
    if title:
        t = _cn_year(nfkc(title))
        m = re.match(r"^(.{2,40}?)\s*(?:关于)?\s*(?:(?:19|20)\d{2})\s*年", t)
        if m:
            body = m.group(1).strip(" :：,，、()（）")
            body = re.sub(r"关于$", "", body).strip()
            if len(body) >= 2 and not re.fullmatch(r"[\d\s年度]+", body):
                # titles shorten "攸县网岭镇人民政府" to "攸县网岭镇": take the full name the text uses
                if re.search(r"(区|县|市|镇|乡|旗)$", body) and body + "人民政府" in text:
                    yield body + "人民政府"
                yield body
        m = re.match(r"^(?:19|20)\d{2}\s*年度?\s*([^\s\d]{2,30}?)\s*(?:政府信息公开|信息公开|政务公开)", t)
        if m and m.group(1)[0] not in "本我全该" and BODY_SUFFIX.search(m.group(1)):
            yield m.group(1)
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    # a short line just above the report's title line: "宝鸡高新区管委会\n2019年度信息公开工作报告"
    for i, line in enumerate(lines[:14]):
        if REPORT_TITLE.search(nfkc(line)) and i > 0:
            prev = lines[i - 1]
            if len(prev) <= 25 and BODY_SUFFIX.search(prev) and not REPORT_TITLE.search(nfkc(prev)):
                yield prev
    # the opening names the body: "公布2016年度攸县人民政府政府信息公开工作年度报告", "2016年，攸县人民政府认真…"
    opening = nfkc(text[:1500])
    for pat in (_BODY_IN_REPORT_NAME, _BODY_AS_SUBJECT):
        for m in pat.finditer(opening):
            name = m.group(1)
            if len(name) >= 3 and BODY_SUFFIX.search(name) and name[0] not in "本我全该":
                yield name
    head = nfkc(text[:800])
    m = re.search(r"(?:来源|发布机构|发文机关|信息来源)\s*[:：]\s*([^\s:：|]{2,30})", head)
    if m and BODY_SUFFIX.search(m.group(1)):
        yield m.group(1)
    if html:
        soup = _soup(html)
        for name in ("ContentSource", "contentsource", "author", "SiteName"):
            tag = soup.find("meta", attrs={"name": name})
            if tag and tag.get("content") and BODY_SUFFIX.search(tag["content"].strip()):
                yield tag["content"].strip()
        m = re.search(r"(?:来源|发布机构)\s*[:：]\s*([^\s<:：|]{2,30})", nfkc(soup.get_text(" ")[:3000]))
        if m and BODY_SUFFIX.search(m.group(1)):
            yield m.group(1)
    # a signature line near the end: "衡阳市教育局\n2021年1月20日"
    for i in range(len(lines) - 1, max(len(lines) - 6, 0), -1):
        if re.match(r"^(?:19|20)\d{2}\s*年\s*\d{1,2}\s*月", nfkc(lines[i])) and i > 0:
            prev = lines[i - 1]
            if len(prev) <= 25 and BODY_SUFFIX.search(prev):
                yield prev


_DATE_PATTERNS = (
    re.compile(r"(?:发布时间|发布日期|发文日期|成文日期|日期|时间)\s*[:：]?\s*((?:19|20)\d{2})[-/.年](\d{1,2})[-/.月](\d{1,2})"),
    re.compile(r"[(（]\s*((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日\s*[)）]"),
)


def published_of(html: str | None, text: str) -> str | None:
    if html:
        soup = _soup(html)
        for name in ("PubDate", "pubdate", "publishdate", "firstpublishedtime", "article:published_time"):
            tag = soup.find("meta", attrs={"name": name}) or soup.find("meta", attrs={"property": name})
            if tag and tag.get("content"):
                m = re.search(r"((?:19|20)\d{2})[-/.年](\d{1,2})[-/.月](\d{1,2})", tag["content"])
                if m:
                    return f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"
        text = nfkc(soup.get_text(" ")) + "\n" + text
    for pat in _DATE_PATTERNS:
        m = pat.search(nfkc(text[:5000]))
        if m:
            return f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"
    return None


def classify(html: str | None, text: str, link_text: str | None = None, source_body: str | None = None,
             has_statistics: bool = False, filename: str | None = None) -> Facts:
    html = _soup(html) if html else None  # parsed once for title, date and body
    cands = title_candidates(html, text, link_text)
    if filename and re.search(f"[{_CJK_CHARS}]", filename):  # "统计表.xls" names something; "P0202.pdf" does not
        cands.append(re.sub(r"\.\w{2,4}$", "", filename))
    title = choose_title(cands)
    # The page's own headline (meta, h1, <title>) outranks a report name quoted in its text:
    # a 指南 that mentions "年度报告" is still a 指南.
    primary = cands[0] if cands and html else None
    if primary and primary != title and NOT_REPORT_TITLE.search(nfkc(primary)) \
            and not re.search(r"(年度报告|年报)$", nfkc(primary)):
        title = primary
    ntitle = nfkc(title or "")
    head = nfkc(text[:400])
    evidence = sum(1 for w in EVIDENCE if w in text)
    if title and NOT_REPORT_TITLE.search(ntitle) and not re.search(r"(年度报告|年报)$", ntitle):
        is_report, reason = False, f"title names another kind of document: {title}"
    elif title and REPORT_TITLE.search(ntitle):
        is_report, reason = True, "title names an information-disclosure annual report"
    elif REPORT_TITLE.search(head) and not NOT_REPORT_TITLE.search(head[:60]) and evidence >= 3:
        is_report, reason = True, "text opens as an information-disclosure annual report"
    elif len(set(m.group(0).strip() for m in REPORT_SECTIONS.finditer(text))) >= 3 and evidence >= 3:
        is_report, reason = True, "laid out in the sections of the national report format"
    elif has_statistics and evidence >= 3:
        is_report, reason = True, "carries the national statistics table"
    else:
        is_report, reason = False, "no sign of an information-disclosure annual report"
    published = published_of(html, text)
    year = year_of(title, text, published) if is_report else None
    body = body_of(title, text, html, source_body) if is_report else None
    if is_report and not (title and REPORT_TITLE.search(ntitle)):
        # no report title: the statistics table's caption names body and year
        for line in text.splitlines():
            m = _TABLE_CAPTION.match(nfkc(line.strip()))
            if m:
                body = body or m.group(1).strip(" :：")
                year = int(m.group(2))
                break
    return Facts(is_report, title, body, year, published, reason, cands)


# -- the extract-file contract -----------------------------------------------------

def _statistics(html: str | None, text: str, grids=None) -> Statistics:
    try:
        from nianbao.extract.statistics import extract_statistics
    except ImportError:  # statistics stage not installed in this build
        return Statistics(template=None)
    return extract_statistics(html, text, grids)


def read_document(data: bytes, content_type: str | None = None, filename: str | None = None) -> dict:
    """{'kind', 'html', 'text', 'grids', 'ocr', 'encoding'} for any supported input."""
    kind = sniff(data, content_type, filename)
    if kind == "html":
        encoding, html = decode_html(data, content_type)
        return {"kind": "html", "html": html, "text": page_text(html), "grids": None, "ocr": False,
                "encoding": encoding}
    if kind == "text":
        return {"kind": "text", "html": None, "text": _tidy(decode_text(data)), "grids": None, "ocr": False,
                "encoding": None}
    try:
        from nianbao.extract.attachments import AttachmentError, read_attachment_safely as reader
    except ImportError:
        try:
            from nianbao.extract.attachments import AttachmentError, read_attachment as reader
        except ImportError:
            raise UnreadableDocument("attachment readers are not installed in this build")
    try:
        doc = reader(data, filename=filename, content_type=content_type)
    except AttachmentError as e:
        raise UnreadableDocument(str(e)) from e
    return {"kind": getattr(doc, "kind", "attachment"), "html": None, "text": doc.text, "grids": doc.grids,
            "ocr": bool(getattr(doc, "ocr", False)), "encoding": None}


@dataclass
class Analysis:
    doc: dict
    stats: Statistics
    facts: Facts

    @property
    def template(self) -> str | None:
        if not self.facts.is_report:
            return None
        if self.stats.template:
            return self.stats.template
        # no table read: a report citing the 2019/2021 format notice (its table may be an
        # image, or cut off) is still of that template; otherwise it is narrative
        from nianbao.extract.narrative import template_by_text

        return template_by_text(self.doc["text"], self.facts.year) or "narrative"


def analyse(data: bytes, content_type: str | None = None, filename: str | None = None,
            link_text: str | None = None, source_body: str | None = None) -> Analysis:
    """Read, extract statistics and classify one document (raises UnreadableDocument)."""
    doc = read_document(data, content_type, filename)
    stats = _statistics(doc["html"], doc["text"], doc["grids"])
    if doc["ocr"]:
        for m in stats.metrics:
            m.method = "ocr"
    facts = classify(doc["html"], doc["text"], link_text=link_text, source_body=source_body,
                     has_statistics=stats.template is not None, filename=filename)
    return Analysis(doc, stats, facts)


def to_json(a: Analysis, url: str | None = None) -> dict:
    report = a.facts.is_report
    return {
        "is_report": report,
        "title": a.facts.title,
        "body": a.facts.body,
        "year": a.facts.year,
        "template": a.template,
        "published": a.facts.published,
        "metrics": {m.code: m.value for m in a.stats.metrics} if report else {},
        "harmonized": {h.name: h.value for h in a.stats.harmonized} if report else {},
        "checks": [c.to_dict() for c in a.stats.checks] if report else [],
        "url": url,
        "kind": a.doc["kind"],
        "encoding": a.doc["encoding"],
        "reason": a.facts.reason,
        "metric_details": [m.to_dict() for m in a.stats.metrics] if report else [],
        "harmonized_details": [h.to_dict() for h in a.stats.harmonized] if report else [],
        "notes": a.stats.notes,
    }


def extract_file_json(data: bytes, url: str | None = None, content_type: str | None = None,
                      filename: str | None = None, link_text: str | None = None,
                      source_body: str | None = None) -> dict:
    """The extract-file JSON object (docs/extract-json.md)."""
    return to_json(analyse(data, content_type, filename, link_text, source_body), url)
