"""`lint`: secrets, unreadable bodies, unknown formats and (`--drift`) request drift."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import click

from llmring_replay.cassette import Cassette
from llmring_replay.cli.checks import (
    body_findings,
    drift_findings,
    format_findings,
    read_source,
    secret_findings,
)
from llmring_replay.cli.files import cassette_files, display, tracked, without_path
from llmring_replay.exceptions import CassetteError

__all__ = ["lint"]


def _findings(path: Path, drift: bool) -> Iterator[str]:
    try:
        source = read_source(path)
    except OSError as exc:
        yield f"cannot read: {exc.strerror or exc}"
        return
    try:
        cassette: Cassette | None = Cassette.load(path)
    except CassetteError as exc:
        # Names the place (a newer format version, a schema violation, bad YAML).
        yield without_path(exc.message, path)
        cassette = None
    yield from secret_findings(source, cassette)
    if cassette is None:
        return
    yield from format_findings(cassette)
    yield from body_findings(cassette)
    if drift:
        yield from drift_findings(cassette)


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--drift", is_flag=True, help="Also report request bodies today's client changed.")
def lint(paths: tuple[Path, ...], drift: bool) -> None:
    """Check cassettes (files, or *.yaml/*.yml under directories; default: here).

    Reports, with file and place: strings shaped like API keys (never the key itself),
    response bodies the provider's codec cannot read, unknown format versions, and with
    --drift request bodies that the current client would send differently for the same
    LLMRequest (the first differing keys). Exit code 1 on any finding.

    \b
    Example:
      llmring-replay lint cassettes/
      llmring-replay lint --drift cassettes/chat.yaml
    """
    files = cassette_files(paths or (Path("."),))
    if not files:
        where = ", ".join(display(path) for path in paths) or "."
        raise click.ClickException(f"no cassettes (*.yaml, *.yml) under {where}")
    findings = failed = 0
    for path in tracked(files, "Linting cassettes"):
        before = findings
        for finding in _findings(path, drift):
            findings += 1
            click.echo(f"{display(path)}: {finding}")
        failed += findings > before
    if findings:
        noun = "finding" if findings == 1 else "findings"
        click.echo(f"{findings} {noun} in {failed} of {len(files)} cassettes", err=True)
        raise click.exceptions.Exit(1)
    click.echo(f"{len(files)} cassette{'s' if len(files) != 1 else ''} OK")
