"""`ls`: one summary line per cassette under a directory."""

from __future__ import annotations

from pathlib import Path

import click

from llmring_replay.cassette import Cassette
from llmring_replay.cli.files import cassette_files, display, tracked, without_path
from llmring_replay.cli.summary import cassette_line
from llmring_replay.exceptions import CassetteError

__all__ = ["ls"]


@click.command()
@click.argument(
    "directory",
    default=".",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
)
def ls(directory: Path) -> None:
    """List every cassette (*.yaml, *.yml) under DIRECTORY (default: here).

    One line each: interactions, providers, models, TTFT, total duration. A file that does
    not load is listed with its error, and the exit code is then 1.

    \b
    Example:
      llmring-replay ls cassettes/
    """
    paths = cassette_files([directory])
    if not paths:
        click.echo(f"no cassettes (*.yaml, *.yml) under {display(directory)}")
        return
    lines, failed = [], 0
    for path in tracked(paths, "Reading cassettes"):
        try:
            lines.append((display(path), cassette_line(Cassette.load(path))))
        except CassetteError as exc:
            failed += 1
            lines.append((display(path), f"ERROR {without_path(exc.message, path)}"))
    width = max(len(name) for name, _ in lines)
    for name, line in lines:
        click.echo(f"{name.ljust(width)}  {line}")
    if failed:
        noun = "cassette" if failed == 1 else "cassettes"
        click.echo(f"{failed} {noun} failed to load", err=True)
        raise click.exceptions.Exit(1)
