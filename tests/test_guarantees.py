"""README "Guarantees" names the tests that back each sentence: each named test must exist."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_NAMED = re.compile(r"`((?:tests|examples)/[\w/]+\.py)::(\w+)`")


def _section() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("## Guarantees\n")
    end = readme.index("\n## ", start + 1)
    return readme[start:end]


def test_every_test_the_guarantees_name_exists() -> None:
    named = _NAMED.findall(_section())
    assert len(named) >= 20
    missing = [
        f"{path}::{name}"
        for path, name in named
        if not re.search(rf"^(async )?def {name}\(", (ROOT / path).read_text(), re.MULTILINE)
    ]
    assert missing == []
