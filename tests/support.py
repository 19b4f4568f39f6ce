"""Helpers shared by the test modules."""

from __future__ import annotations

import os
import random
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx

__all__ = ["CONFORMANCE", "PieceStream", "StaticTransport"]

#: The shared corpus of real recordings (`../shared/conformance` beside the checkout, as in
#: CI); tests that read it skip when it is absent.
CONFORMANCE = Path(
    os.environ.get(
        "LLMRING_CONFORMANCE_DIR",
        Path(__file__).resolve().parents[2] / "shared" / "conformance",
    )
)


class PieceStream(httpx.AsyncByteStream):
    """A body served in pieces of random size (1..`max_piece` bytes), as a network would."""

    def __init__(self, body: bytes, seed: int = 0, max_piece: int = 17) -> None:
        self.body = body
        self.seed = seed
        self.max_piece = max_piece

    async def __aiter__(self) -> AsyncIterator[bytes]:
        rng = random.Random(self.seed)
        position = 0
        while position < len(self.body):
            size = rng.randint(1, self.max_piece)
            yield self.body[position : position + size]
            position += size


class StaticTransport(httpx.AsyncBaseTransport):
    """Answers every request with one canned response, body split into random pieces."""

    def __init__(
        self,
        body: bytes,
        *,
        status: int = 200,
        headers: dict[str, str] | None = None,
        seed: int = 0,
        max_piece: int = 17,
        on_request: Callable[[httpx.Request], None] | None = None,
    ) -> None:
        self.body = body
        self.status = status
        self.headers = headers or {}
        self.seed = seed
        self.max_piece = max_piece
        self.on_request = on_request
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        self.requests.append(request)
        if self.on_request is not None:
            self.on_request(request)
        return httpx.Response(
            self.status,
            headers=self.headers,
            stream=PieceStream(self.body, self.seed, self.max_piece),
        )
