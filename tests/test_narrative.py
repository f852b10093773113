"""Harmonized values from sentences: precision first."""
import pytest

from nianbao.extract.narrative import narrative_values, template_by_text


def found(text):
    return {k: v[0] for k, v in narrative_values(text).items()}


@pytest.mark.parametrize("text,name,value", [
    ("2019年，我局共收到依申请公开申请1件，均按时答复。", "requests_received", 1),
    ("2019年度共收到1例依申请公开申请。", "requests_received", 1),
    ("新港区接到依申请公开政府信息办件2件，均按要求按时办结。", "requests_received", 2),
    ("全年未接到政府信息公开请求。", "requests_received", 0),
    ("2012年度我镇未收到政府信息公开申请。", "requests_received", 0),
    ("本年度共受理政府信息公开申请两件。", "requests_received", 2),
    ("主动公开信息5300余条，回应解读信息200余条。", "proactive_items", 5300),
    ("2016年度共主动公开政府信息25条，在主动公开的信息中，工作动态信息5条。", "proactive_items", 25),
    ("未发生因政府信息公开引起的行政复议、行政诉讼。", "review_total", 0),
    ("未发生因政府信息公开引起的行政复议、行政诉讼。", "litigation_total", 0),
    ("2016年度未接到有关政府信息公开方面的复议、诉讼和申诉。", "litigation_total", 0),
    ("无举报投诉情况。", "complaints_total", 0),
    ("全年共支出政府信息公开工作经费10万元。", "budget", 10),
    ("政府信息公开专项经费22万元。", "budget", 22),
    ("2018年新港区从事政府信息公开工作的工作人员有两人。", "staff_total", 2),
    ("我委从事政府信息公开工作的工作人员4名。", "staff_total", 4),
    ("本年度未发生依申请公开政府信息收费。", "fees_collected", 0),
    ("对政府信息公开申请未收取任何费用。", "fees_collected", 0),
    ("2022年，廿三里街道共收到信息公开申请7件，上年度结转1件；予以公开3件，无法提供4件。", "requests_granted", 3),
])
def test_sentence_gives_value(text, name, value):
    assert found(text)[name] == value


def test_approximate_figures_are_marked():
    v = narrative_values("主动公开信息5300余条。")["proactive_items"]
    assert v[0] == 5300 and v[1] is True


@pytest.mark.parametrize("text,name", [
    ("我区“12345”政府服务热线共接到工单6713件，已办结6710件。", "requests_received"),
    ("区政府共接受公众有关信息公开咨询 1 起，网上直接办理 1 起。", "requests_received"),
    ("今年，我市市本级共收到依申请公开信件42件；县市区本级共收到依申请公开信件36件。", "requests_received"),
    ("2023年，我办全年未收到行政许可申请。", "requests_received"),
    ("本年度我办未发生依申请公开政府信息收费、减免情况。", "requests_received"),
    ("（四）因政府信息公开工作被申请行政复议、提起行政诉讼情况", "review_total"),
    ("政务公开和政务服务工作共有专职工作人员 2 人。", "staff_total"),
    ("全年发布各类信息、资讯、图片等4000余条。", "proactive_items"),
    ("主动公开事项共计273余项。", "proactive_items"),
    ("予以公开及部分公开258件，占33.9%。", "requests_partly_granted"),
])
def test_figures_about_other_things_are_not_taken(text, name):
    assert name not in found(text)


def test_whole_report_figure_is_taken_over_scoped_parts():
    text = "全市共收到依申请公开申请120件，其中市本级42件，县市区78件。"
    assert found(text)["requests_received"] == 120


def test_template_named_by_the_notice_cited():
    assert template_by_text("按照国办公开办函〔2021〕30号要求") == "gk2021"
    assert template_by_text("根据国办公开办函〔2019〕60号") == "gk2019"
    assert template_by_text("三、收到和处理政府信息公开申请情况", year=2020) == "gk2019"
    assert template_by_text("一、概述") is None
