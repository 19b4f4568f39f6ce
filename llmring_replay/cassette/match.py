"""Matching replayed requests to recorded interactions.

Strict by default: the method, the URL minus secrets (`scrub.scrub_url`; scheme and host
case-insensitive, query parameters in any order) and the canonical body must all be equal.
A JSON body is compared parsed (keys sorted, whitespace and escapes irrelevant) after the
`ignore_paths` are taken out: a dotted path of keys and list indexes, `*` for any key or
index (`"metadata"`, `"messages.0.content"`, `"messages.*.id"`). Other bodies are compared as
bytes; no body and an empty body are the same.

Interactions play in order: a request is served by the first *unplayed* interaction with its
key, so the same request recorded twice plays twice, in order. When all of them have played,
the request is an error unless `allow_repeats`, which serves the last one again.

Speed: every recorded request's key is computed once, at construction, into an index; an
incoming request is first looked up by its exact `(method, url, body)` (a dict hit when the
client sends the bytes it sent when recording, the usual case), and canonicalized only
on a miss of that cache.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from llmring_replay.cassette.model import Cassette
from llmring_replay.cassette.scrub import scrub_url
from llmring_replay.exceptions import CassetteMatchError, CassetteUnplayedError

__all__ = ["MATCH_ON", "Matcher", "canonical_body", "canonical_url"]

MATCH_ON = ("method", "uri", "body")
_IGNORED = "<ignored>"
_FAST_CACHE_LIMIT = 4096
_MAX_DIFF_LINES = 40
_MAX_LISTED = 20

Path = tuple[str, ...]
Key = tuple[Any, Any, Any]


def canonical_url(url: str) -> tuple[str, str, str, tuple[tuple[str, str], ...]]:
    """Scheme, host, path and sorted query of `url` with its secrets removed."""
    parts = urlsplit(scrub_url(url))
    query = tuple(sorted(parse_qsl(parts.query, keep_blank_values=True)))
    return parts.scheme.lower(), parts.netloc.lower(), parts.path, query


def _parse_json(body: bytes | None) -> tuple[bool, Any]:
    if not body:
        return False, None
    try:
        return True, json.loads(body)
    except ValueError:  # includes UnicodeDecodeError
        return False, None


def _drop(value: Any, path: Path) -> None:
    """Take `path` out of `value` in place: keys are deleted, list items masked."""
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        keys = list(value) if head == "*" else [head] if head in value else []
    elif isinstance(value, list):
        indexes = range(len(value)) if head == "*" else [int(head)] if head.isdigit() else []
        keys = [i for i in indexes if i < len(value)]
    else:
        return
    for key in keys:
        if rest:
            _drop(value[key], rest)
        elif isinstance(value, dict):
            del value[key]
        else:
            value[key] = _IGNORED


def _comparable(body: bytes | None, ignore: Sequence[Path]) -> tuple[bool, Any]:
    """(is JSON, parsed JSON with ignored paths taken out | raw bytes)."""
    is_json, parsed = _parse_json(body)
    if not is_json:
        return False, body or b""
    for path in ignore:
        _drop(parsed, path)
    return True, parsed


def canonical_body(body: bytes | None, ignore_paths: Iterable[str] = ()) -> tuple[str, Any]:
    """`("json", sorted compact JSON)` or `("raw", bytes)`; `ignore_paths` as in `Matcher`."""
    is_json, value = _comparable(body, [tuple(p.split(".")) for p in ignore_paths])
    if is_json:
        return "json", json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "raw", value


def _leaves(value: Any, prefix: str = "") -> dict[str, str]:
    """Flatten JSON to `{path: leaf as JSON}`, to count how many values differ."""
    if isinstance(value, dict) and value:
        items: Iterable[tuple[Any, Any]] = value.items()
    elif isinstance(value, list) and value:
        items = enumerate(value)
    else:
        return {prefix: json.dumps(value, sort_keys=True, default=repr)}
    flat: dict[str, str] = {}
    for key, item in items:
        flat.update(_leaves(item, f"{prefix}.{key}" if prefix else str(key)))
    return flat


def _pretty(is_json: bool, value: Any) -> list[str]:
    if is_json:
        return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False).splitlines()
    return bytes(value).decode("utf-8", "replace").splitlines()


class Matcher:
    """Serves recorded interactions of `cassette` for requests, strictly and in order."""

    def __init__(
        self,
        cassette: Cassette,
        match_on: Sequence[str] = MATCH_ON,
        ignore_paths: Iterable[str] = (),
        *,
        allow_repeats: bool = False,
    ) -> None:
        unknown = set(match_on) - set(MATCH_ON)
        if unknown:
            raise ValueError(f"unknown match_on {sorted(unknown)}; choose from {MATCH_ON}")
        self.cassette = cassette
        self.match_on = tuple(match_on)
        self.ignore_paths = tuple(tuple(path.split(".")) for path in ignore_paths)
        self.allow_repeats = allow_repeats
        self._played: list[bool] = []
        self._key_ids: dict[Key, int] = {}
        self._queues: list[list[int]] = []
        self._cursors: list[int] = []
        self._fast: dict[tuple[str, str, bytes | None], int] = {}
        self._urls: dict[str, Any] = {}  # a cassette has few distinct URLs
        for index in range(len(cassette.interactions)):
            self.add(index, played=False)

    def _key_id(self, method: str, url: str, body: bytes | None) -> int:
        fast = (method, url, body)
        key_id = self._fast.get(fast)
        if key_id is not None:
            return key_id
        key = (
            method.upper() if "method" in self.match_on else None,
            self._url(url) if "uri" in self.match_on else None,
            self._canonical(body) if "body" in self.match_on else None,
        )
        key_id = self._key_ids.setdefault(key, len(self._key_ids))
        if key_id == len(self._queues):
            self._queues.append([])
            self._cursors.append(0)
        if len(self._fast) >= _FAST_CACHE_LIMIT:
            self._fast.clear()
        self._fast[fast] = key_id
        return key_id

    def _url(self, url: str) -> Any:
        canonical = self._urls.get(url)
        if canonical is None:
            if len(self._urls) >= _FAST_CACHE_LIMIT:
                self._urls.clear()
            canonical = self._urls[url] = canonical_url(url)
        return canonical

    def _canonical(self, body: bytes | None) -> tuple[bool, Any]:
        is_json, value = _comparable(body, self.ignore_paths)
        if is_json:
            value = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return is_json, value

    def add(self, index: int, *, played: bool = True) -> None:
        """Index `cassette.interactions[index]` (e.g. one just recorded), played or not."""
        request = self.cassette.interactions[index].request
        while len(self._played) <= index:
            self._played.append(False)
        self._played[index] = played
        self._queues[self._key_id(request.method, request.uri, request.body)].append(index)

    def match(self, method: str, url: str, body: bytes | None) -> int:
        """The index of the interaction that answers this request; marks it played.

        Raises `CassetteMatchError` naming the closest recorded interaction, with a diff.
        """
        key_id = self._fast.get((method, url, body))
        if key_id is None:
            key_id = self._key_id(method, url, body)
        queue = self._queues[key_id]
        cursor = self._cursors[key_id]
        played = self._played
        while cursor < len(queue) and played[queue[cursor]]:
            cursor += 1
        self._cursors[key_id] = cursor
        if cursor < len(queue):
            index = queue[cursor]
            played[index] = True
            return index
        if self.allow_repeats and queue:
            return queue[-1]
        raise self._miss(method, url, body)

    @property
    def played(self) -> list[int]:
        """Indexes of the interactions served so far."""
        return [index for index, done in enumerate(self._played) if done]

    def unplayed(self) -> list[int]:
        """Indexes of the interactions never served."""
        return [index for index, done in enumerate(self._played) if not done]

    def assert_all_played(self) -> None:
        """Raise `CassetteUnplayedError` listing the interactions never served."""
        unplayed = self.unplayed()
        if not unplayed:
            return
        lines = [f"{self._path}: {len(unplayed)} recorded interaction(s) never requested:"]
        for index in unplayed[:_MAX_LISTED]:
            request = self.cassette.interactions[index].request
            lines.append(f"  [{index}] {request.method} {scrub_url(request.uri)}")
        if len(unplayed) > _MAX_LISTED:
            lines.append(f"  ... and {len(unplayed) - _MAX_LISTED} more")
        raise CassetteUnplayedError("\n".join(lines), self._path, unplayed)

    @property
    def _path(self) -> str:
        return str(self.cassette.path) if self.cassette.path else "(unsaved cassette)"

    # --- the miss: find and explain the closest interaction --------------------------------

    def _miss(self, method: str, url: str, body: bytes | None) -> CassetteMatchError:
        request_text = f"{method.upper()} {scrub_url(url)}"
        head = f"{self._path}: no recorded interaction matches {request_text}"
        interactions = self.cassette.interactions
        if not interactions:
            return CassetteMatchError(f"{head}: the cassette is empty", self._path, request_text)
        wanted = (method.upper(), canonical_url(url), *_comparable(body, self.ignore_paths))
        scores = [self._score(i, wanted) for i in range(len(interactions))]
        best = max(range(len(scores)), key=scores.__getitem__)
        lines = [head, *self._explain(best, wanted)]
        return CassetteMatchError("\n".join(lines), self._path, request_text, best)

    def _recorded(self, index: int) -> tuple[str, Any, bool, Any]:
        request = self.cassette.interactions[index].request
        return (
            request.method.upper(),
            canonical_url(request.uri),
            *_comparable(request.body, self.ignore_paths),
        )

    def _score(self, index: int, wanted: tuple[str, Any, bool, Any]) -> tuple[Any, ...]:
        method, url, is_json, value = self._recorded(index)
        if is_json and wanted[2]:
            recorded, incoming = _leaves(value), _leaves(wanted[3])
            differing = len(set(recorded.items()) ^ set(incoming.items()))
        else:
            differing = 0 if (is_json, value) == wanted[2:] else 1
        return (method == wanted[0], url == wanted[1], -differing, not self._played[index], -index)

    def _explain(self, index: int, wanted: tuple[str, Any, bool, Any]) -> list[str]:
        method, url, is_json, value = self._recorded(index)
        request = self.cassette.interactions[index].request
        played = " (already played)" if self._played[index] else ""
        lines = [f"closest: interaction {index}, {request.method} {scrub_url(request.uri)}{played}"]
        if method != wanted[0] and "method" in self.match_on:
            lines.append(f"  method differs: recorded {method}, requested {wanted[0]}")
        if url != wanted[1] and "uri" in self.match_on:
            lines.append("  URL differs (scheme, host, path, sorted query):")
            lines.append(f"    recorded:  {url}")
            lines.append(f"    requested: {wanted[1]}")
        if (is_json, value) != wanted[2:] and "body" in self.match_on:
            lines.append("  body differs:")
            lines.extend("    " + line for line in self._diff(index, (is_json, value), wanted[2:]))
        if len(lines) == 1:
            lines.append(
                "  it matches, but every matching interaction was already played: the request"
                " was sent more often than recorded (allow_repeats=False)"
            )
        return lines

    def _diff(self, index: int, recorded: tuple[bool, Any], wanted: tuple[Any, ...]) -> list[str]:
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
