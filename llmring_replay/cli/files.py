"""Finding cassette files, and showing progress over many of them.

Progress goes to stderr and only when stderr is a terminal, so pipes, CI logs and click's
`CliRunner` see nothing but the command's own output.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TypeVar

__all__ = [
    "CASSETTE_SUFFIXES",
    "PROGRESS_THRESHOLD",
    "cassette_files",
    "display",
    "tracked",
    "without_path",
]

#: What `ls`, `lint` and `serve` take for a cassette when they walk a directory.
CASSETTE_SUFFIXES = (".yaml", ".yml")
#: Fewer items than this finish before a progress bar would be worth drawing.
PROGRESS_THRESHOLD = 20

T = TypeVar("T")


def cassette_files(
    paths: Iterable[Path], suffixes: Sequence[str] = CASSETTE_SUFFIXES
) -> list[Path]:
    """Files given as they are, directories walked for `suffixes`; sorted, without repeats."""
    found: dict[Path, None] = {}
    for path in paths:
        if path.is_dir():
            matches = (p for p in path.rglob("*") if p.suffix.lower() in suffixes and p.is_file())
            found.update(dict.fromkeys(sorted(matches)))
        else:
            found[path] = None
    return list(found)


def display(path: Path) -> str:
    """`path` relative to the working directory when it is under it (shorter to read)."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


_LINE_PREFIX = re.compile(r":(\d+|\?):\s*")


def without_path(message: str, path: Path) -> str:
    """A loader message minus its leading `path:` (the CLI prints the path itself)."""
    text = str(path)
    if not message.startswith(text):
        return message
    rest = message[len(text) :]
    line = _LINE_PREFIX.match(rest)
    if line is not None:  # `path:12: not valid YAML`
        return f"line {line.group(1)}: {rest[line.end() :]}"
    return rest.removeprefix(":").strip()


def tracked(items: Sequence[T], description: str) -> Iterator[T]:
    """Iterate `items`, with a rich progress bar on stderr for long runs in a terminal."""
    if len(items) < PROGRESS_THRESHOLD or not sys.stderr.isatty():
        yield from items
        return
    from rich.console import Console
    from rich.progress import track

    yield from track(items, description, console=Console(stderr=True), transient=True)
