"""The README's classification table is the one in `engine/statuses.py`."""

from __future__ import annotations

import re
from pathlib import Path

from verifalia_server.engine.statuses import CLASSIFICATIONS, Classification, Status

README = Path(__file__).resolve().parents[2] / "README.md"


def documented_classifications() -> dict[str, str]:
    """Read `| Classification | statuses |` rows of the README's table."""
    table: dict[str, str] = {}
    names = {classification.value for classification in Classification}
    for line in README.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 2 and cells[0] in names:
            for status in re.findall(r"`(\w+)`", cells[1]):
                table[status] = cells[0]
    return table


def test_readme_lists_every_status_with_its_classification() -> None:
    expected = {status.value: classification.value for status, classification in CLASSIFICATIONS.items()}
    assert documented_classifications() == expected
    assert set(expected) == {status.value for status in Status}
