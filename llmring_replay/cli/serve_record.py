"""`serve`'s recording options: `--record-mode`, `--upstream`, `--cassette` (the proxy)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from llmring_replay.cli.files import display
from llmring_replay.cli.serve_cassettes import CassetteResponder
from llmring_replay.cli.serve_proxy import ProxyResponder, parse_upstreams, recording_file
from llmring_replay.providers.registry import FORMATS
from llmring_replay.transports import RecordMode

__all__ = ["record_options", "check_record_usage", "recording_proxy"]

F = TypeVar("F", bound=Callable[..., Any])


def record_options(command: F) -> F:
    """The recording proxy's options, applied to `serve`."""
    options = (
        click.option(
            "--record-mode",
            type=click.Choice([mode.value for mode in RecordMode]),
            default=RecordMode.NONE.value,
            show_default=True,
            help="Record what the cassettes do not answer by forwarding it upstream "
            "(vcrpy's modes: once records into cassette files that do not exist yet, "
            "new_episodes adds to them, all replaces them).",
        ),
        click.option(
            "--upstream",
            "upstreams",
            multiple=True,
            metavar="[PROVIDER=]URL",
            help="Where to forward when recording: a server root for every provider, or "
            "PROVIDER=BASE_URL (as its SDK's base URL); default: the public APIs. Repeatable.",
        ),
        click.option(
            "--cassette",
            metavar="NAME",
            default=None,
            help="Record into CASSETTE_DIR/NAME.yaml (default: one file per wire format, "
            "CASSETTE_DIR/<format>.yaml).",
        ),
    )
    for option in reversed(options):
        command = option(command)
    return command


def check_record_usage(
    mode: str, upstreams: Sequence[str], cassette: str | None, simulate: str | None
) -> None:
    """Refuse recording options that cannot mean anything."""
    if mode != RecordMode.NONE.value and simulate is not None:
        raise click.UsageError("--record-mode records from cassettes' upstreams, not --simulate")
    if mode == RecordMode.NONE.value and (upstreams or cassette):
        raise click.UsageError(
            "--upstream and --cassette are for recording: add --record-mode once, "
            "new_episodes or all"
        )


def recording_proxy(
    replay: CassetteResponder,
    directory: Path,
    mode: str,
    upstreams: Sequence[str],
    cassette: str | None,
) -> tuple[ProxyResponder, list[str]]:
    """The proxy, and the lines for the banner saying where each format is forwarded."""
    try:
        bases = parse_upstreams(upstreams)
    except ValueError as exc:
        message = str(exc).removeprefix("--upstream ")
        raise click.BadParameter(message, param_hint="'--upstream'") from exc

    def recorded(path: Path, index: int) -> None:
        click.echo(f"Recorded interaction {index} into {display(path)}")

    proxy = ProxyResponder(replay, directory, mode, bases, cassette=cassette, on_recorded=recorded)
    lines = [f"Recording (mode {mode}) what the cassettes do not answer, forwarded to:"]
    lines += [
        f"  {fmt.title}: {bases[fmt.name]} -> {display(recording_file(directory, fmt, cassette))}"
        for fmt in FORMATS
    ]
    return proxy, lines
