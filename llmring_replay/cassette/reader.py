"""Typed, place-aware access to a parsed cassette document.

Every failure raises `CassetteFormatError` naming the file, the place as a path from the root
(`interactions[3].response.status.code`), the line when it can be found, and what is wrong.
"""

from __future__ import annotations

import math
from typing import Any, NoReturn
from urllib.parse import urlsplit

from llmring_replay.cassette.normalize import header_dict, iso_time
from llmring_replay.cassette.yamlio import line_of
from llmring_replay.exceptions import CassetteFormatError

__all__ = ["Place", "Reader", "render_place", "url_problem"]

Place = tuple[str | int, ...]


def render_place(place: Place) -> str:
    """`("interactions", 3, "response")` -> `interactions[3].response`."""
    text = ""
    for part in place:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(document)"


def url_problem(uri: str) -> str | None:
    """What is wrong with `uri` as a recorded request's URL, or `None`: it must parse, port
    included, as serve and replay parse it. (It need not be absolute: recorders write
    placeholders such as `<OLLAMA_API_BASE>/chat/completions`.)"""
    try:
        urlsplit(uri).port  # noqa: B018 - parsing the port is the check (`:99999` fails here)
    except ValueError as exc:
        return f"not a valid URL ({exc}): {uri[:100]!r}"
    return None


class Reader:
    """Typed access to a parsed document; every failure names the file, place and line."""

    def __init__(self, path: str, source: bytes) -> None:
        self.path = path
        self.source = source

    def fail(self, place: Place, problem: str) -> NoReturn:
        """Raise `CassetteFormatError` for `problem` at `place`."""
        where = render_place(place)
        line = line_of(self.source, list(place)) if place else None
        at_line = f" (line {line})" if line is not None else ""
        raise CassetteFormatError(f"{self.path}: {where}{at_line}: {problem}", self.path, where)

    def mapping(self, value: Any, place: Place) -> dict[Any, Any]:
        """`value` as a mapping."""
        if not isinstance(value, dict):
            self.fail(place, f"expected a mapping, got {_kind(value)}")
        return value

    def sequence(self, value: Any, place: Place) -> list[Any]:
        """`value` as a list."""
        if not isinstance(value, list):
            self.fail(place, f"expected a list, got {_kind(value)}")
        return value

    def text(self, value: Any, place: Place) -> str:
        """`value` as a non-empty string."""
        if not isinstance(value, str) or not value:
            got = "an empty string" if value == "" else _kind(value)
            self.fail(place, f"expected a non-empty string, got {got}")
        return value

    def uri(self, value: Any, place: Place) -> str:
        """`value` as a URL that parses (host and port included)."""
        uri = self.text(value, place)
        problem = url_problem(uri)
        if problem is not None:
            self.fail(place, problem)
        return uri

    def optional_text(self, value: Any, place: Place) -> str | None:
        """`value` as a string, or None."""
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, int | float):
            return str(value)
        return iso_time(value) if hasattr(value, "isoformat") else self.text(value, place)

    def integer(self, value: Any, place: Place) -> int:
        """`value` as an integer (a string of ASCII digits is accepted)."""
        if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
            return int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            self.fail(place, f"expected an integer, got {_kind(value)}")
        return value

    def status(self, value: Any, place: Place) -> int:
        """`value` as an HTTP status code (100-599)."""
        code = self.integer(value, place)
        if not 100 <= code <= 599:
            self.fail(place, f"expected an HTTP status (100-599), got {code}")
        return code

    def body(self, value: Any, place: Place) -> bytes | None:
        """A body: a string (UTF-8 encoded), `!!binary` bytes, or null."""
        if value is None or isinstance(value, bytes):
            return value
        if isinstance(value, str):
            return value.encode("utf-8")
        return self.fail(place, f"expected a string, !!binary or null, got {_kind(value)}")

    def headers(self, value: Any, place: Place) -> dict[str, list[str]]:
        """A header mapping (absent is empty); names lowercased, values as lists."""
        if value is None:
            return {}
        headers: dict[str, list[str]] = {}
        for name, values in self.mapping(value, place).items():
            if _in_shape(name, values) and name not in headers:
                headers[name] = list(values)  # already in our shape (the usual case)
                continue
            nested = isinstance(values, list) and any(isinstance(v, dict | list) for v in values)
            if nested or isinstance(values, dict):
                self.fail((*place, str(name)), "expected a header value or a list of them")
            for key, items in header_dict([(name, values)]).items():
                headers.setdefault(key, []).extend(items)
        return headers

    def offsets(self, value: Any, place: Place) -> list[float]:
        """Milliseconds separated by spaces (or a YAML list) -> seconds in 0.01 ms steps."""
        tokens = value if isinstance(value, list) else str(value).split()
        try:
            numbers = [float(token) for token in tokens]
        except (TypeError, ValueError):
            return self.fail(place, "expected numbers (milliseconds) separated by spaces")
        if not all(math.isfinite(number) for number in numbers):
            self.fail(place, "expected finite numbers (milliseconds), got inf or nan")
        # Whole 0.01 ms steps / 1e5: the arithmetic of `model.quantize`, so saved offsets
        # load back equal.
        return [round(number * 100) / 100_000 for number in numbers]

    def sizes(self, value: Any, place: Place) -> list[int]:
        """Byte counts separated by spaces (or a YAML list)."""
        tokens = value if isinstance(value, list) else str(value).split()
        try:
            sizes = [int(token) for token in tokens]
        except (TypeError, ValueError, OverflowError):
            return self.fail(place, "expected byte counts separated by spaces")
        if any(size < 0 for size in sizes):
            self.fail(place, "expected byte counts, got a negative one")
        return sizes


def _in_shape(name: Any, values: Any) -> bool:
    if values.__class__ is not list or name.__class__ is not str or not name.islower():
        return False
    return all(item.__class__ is str for item in values)


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    names: dict[type, str] = {
        dict: "a mapping",
        list: "a list",
        str: "a string",
        bytes: "binary data",
    }
    return names.get(type(value), f"{type(value).__name__} {value!r}"[:60])
