"""Benchmark: recorded timing at load, 1,000 frames/s on each of 20 concurrent streams.

A cassette holds one Ollama stream of `--frames` NDJSON lines recorded 1 ms apart (1,000
frames/s). `--streams` clients replay it at once through `ReplayTransport(timing="recorded")`
on one event loop, each reading `aiter_raw()`; per frame we take the lateness of its arrival
against its target (request start + recorded offset) and, over the run, the CPU the process
used per second of wall time (100 % = one core busy).

Two pacers take turns run by run on the same streams:

- `replay`: the library's `pacing.sleep_until`;
- `plain-sleep`: the peer, one `anyio.sleep` to each absolute target (no precise wait): the
  least CPU a pacer can use, with the selector's millisecond rounding left in;
- `spin (before)`: what replay did before issue 15 (sleep to 1.5 ms short, then spin on
  `sleep(0)`), for the before/after table.

`--busy N` adds N processes spinning on the CPU during every run (the machine under load).
Prints medians over `--runs` of p50 / p99 / max |lateness| and CPU %, and the ratio of
CPU to the peer's. Target: p99 <= 1 ms and CPU <= 25 % of a core.

Run: `.venv/bin/python benchmarks/timing_load.py [--streams 20] [--frames 1000] [--runs 3]
[--busy 1]`
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable

import anyio
import httpx

from llmring_replay.cassette import Cassette, Interaction, RecordedRequest, RecordedResponse
from llmring_replay.transports import ReplayTransport, pacing

TARGET_P99_MS = 1.0
TARGET_CPU = 25.0
URL = "http://127.0.0.1:11434/api/chat"
BODY = json.dumps({"model": "llama3.2", "messages": [{"role": "user", "content": "Hi"}]}).encode()


def cassette(frames: int) -> Cassette:
    """One NDJSON stream, a frame every millisecond."""
    lines = [
        json.dumps({"model": "llama3.2", "message": {"content": f"w{i} "}, "done": False})
        for i in range(frames)
    ]
    body = "".join(line + "\n" for line in lines).encode()
    result = Cassette()
    result.interactions.append(
        Interaction(
            RecordedRequest("POST", URL, {"content-type": ["application/json"]}, BODY),
            RecordedResponse(
                200,
                "OK",
                {"content-type": ["application/x-ndjson"]},
                body,
                [0.001 * (i + 1) for i in range(frames)],
            ),
        )
    )
    return result


async def plain_sleep_until(due: float) -> None:
    """The peer: a loop sleep to the target, nothing more."""
    wait = due - anyio.current_time()
    if wait > 0:
        await anyio.sleep(wait)


async def spin_sleep_until(due: float) -> None:
    """What replay did before (for the before/after table): a loop sleep to 1.5 ms short of
    the target, then `sleep(0)` turns of the loop until it is reached."""
    wait = due - anyio.current_time()
    if wait > 0.0015:
        await anyio.sleep(wait - 0.0015)
    real_deadline = time.perf_counter() + 0.0015
    while anyio.current_time() < due and time.perf_counter() < real_deadline:
        await anyio.sleep(0)


async def one_stream(source: Cassette, offsets: list[float]) -> list[float]:
    """|arrival - target| in ms for each frame of one replay."""
    loop = asyncio.get_running_loop()
    transport = ReplayTransport(source, "recorded", allow_repeats=True)
    lateness = []
    async with httpx.AsyncClient(transport=transport) as client:
        start = loop.time()
        request = client.build_request("POST", URL, content=BODY)
        response = await client.send(request, stream=True)
        index = 0
        async for data in response.aiter_raw():
            now = loop.time() - start
            for _ in range(data.count(b"\n")):  # a late read may carry several frames
                lateness.append(abs(now - offsets[index]) * 1000)
                index += 1
        await response.aclose()
    return lateness


def run(
    source: Cassette, streams: int, pacer: Callable[[float], Awaitable[None]]
) -> tuple[list[float], float]:
    """All frames' lateness (ms) and the CPU % over one run of `streams` replays."""
    offsets = [offset for offset, _ in source.interactions[0].response.frames()]
    original = pacing.sleep_until
    pacing.sleep_until = pacer  # type: ignore[assignment]
    try:
        cpu, wall = time.process_time(), time.perf_counter()

        async def main() -> list[list[float]]:
            return await asyncio.gather(*(one_stream(source, offsets) for _ in range(streams)))

        results = asyncio.run(main())
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    finally:
        pacing.sleep_until = original
    return [value for result in results for value in result], cpu / wall * 100


def _spin(seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def percentile(values: list[float], pct: float) -> float:
    """The `pct` percentile of `values` (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def main() -> int:
    """Run both pacers, print the table; 1 when a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, default=20)
    parser.add_argument("--frames", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--busy", type=int, default=0, help="CPU-spinning processes")
    args = parser.parse_args()
    source = cassette(args.frames)
    run(cassette(50), 1, pacing.sleep_until)  # warm-up: the first replay imports anyio's backend
    pacers = {
        "replay": pacing.sleep_until,
        "plain-sleep": plain_sleep_until,
        "spin (before)": spin_sleep_until,
    }
    rows: dict[str, list[tuple[float, float, float, float]]] = {name: [] for name in pacers}
    loads = []
    for _ in range(args.runs):
        for name, pacer in pacers.items():
            busy = [
                multiprocessing.Process(target=_spin, args=(args.frames / 1000 + 2,))
                for _ in range(args.busy)
            ]
            for process in busy:
                process.start()
            lateness, cpu = run(source, args.streams, pacer)
            for process in busy:
                process.join()
            rows[name].append(
                (percentile(lateness, 50), percentile(lateness, 99), max(lateness), cpu)
            )
            loads.append(os.getloadavg()[0])
    print(
        f"{args.streams} streams x {args.frames} frames at 1,000 frames/s, {args.busy} busy "
        f"process(es), median of {args.runs} (load average {min(loads):.2f}-{max(loads):.2f})\n"
    )
    print(f"{'pacer':<15}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'CPU %':>8}")
    median = {}
    for name, values in rows.items():
        median[name] = [statistics.median(column) for column in zip(*values, strict=True)]
        p50, p99, worst, cpu = median[name]
        print(f"{name:<15}{p50:>9.3f}{p99:>9.3f}{worst:>9.2f}{cpu:>8.1f}")
    p99, cpu = median["replay"][1], median["replay"][3]
    ratio = cpu / median["plain-sleep"][3]
    met = p99 <= TARGET_P99_MS and cpu <= TARGET_CPU
    print(
        f"\nreplay: p99 {p99:.3f} ms (target <= {TARGET_P99_MS}), CPU {cpu:.1f} % of a core "
        f"(target <= {TARGET_CPU:g}), {ratio:.2f}x the plain sleep's CPU: "
        f"{'ok' if met else 'MISSED'}"
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
