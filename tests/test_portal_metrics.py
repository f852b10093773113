"""Every figure of the fixture portals' reports (hand-set in their manifests), read
from the pages and files exactly as the portals serve them."""
import json
from pathlib import Path

import pytest

from nianbao.extract.document import extract_file_json

ROOT = Path(__file__).resolve().parent.parent
PORTALS = {"demo": ROOT / "nianbao" / "demo_portal", "unseen": ROOT / "tests" / "portals" / "unseen"}


@pytest.mark.parametrize("name", sorted(PORTALS))
def test_cells_of_every_report(name):
    portal = PORTALS[name]
    manifest = json.loads((portal / "manifest.json").read_text("utf-8"))
    tp = fp = fn = 0
    problems = []
    for page in manifest["pages"]:
        path = portal / "site" / page["path"].lstrip("/")
        if not page.get("metrics") or not path.exists():
            continue
        got = extract_file_json(path.read_bytes(), filename=path.name)["metrics"]
        expected = page["metrics"]
        right = {k for k, v in got.items() if k in expected and abs(expected[k] - v) < 1e-6}
        tp, fp, fn = tp + len(right), fp + len(got) - len(right), fn + len(expected) - len(right)
        if len(right) != len(got) or len(right) != len(expected):
            problems.append(f"{page['path']}: wrong {sorted(set(got) - right)[:5]} missed {sorted(set(expected) - right)[:5]}")
    assert tp > 1000
    assert tp / (tp + fp) >= 0.995 and tp / (tp + fn) >= 0.98, "\n".join(problems)
