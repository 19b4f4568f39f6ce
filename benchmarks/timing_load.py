"""Benchmark: recorded timing at load, 1,000 frames/s on each of 20 concurrent streams.

A cassette holds one Ollama stream of `--frames` NDJSON lines recorded 1 ms apart (1,000
frames/s). `--streams` clients replay it at once through `ReplayTransport(timing="recorded")`
on one event loop, each reading `aiter_raw()`; per frame we take the lateness of its arrival
against its target (request start + recorded offset) and, over the run, the CPU the process
used per second of wall time (100 % = one core busy).

Three pacers take turns run by run on the same streams (the clients are built before the
streams start, as an app holds one):

- `replay`: the library's (`pacing._until`: the loop's shared ticker);
- `plain-sleep`: the peer, one `asyncio.sleep` to each absolute target (no precise wait),
  with the selector's millisecond rounding left in;
- `spin (before)`: what replay did before issue 15 (sleep to 1.5 ms short, then spin on
  `sleep(0)`), for the before/after table: as precise as a pacer gets, at a core's CPU.

Beside them, `machine floor`: one thread sleeping with `time.sleep` (no event loop, no
selector rounding) to targets 1 ms apart during the run: how late the operating system
wakes a sleeper on this machine, which no pacer that sleeps can beat.

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
import math
import multiprocessing
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from multiprocessing.connection import Connection

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


def plain_sleep(loop: asyncio.AbstractEventLoop, due: float) -> Awaitable[None] | None:
    """The peer: a loop sleep to the target, nothing more."""
    wait = due - loop.time()
    return asyncio.sleep(wait) if wait > 0 else None


async def spin(loop: asyncio.AbstractEventLoop, due: float) -> None:
    """What replay did before (for the before/after table): a loop sleep to 1.5 ms short of
    the target, then `sleep(0)` turns of the loop until it is reached."""
    wait = due - loop.time()
    if wait > 0.0015:
        await asyncio.sleep(wait - 0.0015)
    real_deadline = time.perf_counter() + 0.0015
    while loop.time() < due and time.perf_counter() < real_deadline:
        await asyncio.sleep(0)


async def one_stream(client: httpx.AsyncClient, offsets: list[float]) -> list[float]:
    """|arrival - target| in ms for each frame of one replay."""
    loop = asyncio.get_running_loop()
    lateness = []
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


Pacer = Callable[[asyncio.AbstractEventLoop, float], Awaitable[None] | None]


def run(source: Cassette, streams: int, pacer: Pacer) -> tuple[list[float], float]:
    """All frames' lateness (ms) and the CPU % over one run of `streams` replays."""
    offsets = [offset for offset, _ in source.interactions[0].response.frames()]
    original = pacing._until
    pacing._until = pacer  # type: ignore[assignment]
    try:

        async def main() -> tuple[list[list[float]], float, float]:
            clients = [
                httpx.AsyncClient(transport=ReplayTransport(source, "recorded", allow_repeats=True))
                for _ in range(streams)
            ]
            cpu, wall = time.process_time(), time.perf_counter()
            results = await asyncio.gather(*(one_stream(client, offsets) for client in clients))
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            for client in clients:
                await client.aclose()
            return results, cpu, wall

        results, cpu, wall = asyncio.run(main())
    finally:
        pacing._until = original
    return [value for result in results for value in result], cpu / wall * 100


def machine_floor(seconds: float, results: Connection) -> None:
    """How late `time.sleep` wakes to targets 1 ms apart (ms), for `seconds` (in a process of
    its own: its CPU and its GIL stay out of the run measured)."""
    lateness, start = [], time.perf_counter() + 0.005
    for index in range(int(seconds * 1000)):
        due = start + index * 0.001
        wait = due - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
        lateness.append((time.perf_counter() - due) * 1000)
    results.send(lateness)


def _spin(seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def percentile(values: list[float], pct: float) -> float:
    """The `pct` percentile of `values` (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def main() -> int:
    """Run the pacers, print the table; 1 when a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, default=20)
    parser.add_argument("--frames", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--busy", type=int, default=0, help="CPU-spinning processes")
    args = parser.parse_args()
    source = cassette(args.frames)
    run(cassette(50), 1, pacing._until)  # warm-up: the first replay imports what it needs
    pacers: dict[str, Pacer] = {
        "replay": pacing._until,
        "plain-sleep": plain_sleep,
        "spin (before)": spin,
    }
    rows: dict[str, list[tuple[float, float, float, float]]] = {
        name: [] for name in [*pacers, "machine floor"]
    }
    loads = []
    for _ in range(args.runs):
        for name, pacer in pacers.items():
            seconds = args.frames / 1000
            busy = [
                multiprocessing.Process(target=_spin, args=(seconds + 2,)) for _ in range(args.busy)
            ]
            receive, send = multiprocessing.Pipe(duplex=False)
            floor = multiprocessing.Process(target=machine_floor, args=(seconds, send))
            for process in [*busy, floor]:
                process.start()
            lateness, cpu = run(source, args.streams, pacer)
            slept = receive.recv()
            for process in [*busy, floor]:
                process.join()
            rows[name].append(
                (percentile(lateness, 50), percentile(lateness, 99), max(lateness), cpu)
            )
            rows["machine floor"].append(
                (percentile(slept, 50), percentile(slept, 99), max(slept), float("nan"))
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
        shown = "-" if math.isnan(cpu) else f"{cpu:.1f}"  # the floor's process is not measured
        print(f"{name:<15}{p50:>9.3f}{p99:>9.3f}{worst:>9.2f}{shown:>8}")
    p99, cpu = median["replay"][1], median["replay"][3]
    ratio = cpu / median["plain-sleep"][3]
    met = p99 <= TARGET_P99_MS and cpu <= TARGET_CPU
    print(
        f"\nreplay: p99 {p99:.3f} ms (target <= {TARGET_P99_MS}), CPU {cpu:.1f} % of a core "
        f"(target <= {TARGET_CPU:g}), {ratio:.2f}x the plain sleep's CPU: "
        f"{'ok' if met else 'MISSED'}"
    )
    print(
        f"machine floor: a thread sleeping to 1 ms targets woke with p99 "
        f"{median['machine floor'][1]:.3f} ms late during the same runs"
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
