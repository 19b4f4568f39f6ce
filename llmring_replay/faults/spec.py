"""Faults from strings, for the CLI (`--fault rate_limit:retry_after=2`) and pytest markers.

Grammar: `name[:key=value[,key=value...]]`; names take `-` or `_`. Every fault takes
`only=` (an interaction index, or a model name such as `gpt-4o` / `openai:gpt-4o`). Durations
are seconds: `2`, `2.5s`, `250ms`. `fail_first`'s `fault=` must come last: it takes the rest
of the spec, commas and colons included (`fail_first:k=2,fault=rate_limit:retry_after=1`).

| spec                                   | fault                          |
|----------------------------------------|--------------------------------|
| `unauthorized`, `forbidden`            | `Unauthorized()`, `Forbidden()` |
| `model_not_found`                      | `ModelNotFound()`              |
| `rate_limit`, `rate_limit:retry_after=2` | `RateLimit(retry_after=2)`   |
| `server_error`, `unavailable`, `overloaded` | `ServerError()`, ...      |
| `status_error:status=400[,code=X]`     | `StatusError(400, code="X")`   |
| `stall:before=5s`                      | `StallBeforeFirstByte(5)`      |
| `stall:after=3,seconds=30`             | `StallBetween(after=3, seconds=30)` |
| `disconnect:after=3`                   | `Disconnect(after=3)`          |
| `malformed:at=2`                       | `MalformedFrame(at=2)`         |
| `inband_error:at=2[,kind=rate_limit][,retry_after=2]` | `InBandError(2, "rate_limit", 2)` |
| `fail_first:k=2,fault=rate_limit`      | `FailFirst(2, RateLimit())`    |
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeGuard

from llmring_replay.faults.shapes import KINDS
from llmring_replay.faults.status import (
    Forbidden,
    ModelNotFound,
    Overloaded,
    RateLimit,
    ServerError,
    StatusError,
    Unauthorized,
    Unavailable,
)
from llmring_replay.faults.stream import (
    Disconnect,
    FailFirst,
    InBandError,
    MalformedFrame,
    StallBeforeFirstByte,
    StallBetween,
)
from llmring_replay.providers.errors import parse_duration
from llmring_replay.transports.replay import Fault

__all__ = ["FAULT_NAMES", "parse_fault", "parse_faults"]

_GRAMMAR = "name[:key=value[,key=value...]]"


def _seconds(text: str) -> float:
    seconds = parse_duration(text)
    if seconds is None:
        raise ValueError("expected seconds like 2, 2.5s or 250ms")
    return seconds


def _count(text: str) -> int:
    if not text.isdigit():
        raise ValueError("expected a whole number >= 0")
    return int(text)


def _status(text: str) -> int:
    if not text.isdigit():
        raise ValueError("expected an HTTP status like 400 or 503")
    return int(text)


def _kind(text: str) -> str:
    if text not in KINDS:
        raise ValueError(f"expected one of {', '.join(KINDS)}")
    return text


def _selector(text: str) -> int | str:
    # An index when it is a number; anything else names a model.
    return int(text) if text.isdigit() else text


def _nested(text: str) -> Fault:
    try:
        return parse_fault(text)
    except ValueError as exc:
        raise ValueError(f"{exc} (fault= takes the rest of the spec: put it last)") from None


def _stall(
    before: float | None = None,
    after: int | None = None,
    seconds: float | None = None,
    only: int | str | None = None,
) -> Fault:
    if before is not None and after is None and seconds is None:
        return StallBeforeFirstByte(before, only=only)
    if before is None and after is not None and seconds is not None:
        return StallBetween(after, seconds, only=only)
    raise ValueError("give before=SECONDS, or after=N with seconds=SECONDS")


@dataclass(frozen=True)
class _Form:
    """How one fault name reads: its constructor and the parameters it takes."""

    build: Callable[..., Fault]
    params: dict[str, Callable[[str], object]]
    required: tuple[str, ...] = ()


_FORMS: dict[str, _Form] = {
    "unauthorized": _Form(Unauthorized, {}),
    "forbidden": _Form(Forbidden, {}),
    "model_not_found": _Form(ModelNotFound, {}),
    "rate_limit": _Form(RateLimit, {"retry_after": _seconds}),
    "server_error": _Form(ServerError, {}),
    "unavailable": _Form(Unavailable, {}),
    "overloaded": _Form(Overloaded, {}),
    "status_error": _Form(
        StatusError, {"status": _status, "code": str, "retry_after": _seconds}, ("status",)
    ),
    "stall": _Form(_stall, {"before": _seconds, "after": _count, "seconds": _seconds}),
    "disconnect": _Form(Disconnect, {"after": _count}, ("after",)),
    "malformed": _Form(MalformedFrame, {"at": _count}, ("at",)),
    "inband_error": _Form(
        InBandError, {"at": _count, "kind": _kind, "retry_after": _seconds}, ("at",)
    ),
    "fail_first": _Form(FailFirst, {"k": _count, "fault": _nested}, ("k", "fault")),
}

#: The fault names a spec may start with.
FAULT_NAMES = tuple(sorted(_FORMS))


def _pairs(spec: str, text: str) -> dict[str, str]:
    """`key=value` pairs; `fault=` swallows the rest (a nested spec has its own commas)."""
    pairs: dict[str, str] = {}
    while text:
        key, equals, rest = text.partition("=")
        key = key.strip()
        if not equals or not key:
            raise ValueError(f"fault spec {spec!r}: expected key=value, got {key!r}")
        value, _, text = (rest, "", "") if key == "fault" else rest.partition(",")
        if key in pairs:
            raise ValueError(f"fault spec {spec!r}: {key!r} is given twice")
        pairs[key] = value.strip()
    return pairs


def _convert(spec: str, name: str, form: _Form, pairs: dict[str, str]) -> dict[str, object]:
    params = {**form.params, "only": _selector}
    values: dict[str, object] = {}
    for key, text in pairs.items():
        convert = params.get(key)
        if convert is None:
            valid = ", ".join(sorted(params))
            raise ValueError(
                f"fault spec {spec!r}: unknown parameter {key!r} for {name} (valid: {valid})"
            )
        try:
            values[key] = convert(text)
        except ValueError as exc:
            raise ValueError(f"fault spec {spec!r}: bad {key}={text!r}: {exc}") from None
    missing = [key for key in form.required if key not in values]
    if missing:
        raise ValueError(f"fault spec {spec!r}: {name} needs {', '.join(missing)}=")
    return values


def parse_fault(spec: str) -> Fault:
    """The fault a spec string describes (see the module docstring for the grammar).

    A bad spec raises `ValueError` naming the bad part and the valid choices.
    """
    name, _, rest = spec.strip().partition(":")
    name = name.strip().lower().replace("-", "_")
    form = _FORMS.get(name)
    if form is None:
        raise ValueError(
            f"fault spec {spec!r}: unknown fault {name!r}; valid faults: "
            f"{', '.join(FAULT_NAMES)} (syntax {_GRAMMAR})"
        )
    values = _convert(spec, name, form, _pairs(spec, rest.strip()))
    try:
        return form.build(**values)
    except ValueError as exc:
        raise ValueError(f"fault spec {spec!r}: {exc}") from None


def parse_faults(specs: str | Fault | Iterable[str | Fault] | None) -> list[Fault]:
    """Faults from spec strings and/or `Fault` objects (passed through), in order.

    A single string is one spec, never a sequence of characters.
    """
    if specs is None:
        return []
    items = [specs] if isinstance(specs, str) or not isinstance(specs, Iterable) else specs
    faults: list[Fault] = []
    for item in items:
        if isinstance(item, str):
            faults.append(parse_fault(item))
        elif _is_fault(item):
            faults.append(item)
        else:
            raise TypeError(f"a fault is a Fault or a spec string, not {item!r}")
    return faults


def _is_fault(value: object) -> TypeGuard[Fault]:
    return callable(getattr(value, "apply", None))
