"""`ls`: one summary line per cassette under a directory."""

from __future__ import annotations

from pathlib import Path

import click

from llmring_replay.cassette import Cassette
from llmring_replay.cli.files import cassette_files, display, tracked, without_path
from llmring_replay.cli.stray import not_a_cassette, skip_note
from llmring_replay.cli.summary import cassette_line
from llmring_replay.exceptions import CassetteError

__all__ = ["ls"]


def _line(path: Path) -> tuple[str, bool] | None:
    """`path`'s summary and whether it loaded (`ERROR ...` if not); `None`: not a cassette."""
    try:
        return cassette_line(Cassette.load(path)), True
    except CassetteError as exc:
        if not_a_cassette(path):
            click.echo(skip_note(path), err=True)
            return None
        return f"ERROR {without_path(exc.message, path)}", False


@click.command()
@click.argument(
    "directory",
    default=".",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
)
def ls(directory: Path) -> None:
    """List every cassette (*.yaml, *.yml) under DIRECTORY (default: here).

    One line each: interactions, providers, models, TTFT, total duration. A file that does
    not load is listed with its error, and the exit code is then 1. Hidden folders and
    files, node_modules and __pycache__ are not searched; YAML that is clearly not a
    cassette (no interactions or http_interactions key, e.g. a simulation script) is
    skipped with a note on stderr.

    \b
    Example:
      llmring-replay ls cassettes/
    """
    lines: list[tuple[str, str]] = []
    failed = 0
    for path in tracked(cassette_files([directory]), "Reading cassettes"):
        listed = _line(path)
        if listed is not None:
            lines.append((display(path), listed[0]))
            failed += not listed[1]
    if not lines:
        click.echo(f"no cassettes (*.yaml, *.yml) under {display(directory)}")
        return
    width = max(len(name) for name, _ in lines)
    for name, line in lines:
        click.echo(f"{name.ljust(width)}  {line}")
    if failed:
        noun = "cassette" if failed == 1 else "cassettes"
        click.echo(f"{failed} {noun} failed to load", err=True)
        raise click.exceptions.Exit(1)
