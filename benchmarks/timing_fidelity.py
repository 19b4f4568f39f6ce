"""Timing fidelity: how close replay at `recorded` timing comes to the recorded offsets.

A 200-frame Ollama stream with known, varied gaps (0-25 ms, a few 60 ms stalls) is recorded
from the simulator over loopback with `RecordingTransport`, saved, loaded, and replayed
through `ReplayTransport(timing="recorded")` on the real clock. For every frame we compare
the offset at which the consumer received it (from the request) with the recorded offset,
and report p50 / p99 / max of the absolute error over several replays. Target: p99 <= 2 ms.

    .venv/bin/python benchmarks/timing_fidelity.py [--frames 200] [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
from pathlib import Path

import httpx

from llmring_replay.cassette import Cassette
from llmring_replay.simulator import Script, SimulatorServer
from llmring_replay.transports import RecordingTransport, ReplayTransport

TARGET_P99_MS = 2.0


def known_gaps(frames: int, seed: int = 7) -> list[float]:
    """Deterministic gaps: mostly 0-25 ms, one 60 ms stall in every 25 frames."""
    rng = random.Random(seed)
    return [0.06 if i % 25 == 24 else rng.uniform(0.0, 0.025) for i in range(frames)]


async def record(path: Path, frames: int) -> Cassette:
    # `frames - 1` text chunks + the final `done` line.
    script = Script(chunks=[f"w{i} " for i in range(frames - 1)], gaps=known_gaps(frames))
    async with SimulatorServer(script) as sim:
        cassette = Cassette(path=path)
        async with httpx.AsyncClient(transport=RecordingTransport(cassette)) as client:
            body = {"model": "llama3.2", "messages": [{"role": "user", "content": "Hi"}]}
            async with client.stream("POST", f"{sim.base_url}/api/chat", json=body) as response:
                async for _ in response.aiter_raw():
                    pass
    return Cassette.load(path)


async def replay_errors(cassette: Cassette) -> list[float]:
    """|received offset - recorded offset| in ms, per frame, for one replay."""
    interaction = cassette.interactions[0]
    recorded = [offset for offset, _ in interaction.response.frames()]
    loop = asyncio.get_running_loop()
    received: list[float] = []
    async with httpx.AsyncClient(transport=ReplayTransport(cassette, "recorded")) as client:
        start = loop.time()
        request = client.build_request(
            "POST", interaction.request.uri, content=interaction.request.body
        )
        response = await client.send(request, stream=True)
        async for _ in response.aiter_raw():
            received.append(loop.time() - start)
        await response.aclose()
    if len(received) != len(recorded):
        sys.exit(f"replayed {len(received)} frames, recorded {len(recorded)}")
    return [abs(got - want) * 1000 for got, want in zip(received, recorded, strict=True)]


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))
    return ordered[index]


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        cassette = await record(Path(folder) / "fidelity.yaml", args.frames)
    frames = cassette.interactions[0].response.frames()
    duration = frames[-1][0]
    print(f"{len(frames)} frames recorded over {duration:.2f} s; {args.runs} replays")
    rows = []
    for run in range(args.runs):
        errors = await replay_errors(cassette)
        rows.append((percentile(errors, 50), percentile(errors, 99), max(errors)))
        print(
            f"  run {run + 1}: p50 {rows[-1][0]:.3f} ms  p99 {rows[-1][1]:.3f} ms  "
            f"max {rows[-1][2]:.3f} ms"
        )
    p50, p99, worst = (statistics.median(column) for column in zip(*rows, strict=True))
    print(
        f"\nmedian over runs: p50 {p50:.3f} ms  p99 {p99:.3f} ms  max {worst:.3f} ms "
        f"(target p99 <= {TARGET_P99_MS} ms)"
    )
    return 0 if p99 <= TARGET_P99_MS else 1


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
