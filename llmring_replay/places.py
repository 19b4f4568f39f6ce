"""Where in a document something is wrong, written as a reader writes it.

pydantic locates an error as `('rules', 0, 'match', 'turn')`; people write
`rules[0].match.turn`. Shared by the CLI's one-line errors and the loaders that name the
place of a problem in a file.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import ValidationError

__all__ = ["place", "validation_problems", "validation_text"]

#: Validation errors listed in a message; past these, only how many more there are.
SHOWN_ERRORS = 3


def place(loc: Sequence[int | str]) -> str:
    """pydantic's `('scripts', 0, 'ttft')` as a reader writes it: `scripts[0].ttft`."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def validation_problems(exc: ValidationError) -> list[tuple[tuple[int | str, ...], str]]:
    """Each error's location and message, without pydantic's "Value error, " prefix."""
    return [
        (tuple(error["loc"]), error["msg"].removeprefix("Value error, ")) for error in exc.errors()
    ]


def validation_text(exc: ValidationError) -> str:
    """The first few errors on one line, `place: message; place: message (and N more)`."""
    # pydantic's own text starts "1 validation error for Script", which names no field.
    problems = validation_problems(exc)
    parts = [f"{place(loc)}: {msg}" if loc else msg for loc, msg in problems[:SHOWN_ERRORS]]
    if len(problems) > SHOWN_ERRORS:
        parts.append(f"(and {len(problems) - SHOWN_ERRORS} more)")
    return "; ".join(parts)
