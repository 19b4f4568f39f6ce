"""Recording overhead: time to first chunk through `RecordingTransport` vs going direct.

The simulator (loopback, TTFT 0, an OpenAI stream of 50 chunks) is asked the same question
many times through `LLMRing.chat_stream`, alternating a plain `httpx.AsyncHTTPTransport` and
a `RecordingTransport` wrapping one (recording into an in-memory cassette, no file writes
during the stream). We time from the call to the first chunk with text and report medians
and the difference. Target: recording adds <= 1 ms to TTFT.

    .venv/bin/python benchmarks/recording_overhead.py [--runs 60]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

import httpx

from llmring_replay import LLMRequest, Message
from llmring_replay.cassette import Cassette
from llmring_replay.service import LLMRing
from llmring_replay.simulator import Script, SimulatorServer
from llmring_replay.transports import RecordingTransport

TARGET_MS = 1.0
REQUEST = LLMRequest(model="openai:gpt-4o-mini", messages=[Message(role="user", content="Hi")])


async def ttft(ring: LLMRing) -> float:
    """Seconds from the call to the first chunk carrying text; drains the stream."""
    started = time.perf_counter()
    first = None
    async for chunk in ring.chat_stream(REQUEST):
        if first is None and chunk.delta:
            first = time.perf_counter() - started
    assert first is not None
    return first


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=60)
    args = parser.parse_args()
    script = Script(chunks=[f"w{i} " for i in range(50)], ttft=0.0, interval=0.0)
    async with SimulatorServer(script) as sim:
        direct = LLMRing(transport=httpx.AsyncHTTPTransport())
        cassette = Cassette()  # no path: nothing is written while we time
        recording = LLMRing(transport=RecordingTransport(cassette, httpx.AsyncHTTPTransport()))
        for ring in (direct, recording):
            ring.register_provider(
                "openai", api_key="placeholder", base_url=sim.base_url_for("openai")
            )
            await ttft(ring)  # warm-up: connection pool, imports
        times: dict[str, list[float]] = {"direct": [], "recording": []}
        for _ in range(args.runs):
            times["direct"].append(await ttft(direct))
            times["recording"].append(await ttft(recording))
        await direct.aclose()
        await recording.aclose()
    medians = {name: statistics.median(values) * 1000 for name, values in times.items()}
    print(f"{args.runs} interleaved runs per transport, loopback simulator, TTFT 0\n")
    print(f"{'transport':<10} {'median TTFT':>12} {'p90':>9}")
    for name, values in times.items():
        p90 = sorted(values)[int(0.9 * (len(values) - 1))] * 1000
        print(f"{name:<10} {medians[name]:>9.3f} ms {p90:>6.3f} ms")
    added = medians["recording"] - medians["direct"]
    print(
        f"\nrecording adds {added:+.3f} ms to the median TTFT (target <= {TARGET_MS} ms); "
        f"{len(cassette.interactions)} interactions recorded"
    )
    return 0 if added <= TARGET_MS else 1


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
