"""Every NIANBAO_* setting or environment variable the product reads is documented in docs/settings.md."""
import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PRODUCT = ("spiders", "crawler", "archive", "extract", "publish", "nianbao")
NAME = re.compile(r"\bNIANBAO_[A-Z0-9_]+\b")


def names_in_code() -> set[str]:
    found = set()
    for folder in PRODUCT:
        for path in (REPO / folder).rglob("*.py"):
            found |= set(NAME.findall(path.read_text(encoding="utf-8")))
    return found


def documented() -> set[str]:
    text = (REPO / "docs" / "settings.md").read_text(encoding="utf-8")
    return set(re.findall(r"^\| `(NIANBAO_[A-Z0-9_]+)` \|", text, re.M))


def test_every_setting_the_code_reads_is_documented():
    missing = names_in_code() - documented()
    assert not missing, f"add to docs/settings.md: {sorted(missing)}"


def test_the_reference_lists_no_setting_the_code_no_longer_reads():
    stale = documented() - names_in_code()
    assert not stale, f"docs/settings.md lists names no code reads: {sorted(stale)}"
