"""Benchmark: `llmring-replay serve` against a raw asyncio server writing the same frames.

A cassette of one streamed OpenAI answer (`--frames` SSE events, 200 by default) is served at
instant timing by two servers, each in its own process:

- `serve`: the CLI, `llmring-replay serve DIR --timing instant` (httptools, routing,
  matching);
- `raw`: the floor, a bare `asyncio.start_server` that reads a request (head + content-length
  body), then writes the recorded frames as HTTP/1.1 chunks on keep-alive connections the
  way `serve` does (the frames already due joined into writes of up to 64 KiB, drained
  between): no HTTP library, no routing, no matching;
- `raw-frames` (with `--per-frame-peer`): the same floor writing and draining each frame on
  its own, the peer before `serve` coalesced its writes (its ratio then mostly counts the
  socket sends saved).

The load comes from this process: C clients (`--clients`, e.g. 10,50,100), each on its own
keep-alive connection, sending the recorded request and reading the whole chunked answer,
for `--seconds` per run; the servers take turns run by run (`--runs`), so machine noise
hits them alike. Per contender: medians of requests/s, p50 and p99 latency (request written
to last byte read) and the server's CPU time per response (from /proc). Ratios: `serve`
throughput / `raw` (target >= 0.8x at the largest C) and p99 `serve` / `raw` (<= 2x).

`--soak N` then sends N requests to one `serve` process (100 clients) and prints its RSS after
the first 2 % and at the end: constant memory means the two are about equal (target: growth
<= 10 MB whatever N). Exits 1 when a target is missed.

Run: `.venv/bin/python benchmarks/serve.py [--clients 10,50,100] [--seconds 3] [--runs 3]
[--soak 100000]`
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from llmring_replay.cassette import Cassette, Interaction, RecordedRequest, RecordedResponse

THROUGHPUT_TARGET = 0.8
P99_TARGET = 2.0
SOAK_GROWTH_MB = 10.0
PATH = "/v1/chat/completions"
REQUEST = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}], "stream": True}
END = b"\r\n0\r\n\r\n"


def _frames(count: int) -> list[bytes]:
    frames = []
    for index in range(count - 1):
        chunk = {
            "id": "chatcmpl-bench",
            "object": "chat.completion.chunk",
            "created": 1735689600,
            "model": "gpt-4o-mini-2024-07-18",
            "choices": [{"index": 0, "delta": {"content": f"word{index} "}, "finish_reason": None}],
        }
        frames.append(b"data: " + json.dumps(chunk, separators=(",", ":")).encode() + b"\n\n")
    return [*frames, b"data: [DONE]\n\n"]


def write_cassette(directory: Path, frames: int) -> Path:
    """One interaction: the request above, answered by `frames` SSE events."""
    body = b"".join(_frames(frames))
    cassette = Cassette(directory / "bench.yaml")
    cassette.interactions.append(
        Interaction(
            RecordedRequest(
                "POST",
                "https://api.openai.com" + PATH,
                {"content-type": ["application/json"]},
                json.dumps(REQUEST).encode(),
            ),
            RecordedResponse(
                200,
                "OK",
                {"content-type": ["text/event-stream; charset=utf-8"]},
                body,
                [0.001 * i for i in range(frames)],
            ),
        )
    )
    return cassette.save()


# -- the raw floor (run as `serve.py --raw-server CASSETTE PORT`) ----------------------------


BATCH = 65536  # as `serve` (simulator/connection.py): bytes of due frames written at once


async def _raw_connection(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    frames: Sequence[bytes],
    per_frame: bool,
) -> None:
    head = (
        b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
    )
    try:
        while True:
            request_head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in request_head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
            writer.write(head)
            due, size = [], 0
            for frame in frames:
                due.append(b"%x\r\n%s\r\n" % (len(frame), frame))
                size += len(due[-1])
                if per_frame or size >= BATCH:
                    writer.write(b"".join(due))
                    await writer.drain()
                    due, size = [], 0
            writer.write(b"".join([*due, b"0\r\n\r\n"]))
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def _raw_server(cassette: Path, port: int, per_frame: bool) -> None:
    frames = Cassette.load(cassette).interactions[0].response.pieces()
    server = await asyncio.start_server(
        lambda r, w: _raw_connection(r, w, frames, per_frame), "127.0.0.1", port
    )
    async with server:
        await server.serve_forever()


# -- the load --------------------------------------------------------------------------------


def _request_bytes(port: int) -> bytes:
    body = json.dumps(REQUEST).encode()
    head = (
        f"POST {PATH} HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _client(port: int, until: float, latencies: list[float], limit: int | None) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    request = _request_bytes(port)
    try:
        while time.perf_counter() < until and (limit is None or len(latencies) < limit):
            started = time.perf_counter()
            writer.write(request)
            tail = b""
            while not tail.endswith(END):
                data = await reader.read(262144)
                if not data:
                    raise ConnectionError("the server closed the connection")
                tail = (tail + data)[-16:]
            latencies.append(time.perf_counter() - started)
    finally:
        writer.close()


async def load(port: int, clients: int, seconds: float, limit: int | None = None) -> list[float]:
    """Latencies of every request answered by `clients` connections within `seconds`."""
    latencies: list[float] = []
    until = time.perf_counter() + seconds
    await asyncio.gather(*(_client(port, until, latencies, limit) for _ in range(clients)))
    return latencies


# -- server processes ------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start(kind: str, cassette: Path) -> tuple[subprocess.Popen[bytes], int]:
    """Start the `serve` CLI or the raw server on a free port; returns once it accepts."""
    port = _free_port()
    if kind == "serve":
        script = "from llmring_replay.cli import main; main()"
        command = [sys.executable, "-c", script, "serve", str(cassette.parent)]
        command += ["--timing", "instant", "--port", str(port)]
    else:
        command = [sys.executable, __file__, "--raw-server", str(cassette), str(port), kind]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process, port
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"{kind} did not start")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    """Resident set size of a process in MB (Linux /proc; 0 elsewhere)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def one_run(kind: str, cassette: Path, clients: int, seconds: float) -> dict[str, float]:
    """Requests/s, p50/p99 latency (ms) and server CPU ms per response for one fresh server."""
    process, port = start(kind, cassette)
    try:
        asyncio.run(load(port, clients, 0.3))  # warm-up: imports, first connections
        cpu_before = cpu_seconds(process.pid)
        started = time.perf_counter()
        latencies = asyncio.run(load(port, clients, seconds))
        elapsed = time.perf_counter() - started
        cpu = cpu_seconds(process.pid) - cpu_before
    finally:
        process.terminate()
        process.wait()
    latencies.sort()
    return {
        "rps": len(latencies) / elapsed,
        "p50": latencies[len(latencies) // 2] * 1e3,
        "p99": latencies[int(len(latencies) * 0.99)] * 1e3,
        "cpu": cpu / len(latencies) * 1e3,
    }


def soak(cassette: Path, requests: int) -> tuple[float, float]:
    """RSS (MB) of one `serve` process after the first 2 % of `requests`, and at the end."""
    process, port = start("serve", cassette)
    try:
        first = max(1000, requests // 50)
        asyncio.run(load(port, 100, 3600, first))
        early = rss_mb(process.pid)
        asyncio.run(load(port, 100, 3600, requests - first))
        late = rss_mb(process.pid)
    finally:
        process.terminate()
        process.wait()
    return early, late


def main() -> int:
    """Run the comparison (and the soak), print the table; 1 when a target is missed."""
    if len(sys.argv) == 5 and sys.argv[1] == "--raw-server":
        per_frame = sys.argv[4] == "raw-frames"
        asyncio.run(_raw_server(Path(sys.argv[2]), int(sys.argv[3]), per_frame))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", default="10,50,100")
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--frames", type=int, default=200)
    parser.add_argument("--soak", type=int, default=10_000, help="requests; 0: no soak")
    parser.add_argument(
        "--per-frame-peer", action="store_true", help="also the raw server writing per frame"
    )
    args = parser.parse_args()
    kinds = ("raw", "serve", "raw-frames") if args.per_frame_peer else ("raw", "serve")
    levels = [int(level) for level in args.clients.split(",")]
    with tempfile.TemporaryDirectory() as directory:
        cassette = write_cassette(Path(directory), args.frames)
        results: dict[tuple[str, int], list[dict[str, float]]] = {}
        loads = []
        for clients in levels:
            for _ in range(args.runs):
                for kind in kinds:
                    run = one_run(kind, cassette, clients, args.seconds)
                    results.setdefault((kind, clients), []).append(run)
                loads.append(os.getloadavg()[0])
        soaked = soak(cassette, args.soak) if args.soak else None
    print(
        f"{args.frames}-frame SSE answers at instant timing, {args.seconds:g} s per run, "
        f"median of {args.runs} (load average {min(loads):.2f}-{max(loads):.2f})\n"
    )
    print(f"{'clients':>7}  {'server':<7}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'CPU ms/resp':>13}")
    median: dict[tuple[str, int], dict[str, float]] = {}
    for (kind, clients), runs in sorted(results.items(), key=lambda item: item[0][1]):
        median[kind, clients] = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        m = median[kind, clients]
        print(
            f"{clients:>7}  {kind:<7}{m['rps']:>9,.0f}{m['p50']:>9.1f}{m['p99']:>9.1f}"
            f"{m['cpu']:>13.3f}"
        )
    print("\nserve vs raw (target: throughput >= 0.8x and p99 <= 2x at the most clients)")
    met = True
    for clients in levels:
        throughput = median["serve", clients]["rps"] / median["raw", clients]["rps"]
        p99 = median["serve", clients]["p99"] / median["raw", clients]["p99"]
        verdict = ""
        if clients == max(levels):
            ok = throughput >= THROUGHPUT_TARGET and p99 <= P99_TARGET
            met = met and ok
            verdict = "ok" if ok else "MISSED"
        print(f"  {clients:>4} clients: throughput {throughput:5.2f}x, p99 {p99:5.2f}x {verdict}")
        if ("raw-frames", clients) in median:
            frames = median["serve", clients]["rps"] / median["raw-frames", clients]["rps"]
            print(f"{'':>18}(vs the per-frame raw server: throughput {frames:5.2f}x)")
    if soaked is not None:
        early, late = soaked
        ok = late - early <= SOAK_GROWTH_MB
        met = met and ok
        print(
            f"\nsoak: {args.soak:,} requests, serve RSS {early:.1f} MB after the first "
            f"{max(1000, args.soak // 50):,}, {late:.1f} MB at the end "
            f"({late - early:+.1f} MB; target <= +{SOAK_GROWTH_MB:g}) {'ok' if ok else 'MISSED'}"
        )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
