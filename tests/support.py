"""Helpers shared by the test modules."""

from __future__ import annotations

import os
import random
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx

__all__ = ["CANARY_KEYS", "CONFORMANCE", "PieceStream", "StaticTransport", "canary_fragments"]

#: Realistic keys (the real prefixes, mixed case, full length) that must never reach disk.
#: Made up, valid nowhere: the scrubbing tests put them in the environment and make a
#: simulator echo them.
CANARY_KEYS = {
    "OPENAI_API_KEY": "sk-proj-Qx7Lm2Vb9Rt4Kp1Zs8Hd3Wf6Jn0Yc5Ta" + "Eg2Ui9Ob4Nm7Xv1Lq3Rk8Sd6",
    "ANTHROPIC_API_KEY": "sk-ant-api03-Zp4Rt8Lm1Vq6Xs3Kb9Hn2Wd7Jf5Yc0Ta" + "Ge8Ui3Ob6Nm1Xv4Lq9Rk2S",
    "GEMINI_API_KEY": "AIzaSyD4qLm8Rt2Vb6Kp0Zs9Hd3Wf7Jn1Yc5TaE",
    "GOOGLE_API_KEY": "AIzaSyB7wNk3Pq9Xe5Rt1Lm6Vz2Hc8Jd4Yf0GsU",
    "OLLAMA_API_KEY": "olk_Qz3Lm7Rt1Vb5Kp9Zs2Hd6Wf0Jn4Yc8TaEg",
}


def canary_fragments(text: str, size: int = 8) -> int:
    """How many pieces of `size` characters of any canary key occur in `text`."""
    pieces = {key[i : i + size] for key in CANARY_KEYS.values() for i in range(len(key) - size + 1)}
    return sum(text.count(piece) for piece in pieces)


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
