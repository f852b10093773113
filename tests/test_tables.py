"""HTML tables → grids: spans, nesting, Word markup, short rows."""
from nianbao.extract.tables import grids_from_html


def test_rowspan_and_colspan_repeat_the_cell_text():
    html = """<table>
      <tr><td rowspan="2">三、本年度办理结果</td><td colspan="2">（一）予以公开</td><td>5</td></tr>
      <tr><td>（三）不予公开</td><td>1.属于国家秘密</td><td>0</td></tr>
    </table>"""
    [grid] = grids_from_html(html)
    assert grid.cells == [
        ["三、本年度办理结果", "(一)予以公开", "(一)予以公开", "5"],
        ["三、本年度办理结果", "(三)不予公开", "1.属于国家秘密", "0"],
    ]
    assert grid.origin == "html-table"


def test_word_pasted_cells_give_their_visible_text_only():
    html = """<table><tr>
      <td><p class=MsoNormal><!--[if !supportLists]--><span>1.</span><!--[endif]-->
        <span style="font-family:仿宋">当面申请数<o:p></o:p></span></p></td>
      <td><p><span lang=EN-US>&nbsp;<o:p></o:p></span></p></td>
      <td><p><!--[if gte mso 9]><xml><w:x>99</w:x></xml><![endif]--><span>１２</span></p></td>
    </tr></table>"""
    [grid] = grids_from_html(html)
    assert grid.cells == [["1. 当面申请数", "", "12"]]
    assert "１２" in grid.raw[0][2]          # the text before normalisation stays available


def test_nested_table_is_its_own_grid_and_not_part_of_the_outer_cell():
    html = """<table><tr><td>附表<table><tr><td>规章</td><td>3</td></tr></table></td></tr></table>"""
    grids = grids_from_html(html)
    assert [g.cells for g in grids] == [[["附表"]], [["规章", "3"]]]


def test_a_short_row_is_right_aligned_under_the_headers():
    html = """<table>
      <tr><td>a</td><td>b</td><td>自然人</td><td>总计</td></tr>
      <tr><td>2.重复申请</td><td>4</td><td>4</td></tr>
    </table>"""
    [grid] = grids_from_html(html)
    assert grid.cells[1] == ["", "2.重复申请", "4", "4"]


def test_empty_spacer_rows_are_dropped():
    html = "<table><tr><td>&nbsp;</td><td></td></tr><tr><td>规章</td><td>0</td></tr></table>"
    assert grids_from_html(html)[0].cells == [["规章", "0"]]
