"""One place where errors become the CLI's one-line messages (and library errors exit 1).

A CI log is read line by line, so every message we print is one line. The details that
YAML, pydantic or a provider put on lines of their own are kept, joined with " / ", rather
than dropped: the second line is often the one that says where.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

import click
import yaml
from pydantic import ValidationError

from llmring_replay.exceptions import CassetteError, LLMRingError, ProviderRateLimitError
from llmring_replay.places import validation_text

__all__ = ["error_text", "one_line", "reports_errors"]

P = ParamSpec("P")
R = TypeVar("R")


def one_line(message: str) -> str:
    """`message` on one line: its non-blank lines stripped and joined with " / "."""
    return " / ".join(line.strip() for line in message.splitlines() if line.strip())


def _yaml_text(exc: yaml.MarkedYAMLError) -> str:
    # PyYAML's own text spreads the context, the problem and their marks over five lines.
    mark: Any = exc.problem_mark or exc.context_mark
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    what = ": ".join(str(part) for part in (exc.context, exc.problem) if part)
    return where + (what or one_line(str(exc)))


def error_text(exc: BaseException) -> str:
    """What is wrong, on one line: pydantic errors as `loc: msg`, YAML errors with their line."""
    if isinstance(exc, ValidationError):
        return validation_text(exc)
    if isinstance(exc, yaml.MarkedYAMLError):
        return _yaml_text(exc)
    if isinstance(exc, LLMRingError):
        return _message(exc)
    return one_line(str(exc)) or type(exc).__name__


def _message(exc: LLMRingError) -> str:
    message = exc.message
    if isinstance(exc, CassetteError) and exc.path:
        # The cassette loader writes `path:?:` when YAML cannot say the line (bad encoding).
        message = message.replace(f"{exc.path}:?: ", f"{exc.path}: ", 1)
    if isinstance(exc, ProviderRateLimitError) and exc.retry_after is not None:
        message = f"{message} (retry after {exc.retry_after:g} s)"
    # A provider's error may quote what was sent or received (a key among it): a CI log
    # keeps what we print, so known key values are redacted here as in a cassette.
    from llmring_replay.cassette.scrub import known_secrets, redact

    return one_line(redact(message, known_secrets()))


def reports_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn an `LLMRingError` (bad input, missing file, ...) into `Error: <message>`, exit 1."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except LLMRingError as exc:
            raise click.ClickException(_message(exc)) from exc

    return wrapper
