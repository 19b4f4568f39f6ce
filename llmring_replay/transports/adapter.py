"""The adapters: a client's request in, the core's decision out as the client's response.

`CoreTransport` is an `httpx.AsyncBaseTransport` and an `httpx.BaseTransport` at once (as
`httpx.MockTransport` is), and serves httpx2 requests as well, answering each client with
its own library's response (`libraries`). `respond_sync` and `respond_async` are the only
sync/async twins: they read the body, ask the core (`modes.Core.route`), then either pace
a replay plan (`pacing`) or send the request live and tee the answer (`recording`). The
automatic interception of the pytest plugin calls them too, with the client's own
transport method as `send`.
"""

from __future__ import annotations

import contextlib
import contextvars
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, Any

import anyio
import httpx

from llmring_replay.clock import refuse_live_request
from llmring_replay.loops import PerLoopTransport
from llmring_replay.transports.libraries import Library, library_of
from llmring_replay.transports.modes import Core
from llmring_replay.transports.pacing import (
    async_now,
    headers_wait,
    paced_async,
    paced_sync,
    schedule,
    sync_now,
)
from llmring_replay.transports.recording import Recording, Tee

if TYPE_CHECKING:
    from llmring_replay.transports.httpx2_view import Httpx2Transport

__all__ = [
    "AsyncSend",
    "CoreTransport",
    "Live",
    "SyncSend",
    "going_live",
    "respond_async",
    "respond_sync",
    "sending_live",
]

#: How a request reaches the network: a transport's `handle_request` / `handle_async_request`.
SyncSend = Callable[[Any], Any]
AsyncSend = Callable[[Any], Awaitable[Any]]


_GOING_LIVE = contextvars.ContextVar("llmring_replay_going_live", default=False)


def going_live() -> bool:
    """Whether the caller is one of our transports sending a request to the network (so an
    interception must let it through)."""
    return _GOING_LIVE.get()


@contextlib.contextmanager
def sending_live(transport: CoreTransport) -> Iterator[float]:
    """Around sending a request live for `transport`: counted, marked as ours (so no
    interception takes it); yields when it was sent."""
    transport.live.sent += 1
    token = _GOING_LIVE.set(True)
    try:
        yield time.perf_counter()
    finally:
        _GOING_LIVE.reset(token)


class Live:
    """The network, for recording: `inner` when given, else the client library's own transport.

    Those are built on first use, one per library and sync/async, because most cassettes only
    replay. `keepalive=False` closes each connection with its response, so no connection
    outlives the event loop it was opened on. `sent` counts the requests sent live.
    """

    def __init__(self, inner: Any = None, *, keepalive: bool = True) -> None:
        self.inner = inner
        self.keepalive = keepalive
        self.sent = 0
        self._built: dict[tuple[str, bool], Any] = {}

    def _transport(self, library: Library, asynchronous: bool) -> Any:
        if self.inner is not None:
            return self.inner
        key = (library.module.__name__, asynchronous)
        transport = self._built.get(key)
        if transport is None:
            module = library.module
            limits = (
                module.Limits() if self.keepalive else module.Limits(max_keepalive_connections=0)
            )
            if asynchronous:  # connections belong to an event loop: a pool per loop
                transport = PerLoopTransport(lambda: module.AsyncHTTPTransport(limits=limits))
            else:
                transport = module.HTTPTransport(limits=limits)
            self._built[key] = transport
        return transport

    def sync_sender(self, library: Library) -> SyncSend:
        """How a sync request of `library` goes live."""
        send: SyncSend = self._transport(library, False).handle_request
        return send

    def async_sender(self, library: Library) -> AsyncSend:
        """How an async request of `library` goes live."""
        send: AsyncSend = self._transport(library, True).handle_async_request
        return send

    def _opened(self, asynchronous: bool) -> list[Any]:
        built = [t for (_, is_async), t in self._built.items() if is_async is asynchronous]
        method = "aclose" if asynchronous else "close"
        return built + ([self.inner] if hasattr(self.inner, method) else [])

    def close(self) -> None:
        """Close the sync transports."""
        for transport in self._opened(False):
            transport.close()

    async def aclose(self) -> None:
        """Close the async transports."""
        for transport in self._opened(True):
            await transport.aclose()


class CoreTransport(httpx.AsyncBaseTransport, httpx.BaseTransport):
    """A transport over a `Core`, for httpx and httpx2 clients, sync and async."""

    def __init__(self, core: Core, live: Live) -> None:
        self.core = core
        self.live = live

    def route(self, request: Any, body: bytes) -> int | None:
        """The interaction to replay for `request`, or None to record it (see `Core.route`)."""
        return self.core.route(request.method, str(request.url), body)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response: httpx.Response = respond_sync(self, request)
        return response

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response: httpx.Response = await respond_async(self, request)
        return response

    def close(self) -> None:
        """Finish the recordings of sync responses nobody closed; close the sync network."""
        try:
            if self.core.recorder is not None:
                self.core.recorder.close()
        finally:
            self.live.close()

    async def aclose(self) -> None:
        """Finish the recordings of async responses nobody closed; close the async network."""
        try:
            if self.core.recorder is not None:
                await self.core.recorder.aclose()
        finally:
            await self.live.aclose()

    def for_httpx2(self) -> Httpx2Transport:
        """This transport (same cassette, same state) typed for httpx2 clients."""
        try:
            from llmring_replay.transports.httpx2_view import Httpx2Transport
        except ImportError as exc:
            raise ImportError(
                "for_httpx2() needs httpx2: pip install 'llmring-replay[httpx2]'"
            ) from exc
        return Httpx2Transport(self)


def _tee(transport: CoreTransport, request: Any, live: Any, started: float, is_async: bool) -> Tee:
    recorder = transport.core.recorder
    assert recorder is not None, "the core records whatever it does not replay"
    return recorder.tee(request, live, started, asynchronous=is_async)


def _recorded(library: Library, live: Any, body: Any, request: Any) -> Any:
    return library.response(
        live.status_code, live.headers, body, request, extensions=live.extensions
    )


def _replayed(
    transport: CoreTransport, index: int, request: Any
) -> tuple[Any, float | None, float, BaseException | None]:
    """The plan for `request`, its read timeout, and the wait (and error) before headers."""
    plan = transport.core.replayer.plan(index, request)  # type: ignore[union-attr]
    read_timeout = request.extensions.get("timeout", {}).get("read")
    return (plan, read_timeout, *headers_wait(plan, read_timeout))


def respond_sync(transport: CoreTransport, request: Any, send: SyncSend | None = None) -> Any:
    """Answer a sync client's `request` through `transport` (`send`: how to go live)."""
    library = library_of(request)
    start = sync_now()
    index = transport.route(request, request.read())
    if index is None:
        send = send or transport.live.sync_sender(library)
        with sending_live(transport) as started:
            live = send(request)
        tee = _tee(transport, request, live, started, False)
        response = _recorded(library, live, library.sync_body(tee, request), request)
        if not transport.core.faults_on_recording:
            return response
        index, start = _read_whole_sync(response, tee.recording), sync_now()
    plan, read_timeout, delay, stall = _replayed(transport, index, request)
    with library.errors(request):
        if delay > 0:
            time.sleep(delay)
        if stall is not None:
            raise stall
    body = paced_sync(schedule(plan, start, read_timeout, sync_now))
    return library.response(plan.status, plan.headers, library.sync_body(body, request), request)


async def respond_async(
    transport: CoreTransport, request: Any, send: AsyncSend | None = None
) -> Any:
    """Answer an async client's `request` through `transport` (`send`: how to go live)."""
    library = library_of(request)
    start = async_now()
    index = transport.route(request, await request.aread())
    if index is None:
        refuse_live_request(request.method, str(request.url))  # a virtual clock cannot wait
        send = send or transport.live.async_sender(library)
        with sending_live(transport) as started:
            live = await send(request)
        tee = _tee(transport, request, live, started, True)
        response = _recorded(library, live, library.async_body(tee, request), request)
        if not transport.core.faults_on_recording:
            return response
        index, start = await _read_whole_async(response, tee.recording), async_now()
    plan, read_timeout, delay, stall = _replayed(transport, index, request)
    with library.errors(request):
        if delay > 0:
            await anyio.sleep(delay)
        if stall is not None:
            raise stall
    body = paced_async(schedule(plan, start, read_timeout, async_now))
    return library.response(plan.status, plan.headers, library.async_body(body, request), request)


# Faults while recording: the live answer is recorded whole, then served from the
# recording with the faults, so a fault test behaves the same on its recording run as after.


def _read_whole_sync(response: Any, recording: Recording) -> int:
    response.read()
    response.close()
    assert recording.index is not None
    return recording.index


async def _read_whole_async(response: Any, recording: Recording) -> int:
    await response.aread()
    await response.aclose()
    assert recording.index is not None
    return recording.index
