"""One place where library errors become the CLI's one-line messages and exit code 1."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import click

from llmring_replay.exceptions import LLMRingError

__all__ = ["reports_errors"]

P = ParamSpec("P")
R = TypeVar("R")


def reports_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn an `LLMRingError` (bad input, missing file, ...) into `Error: <message>`, exit 1."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except LLMRingError as exc:
            raise click.ClickException(exc.message) from exc

    return wrapper
