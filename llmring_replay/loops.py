"""Event loops, for what outlives one: a client used from several `asyncio.run` calls or trio.

A connection belongs to the event loop that opened it: reused from another loop it fails,
and closed from a loop that is gone it cannot be. `current_loop` names the running loop
(asyncio's loop, trio's token) so that state can be kept per loop, and `PerLoopTransport`
keeps one httpx connection pool per loop.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

import anyio.lowlevel
import httpx

__all__ = ["PerLoopTransport", "current_loop"]


def current_loop() -> object | None:
    """The event loop running in this thread (an asyncio loop, a trio token), else None."""
    try:
        return anyio.lowlevel.current_token().native_token
    except Exception:  # no event loop: sniffio's or anyio's own "not in async context" error
        return None


class PerLoopTransport(httpx.AsyncBaseTransport):
    """A network transport (`make()`: httpx's by default) per event loop it is used from.

    Closing closes the transport of the loop it is closed from, and schedules the close of
    those whose asyncio loop still runs in another thread; one whose loop has ended cannot
    be closed any more (its idle connections are dropped with it). Requests of httpx2 work
    as well, with an httpx2 transport from `make`.
    """

    def __init__(self, make: Callable[[], Any] = httpx.AsyncHTTPTransport) -> None:
        self.make = make
        self._pools: dict[int, tuple[object, Any]] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        loop = current_loop()
        entry = self._pools.get(id(loop))
        if entry is None or entry[0] is not loop:
            entry = self._pools[id(loop)] = (loop, self.make())
        response: httpx.Response = await entry[1].handle_async_request(request)
        return response

    async def aclose(self) -> None:
        here = current_loop()
        pools, self._pools = self._pools, {}
        for loop, pool in pools.values():
            if loop is here:
                await pool.aclose()
            elif isinstance(loop, asyncio.AbstractEventLoop) and loop.is_running():
                with contextlib.suppress(RuntimeError):  # it stopped meanwhile
                    asyncio.run_coroutine_threadsafe(pool.aclose(), loop)
