"""Province variant tables (Fujian's 指标名称 | 计量单位 | N年度 | 历年累计)."""
from nianbao.extract.statistics import extract_statistics

FUJIAN = """<table>
<tr><td>指标名称</td><td>计量单位</td><td>2012年度</td><td>历年累计（2008年5月1日起）</td></tr>
<tr><td>一、主动公开情况</td><td></td><td></td><td></td></tr>
<tr><td>（一）主动公开政府信息数</td><td>条</td><td>1234</td><td>5678</td></tr>
<tr><td>其中：全文电子化数</td><td>条</td><td>1200</td><td>5000</td></tr>
<tr><td>二、依申请公开情况</td><td></td><td></td><td></td></tr>
<tr><td>（一）受理依申请公开信息总数</td><td>件</td><td>56</td><td>200</td></tr>
<tr><td>其中：1．当面申请数</td><td>件</td><td>6</td><td>20</td></tr>
<tr><td>（二）对申请的答复总数</td><td>件</td><td>50</td><td>190</td></tr>
<tr><td>其中：1．同意公开数</td><td>件</td><td>40</td><td>150</td></tr>
<tr><td>2．同意部分公开数</td><td>件</td><td>5</td><td>20</td></tr>
<tr><td>3．不同意公开数</td><td>件</td><td>5</td><td>20</td></tr>
<tr><td>三、行政复议、诉讼和申诉情况</td><td></td><td></td><td></td></tr>
<tr><td>（一）行政复议数</td><td>件</td><td>1</td><td>3</td></tr>
<tr><td>（二）行政诉讼数</td><td>件</td><td>无</td><td>1</td></tr>
<tr><td>（四）依申请公开信息收取的费用</td><td>元</td><td>2500</td><td>9000</td></tr>
<tr><td>（三）从事政府信息公开工作人员数</td><td>人</td><td>12</td><td>12</td></tr>
</table>"""


def test_fujian_year_column_not_cumulative():
    s = extract_statistics(FUJIAN, "")
    assert s.template == "variant"
    assert s.metrics == []                      # its rows are not metrics.tsv rows
    h = {x.name: x.value for x in s.harmonized}
    assert h == {"proactive_items": 1234, "requests_received": 56, "requests_answered": 50,
                 "requests_granted": 40, "requests_partly_granted": 5, "requests_refused": 5,
                 "review_total": 1, "litigation_total": 0, "fees_collected": 0.25, "staff_total": 12}


def test_variant_in_line_layout_skips_the_code_column():
    text = "\n".join(["指标名称", "计量单位", "代码", "本期实际", "本年累计",
                      "主动公开信息数", "条", "01", "35", "120",
                      "受理依申请公开信息总数", "件", "02", "4", "9",
                      "行政复议数", "件", "03", "\u00a0", "2"])
    s = extract_statistics(None, text)
    assert s.template == "variant"
    h = {x.name: x.value for x in s.harmonized}
    assert h["proactive_items"] == 35 and h["requests_received"] == 4
    assert "review_total" not in h               # blank this period: absent, not the 累计 2


def test_blank_statistics_form_gives_nothing():
    text = "\n".join(["指标名称", "| 计量单位", "| 代码", "| 本期实际", "| 本年累计", "|",
                      "主动公开信息数", "| 条", "| 01", "|", "|", "|",
                      "行政复议数", "| 件", "| 11", "|", "|", "|",
                      "行政诉讼数", "| 件", "| 12", "|", "|", "|"])
    s = extract_statistics(None, text)
    assert s.metrics == [] and s.harmonized == []
