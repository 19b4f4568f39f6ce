"""Answering HTTP requests from cassettes: the responder behind `llmring-replay serve`.

A request matches a recorded interaction on method, path, query (credentials dropped, order
ignored) and canonical body (JSON parsed, keys sorted), never on the host: the client talks
to us, not to the host it was recorded from. Identical requests get the recorded answers in
order, then the last one again (a server keeps answering; a test's strict replay is what
`ReplayTransport` is for). Each answer is written frame by frame at the timing policy.

A request that matches nothing gets an error in the shape of the provider whose endpoint it
called (so the client raises its usual exception), naming the closest recorded interaction
and what differs: 404 when no cassette has that method and path, 400 when only the query or
the body differ.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from llmring_replay.cassette import Cassette, Interaction, canonical_body
from llmring_replay.cassette.normalize import guess_model
from llmring_replay.cassette.scrub import SECRET_QUERY_PARAMS
from llmring_replay.cli.files import display
from llmring_replay.cli.jsondiff import describe_paths, differing_paths
from llmring_replay.providers.registry import FORMATS, recognize
from llmring_replay.simulator import Script, wire_for
from llmring_replay.simulator.routes import ReceivedRequest, Reply
from llmring_replay.timing import Timing, parse_timing

__all__ = ["CassetteResponder", "RequestKey", "error_reply", "request_key"]

#: (method, path, sorted query without credentials, canonical body)
RequestKey = tuple[str, str, tuple[tuple[str, str], ...], tuple[str, Any]]

# Headers about the recorded connection, not the answer; the server frames the body itself.
_PACED_LIMIT = 256
_KEYS_LIMIT = 64  # each holds a request body alive
_DROPPED_HEADERS = frozenset(
    {"content-encoding", "content-length", "transfer-encoding", "connection", "server", "date"}
)


def request_key(
    method: str, path: str, query: Iterable[tuple[str, str]], body: bytes | None
) -> RequestKey:
    """What a request is matched on (see the module docstring)."""
    kept = sorted((k, v) for k, v in query if k.strip().lower() not in SECRET_QUERY_PARAMS)
    return method.upper(), unquote(path), tuple(kept), canonical_body(body)


@dataclass(frozen=True)
class _Entry:
    where: str
    index: int
    interaction: Interaction
    key: RequestKey


def _entry(cassette: Cassette, index: int, interaction: Interaction) -> _Entry:
    request = interaction.request
    url = urlsplit(request.uri)
    query = parse_qsl(url.query, keep_blank_values=True)
    where = display(cassette.path) if cassette.path is not None else "(cassette)"
    key = request_key(request.method, url.path, query, request.body)
    return _Entry(where, index, interaction, key)


def _key_of(request: ReceivedRequest) -> RequestKey:
    return request_key(request.method, request.path, request.query.items(), request.content)


def _delays(served_at: Sequence[float]) -> list[float]:
    previous = [0.0, *served_at[:-1]]
    return [max(0.0, at - before) for before, at in zip(previous, served_at, strict=True)]


class CassetteResponder:
    """Answers `SimulatorServer` requests from `cassettes` at `timing` (default: recorded)."""

    def __init__(self, cassettes: Iterable[Cassette], timing: Timing | str = "recorded") -> None:
        self.timing = parse_timing(timing)
        self.entries = [
            _entry(cassette, index, interaction)
            for cassette in cassettes
            for index, interaction in enumerate(cassette.interactions)
        ]
        self._by_key: dict[RequestKey, list[_Entry]] = {}
        for entry in self.entries:
            self._by_key.setdefault(entry.key, []).append(entry)
        # Only the server's event loop calls us: no lock needed for these counters.
        self._served: dict[RequestKey, int] = {}
        # The frames and delays of recently served interactions (by id: `entries` keeps them
        # alive), so a request served again costs no splitting or scheduling; bounded.
        self._paced: dict[int, tuple[list[bytes], list[float]]] = {}
        # Canonical keys of recently seen request bytes: canonicalizing is most of a lookup.
        self._keys: dict[tuple[str, str, tuple[tuple[str, str], ...], bytes], RequestKey] = {}

    def __call__(self, request: ReceivedRequest) -> Reply:
        found = self.lookup(request)
        return self.reply_for(found) if found is not None else self.miss(request)

    def lookup(self, request: ReceivedRequest) -> Interaction | None:
        """The recorded interaction that answers `request` (counted as served), if any."""
        seen = (request.method, request.path, tuple(request.query.items()), request.content)
        key = self._keys.get(seen)
        if key is None:
            key = _key_of(request)
            if len(self._keys) >= _KEYS_LIMIT:
                self._keys.clear()
            self._keys[seen] = key
        candidates = self._by_key.get(key)
        if not candidates:
            return None
        key = candidates[0].key
        count = self._served.get(key, 0)
        self._served[key] = count + 1
        return candidates[min(count, len(candidates) - 1)].interaction

    def add(self, cassette: Cassette, index: int) -> None:
        """Answer from `cassette.interactions[index]` too (recorded while serving)."""
        entry = _entry(cassette, index, cassette.interactions[index])
        self.entries.append(entry)
        self._by_key.setdefault(entry.key, []).append(entry)

    def reply_for(self, interaction: Interaction) -> Reply:
        """The recorded response as a `Reply`, its frames delayed by the timing policy."""
        response = interaction.response
        paced = self._paced.get(id(interaction))
        if paced is None:
            frames = response.frames()
            served_at = self.timing.schedule([offset for offset, _ in frames])
            paced = [data for _, data in frames], _delays(served_at)
            if len(self._paced) >= _PACED_LIMIT:
                self._paced.clear()
            self._paced[id(interaction)] = paced
        pieces, delays = paced
        headers = {
            name: values[0]
            for name, values in response.headers.items()
            if values and name.lower() not in _DROPPED_HEADERS
        }
        if len(pieces) > 1 or response.framing is not None:
            return Reply(response.status, headers, pieces, delays, streamed=True, reused=True)
        # One piece (a JSON answer, an error): sent whole, with a length, when it is due.
        return Reply(response.status, headers, [response.body], [sum(delays)])

    # -- misses -------------------------------------------------------------------------------

    def _difference(self, entry: _Entry, key: RequestKey) -> tuple[tuple[int, ...], str]:
        """How close `entry` is to `key` (higher is closer) and what differs, in words."""
        method, path, query, (kind, body) = entry.key
        same = (method == key[0], path == key[1], query == key[2])
        reasons = [] if same[0] else [f"method {method}"]
        reasons += [] if same[1] else [f"path {path}"]
        reasons += [] if same[2] else ["query"]
        if kind == key[3][0] == "json":
            paths = differing_paths(json.loads(body), json.loads(key[3][1]))
        else:
            paths = [] if (kind, body) == key[3] else ["(raw bytes)"]
        if paths:
            reasons.append(f"body at {describe_paths(paths)}")
        return (*(int(flag) for flag in same), -len(paths)), ", ".join(reasons) or "nothing"

    def miss(self, request: ReceivedRequest, note: str | None = None) -> Reply:
        """The provider-shaped error for a request nothing answers, naming the closest
        recording and what differs; `note` says why nothing else was done about it."""
        key = _key_of(request)
        text = f"llmring-replay serve: no recorded interaction matches {key[0]} {key[1]}"
        status = 404
        if self.entries:
            scored = [(self._difference(entry, key), entry) for entry in self.entries]
            ((score, differs), best) = max(scored, key=lambda item: item[0][0])
            text += f"; closest: {best.where} interaction {best.index}, which differs in {differs}"
            status = 400 if score[0] and score[1] else 404
            if status == 404:
                routes = dict.fromkeys(f"{entry.key[0]} {entry.key[1]}" for entry in self.entries)
                text += f"; recorded routes: {', '.join(routes)}"
        else:
            text += " (no cassettes loaded)"
        return error_reply(request, status, f"{text} ({note})" if note else text)


def error_reply(request: ReceivedRequest, status: int, text: str) -> Reply:
    """An error in the shape of the wire format whose endpoint `request` called, so its
    client raises its usual exception with `text` as the message."""
    # A path no format knows gets the first format's shape (the most common one).
    fmt = recognize(request.path) or FORMATS[0]
    body = request.body if isinstance(request.body, dict) else {}
    model = str(body.get("model") or guess_model(request.path, None) or "unknown")
    stream = bool(fmt.request_streams(request.path, body))
    # No error code of the provider's (`""`): a miss is neither a missing model nor a bad key.
    script = Script(status=status, error_message=text, error_code="")
    error = wire_for(fmt.name).render_error(script, model, body, stream=stream)
    return Reply(error.status, error.headers, [error.body], [0.0])
