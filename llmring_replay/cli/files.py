"""Finding cassette files, and showing progress over many of them.

A directory is walked without its hidden entries (`.git`, `.venv`, `.pre-commit-config.yaml`),
`node_modules` and `__pycache__`: run at a project's root, `lint` must not check the YAML of
installed packages. A file named on the command line is always taken.

Progress goes to stderr and only when stderr is a terminal, so pipes, CI logs and click's
`CliRunner` see nothing but the command's own output.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TypeVar

from llmring_replay.cli.errors import one_line

__all__ = [
    "CASSETTE_SUFFIXES",
    "PROGRESS_THRESHOLD",
    "SKIPPED_DIRECTORIES",
    "cassette_files",
    "display",
    "tracked",
    "without_path",
]

#: What `ls`, `lint` and `serve` take for a cassette when they walk a directory.
CASSETTE_SUFFIXES = (".yaml", ".yml")
#: Folders a walk does not enter, besides hidden ones: other tools' caches, never cassettes.
SKIPPED_DIRECTORIES = frozenset({"node_modules", "__pycache__"})
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
            found.update(dict.fromkeys(sorted(_walk(path, suffixes))))
        else:
            found[path] = None
    return list(found)


def _walk(directory: Path, suffixes: Sequence[str]) -> Iterator[Path]:
    """The files under `directory` with one of `suffixes`, hidden and skipped folders pruned."""
    for root, folders, names in os.walk(directory):
        # Pruned in place, so os.walk never lists a `.venv` it would then be told to skip.
        folders[:] = [
            name for name in folders if not name.startswith(".") and name not in SKIPPED_DIRECTORIES
        ]
        for name in names:
            path = Path(root, name)
            if not name.startswith(".") and path.suffix.lower() in suffixes and path.is_file():
                yield path


def display(path: Path) -> str:
    """`path` relative to the working directory when it is under it (shorter to read)."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


_LINE_PREFIX = re.compile(r":(\d+|\?):\s*")


def without_path(message: str, path: Path) -> str:
    """A loader message, on one line, minus its leading `path:` (the CLI prints the path)."""
    return one_line(_strip_path(message, path))


def _strip_path(message: str, path: Path) -> str:
    text = str(path)
    if not message.startswith(text):
        return message
    rest = message[len(text) :]
    line = _LINE_PREFIX.match(rest)
    if line is None:
        return rest.removeprefix(":").strip()
    if line.group(1) == "?":  # `path:?: not valid YAML` (bad encoding): no line to name
        return rest[line.end() :]
    return f"line {line.group(1)}: {rest[line.end() :]}"  # `path:12: not valid YAML`


def tracked(items: Sequence[T], description: str) -> Iterator[T]:
    """Iterate `items`, with a rich progress bar on stderr for long runs in a terminal."""
    if len(items) < PROGRESS_THRESHOLD or not sys.stderr.isatty():
        yield from items
        return
    from rich.console import Console
    from rich.progress import track

    yield from track(items, description, console=Console(stderr=True), transient=True)
