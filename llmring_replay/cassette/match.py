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

Speed, O(1) per request at any cassette size: every recorded request's key (its canonical
URL and a 128-bit hash of its canonical body) is computed once, when it is indexed. An
incoming request is first looked up by its exact `(method, url, body)` among the recorded
ones (a dict hit when the client sends the bytes it sent when recording, the usual case),
and only otherwise canonicalized: one `json.loads` and one sorted `json.dumps`, then a dict
hit on the hash. A miss is explained from a bounded set of candidates (see `closest`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from llmring_replay.cassette.canonical import (
    Url,
    body_hash,
    canonical_body,
    canonical_url,
    comparable,
)
from llmring_replay.cassette.closest import Candidates, explain_miss
from llmring_replay.cassette.model import Cassette
from llmring_replay.cassette.scrub import scrub_url
from llmring_replay.exceptions import CassetteMatchError, CassetteUnplayedError

__all__ = ["MATCH_ON", "Matcher", "canonical_body", "canonical_url"]

MATCH_ON = ("method", "uri", "body")
_SEEN_LIMIT = 1024  # incoming requests remembered (their bodies are kept alive meanwhile)
_MAX_LISTED = 20

Key = tuple[Any, Any, Any]


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
        # Recorded (method, url, body) -> key id: as large as the cassette, never evicted.
        self._exact: dict[tuple[str, str, bytes | None], int] = {}
        # Incoming requests already canonicalized: bounded, for clients that repeat a request
        # in other bytes than recorded.
        self._seen: dict[tuple[str, str, bytes | None], int] = {}
        self._urls: dict[str, Url] = {}  # recorded URLs, then incoming ones up to a bound
        self._candidates = Candidates(cassette, self.ignore_paths)
        for index in range(len(cassette.interactions)):
            self.add(index, played=False)

    def _url(self, url: str, *, recorded: bool = False) -> Url:
        canonical = self._urls.get(url)
        if canonical is None:
            canonical = canonical_url(url)
            if recorded or len(self._urls) < _SEEN_LIMIT:
                self._urls[url] = canonical
        return canonical

    def _key(self, method: str, url: Url, body: bytes | None) -> Key:
        return (
            method.upper() if "method" in self.match_on else None,
            url if "uri" in self.match_on else None,
            body_hash(body, self.ignore_paths) if "body" in self.match_on else None,
        )

    def add(self, index: int, *, played: bool = True) -> None:
        """Index `cassette.interactions[index]` (e.g. one just recorded), played or not."""
        request = self.cassette.interactions[index].request
        while len(self._played) <= index:
            self._played.append(False)
        self._played[index] = played
        exact = (request.method, request.uri, request.body)
        key_id = self._exact.get(exact)
        url = self._url(request.uri, recorded=True)
        if key_id is None:
            key = self._key(request.method, url, request.body)
            key_id = self._key_ids.setdefault(key, len(self._key_ids))
            if key_id == len(self._queues):
                self._queues.append([])
                self._cursors.append(0)
            self._exact[exact] = key_id
        self._queues[key_id].append(index)
        self._candidates.add(index, request.method.upper(), url)

    def _lookup(self, method: str, url: str, body: bytes | None) -> int | None:
        """The key id of an incoming request, None when nothing recorded has its key."""
        request = (method, url, body)
        key_id = self._exact.get(request)
        if key_id is None:
            key_id = self._seen.get(request)
        if key_id is None:
            key_id = self._key_ids.get(self._key(method, self._url(url), body))
            if key_id is not None:
                if len(self._seen) >= _SEEN_LIMIT:
                    self._seen.clear()
                self._seen[request] = key_id
        return key_id

    def match(self, method: str, url: str, body: bytes | None) -> int:
        """The index of the interaction that answers this request; marks it played.

        Raises `CassetteMatchError` naming the closest recorded interaction, with a diff.
        """
        key_id = self._exact.get((method, url, body))  # the usual case, inlined
        if key_id is None:
            key_id = self._lookup(method, url, body)
            if key_id is None:
                raise self._miss(method, url, body, ())
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
        raise self._miss(method, url, body, queue)

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

    def _miss(
        self, method: str, url: str, body: bytes | None, also: Sequence[int]
    ) -> CassetteMatchError:
        request_text = f"{method.upper()} {scrub_url(url)}"
        head = f"{self._path}: no recorded interaction matches {request_text}"
        if not self.cassette.interactions:
            return CassetteMatchError(f"{head}: the cassette is empty", self._path, request_text)
        wanted = (method.upper(), self._url(url), *comparable(body, self.ignore_paths))
        best, lines = explain_miss(self._candidates, wanted, self._played, self.match_on, also)
        return CassetteMatchError("\n".join([head, *lines]), self._path, request_text, best)
