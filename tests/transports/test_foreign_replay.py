"""Cassettes from other recorders (vcrpy, pytest-recording, pydantic-ai, go-vcr, Ruby VCR,
httprr) replay through `ReplayTransport`: the recorded request matches, the body comes back
byte for byte, frame by frame, at synthesized timing (TTFT 0.25 s, then 0.02 s a frame)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from llmring_replay.cassette import SYNTHESIZED_INTERVAL, SYNTHESIZED_TTFT, Cassette
from llmring_replay.clock import virtual_clock
from llmring_replay.transports import ReplayTransport
from tests.support import CONFORMANCE

CORPUS = CONFORMANCE
ORIGINALS = sorted((CORPUS / "originals").glob("*/*")) if CORPUS.is_dir() else []

pytestmark = pytest.mark.skipif(not ORIGINALS, reason=f"no conformance corpus at {CORPUS}")


@pytest.mark.parametrize("path", ORIGINALS, ids=[f"{p.parent.name}/{p.name}" for p in ORIGINALS])
async def test_foreign_cassette_replays_with_synthesized_timing(path: Path) -> None:
    cassette = Cassette.load(path)
    if any("://" not in interaction.request.uri for interaction in cassette.interactions):
        pytest.skip("the recorder stored a placeholder, not a URL, so no client can send it")
    transport = ReplayTransport(cassette, "recorded", allow_repeats=True)
    async with httpx.AsyncClient(transport=transport) as client:
        for interaction in cassette.interactions:
            assert interaction.timing_synthesized
            recorded = interaction.request
            with virtual_clock() as loop:
                start = loop.time()
                arrivals: list[float] = []
                received = b""
                request = client.build_request(
                    recorded.method, recorded.uri, content=recorded.body or b""
                )
                response = await client.send(request, stream=True)
                async for data in response.aiter_raw():
                    arrivals.append(loop.time() - start)
                    received += data
                await response.aclose()
            assert response.status_code == interaction.response.status
            assert received == interaction.response.body
            expected = [
                SYNTHESIZED_TTFT + index * SYNTHESIZED_INTERVAL for index in range(len(arrivals))
            ]
            assert arrivals == pytest.approx(expected, abs=1e-3)
