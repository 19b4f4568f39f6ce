"""`lint`: secrets, unreadable bodies, unknown formats and (`--drift`) request drift."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click

from llmring_replay.cassette import Cassette
from llmring_replay.cli.checks import (
    body_findings,
    drift_findings,
    foreign_clients,
    format_findings,
    read_source,
    secret_findings,
)
from llmring_replay.cli.errors import one_line
from llmring_replay.cli.files import cassette_files, display, tracked, without_path
from llmring_replay.cli.stray import not_a_cassette, skip_note
from llmring_replay.exceptions import CassetteError

__all__ = ["lint"]


def _findings(path: Path, drift: bool, walked: bool) -> list[str] | None:
    """`path`'s findings; `None` when it was found by a walk and is clearly not a cassette."""
    try:
        source = read_source(path)
    except OSError as exc:
        return [f"cannot read: {exc.strerror or exc}"]
    try:
        cassette = Cassette.load(path)
    except CassetteError as exc:
        if walked and not_a_cassette(path):
            return None
        # Names the place (a newer format version, a schema violation, bad YAML).
        return [without_path(exc.message, path), *secret_findings(source, None)]
    findings = [*secret_findings(source, cassette), *format_findings(cassette)]
    findings += body_findings(cassette)
    if drift:
        findings += drift_findings(cassette)
        _note_foreign_clients(path, cassette)
    return findings


def _note_foreign_clients(path: Path, cassette: Cassette) -> None:
    """Say on stderr which interactions `--drift` left alone, and why (not a finding)."""
    clients = foreign_clients(cassette)
    if clients:
        count = sum(clients.values())
        who = ", ".join(f"{agent} ({n})" for agent, n in clients.items())
        click.echo(
            f"{display(path)}: --drift skipped {count} interaction{'s' if count > 1 else ''} "
            f"recorded by another client: {who}",
            err=True,
        )


def _lint_all(files: Sequence[Path], named: set[Path], drift: bool) -> tuple[int, int, int]:
    """Print every finding; (findings, files with findings, files checked)."""
    findings = failed = checked = 0
    for path in tracked(files, "Linting cassettes"):
        found = _findings(path, drift, walked=path not in named)
        if found is None:
            click.echo(skip_note(path), err=True)
            continue
        checked += 1
        failed += bool(found)
        findings += len(found)
        for finding in found:
            click.echo(f"{display(path)}: {one_line(finding)}")
    return findings, failed, checked


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--drift", is_flag=True, help="Also report request bodies today's client changed.")
def lint(paths: tuple[Path, ...], drift: bool) -> None:
    """Check cassettes (files, or *.yaml/*.yml under directories; default: here).

    Reports, with file and place: strings shaped like API keys (never the key itself),
    response bodies the provider's codec cannot read, unknown format versions, and with
    --drift request bodies that the current client would send differently for the same
    LLMRequest (the first differing keys). --drift compares only what llmring-replay's
    own client recorded (its user-agent says so): requests of an official SDK or any other
    client are skipped, with a note on stderr saying how many. Exit code 1 on any finding.

    A directory is searched without its hidden folders and files, node_modules and
    __pycache__. There, YAML that is clearly not a cassette (no interactions or
    http_interactions key, e.g. a simulation script) is skipped with a note on stderr; a
    file named on the command line is always checked.

    \b
    Example:
      llmring-replay lint cassettes/
      llmring-replay lint --drift cassettes/chat.yaml
    """
    files = cassette_files(paths or (Path("."),))
    findings, failed, checked = _lint_all(files, {p for p in paths if not p.is_dir()}, drift)
    if not checked:
        where = ", ".join(display(path) for path in paths) or "."
        raise click.ClickException(f"no cassettes (*.yaml, *.yml) under {where}")
    if findings:
        noun = "finding" if findings == 1 else "findings"
        click.echo(f"{findings} {noun} in {failed} of {checked} cassettes", err=True)
        raise click.exceptions.Exit(1)
    click.echo(f"{checked} cassette{'s' if checked != 1 else ''} OK")
