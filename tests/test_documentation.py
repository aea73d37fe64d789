"""The README documents what the code does: every status's classification and every setting."""

from __future__ import annotations

import re
from pathlib import Path

from verifalia_server.engine.statuses import CLASSIFICATIONS, Classification, Status
from verifalia_server.engine.verdict import Quality

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def documented_classifications() -> dict[str, str]:
    """Read the `| Classification | statuses |` rows of the README's table."""
    table: dict[str, str] = {}
    names = {classification.value for classification in Classification}
    for line in README.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 2 and cells[0] in names:
            for status in re.findall(r"`(\w+)`", cells[1]):
                table[status] = cells[0]
    return table


def variables_read_by_the_code() -> set[str]:
    """Environment variable names the package reads, per-quality families expanded."""
    names: set[str] = set()
    for source in (ROOT / "verifalia_server").rglob("*.py"):
        text = source.read_text(encoding="utf-8")
        names.update(name for name in re.findall(r"\bVERIFALIA_[A-Z0-9_]*[A-Z0-9]\b", text))
        for family in re.findall(r"\b(VERIFALIA_[A-Z0-9_]+_)\{quality\.name\}", text):
            names.update(f"{family}{quality.name}" for quality in Quality)
    return names


def test_readme_lists_every_status_with_its_classification() -> None:
    expected = {status.value: classification.value for status, classification in CLASSIFICATIONS.items()}
    assert documented_classifications() == expected
    assert set(expected) == {status.value for status in Status}


def test_readme_documents_every_environment_variable() -> None:
    documented = set(re.findall(r"\bVERIFALIA_[A-Z0-9_]+", README))
    undocumented = variables_read_by_the_code() - documented
    assert not undocumented, f"not in the README: {sorted(undocumented)}"
