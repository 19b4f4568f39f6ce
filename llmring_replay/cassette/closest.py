"""The closest recorded interaction to a request that matched none, and how it differs.

Candidates are ranked by: same method, same URL, fewest differing JSON leaves in the body,
unplayed, earliest. Scoring one parses its body, so a miss scores a bounded number of them
whatever the size of the cassette: the interactions with the request's method and URL if
there are any, else with its method, else with its URL, else all (the best of all is always
among those); of those, when there are more than `MAX_SCORED`, the window that starts a
quarter of its length before the first unplayed interaction (where an in-order replay
stands), plus the ones with the request's key that were already played. Up to `MAX_SCORED`
candidates the answer is the best of the whole cassette.
"""

from __future__ import annotations

import difflib
import json
from bisect import bisect_left
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from llmring_replay.cassette.canonical import comparable
from llmring_replay.cassette.model import Cassette
from llmring_replay.cassette.scrub import scrub_url

__all__ = ["MAX_SCORED", "Candidates", "explain_miss"]

MAX_SCORED = 64
_MAX_DIFF_LINES = 40

# (method, canonical URL, is JSON, parsed body with ignored paths taken out | raw bytes)
Wanted = tuple[str, Any, bool, Any]


def _leaves(value: Any, prefix: str = "") -> dict[str, str]:
    """Flatten JSON to `{path: leaf}`, to count how many values differ. A leaf is a string
    prefixed with "s" or the `repr` of anything else (never starting with "s"): equal
    exactly when the JSON values are, at a fraction of `json.dumps`'s cost per leaf."""
    if isinstance(value, dict) and value:
        items: Iterable[tuple[Any, Any]] = value.items()
    elif isinstance(value, list) and value:
        items = enumerate(value)
    elif isinstance(value, str):
        return {prefix: "s" + value}
    else:
        return {prefix: repr(value)}
    flat: dict[str, str] = {}
    for key, item in items:
        flat.update(_leaves(item, f"{prefix}.{key}" if prefix else str(key)))
    return flat


def _pretty(is_json: bool, value: Any) -> list[str]:
    if is_json:
        return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False).splitlines()
    return bytes(value).decode("utf-8", "replace").splitlines()


class Candidates:
    """The recorded requests of a cassette grouped by method and URL, for `explain_miss`."""

    def __init__(self, cassette: Cassette, ignore: Sequence[tuple[str, ...]]) -> None:
        self.cassette = cassette
        self.ignore = ignore
        self._keys: list[tuple[str, Any] | None] = []
        self._by_key: dict[tuple[str, Any], list[int]] = {}
        self._by_method: dict[str, list[int]] = {}
        self._by_url: dict[Any, list[int]] = {}

    def add(self, index: int, method: str, url: Any) -> None:
        """Group interaction `index`, whose method (upper case) and canonical URL are given."""
        while len(self._keys) <= index:
            self._keys.append(None)
        self._keys[index] = (method, url)
        self._by_key.setdefault((method, url), []).append(index)
        self._by_method.setdefault(method, []).append(index)
        self._by_url.setdefault(url, []).append(index)

    def select(self, method: str, url: Any, played: list[bool], also: Sequence[int]) -> list[int]:
        """The interactions worth scoring for a request with `method` and `url`."""
        pool: Sequence[int] = (
            self._by_key.get((method, url))
            or self._by_method.get(method)
            or self._by_url.get(url)
            or range(len(self._keys))
        )
        if len(pool) <= MAX_SCORED:
            return list(pool)
        first = played.index(False) if False in played else len(played)
        start = max(0, bisect_left(pool, first) - MAX_SCORED // 4)
        return sorted({*pool[start : start + MAX_SCORED], *also[:MAX_SCORED]})

    def recorded(self, index: int) -> Wanted:
        """Interaction `index`'s request in the form of `Wanted`."""
        key = self._keys[index]
        assert key is not None
        body = self.cassette.interactions[index].request.body
        return (*key, *comparable(body, self.ignore))


def _scorer(wanted: Wanted) -> Callable[[Wanted, bool, int], tuple[Any, ...]]:
    """The ranking key of a recorded request against `wanted` (higher is closer)."""
    incoming = set(_leaves(wanted[3]).items()) if wanted[2] else set()

    def score(recorded: Wanted, played: bool, index: int) -> tuple[Any, ...]:
        method, url, is_json, value = recorded
        if is_json and wanted[2]:
            differing = len(set(_leaves(value).items()) ^ incoming)
        else:
            differing = 0 if (is_json, value) == wanted[2:] else 1
        return (method == wanted[0], url == wanted[1], -differing, not played, -index)

    return score


def explain_miss(
    candidates: Candidates,
    wanted: Wanted,
    played: list[bool],
    match_on: Sequence[str],
    also: Sequence[int] = (),
) -> tuple[int, list[str]]:
    """The closest interaction to the `wanted` request and the lines saying how it differs.

    `also`: interactions with the request's key (all already played), always scored.
    """
    chosen = candidates.select(wanted[0], wanted[1], played, also)
    recorded = {index: candidates.recorded(index) for index in chosen}
    score = _scorer(wanted)
    best = max(chosen, key=lambda i: score(recorded[i], played[i], i))
    lines = _explain(
        candidates.cassette,
        best,
        recorded[best],
        wanted,
        played=played[best],
        match_on=match_on,
    )
    return best, lines


def _explain(
    cassette: Cassette,
    index: int,
    recorded: Wanted,
    wanted: Wanted,
    *,
    played: bool,
    match_on: Sequence[str],
) -> list[str]:
    method, url, is_json, value = recorded
    request = cassette.interactions[index].request
    already = " (already played)" if played else ""
    lines = [f"closest: interaction {index}, {request.method} {scrub_url(request.uri)}{already}"]
    if method != wanted[0] and "method" in match_on:
        lines.append(f"  method differs: recorded {method}, requested {wanted[0]}")
    if url != wanted[1] and "uri" in match_on:
        lines.append("  URL differs (scheme, host, path, sorted query):")
        lines.append(f"    recorded:  {url}")
        lines.append(f"    requested: {wanted[1]}")
    if (is_json, value) != wanted[2:] and "body" in match_on:
        lines.append("  body differs:")
        lines.extend("    " + line for line in _diff(index, (is_json, value), wanted[2:]))
    if len(lines) == 1:
        lines.append(
            "  it matches, but every matching interaction was already played: the request"
            " was sent more often than recorded (allow_repeats=False)"
        )
    return lines


def _diff(index: int, recorded: tuple[bool, Any], wanted: tuple[Any, ...]) -> list[str]:
    diff = list(
        difflib.unified_diff(
            _pretty(*recorded),
            _pretty(bool(wanted[0]), wanted[1]),
            fromfile=f"recorded (interaction {index})",
            tofile="requested",
            lineterm="",
            n=2,
        )
    )
    if len(diff) > _MAX_DIFF_LINES:
        extra = len(diff) - _MAX_DIFF_LINES
        diff = [*diff[:_MAX_DIFF_LINES], f"... ({extra} more diff lines)"]
    return diff
