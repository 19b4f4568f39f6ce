"""Folding journal entries into a cassette file's text, without dumping anything again.

Journal entries are interactions already dumped by `writer`, each as a top-level mapping, and
a file `writer` wrote lists its interactions last, as an indentless block sequence:

    version: 1
    llmring_replay:
      format: 1
    interactions:
    - request:
        method: POST

So the folded file is the header, the file's items as they are, and each entry made an item:
`- ` before its first line, two spaces before the others (blank lines stay blank, which inside
a block scalar means the same). Nothing is serialized again: folding costs a copy of the bytes
where a dump costs ~1-2 ms per interaction. The result is byte for byte what dumping the whole
cassette gives (tests/cassette/test_cassette_compact.py checks it on every example cassette).

`splice` returns None for a file not laid out that way (another recorder's format, whose
items are read differently; a hand edit that indented the list or left a comment after it);
the caller then dumps the whole cassette.
"""

from __future__ import annotations

import re

__all__ = ["as_item", "splice"]

_END = "...\n"
_ITEMS = re.compile(r"^interactions:( \[\])?\n", re.MULTILINE)
_OURS = re.compile(r"^llmring_replay:", re.MULTILINE)  # other recorders' items read otherwise
# A line that cannot belong to an item of an indentless sequence at column 0.
_OUTSIDE_ITEM = re.compile(r"^(?!- |  |$)", re.MULTILINE)


def _without_end(text: str) -> tuple[str, bool]:
    """`text` without its document end marker, and whether it had one.

    The dumper ends a document with `...` when its last block scalar keeps its final line
    breaks (`|+`) and no indicator came after it: the marker belongs at the end of the
    file, after the last item, never between items.
    """
    if text.endswith("\n" + _END):
        return text[: -len(_END)], True
    return text, False


def as_item(entry: str) -> str:
    """A mapping dumped at the top level (`entry`, ending in a newline) as a sequence item."""
    lines = _without_end(entry)[0].split("\n")
    return "\n".join(["- " + lines[0], *(f"  {line}" if line else "" for line in lines[1:])])


def splice(text: str, entries: list[str], header: str | None = None) -> str | None:
    """`text` with `entries` added as the last interactions, or None if it cannot be done.

    `header` replaces everything before `interactions:` (the provenance, re-dumped); None
    keeps the file's own.
    """
    found = _ITEMS.search(text)
    if found is None or not text.endswith("\n"):
        return None
    if _OURS.search(text, 0, found.start()) is None:
        return None
    items, ended = _without_end(text[found.end() :])
    empty_list = found.group(1) is not None
    if empty_list and items:
        return None  # `interactions: []` followed by more: not a layout we wrote
    if items and (not items.startswith("- ") or _OUTSIDE_ITEM.search(items)):
        return None
    head = text[: found.start()] if header is None else header
    added = "".join(as_item(entry) for entry in entries)
    if entries:
        ended = _without_end(entries[-1])[1]
    if not items and not added:
        return f"{head}interactions: []\n"
    return f"{head}interactions:\n{items}{added}{_END if ended else ''}"
