"""Imports run one way between the pipeline's stages: spiders -> crawler -> archive -> extract -> publish."""
import shutil
from pathlib import Path

from tools.layers import violations

REPO = Path(__file__).resolve().parent.parent


def test_no_stage_imports_a_later_one():
    assert violations(REPO) == []


def _tree(tmp_path: Path) -> Path:
    for folder in ("spiders", "crawler", "archive", "extract", "publish", "nianbao"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "__init__.py").write_text("")
    return tmp_path


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
