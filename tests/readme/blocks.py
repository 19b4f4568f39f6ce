"""The fenced code blocks of a Markdown file, with the `readme-test` directive before each.

A directive is an HTML comment (invisible on GitHub) on the last non-blank line before the
fence: `<!-- readme-test: setup=simulator,lockfile -->`. Its words are `key=value` pairs;
the keys are listed in `KEYS` and explained in `tests/readme/test_readme.py`.
"""

from __future__ import annotations

import re
import shlex
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["KEYS", "Block", "blocks_of"]

KEYS = frozenset({"setup", "excerpt-of", "skip"})
_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>```+|~~~+)(?P<info>[^`]*)$")
_DIRECTIVE = re.compile(r"^\s*<!--\s*readme-test:(?P<words>.*?)-->\s*$")


@dataclass(frozen=True)
class Block:
    """One fenced block: where it starts, its language, its text (dedented), its directive."""

    path: Path
    #: The line of the opening fence, 1-based.
    line: int
    language: str
    text: str
    directive: dict[str, str] = field(default_factory=dict)

    @property
    def where(self) -> str:
        """`README.md:35`, as an editor opens it."""
        return f"{self.path.name}:{self.line}"

    @property
    def setups(self) -> list[str]:
        """The names of the setups the block asks for, in order."""
        value = self.directive.get("setup", "")
        return [name for name in value.split(",") if name]


def _directive(line: str, where: str) -> dict[str, str]:
    match = _DIRECTIVE.match(line)
    if match is None:
        return {}
    directive = {}
    for word in shlex.split(match["words"]):
        key, equals, value = word.partition("=")
        if not equals or key not in KEYS:
            known = ", ".join(sorted(KEYS))
            raise ValueError(f"{where}: bad readme-test word {word!r} (key=value; keys: {known})")
        directive[key] = value
    return directive


def blocks_of(path: Path) -> list[Block]:
    """Every fenced block of `path`, in order; raises `ValueError` on an unclosed fence."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks = []
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        fence, indent = opening["fence"], opening["indent"]
        previous = next((text for text in reversed(lines[:index]) if text.strip()), "")
        where = f"{path.name}:{index + 1}"
        directive = _directive(previous, where)
        body = []
        index += 1
        while index < len(lines) and lines[index].strip() != fence:
            body.append(lines[index].removeprefix(indent))
            index += 1
        if index == len(lines):
            raise ValueError(f"{where}: the code block is never closed")
        language = opening["info"].strip().split(" ")[0].lower()
        text = textwrap.dedent("\n".join(body)) + "\n"
        blocks.append(Block(path, int(where.rpartition(":")[2]), language, text, directive))
        index += 1
    return blocks
