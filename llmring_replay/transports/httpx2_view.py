"""`Httpx2Transport`: a transport of ours, typed for httpx2 clients (`for_httpx2()`).

Every transport already answers httpx2 requests with httpx2 responses; this view only
gives type checkers an `httpx2.AsyncBaseTransport` / `httpx2.BaseTransport`. It shares the
transport's cassette and state, and closing it closes the transport. Importing this module
needs httpx2 (`pip install 'llmring-replay[httpx2]'`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx2

from llmring_replay.transports.adapter import respond_async, respond_sync

if TYPE_CHECKING:
    from llmring_replay.transports.adapter import CoreTransport

__all__ = ["Httpx2Transport"]


class Httpx2Transport(httpx2.AsyncBaseTransport, httpx2.BaseTransport):
    """`transport`, for httpx2 clients, sync and async."""

    def __init__(self, transport: CoreTransport) -> None:
        self.transport = transport

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        response: httpx2.Response = respond_sync(self.transport, request)
        return response

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        response: httpx2.Response = await respond_async(self.transport, request)
        return response

    def close(self) -> None:
        self.transport.close()

    async def aclose(self) -> None:
        await self.transport.aclose()
