"""Title and body read from text: a title is a whole headline without markup marks, never a
piece of a sentence; the body comes from the headline, the source line, the signature or the
site's own name, in that order, and 我乡 / 本办 are never bodies."""
import pytest

from nianbao.extract.document import extract_file_json

SECTIONS = ("一、总体情况\n2023年，我乡认真贯彻落实《中华人民共和国政府信息公开条例》，全年主动公开政府信息56条，"
            "收到政府信息公开申请2件，未发生行政复议和行政诉讼。\n二、主动公开政府信息情况\n"
            "三、收到和处理政府信息公开申请情况\n四、政府信息公开行政复议、行政诉讼情况\n")


def facts(doc: str, name: str = "report.txt", **kw) -> dict:
    got = extract_file_json(doc.encode("utf-8"), filename=name, **kw)
    assert got["is_report"] is True, got["reason"]
    return got


@pytest.mark.parametrize("doc,title,body", [
    # converter markdown: heading marks are not part of the title; the line above names the body
    ("# 沐阳县人民政府\n\n## 2023年政府信息公开工作年度报告\n\n" + SECTIONS,
     "2023年政府信息公开工作年度报告", "沐阳县人民政府"),
    ("**沐阳县人民政府2023年政府信息公开工作年度报告**\n\n" + SECTIONS,
     "沐阳县人民政府2023年政府信息公开工作年度报告", "沐阳县人民政府"),
    ("| 某某局2023年政府信息公开工作年度报告 |\n" + SECTIONS, "某某局2023年政府信息公开工作年度报告", "某某局"),
])
def test_markup_marks_are_not_part_of_the_title(doc, title, body):
    got = facts(doc)
    assert (got["title"], got["body"], got["year"]) == (title, body, 2023)


def test_a_piece_of_the_sentence_citing_the_format_notice_is_not_a_title():
    doc = ("根据《中华人民共和国政府信息公开条例》（以下简称《条例》规\n"
           "定》）和《关于印发中华人民共和国政府信息公开工作年度报告\n"
           "格式的通知》要求，编制本报告。\n" + SECTIONS)
    got = facts(doc)
    assert got["title"] is None
    assert got["year"] == 2023


def test_a_bare_kind_name_is_not_enough_for_a_title():
    got = facts("年度报告\n" + SECTIONS)
    assert got["title"] is None


def test_body_from_the_source_line_when_the_headline_names_none():
    got = facts("2023年政府信息公开工作年度报告\n来源：某某县某某乡人民政府\n" + SECTIONS)
    assert got["body"] == "某某县某某乡人民政府"


def test_body_from_the_signature():
    got = facts("2023年政府信息公开工作年度报告\n" + SECTIONS + "某某乡人民政府\n2024年1月15日\n")
    assert got["body"] == "某某乡人民政府"


def test_body_from_the_site_name_last():
    page = ("<html><head><meta charset='utf-8'><title>2023年政府信息公开工作年度报告 - 某某乡人民政府</title></head>"
            "<body><h1>2023年政府信息公开工作年度报告</h1><p>" + SECTIONS.replace("\n", "</p><p>") + "</p></body></html>")
    assert facts(page, "r.html")["body"] == "某某乡人民政府"


def test_headline_outranks_source_line():
    got = facts("某某局2023年政府信息公开工作年度报告\n来源：某某县政府办\n" + SECTIONS)
    assert got["body"] == "某某局"


@pytest.mark.parametrize("signature", ["本办", "我乡", "本局"])
def test_we_and_this_office_are_never_bodies(signature):
    page = ("<html><head><meta charset='utf-8'><title>2023年政府信息公开工作年度报告</title></head>"
            "<body><h1>2023年政府信息公开工作年度报告</h1><p>" + SECTIONS.replace("\n", "</p><p>") +
            f"</p><p>{signature}</p><p>2024年1月15日</p></body></html>")
    got = facts(page, "r.html", source_body=signature)
    assert got["body"] is None
