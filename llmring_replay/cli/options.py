"""Options shared by several commands: `--timing` and `--fault`."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from typing import Any, cast

import click

from llmring_replay.exceptions import ConfigurationError, LLMRingError
from llmring_replay.timing import parse_timing
from llmring_replay.transports import Fault

__all__ = ["FAULT_OPTION", "TIMING_OPTION", "load_faults"]


def _timing(ctx: click.Context, param: click.Parameter, value: str) -> str:
    # Checked here (a bad spec is a usage error, exit 2), kept as written for messages.
    try:
        parse_timing(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), ctx, param) from exc
    return value


TIMING_OPTION = click.option(
    "--timing",
    default="recorded",
    show_default=True,
    callback=_timing,
    help="recorded, instant, speed=K, fixed=MS, rate=N (tokens/s), jitter=P%; "
    "options after commas, e.g. 'rate=40,ttft=300ms'.",
)

FAULT_OPTION = click.option(
    "--fault",
    "faults",
    multiple=True,
    metavar="SPEC",
    help="A failure to inject, e.g. disconnect:after=3, rate_limit:retry_after=2 (repeatable).",
)


def load_faults(specs: Sequence[str]) -> list[Fault]:
    """`llmring_replay.faults.parse_faults(specs)`; a clear error where it is not installed."""
    if not specs:
        return []
    try:
        # By name: the faults module is optional to this command, not to the package.
        module = importlib.import_module("llmring_replay.faults")
    except ImportError as exc:
        raise ConfigurationError(
            "--fault needs llmring_replay.faults, which this installation does not have"
        ) from exc
    parse = cast(Callable[[Sequence[str]], list[Fault]], module.parse_faults)
    try:
        return parse(list(specs))
    except (ValueError, LLMRingError) as exc:
        message: Any = getattr(exc, "message", None) or str(exc)
        raise click.BadParameter(str(message), param_hint="'--fault'") from exc
