"""docs/reliability.md names the test that keeps each promise: each one must exist."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).parent.parent


def test_every_test_named_in_reliability_md_exists():
    doc = re.sub(r"tests/\w+\.py", "", (ROOT / "docs" / "reliability.md").read_text())
    named = set(re.findall(r"\b(test_\w+)\b", doc)) - {"test_"}
    defined = set()
    for path in (ROOT / "tests").glob("test_*.py"):
        defined |= set(re.findall(r"^(?:async )?def (test_\w+)\(", path.read_text(), re.M))
    assert named, "reliability.md names no tests"
    assert sorted(named - defined) == []
