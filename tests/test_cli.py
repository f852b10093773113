"""The command line: every command documents itself with an example; extract-file keeps its contract."""
import json
from pathlib import Path

import pytest

from conftest import run_cli
from nianbao.cli import cli

SEEDS = Path(__file__).resolve().parent.parent / "nianbao" / "demo_portal" / "seeds"


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_command_has_help_with_an_example(name):
    from click.testing import CliRunner

    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0
    assert "Example" in result.output, f"`nianbao {name} --help` shows no example"


def test_extract_file_prints_one_json_object(tmp_path):
    page = Path(__file__).resolve().parent.parent / "nianbao" / "demo_portal" / "site" / "20150323" / "i1234567.html"
    out = run_cli("extract-file", page, "--url", "http://www.hengyang.gov.cn/20150323/i1234567.html")
    data = json.loads(out.stdout)
    for key, typ in [("is_report", bool), ("metrics", dict), ("harmonized", dict), ("checks", list)]:
        assert isinstance(data[key], typ)
    assert data["is_report"] is True
    assert data["title"] == "衡阳市人民政府2014年政府信息公开工作年度报告"
    assert data["body"] == "衡阳市人民政府" and data["year"] == 2014 and data["template"] == "gk2008"
    assert data["metrics"]["old.requests.received"] == 78
    assert len(out.stdout.strip().splitlines()) == 1


@pytest.mark.parametrize("content", [b"", b"\x00\x01\x02binary\x00" * 20, b"%PDF-1.7\n garbage that is not a pdf"])
def test_extract_file_unreadable_gives_one_line_error_and_exit_1(tmp_path, content):
    bad = tmp_path / "bad.bin"
    bad.write_bytes(content)
    out = run_cli("extract-file", bad, check=False)
    assert out.returncode == 1
    assert out.stdout == ""
    assert len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr


def test_extract_file_missing_file(tmp_path):
    out = run_cli("extract-file", tmp_path / "nope.html", check=False)
    assert out.returncode == 1 and len(out.stderr.strip().splitlines()) == 1


def test_second_crawl_on_same_db_refuses_while_one_runs(tmp_path):
    from nianbao.crawler.lock import CrawlLock

    db = tmp_path / "n.db"
    with CrawlLock(db):
        out = run_cli("crawl", "--start-url", "http://127.0.0.1:9/x.html", "--db", db, "--archive",
                      tmp_path / "w", check=False)
    assert out.returncode == 75
    assert "another crawl" in out.stderr
