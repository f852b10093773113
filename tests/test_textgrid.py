"""Text layouts → grids: seeds' tab/pipe/line layouts, row lines, flattened text."""
from pathlib import Path

import pytest

from nianbao.extract.flattened import decode, grids_from_flattened, _t3_rule
from nianbao.extract.textgrid import grids_from_text

SEEDS = Path(__file__).resolve().parents[1] / ".." / "shared" / "seeds"
SEEDS = SEEDS if SEEDS.exists() else Path("/work/shared/seeds")


def seed(prefix: str) -> str:
    return next(SEEDS.glob(prefix + "_*.txt")).read_text(encoding="utf-8")


def rows(text):
    return [r[: getattr(g, "row_widths", [len(r)] * len(g.cells))[i]]
            for g in grids_from_text(text) for i, r in enumerate(g.cells)]


def test_tab_indented_cells_seed_000():
    rs = rows(seed("000"))
    assert ["(一)主动公开政府信息数(不同渠道和方式公开相同信息计1条)", "条", "1316"] in rs
    assert ["1.政府公报公开政府信息数", "条", ""] in rs            # blank cell kept as blank
    assert ["四、行政复议数量", "件", "无"] in rs
    assert ["(一)政府信息公开工作专门机构数", "", "1"] in rs         # missing unit cell


def test_pipe_terminated_cells_seed_002():
    rs = rows(seed("002"))
    assert ["(一)主动公开政府信息数 (不同渠道和方式公开相同信息计1条)", "条", "1429"] in rs
    assert ["不是《条列》所指政府信息", "件", "0"] in rs


def test_one_cell_per_line_without_unit_cells_seed_004():
    rs = rows(seed("004"))
    assert ["(一)主动公开政府信息数(不同渠道和方式公开相同信息计1条)", "1112936"] in rs
    assert ["5.其他方式回应事件数", "42703(“12345”热线回复数)"] in rs
    assert ["(三)申请答复数", ""] in rs


def test_row_lines_keep_blank_cells_and_width():
    text = "规章 | 0 | | 3 |\n行政规范性文件 | 1 | 0 | 2 |\n第三行 | 4 | 5 | 6 |\n"
    assert rows(text)[0] == ["规章", "0", "", "3"]
    tabs = "信息内容\t本年制发件数\t本年废止件数\t现行有效件数\n规章\t0\t\t\n行政规范性文件\t3\t0\t101\n"
    assert rows(tabs)[1] == ["规章", "0", "", ""]


def test_markdown_border_pipes_versus_an_empty_first_cell():
    md = "| 行政复议 | 行政诉讼 |\n| 结果维持 | 结果纠正 |\n|  | 1 | 2 | 3 |\n| x | 4 | 5 | 6 |\n"
    assert rows(md)[2] == ["", "1", "2", "3"]
    trailing = "结果维持 | 结果纠正 | 总计 |\n | 1 | 2 |\n甲 | 3 | 4 |\n乙 | 5 | 6 |\n"
    assert rows(trailing)[1] == ["", "1", "2"]


def test_flattened_rows_decode_only_when_one_split_fits():
    assert decode("82135\ue000\ue00021859", 7, _t3_rule) == [[821, 35, None, None, 2, 1, 859]]
    assert len(decode("25812\ue000\ue00011272", 7, _t3_rule)) == 2        # ambiguous: skipped
    text = ("信息内容本年制发件数本年废止件数现行有效件数规章 000行政规范性文件693665\n"
            "一、本年新收政府信息公开申请数量82135&nbsp;&nbsp;21859二、上年结转政府信息公开申请数量1&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;1\n")
    [grid] = grids_from_flattened(text)
    assert ["规章", "0", "0", "0"] == grid.cells[1][:4]
    assert not any(r[0] == "行政规范性文件" for r in grid.cells)          # 693665 has many splits
    assert ["一、本年新收政府信息公开申请数量", "821", "35", "", "", "2", "1", "859"] in grid.cells
    assert ["二、上年结转政府信息公开申请数量", "1", "", "", "", "", "", "1"] in grid.cells
    assert grid.origin == "flattened"


def test_line_layout_is_not_mistaken_for_flattened_text():
    assert grids_from_flattened(seed("004")) == []
