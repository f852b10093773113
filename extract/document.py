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
from lxml import etree
from w3lib.encoding import html_to_unicode

from nianbao.extract.chinese import to_simplified
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


def parse_page(html: str):
    """The page's lxml tree, parsed once and shared by trafilatura, the tables and the
    report decision: trafilatura's own loader (so its text is what it makes of the HTML
    string), or None when that refuses the markup (then each reader parses for itself)."""
    from trafilatura.utils import load_html

    try:
        return load_html(html)
    except Exception:
        return None


def page_text(html: str, tree=None) -> str:
    """Main text of a page without nav, share bars and footers (`tree`: the page's
    parse_page tree, which trafilatura copies before it cleans it)."""
    import trafilatura

    text = None
    try:
        text = trafilatura.extract(tree if tree is not None else html, include_tables=True, include_comments=False,
                                   favor_recall=True, deduplicate=False, output_format="txt")
    except Exception:
        text = None
    if not text or len(text) < 50:
        soup = BeautifulSoup(html, "lxml")
        for tag in soup(["script", "style", "noscript"]):
            tag.decompose()
        text = soup.get_text("\n")
    return _tidy(text)


def _tidy_cell_line(line: str) -> str:
    line = line.replace("\u3000", " ").rstrip(" ")     # a trailing tab is a blank last cell
    if not line.strip(" \t\xa0"):
        return "\xa0" if "\xa0" in line else ""      # a blank cell, or a blank line
    body = line.lstrip(" \t\xa0")
    if re.search(f"[{_CJK_CHARS}]", body) and not re.search(r"[\t|]", body):
        return re.sub(r" {2,}", " ", body) if len(body) > 60 else body   # prose: its indent is no cell
    return line


def _tidy(text: str, cells: bool = False) -> str:
    """Whitespace tidied, blank-line runs cut to one. `cells` (plain-text files): tabs, runs of
    spaces, indents and no-break spaces stay, as they mark a table's blank cells ("行政许可\t\t5",
    one cell per line with "\xa0" for an empty cell, "19\xa0\xa03" run together)."""
    if cells:
        lines = [_tidy_cell_line(ln) for ln in text.splitlines()]
    else:
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
#
# Every decision below reads the simplified form of the text (chinese.to_simplified:
# 政府信息公開工作年度報告 is a report too); the title is returned as the page writes it.

REPORT_TITLE = re.compile(
    r"(信息公开|政务公开).{0,14}(年度报告|年报|工作报告|年度工作报告)|信息公开年报|年度.{0,8}信息公开.{0,10}报告")
# Kinds of document a headline can name, most specific first: (doc_type, pattern, 中文, English).
# A headline naming one of them is not a report, even when it ends in 年度报告
# (衡阳市2020年法治政府建设年度报告). "更正版/修订版" is a corrected report itself, not a notice.
HEADLINE_KINDS = (
    ("correction", re.compile(r"更正(?!版|后)|勘误|订正|修正说明"), "更正说明", "correction notice"),
    ("interpretation", re.compile(r"解读|图解|一图读懂|图说|答记者问|问答"), "解读", "interpretation"),
    ("notice", re.compile(r"通知|通报|公告|公示|启事|通告|函$|关于(?:做好|报送|开展|印发|编制|组织|转发|加强|进一步)"),
     "通知", "notice"),
    ("other-annual-report", re.compile(
        r"法治政府|法治建设|依法行政|网站.{0,10}(?:报表|年度报告|工作报告)|网站工作年度|平安建设|营商环境|普法|"
        r"社会信用|企业年度报告|年度报告公示|履职|述职|人大代表建议|政协提案|环境状况"),
     "其他年度报告", "another kind of annual report"),
    ("statistics-bulletin", re.compile(r"统计公报|国民经济和社会发展"), "统计公报", "statistical bulletin"),
    ("budget", re.compile(r"决算|预算|三公经费"), "预决算", "budget or final accounts"),
    ("work-plan", re.compile(r"要点|工作计划|实施方案|工作方案|任务分工|工作安排|行动计划"), "工作要点", "work plan"),
    ("summary", re.compile(r"工作总结|总结$|半年|上半年|季度"), "工作总结", "work summary"),
    ("guide", re.compile(r"指南|目录|须知|流程"), "指南", "guide"),
    ("meeting-news", re.compile(r"召开|会议|部署会|座谈|培训|调研|动态|举办|开展.{0,8}活动"), "工作动态", "news"),
    ("statistics-table", re.compile(r"统计表$|情况表$|明细表$|附表$"), "统计表", "statistics table on its own"),
    ("other", re.compile(r"意见|办法|规定|规则|细则|制度|考核|评估|测评|整改|清单|批复|征集"),
     "其他文件", "another document"),
)
# The column or section name alone ("政府信息公开年度报告", "年度报告"): never a headline.
_GENERIC_TITLE = re.compile(
    r"^(?:政府|部门|单位)?(?:信息公开|政务公开|政府信息公开)?(?:工作)?(?:年度)?(?:报告|年报|工作报告)(?:专栏|栏目)?$|"
    r"^(?:法治政府建设|政务公开|信息公开|政府信息公开)(?:年度报告|专栏|工作)?$|^(?:年度报告|年报|报告)$")
_DOC_WORDS = re.compile(r"报告|年报|要点|决算|预算|通知|通报|公告|公示|解读|说明|公报|方案|指南|总结|计划|情况|报表|统计表|目录|意见|办法")
# The national format's section headings, as numbered lines: a report's skeleton.
REPORT_SECTIONS = re.compile(
    r"^\s*[一二三四五六七八九十]+\s*[、.．]\s*(?:总体情况|概述|主动公开政府信息(?:的)?情况|收到和处理政府信息公开申请情况|"
    r"依申请公开政府信息(?:的)?情况|政府信息公开行政复议|因政府信息公开(?:申请)?(?:被申请)?行政复议|"
    r"政府信息公开工作存在的主要问题|存在的主要问题|其他需要报告的事项|政府信息公开的收费)", re.M)
# How a report opens when its headline is not in the text: "本年度报告根据《中华人民共和国政府信息
# 公开条例》…编制", "根据《条例》…现公布…2022年政府信息公开工作年度报告".
REPORT_OPENING = re.compile(
    r"年度报告[^。；]{0,12}根据《中华人民共和国政府信息公开条例》|"
    r"根据《中华人民共和国政府信息公开条例》[^。；]{0,120}(?:编制|公布|发布)[^。；]{0,40}(?:本|此)(?:年度)?报告|"
    r"政府信息公开(?:工作)?年度报告编制而成")
EVIDENCE = ("主动公开", "依申请", "行政复议", "行政诉讼", "政府信息公开", "信息公开")
_CN_DIGITS = {"〇": "0", "零": "0", "○": "0", "Ｏ": "0", "O": "0", "一": "1", "二": "2", "三": "3", "四": "4", "五": "5",
              "六": "6", "七": "7", "八": "8", "九": "9"}
_CN_YEAR = re.compile(r"[二][〇零○ＯO一二三四五六七八九]{3}(?=年)")
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)\s*年?")
_CJK_CHARS = "\u4e00-\u9fff"
_NOT_BODIES = {"政府", "人民政府", "本级", "全县", "全市", "全区", "全镇", "本单位", "本机关", "单位", "机关", "我乡",
               "我镇", "我局", "我委", "我办", "本局", "本办", "本委", "本乡", "本镇", "本街道", "我街道", "本网站", "本站"}


def plausible_body(name: str | None) -> bool:
    """A name that can be an issuing body (not "政府", "我局", "本办", "二是…。")."""
    if not name or name in _NOT_BODIES or len(name) > 40 or len(name) < 2:
        return False
    # "我乡", "本办" are the report speaking of itself; "在国务院…" is a sentence (in, by, per …);
    # 于都县, 将乐县, 从化区 are bodies, so only words no place name starts with are refused
    if name[0] in "本我全该各其贵在对由按据被把随" or re.search(r"[。，,；;：:！!？?、《》<>|#*]|[一二三四五六]是", name):
        return False
    if re.search(r"\d{4}|年度|报告|信息公开", name):
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


# strings BeautifulSoup's get_text() leaves out: those inside these elements (its Script,
# Stylesheet, TemplateString, RubyTextString and RubyParenthesisString)
_NOT_TEXT = frozenset(("script", "style", "template", "rt", "rp"))
_HEADING_SELECTORS = (("class", "title"), ("class", "article-title"), ("class", "tit"), ("id", "title"),
                      ("class", "content-title"), ("tag", "h2"), ("tag", "h3"))
_WORDS = re.compile(r"\S+")
_HEADING_CANDIDATES = etree.XPath("descendant-or-self::*[@class or @id or self::h1 or self::h2 or self::h3]")


class Page:
    """What the report decision reads in a page's markup (metadata, headings, <title>, its
    text), from the lxml tree the page was parsed into once (read_document), giving what
    BeautifulSoup's find/select/get_text gave: a tree is cheap, a soup cost ~10 ms a page."""

    def __init__(self, tree):
        self.root = tree.getroottree().getroot()
        self._text: str | None = None
        self._headings: list[list] | None = None
        self._metas: list | None = None

    def meta(self, value: str, prop: bool = True) -> str | None:
        """content of the first <meta name=value> (else, with `prop`, <meta property=value>)."""
        if self._metas is None:
            self._metas = list(self.root.iter("meta"))
        for attr in ("name", "property") if prop else ("name",):
            for tag in self._metas:
                if tag.get(attr) == value:
                    return tag.get("content")
        return None

    @staticmethod
    def _hidden(node) -> bool:
        return any(a.tag in _NOT_TEXT for a in node.iterancestors())

    def node_text(self, node) -> str:
        """node.get_text(" ", strip=True)"""
        if self._hidden(node):
            return ""
        return " ".join(t for t in (x.strip() for x in _strings(node)) if t)

    def h1(self) -> list:
        """soup.select("h1")[:3]"""
        return list(self._heading_nodes()[-1])

    def headings(self) -> list[list]:
        """The first three matches of each of .title, .article-title, .tit, #title,
        .content-title, h2, h3 (soup.select(sel)[:3])."""
        return self._heading_nodes()[:-1]

    def _heading_nodes(self) -> list[list]:
        if self._headings is None:
            found: list[list] = [[] for _ in range(len(_HEADING_SELECTORS) + 1)]
            for el in _HEADING_CANDIDATES(self.root):    # only these can match: a C-side filter
                tag = el.tag
                if tag == "h1" and len(found[-1]) < 3:
                    found[-1].append(el)
                classes = el.get("class")
                classes = _WORDS.findall(classes) if classes else ()
                ident = el.get("id")
                for i, (kind, value) in enumerate(_HEADING_SELECTORS):
                    if len(found[i]) < 3 and (value in classes if kind == "class" else
                                              ident == value if kind == "id" else tag == value):
                        found[i].append(el)
            self._headings = found
        return self._headings

    def title_string(self) -> str | None:
        """soup.title.string: the first <title>'s one string (or its one child's), else None."""
        node = next(self.root.iter("title"), None)
        while node is not None:
            children = list(node)
            if not children:
                return node.text or None
            if node.text or len(children) != 1 or children[0].tail or not isinstance(children[0].tag, str):
                return None
            node = children[0]
        return None

    def text(self) -> str:
        """soup.get_text(" ")"""
        if self._text is None:
            self._text = " ".join(_strings(self.root))
        return self._text


def _strings(node) -> list[str]:
    """The strings of `node`'s subtree BeautifulSoup's get_text() yields, in order."""
    out: list[str] = []
    hidden = 0
    for event, el in etree.iterwalk(node, events=("start", "end")):
        tag = el.tag
        if event == "start":
            if isinstance(tag, str):
                if tag in _NOT_TEXT:
                    hidden += 1
                elif not hidden and el.text:
                    out.append(el.text)
            continue
        if isinstance(tag, str) and tag in _NOT_TEXT:
            hidden -= 1
        if el is not node and el.tail and not hidden:
            out.append(el.tail)
    return out


def _page(html) -> Page | None:
    """The page to read: `classify` takes a Page (from read_document's tree) or the HTML."""
    if html is None or isinstance(html, Page):
        return html
    if isinstance(html, str):
        from nianbao.extract.tables import parse_tree

        tree = parse_tree(html)
        return Page(tree) if tree is not None else None
    return Page(html)


def nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "")


def norm(text: str | None) -> str:
    """The form every decision reads: NFKC, simplified characters."""
    return to_simplified(nfkc(text or ""))


def _cn_year(text: str) -> str:
    return _CN_YEAR.sub(lambda m: "".join(_CN_DIGITS.get(c, c) for c in m.group(0)), text)


# "现向社会公布龙口镇2022年度政府信息公开工作年度报告。": the report's own name
_PUBLISHED_NAME = re.compile(r"(?:公布|编制|发布)\s*([^。，,；;《》“”]{4,50}?(?:政府信息公开|信息公开|政务公开)[^。，,；;]{0,8}?(?:年度报告|年报))")
_LABEL_PREFIX = re.compile(r"^\s*(?:名\s*称|标\s*题|题\s*名|文章标题|附件(?:下载)?\s*\d*)\s*[:：]\s*")
_FILE_EXT = re.compile(r"\.(?:docx?|pdf|wps|xlsx?|et|ofd|txt)$", re.I)
# markdown and converter marks around a headline: "# 标题", "**标题**", "| 标题 |", "> 标题"
_MARKUP = re.compile(r"^(?:[#>*_=\-\s|•·●○■□◆▪]+)|(?:[#*_=\s|]+)$")
_PAIRS = (("《", "》"), ("（", "）"), ("(", ")"), ("“", "”"), ("【", "】"))


def _balanced(t: str) -> bool:
    """《》（）“” open before they close and all close: a cut-out piece of a sentence
    ("定》）和《关于印发中华人民共和国政府信息公开工作年度报告") is not."""
    for op, cl in _PAIRS:
        depth = 0
        for ch in t:
            depth += (ch == op) - (ch == cl)
            if depth < 0:
                return False
        if depth:
            return False
    return True


def _clean_title(t: str | None) -> str | None:
    if not t:
        return None
    t = _LABEL_PREFIX.sub("", re.sub(r"\s+", " ", t)).strip(" \u3000\xa0【】[]")
    t = _FILE_EXT.sub("", _MARKUP.sub("", t)).strip(" \u3000\xa0")
    # breadcrumbs ("首页 > 信息公开 > 年度报告") and table rows are never titles
    if not t or re.search(r"[>»|]|当前位置|所在位置|第二十条", t):
        return None
    n = nfkc(t).replace(",", "，")
    # a sentence ("根据…，制定本报告：") or a piece of one is not a title
    if re.search(r"[，。；;]|[:：]$|^根据|以下简称|^[》）)」、：:和及与或]", n) or not _balanced(n):
        return None
    return t


_KIND_WORDS = re.compile(r"政府信息公开|政务公开|信息公开|政府|信息|公开|工作|年度|报告|年报|指南|目录|制度|专栏|栏目|"
                         r"法治|建设|要点|决算|预算|通知|公告|解读|规定|办法|依申请|主动|统计|情况|部门|单位|[()（）《》、及和与]")


def generic_title(t: str | None) -> bool:
    """Just a kind of document, no body and no year: a column or menu name
    (政府信息公开年度报告, 政府信息公开指南), not a headline."""
    n = re.sub(r"\s+", "", norm(t))
    if not n or _GENERIC_TITLE.match(n):
        return True
    return not _has_year(n) and len(_KIND_WORDS.sub("", n)) < 2


def headline_kind(title: str | None) -> tuple[str | None, str, str]:
    """(doc_type, 中文, English) of the kind of document a headline names, or (None, '', '').

    With a year in the headline, the words after it name the document and the words before it
    the body: 沈阳市营商环境建设局2023年…年度报告 and 政治协商会议…委员会2023年…年度报告 are
    reports. Without a year, or when the words after it name nothing, the whole headline counts."""
    n = norm(title)
    m = re.search(r"(?:19|20)\d{2}\s*年?度?", _cn_year(n))
    for part in ([n[m.end():]] if m else []) + [n]:
        for doc_type, pattern, zh, en in HEADLINE_KINDS:
            if pattern.search(part):
                return doc_type, zh, en
        if REPORT_TITLE.search(part):
            return "report", "政府信息公开工作年度报告", "information-disclosure annual report"
    return None, "", ""


@dataclass
class Facts:
    is_report: bool
    title: str | None
    body: str | None
    year: int | None
    published: str | None
    reason: str
    candidates: list[str] = field(default_factory=list)
    doc_type: str | None = None


def _headline_sources(html, text: str, link_text: str | None) -> list[tuple[str, str]]:
    """(candidate, where) in the order a headline is trusted: the page's own heading and
    metadata, the title the list page gave the link, the text's first lines; the site's
    <title> last (its suffix is the site name, its head is often the column name)."""
    out: list[tuple[str, str]] = []
    title_parts: list[str] = []
    page = _page(html)
    if page is not None:
        for name in ("ArticleTitle", "articletitle", "og:title", "DC.title"):
            content = page.meta(name)
            if content:
                out.append((content, "meta"))
        for node in page.h1():
            out.append((page.node_text(node), "h1"))
        if link_text:
            out.append((link_text, "link"))
        for nodes in page.headings():
            for node in nodes:
                out.append((page.node_text(node), "heading"))
        for name in ("title", "Title"):
            content = page.meta(name, prop=False)
            if content:
                title_parts.append(content)
        title = page.title_string()
        if title:
            title_parts.extend(p for p in _SITE_SPLIT.split(title) if p)
    elif link_text:
        out.append((link_text, "link"))
    for line in text.splitlines()[:12]:
        # the headline stands above the first paragraph: a line after it (a table caption
        # "附表：…统计表", a section heading) is not the document's headline
        if len(line) > 60 or re.search(r"[。；;]$", line.strip()):
            break
        # a section heading ("一、概述", "（一）…") or a caption ("附表：…") is never the title
        if 4 <= len(line) <= 60 and "\t" not in line and not _SECTION.match(nfkc(line)) \
                and not re.match(r"\s*附[表件]", line):
            out.append((line, "text"))
    out.extend((p, "site-title") for p in title_parts[:1])
    m = _PUBLISHED_NAME.search(norm(text[:600]))
    if m and _has_year(m.group(1)):
        start = m.start(1)
        out.append((nfkc(text[:600])[start:start + len(m.group(1))], "named"))
    out.extend((p, "site-title") for p in title_parts[1:])
    return out


def title_candidates(html: str | None, text: str, link_text: str | None = None) -> list[str]:
    out = []
    for c, _ in _headline_sources(_page(html) if html is not None else None, text, link_text):
        c = _clean_title(c)
        if c and c not in out and len(c) <= 100:
            out.append(c)
    return out


def _has_year(t: str) -> bool:
    return bool(re.search(r"(?:19|20)\d{2}", _cn_year(norm(t))))


def choose_headline(cands: list[str]) -> str | None:
    """The document's own headline: the first candidate that is more than a column name
    and names a kind of document with a year or a body."""
    for c in cands:
        if generic_title(c) or len(norm(c)) < 6 or _SECTION.match(nfkc(c)):
            continue
        n = norm(c)
        if _DOC_WORDS.search(n) and (_has_year(c) or len(re.sub(r"\s", "", n)) >= 8):
            return c
        if headline_kind(c)[0] not in (None, "report"):
            return c
    return None


def choose_title(cands: list[str]) -> str | None:
    headline = choose_headline(cands)
    if headline:
        return headline
    for c in cands:
        if REPORT_TITLE.search(norm(c)) and not generic_title(c):
            return c
    for c in cands:
        if "报告" in norm(c) and not generic_title(c):
            return c
    return None


def year_of(title: str | None, text: str, published: str | None) -> int | None:
    for source in (title or "", text[:600]):
        s = _cn_year(norm(source))
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
        m = _YEAR.search(_cn_year(norm(title)))
        if m:
            return int(m.group(1))
    opening = _cn_year(norm(text[:1500]))
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
    return source_body if plausible_body(source_body) else None


def _bodies_in_headline(title: str, text: str):
    t = _cn_year(norm(title))
    t = re.sub(r"^关于", "", t)
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
    # "衡阳市教育局政府信息公开指南", "某某局关于…": a body before the document's name
    m = re.match(r"^(.{2,30}?)(?:关于|政府信息公开|信息公开|政务公开)", t)
    if m and BODY_SUFFIX.search(m.group(1)):
        yield m.group(1)


def _body_candidates(title: str | None, text: str, html: str | None):
    """Places a report names its issuing body, in the order they are trusted: its headline
    (and the line above it), its own name in the opening, the source line (来源/发布机构),
    the signature, the site's own name."""
    text = norm(text)
    if title:
        yield from _bodies_in_headline(title, text)
    lines = [_MARKUP.sub("", ln.strip()).strip() for ln in text.splitlines() if ln.strip()]
    lines = [ln for ln in lines if ln]
    # a short line just above the report's title line: "宝鸡高新区管委会\n2019年度信息公开工作报告"
    for i, line in enumerate(lines[:14]):
        if REPORT_TITLE.search(line) and i > 0:
            prev = lines[i - 1]
            if len(prev) <= 25 and BODY_SUFFIX.search(prev) and not REPORT_TITLE.search(prev):
                yield prev
    # the opening names the body: "公布2016年度攸县人民政府政府信息公开工作年度报告", "2016年，攸县人民政府认真…"
    opening = text[:1500]
    for pat in (_BODY_IN_REPORT_NAME, _BODY_AS_SUBJECT):
        for m in pat.finditer(opening):
            name = m.group(1)
            if len(name) >= 3 and BODY_SUFFIX.search(name) and name[0] not in "本我全该":
                yield name
    source_line = re.compile(r"(?:来源|发布机构|发文机关|信息来源|发布单位|索引单位)\s*[:：]\s*([^\s:：|<]{2,30})")
    m = source_line.search(text[:800])
    if m:
        yield m.group(1)
    page = _page(html) if html is not None else None
    if page is not None:
        for name in ("ContentSource", "contentsource", "author", "Author"):
            content = page.meta(name, prop=False)
            if content:
                yield norm(content.strip())
        m = source_line.search(norm(page.text()[:3000]))
        if m:
            yield m.group(1)
    # a signature line near the end: "衡阳市教育局\n2021年1月20日"
    for i in range(len(lines) - 1, max(len(lines) - 8, 0), -1):
        if re.match(r"^(?:19|20)\d{2}\s*年\s*\d{1,2}\s*月", _cn_year(lines[i])) and i > 0:
            prev = lines[i - 1]
            if len(prev) <= 25 and BODY_SUFFIX.search(prev):
                yield prev
    if page is not None:
        for name in ("SiteName", "sitename", "site_name", "og:site_name"):
            content = page.meta(name)
            if content:
                yield norm(content.strip())
        title = page.title_string()
        if title:
            parts = [p for p in _SITE_SPLIT.split(norm(title)) if p]
            if len(parts) > 1:
                yield parts[-1]


_DATE_PATTERNS = (
    re.compile(r"(?:发布时间|发布日期|发文日期|成文日期|日期|时间)\s*[:：]?\s*((?:19|20)\d{2})[-/.年](\d{1,2})[-/.月](\d{1,2})"),
    re.compile(r"[(（]\s*((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日\s*[)）]"),
)


def published_of(html: str | None, text: str) -> str | None:
    page = _page(html) if html is not None else None
    if page is not None:
        for name in ("PubDate", "pubdate", "publishdate", "firstpublishedtime", "article:published_time"):
            content = page.meta(name)
            if content:
                m = re.search(r"((?:19|20)\d{2})[-/.年](\d{1,2})[-/.月](\d{1,2})", content)
                if m:
                    return f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"
        text = nfkc(page.text()) + "\n" + text
    for pat in _DATE_PATTERNS:
        m = pat.search(norm(text[:5000]))
        if m:
            return f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"
    return None


def _text_decision(stext: str, has_statistics: bool) -> tuple[bool, str, str]:
    """(is_report, doc_type, reason) from the text when no headline decides."""
    head = stext[:400]
    evidence = sum(1 for w in EVIDENCE if w in stext)
    first = next((ln for ln in head.splitlines() if ln.strip()), "")
    kind = headline_kind(_clean_title(first) or "")[0]
    if kind not in (None, "report") and not REPORT_TITLE.search(first):
        return False, kind, f"首行为其他文件：{first.strip()} (first line names another document: {kind})"
    if REPORT_TITLE.search(head) and headline_kind(head[:60])[0] in (None, "report") and evidence >= 3:
        return True, "report", "正文开头为政府信息公开工作年度报告 (text opens as an information-disclosure annual report)"
    if REPORT_OPENING.search(re.sub(r"\s+", "", stext[:1200])) and evidence >= 3:
        return True, "report", "正文开头说明本年度报告依条例编制 (text opens as a report compiled under the Regulations)"
    if len(set(m.group(0).strip() for m in REPORT_SECTIONS.finditer(stext))) >= 3 and evidence >= 3:
        return True, "report", "按年度报告格式分节 (laid out in the sections of the national report format)"
    if has_statistics and evidence >= 3:
        return True, "report", "含全国统一格式统计表 (carries the national statistics table)"
    return False, "other", "无政府信息公开年度报告特征 (no sign of an information-disclosure annual report)"


def classify(html: str | None, text: str, link_text: str | None = None, source_body: str | None = None,
             has_statistics: bool = False, filename: str | None = None) -> Facts:
    """Report or not, and why, from the document's own headline (its h1/meta title, the title
    the list page gave the link, its first line): never from breadcrumbs, the column name or
    the site's <title> suffix. A headline that names another kind of document decides "not a
    report" even when it ends in 年度报告; without a telling headline the text decides."""
    html = _page(html) if html else None  # read once for title, date and body
    stext = norm(text)
    cands = title_candidates(html, text, link_text)
    if filename and re.search(f"[{_CJK_CHARS}]", filename):  # "统计表.xls" names something; "P0202.pdf" does not
        cands.append(re.sub(r"\.\w{2,4}$", "", filename))
    headline = choose_headline(cands)
    title = headline or choose_title(cands)
    kind, kind_zh, kind_en = headline_kind(headline) if headline else (None, "", "")
    if kind == "correction":
        is_report, doc_type = False, "correction"
        reason = f"标题为更正说明：{headline} (headline names a correction of a report)"
    elif kind not in (None, "report"):
        is_report, doc_type = False, kind
        reason = f"标题为其他文件（{kind_zh}）：{headline} (headline names another document: {kind_en})"
    elif kind == "report":
        is_report, doc_type = True, "report"
        reason = f"标题为政府信息公开工作年度报告：{headline} (headline names an information-disclosure annual report)"
    else:
        is_report, doc_type, reason = _text_decision(stext, has_statistics)
        if not is_report and headline:
            reason = f"{reason}；标题：{headline}"
    published = published_of(html, text)
    year = body = None
    if is_report or doc_type == "correction":
        # a correction names the report it corrects: its body and year link the two
        year = year_of(title, stext, published if is_report else None)
        body = body_of(title, stext, html, source_body)
    if is_report and not (title and REPORT_TITLE.search(norm(title))):
        # no report title: the statistics table's caption names body and year
        for line in stext.splitlines():
            m = _TABLE_CAPTION.match(nfkc(line.strip()))
            if m:
                caption_body = m.group(1).strip(" :：")
                body = body or (caption_body if plausible_body(caption_body) else None)
                year = int(m.group(2))
                break
    if title and generic_title(title):
        title = None
    return Facts(is_report, title, body, year, published, reason, cands, doc_type)


# -- the extract-file contract -----------------------------------------------------

def _statistics(html: str | None, text: str, grids=None, tree=None) -> Statistics:
    try:
        from nianbao.extract.statistics import extract_statistics
    except ImportError:  # statistics stage not installed in this build
        return Statistics(template=None)
    return extract_statistics(html, text, grids, tree=tree)


def read_document(data: bytes, content_type: str | None = None, filename: str | None = None) -> dict:
    """{'kind', 'html', 'tree', 'text', 'grids', 'ocr', 'encoding'} for any supported input
    ('tree': the HTML's lxml tree, parsed once for every reader; not picklable)."""
    kind = sniff(data, content_type, filename)
    if kind == "html":
        encoding, html = decode_html(data, content_type)
        tree = parse_page(html)
        return {"kind": "html", "html": html, "tree": tree, "text": page_text(html, tree), "grids": None,
                "ocr": False, "encoding": encoding}
    if kind == "text":
        return {"kind": "text", "html": None, "tree": None, "text": _tidy(decode_text(data), cells=True), "grids": None, "ocr": False,
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
    return {"kind": getattr(doc, "kind", "attachment"), "html": None, "tree": None, "text": doc.text, "grids": doc.grids,
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
    tree = doc["tree"]
    stats = _statistics(doc["html"], doc["text"], doc["grids"], tree)
    if doc["ocr"]:
        for m in stats.metrics:
            m.method = "ocr"
    page = Page(tree) if tree is not None else doc["html"]
    facts = classify(page, doc["text"], link_text=link_text, source_body=source_body,
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
        "doc_type": a.facts.doc_type,
        "metric_details": [m.to_dict() for m in a.stats.metrics] if report else [],
        "harmonized_details": [h.to_dict() for h in a.stats.harmonized] if report else [],
        "notes": a.stats.notes,
    }


def extract_file_json(data: bytes, url: str | None = None, content_type: str | None = None,
                      filename: str | None = None, link_text: str | None = None,
                      source_body: str | None = None) -> dict:
    """The extract-file JSON object (docs/extract-json.md)."""
    return to_json(analyse(data, content_type, filename, link_text, source_body), url)
