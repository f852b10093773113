"""Imports run one way between the pipeline's stages: spiders -> crawler -> archive -> extract -> publish."""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tools.layers import violations

REPO = Path(__file__).resolve().parent.parent


def test_no_stage_imports_a_later_one():
    assert violations(REPO) == []


def _tree(tmp_path: Path) -> Path:
    for folder in ("spiders", "crawler", "archive", "extract", "publish", "nianbao"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "__init__.py").write_text("")
    return tmp_path


def _fake_product(tmp_path: Path) -> Path:
    """A tiny product tree: a core, the application on top, one module per stage, all legal."""
    root = _tree(tmp_path)
    (root / "nianbao" / "__init__.py").write_text('__version__ = "0"\n')
    (root / "nianbao" / "db.py").write_text("import sqlite3\n")
    (root / "nianbao" / "cli.py").write_text("from nianbao.publish import site\nfrom nianbao import runner\n")
    (root / "nianbao" / "runner.py").write_text("from nianbao.extract import facts\n")
    (root / "nianbao" / "demo_portal").mkdir()
    (root / "nianbao" / "demo_portal" / "__init__.py").write_text("")
    (root / "nianbao" / "demo_portal" / "server.py").write_text("from nianbao.spiders import portals\n")
    (root / "spiders" / "portals.py").write_text("from nianbao.db import connect\nfrom nianbao import __version__\n")
    (root / "crawler" / "fetch.py").write_text("from nianbao.spiders import portals\n")
    (root / "archive" / "store.py").write_text("from nianbao.crawler.fetch import get\nfrom ..crawler import fetch\n")
    (root / "extract" / "facts.py").write_text("import nianbao.archive.store\n")
    (root / "publish" / "site.py").write_text("from nianbao.extract.facts import read\nfrom nianbao import db\n")
    return root


def test_a_legal_fake_tree_passes(tmp_path):
    assert violations(_fake_product(tmp_path)) == []


def test_a_synthetic_backward_import_between_stages_fails(tmp_path):
    root = _fake_product(tmp_path)
    with open(root / "crawler" / "fetch.py", "a", encoding="utf-8") as f:
        f.write("def later():\n    from nianbao.archive.store import Archive\n")
    found = violations(root)
    assert len(found) == 1 and "crawler/fetch.py:3" in found[0] and "later stage archive" in found[0], found


@pytest.mark.parametrize("line", [
    "from nianbao.cli import main",
    "import nianbao.runner",
    "from nianbao import runner",
    "from .. import cli",                          # relative, from a stage's module
    "from nianbao.demo_portal.server import serve",
    "from nianbao.scrapy_extension import RunRecorder",   # an application module with no file here
])
def test_a_stage_importing_the_application_fails(tmp_path, line):
    root = _fake_product(tmp_path)
    with open(root / "archive" / "store.py", "a", encoding="utf-8") as f:
        f.write(f"{line}\n")
    found = violations(root)
    assert len(found) == 1, found
    assert "archive/store.py:3" in found[0] and "the application" in found[0], found


def test_the_core_importing_the_application_fails(tmp_path):
    root = _fake_product(tmp_path)
    (root / "nianbao" / "db.py").write_text("import sqlite3\nfrom nianbao.runner import run\n")
    found = violations(root)
    assert len(found) == 1 and "nianbao/db.py:2" in found[0] and "(core)" in found[0], found


def test_a_backwards_import_is_caught_wherever_it_stands(tmp_path):
    root = _tree(tmp_path)
    (root / "extract" / "ok.py").write_text("from nianbao.archive import store\nfrom . import sibling\n")
    (root / "archive" / "late.py").write_text("def f():\n    from nianbao.extract.pipeline import extract_archive\n")
    (root / "spiders" / "rel.py").write_text("from nianbao import publish\n")
    (root / "nianbao" / "db.py").write_text("import nianbao.publish.search\n")
    (root / "nianbao" / "cli.py").write_text("from nianbao.publish import plugin\n")  # the application may
    found = violations(root)
    assert len(found) == 3, found
    assert any("archive/late.py:2" in v and "later stage extract" in v for v in found)
    assert any("spiders/rel.py:1" in v for v in found)
    assert any("nianbao/db.py:1" in v and "(core)" in v for v in found)


def test_the_checker_sees_the_real_tree(tmp_path):
    """Copy the product's stage folders and add one backward import: the check must fail."""
    for folder in ("spiders", "crawler", "archive", "extract", "publish", "nianbao"):
        shutil.copytree(REPO / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__", "site"))
    assert violations(tmp_path) == []
    with open(tmp_path / "spiders" / "links.py", "a", encoding="utf-8") as f:
        f.write("\nfrom nianbao.crawler.settings import USER_AGENT  # noqa\n")
    assert [v for v in violations(tmp_path) if "spiders/links.py" in v]


def test_the_command_exits_1_on_a_violation(tmp_path):
    """`python tools/layers.py` is what CI and developers run: a violation is exit status 1."""
    for folder in ("spiders", "crawler", "archive", "extract", "publish", "nianbao", "tools"):
        shutil.copytree(REPO / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__", "site"))
    clean = subprocess.run([sys.executable, "tools/layers.py"], cwd=tmp_path, capture_output=True, text=True)
    assert clean.returncode == 0, clean.stdout
    with open(tmp_path / "extract" / "__init__.py", "a", encoding="utf-8") as f:
        f.write("\nfrom nianbao.runner import run_crawl  # noqa\n")
    bad = subprocess.run([sys.executable, "tools/layers.py"], cwd=tmp_path, capture_output=True, text=True)
    assert bad.returncode == 1 and "extract/__init__.py" in bad.stdout and "the application" in bad.stdout, bad.stdout
