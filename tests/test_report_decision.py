"""The report decision rests on the document's own headline, never on the column name.

Pages are reconstructions of what report columns hold (a column named 政府信息公开年度报告
also lists rule-of-law reports, work plans, final accounts, notices, interpretations and
corrections); each is decided by its own headline, and every non-report keeps its reason.
"""
import sqlite3

import pytest

from nianbao.archive.store import Archive
from nianbao.db import connect
from nianbao.extract.document import extract_file_json
from nianbao.extract.pipeline import extract_archive

BODY_TEXT = ("根据《中华人民共和国政府信息公开条例》要求，现将本单位有关工作情况报告如下。"
             "一、总体情况。全年主动公开政府信息120条，收到政府信息公开申请3件，未发生行政复议和行政诉讼。"
             "二、主动公开政府信息情况。三、收到和处理政府信息公开申请情况。四、政府信息公开行政复议、行政诉讼情况。")


def column_page(headline: str, column: str = "政府信息公开年度报告", body_text: str = BODY_TEXT,
                site: str = "衡阳市住房和城乡建设局") -> bytes:
    """A detail page as portals build it: site <title> suffix, breadcrumb and a column
    heading naming the column, the article's own headline in an h1-less title div."""
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8">
<title>{column} - {site}</title></head><body>
<div class="header"><span class="logo">{site}</span></div>
<div class="position">当前位置：首页 &gt; 政务公开 &gt; {column}</div>
<div class="side"><h2 class="column-name">{column}</h2></div>
<div class="article"><div class="title">{headline}</div>
<div class="info">发布时间：2025-01-20 来源：{site}</div>
<div class="content"><p>{body_text}</p><p>{site}</p><p>2025年1月20日</p></div></div>
</body></html>""".encode("utf-8")


@pytest.mark.parametrize("headline,doc_type", [
    ("衡阳市住房和城乡建设局2024年法治政府建设年度报告", "other-annual-report"),
    ("衡阳市住房和城乡建设局2024年政务公开工作要点", "work-plan"),
    ("衡阳市住房和城乡建设局2023年部门决算公开", "budget"),
    ("衡阳市住房和城乡建设局2024年部门预算", "budget"),
    ("关于做好2024年政府信息公开工作年度报告编制发布工作的通知", "notice"),
    ("《衡阳市住房和城乡建设局2024年政府信息公开工作年度报告》解读", "interpretation"),
    ("关于衡阳市住房和城乡建设局2023年政府信息公开工作年度报告的更正说明", "correction"),
    ("衡阳市2024年国民经济和社会发展统计公报", "statistics-bulletin"),
])
def test_a_headline_naming_another_document_is_not_a_report(headline, doc_type):
    got = extract_file_json(column_page(headline), filename="t.html")
    assert got["is_report"] is False, got["reason"]
    assert got["doc_type"] == doc_type
    assert got["title"] == headline          # the headline, not the column name
    assert got["metrics"] == {}
    # the reason is in Chinese first, English beside, and names the headline
    assert got["reason"].startswith("标题为") and headline in got["reason"] and "(" in got["reason"]


def test_the_column_name_and_site_title_never_make_a_report():
    page = column_page("衡阳市住房和城乡建设局2024年法治政府建设年度报告")
    got = extract_file_json(page, filename="t.html", link_text="政府信息公开年度报告")
    assert got["is_report"] is False and got["title"] != "政府信息公开年度报告"


def test_a_report_in_the_same_column_is_a_report_titled_by_its_headline():
    headline = "衡阳市住房和城乡建设局2024年政府信息公开工作年度报告"
    got = extract_file_json(column_page(headline), filename="t.html")
    assert (got["is_report"], got["doc_type"], got["title"]) == (True, "report", headline)
    assert got["body"] == "衡阳市住房和城乡建设局" and got["year"] == 2024
    assert got["reason"].startswith("标题为政府信息公开工作年度报告")


def test_a_corrected_edition_is_still_a_report():
    got = extract_file_json(column_page("衡阳市住房和城乡建设局2024年政府信息公开工作年度报告（更正版）"),
                            filename="t.html")
    assert got["is_report"] is True and got["doc_type"] == "report"


def test_a_correction_notice_carries_body_and_year_of_the_report_it_corrects():
    got = extract_file_json(column_page("关于衡阳市住房和城乡建设局2023年政府信息公开工作年度报告的更正说明",
                                        body_text="我局2023年政府信息公开工作年度报告第三部分数据有误，现更正如下。"),
                            filename="t.html")
    assert got["is_report"] is False and got["doc_type"] == "correction"
    assert got["body"] == "衡阳市住房和城乡建设局" and got["year"] == 2023


def test_the_link_title_decides_when_the_page_has_no_headline():
    page = b"<html><head><meta charset='utf-8'><title>\xe5\xb9\xb4\xe5\xba\xa6\xe6\x8a\xa5\xe5\x91\x8a</title></head>" \
           b"<body><div class='content'><p>" + BODY_TEXT.encode() + b"</p></div></body></html>"
    other = extract_file_json(page, filename="t.html", link_text="某某县2024年法治政府建设年度报告")
    assert other["is_report"] is False and other["doc_type"] == "other-annual-report"
    report = extract_file_json(page, filename="t.html", link_text="某某县2024年政府信息公开工作年度报告")
    assert report["is_report"] is True and report["title"] == "某某县2024年政府信息公开工作年度报告"


def test_documents_keep_doc_type_and_reason(tmp_path):
    db = connect(tmp_path / "n.db")
    archive = Archive(db, tmp_path / "warc")
    html = [("Content-Type", "text/html; charset=utf-8")]
    pages = {
        "http://x.gov.cn/a/1.html": column_page("衡阳市住房和城乡建设局2024年法治政府建设年度报告"),
        "http://x.gov.cn/a/2.html": column_page("衡阳市住房和城乡建设局2024年政府信息公开工作年度报告"),
        "http://x.gov.cn/a/3.html": column_page("关于衡阳市住房和城乡建设局2023年政府信息公开工作年度报告的更正说明"),
    }
    for url, body in pages.items():
        archive.store(url, 200, "OK", html, body, kind="detail", link_text="政府信息公开年度报告")
    archive.close()
    extract_archive(db, tmp_path / "warc")
    conn = sqlite3.connect(tmp_path / "n.db")
    rows = dict((u, (t, r, i)) for u, t, r, i in conn.execute("select url, doc_type, reason, is_report from documents"))
    assert rows["http://x.gov.cn/a/1.html"][0] == "other-annual-report"
    assert rows["http://x.gov.cn/a/1.html"][1].startswith("标题为其他文件")
    assert rows["http://x.gov.cn/a/2.html"][0] == "report" and rows["http://x.gov.cn/a/2.html"][2] == 1
    assert rows["http://x.gov.cn/a/3.html"][0] == "correction"
    assert [r[0] for r in conn.execute("select url from reports")] == ["http://x.gov.cn/a/2.html"]


@pytest.mark.parametrize("headline", [
    "沈阳市营商环境建设局2023年政府信息公开工作年度报告",          # 营商环境 is the body's name
    "中国人民政治协商会议某某市委员会2023年政府信息公开工作年度报告",  # 会议 too
])
def test_words_of_the_body_name_do_not_make_another_kind(headline):
    got = extract_file_json(column_page(headline), filename="t.html")
    assert got["is_report"] is True and got["doc_type"] == "report"
