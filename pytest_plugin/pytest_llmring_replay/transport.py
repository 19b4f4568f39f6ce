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

`LiveTransport` is what recording reaches the network through; it counts the requests it
sends, so the plugin can tell a test whose requests went out but were not all recorded.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from llmring_replay.cassette import Cassette, canonical_url
from llmring_replay.exceptions import CassetteNotFoundError
from llmring_replay.transports import CassetteTransport

__all__ = ["LiveTransport", "PluginTransport"]

_Origins = dict[tuple[str, tuple[tuple[str, str], ...]], set[tuple[str, str]]]


def _origins(cassette: Cassette) -> _Origins:
    """(path, sorted query) -> the (scheme, host:port) pairs it was recorded at."""
    index: _Origins = {}
    for interaction in cassette.interactions:
        scheme, netloc, path, query = canonical_url(interaction.request.uri)
        index.setdefault((path, query), set()).add((scheme, netloc))
    return index


class LiveTransport(httpx.AsyncBaseTransport):
    """The network, for recording: counts what it sends; built on first use.

    Built lazily because most cassettes only replay, and an `httpx.AsyncHTTPTransport` costs
    a TLS context when built.
    """

    def __init__(self) -> None:
        #: Requests handed to the network (whether or not an answer came back).
        self.sent = 0
        self._network: httpx.AsyncHTTPTransport | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._network is None:
            self._network = httpx.AsyncHTTPTransport()
        self.sent += 1
        return await self._network.handle_async_request(request)

    async def aclose(self) -> None:
        if self._network is not None:
            await self._network.aclose()


class PluginTransport(httpx.AsyncBaseTransport):
    """`inner` (None when the cassette is missing in record mode `none`) plus harness duties."""

    def __init__(self, inner: CassetteTransport | None, path: Path, missing_message: str) -> None:
        self.inner = inner
        self.path = path
        self.missing_message = missing_message
        #: The loop of the last request, and whether a request was made since the last close.
        self.loop: asyncio.AbstractEventLoop | None = None
        self.open = False
        replaying = inner is not None and not inner.recording
        self._origins = _origins(inner.cassette) if inner is not None and replaying else {}

    def _rebase(self, request: httpx.Request) -> None:
        scheme, netloc, path, query = canonical_url(str(request.url))
        origins = self._origins.get((path, query))
        if origins is None or len(origins) != 1 or (scheme, netloc) in origins:
            return
        ((recorded_scheme, recorded_netloc),) = origins
        raw_path = request.url.raw_path.decode("ascii")
        request.url = httpx.URL(f"{recorded_scheme}://{recorded_netloc}{raw_path}")

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.loop = asyncio.get_running_loop()
        self.open = True
        if self.inner is None:
            raise CassetteNotFoundError(self.missing_message, str(self.path))
        if self._origins:
            self._rebase(request)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        # Every client on it closes it, and so does the plugin: only a close after use counts.
        if not self.open:
            return
        self.open = False
        if self.inner is not None:
            await self.inner.aclose()
