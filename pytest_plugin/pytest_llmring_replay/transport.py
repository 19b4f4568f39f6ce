"""`PluginTransport`: the cassette's transport as the fixtures hand it out.

It delegates to `CassetteTransport` and adds what only a test harness needs:

- **Host-agnostic replay.** While replaying, a request whose path and query were recorded at
  exactly one origin (scheme, host, port) is sent to that origin before matching. A cassette
  recorded from the simulator on a random port, through a proxy, or from the real API
  therefore replays whatever base URL the test's providers are configured with: nothing is
  contacted in replay, so the host carries no meaning. When the same path was recorded at
  several origins, the request must match one of them exactly.
- **A missing cassette** (record mode `none`) raises `CassetteNotFoundError` with the command
  that records it, on the first request (the plugin normally fails the test before that).
- **The event loop** of the last request is kept, so the plugin can close clients on it.

Recording reaches the network through `live`, which counts the requests it sends, so the
plugin can tell a test whose requests went out but were not all recorded.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

from llmring_replay.cassette import Cassette, canonical_url
from llmring_replay.exceptions import CassetteNotFoundError
from llmring_replay.loops import current_loop
from llmring_replay.transports import CassetteTransport
from llmring_replay.transports.adapter import CoreTransport, Live
from llmring_replay.transports.modes import Core

__all__ = ["PluginTransport"]

_Origins = dict[tuple[str, tuple[tuple[str, str], ...]], set[tuple[str, str]]]


def _origins(cassette: Cassette) -> _Origins:
    """(path, sorted query) -> the (scheme, host:port) pairs it was recorded at."""
    index: _Origins = {}
    for interaction in cassette.interactions:
        scheme, netloc, path, query = canonical_url(interaction.request.uri)
        index.setdefault((path, query), set()).add((scheme, netloc))
    return index


class PluginTransport(CoreTransport):
    """`inner`'s core (None when the cassette is missing in record mode `none`) plus harness duties.

    Recording goes through the network with no keep-alive, so no connection outlives the
    event loop of the request that opened it; `live.sent` counts what was sent.
    """

    def __init__(self, inner: CassetteTransport | None, path: Path, missing_message: str) -> None:
        core = inner.core if inner is not None else Core(None, None, replaying=False)
        super().__init__(core, Live(keepalive=False))
        self.inner = inner
        self.path = path
        self.missing_message = missing_message
        #: The asyncio loops of the async requests, in order (the last is `loop`), and whether
        #: a request was made since the last close.
        self.loops: list[asyncio.AbstractEventLoop] = []
        self.open = False
        replaying = inner is not None and not inner.recording
        self._origins = _origins(inner.cassette) if inner is not None and replaying else {}

    def _rebase(self, request: Any) -> None:
        scheme, netloc, path, query = canonical_url(str(request.url))
        origins = self._origins.get((path, query))
        if origins is None or len(origins) != 1 or (scheme, netloc) in origins:
            return
        ((recorded_scheme, recorded_netloc),) = origins
        raw_path = request.url.raw_path.decode("ascii")
        request.url = type(request.url)(f"{recorded_scheme}://{recorded_netloc}{raw_path}")

    @property
    def loop(self) -> asyncio.AbstractEventLoop | None:
        """The asyncio loop of the last async request, if any."""
        return self.loops[-1] if self.loops else None

    def route(self, request: Any, body: bytes) -> int | None:
        loop = current_loop()
        if isinstance(loop, asyncio.AbstractEventLoop) and loop is not self.loop:
            with contextlib.suppress(ValueError):
                self.loops.remove(loop)
            self.loops.append(loop)
        self.open = True
        if self.inner is None:
            raise CassetteNotFoundError(self.missing_message, str(self.path))
        if self._origins:
            self._rebase(request)
        return super().route(request, body)

    # Every client on it closes it, and so does the plugin: only a close after use counts
    # (the plugin resets `open` once it closed both the sync and the async side).

    def close(self) -> None:
        if self.open:
            super().close()

    async def aclose(self) -> None:
        if self.open:
            await super().aclose()
