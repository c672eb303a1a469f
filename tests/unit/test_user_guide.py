"""The user guide (docs/用户手册.md) shows pictures that exist, each one a screenshot the browser journeys take."""

import re
from pathlib import Path

from tests.e2e.manual_images import GUIDE, PICTURES

DOC = GUIDE.parent / "用户手册.md"


def test_every_picture_the_guide_shows_is_kept_and_made_by_a_journey() -> None:
    cited = re.findall(r"!\[[^\]]+\]\(用户手册/([^)]+)\)", DOC.read_text(encoding="utf-8"))
    assert cited and sorted(cited) == sorted(PICTURES)
    for name in cited:
        assert (GUIDE / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
    journeys = Path(__file__).resolve().parents[1] / "e2e" / "test_journeys.py"
    taken = set(re.findall(r'shots\.take\(\w+, "([^"]+)"\)', journeys.read_text(encoding="utf-8")))
    for journey, shot in PICTURES.values():
        assert shot in taken | {"login"}, (journey, shot)
