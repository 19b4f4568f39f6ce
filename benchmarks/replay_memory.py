"""Benchmark: peak memory replaying an N-chunk Ollama stream through `LLMRing.chat_stream`.

Each contender runs in a fresh process that builds the same `/api/chat` NDJSON body of N
text lines (and the `done` line) and prints its peak RSS from then on (`VmHWM` after a reset
through `/proc/self/clear_refs`; elsewhere `ru_maxrss`):

- `floor`: holds the body and walks it a line at a time, `json.loads` on each (the library
  imported, as replay has it): the least memory any replay of that body can take;
- `replay`: the body in a cassette, replayed by `ReplayTransport` at instant timing into
  `LLMRing.chat_stream` (deltas counted, not kept): frames are cut from the body as they
  are served (`RecordedResponse.frame_view`);
- `materialized`: the same replay with every frame built up front (`frames()`), as replay
  did before issue 15, for the before/after table.

Prints peak RSS per size and the ratio of each contender to the floor at that size; a
replay O(largest frame) keeps that ratio flat (and near 1) as N grows. Exits 1 when
`replay` is above `TARGET` times the floor at the largest size.

Run: `.venv/bin/python benchmarks/replay_memory.py [--sizes 1000,10000,100000]
[--large: adds 1,000,000]`
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys

TARGET = 1.25
URL = "http://127.0.0.1:11434/api/chat"


def ollama_body(chunks: int) -> bytes:
    """`/api/chat` NDJSON: one line per text chunk, then the `done` line."""
    head = '{"model":"llama3.2","created_at":"2025-01-01T00:00:00.123456Z","message":'
    lines = [
        f'{head}{{"role":"assistant","content":"w{i} "}},"done":false}}\n' for i in range(chunks)
    ]
    lines.append(f'{head}{{"role":"assistant","content":""}},"done_reason":"stop","done":true}}\n')
    return "".join(lines).encode()


def reset_peak() -> None:
    """Start the peak RSS over from now (Linux: `/proc/self/clear_refs`), so building the
    body (a list of lines, joined, encoded: 3x its size for a moment) is not counted."""
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
    except OSError:
        pass  # elsewhere the peak includes building the body, for every contender alike


def peak_mb() -> float:
    """This process's peak RSS in MB since `reset_peak` (Linux), else since it started."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def floor(chunks: int) -> None:
    """Hold the body, walk its lines one at a time (with the library imported, as replay
    has it: the floor of the stream's memory, not of the imports)."""
    import llmring_replay.service
    import llmring_replay.transports  # noqa: F401

    body = ollama_body(chunks)
    reset_peak()
    start, count = 0, 0
    while (end := body.find(b"\n", start)) != -1:
        json.loads(body[start:end])
        start, count = end + 1, count + 1
    assert count == chunks + 1


def replay(chunks: int, materialized: bool) -> None:
    """The body in a cassette, replayed into `chat_stream`."""
    from llmring_replay.cassette import Cassette, Interaction, RecordedRequest, RecordedResponse
    from llmring_replay.schemas import LLMRequest, Message
    from llmring_replay.service import LLMRing
    from llmring_replay.transports import ReplayTransport
    from llmring_replay.transports.replay import Replayer, ReplayPlan

    if materialized:  # what replay did before: every frame built up front, beside the body

        def plan_for(self: Replayer, interaction: Interaction) -> ReplayPlan:
            frames = interaction.response.frames()
            served = self.timing.schedule([at for at, _ in frames])
            pairs = [(at, data) for at, (_, data) in zip(served, frames, strict=True)]
            return ReplayPlan(200, [("content-type", "application/x-ndjson")], pairs)

        Replayer.plan_for = plan_for  # type: ignore[method-assign]

    cassette = Cassette()
    cassette.interactions.append(
        Interaction(
            RecordedRequest("POST", URL, {}, b"{}"),
            RecordedResponse(
                200, "OK", {"content-type": ["application/x-ndjson"]}, ollama_body(chunks), None
            ),
        )
    )
    reset_peak()
    transport = ReplayTransport(cassette, "instant", match_on=("method",))
    ring = LLMRing(transport=transport)
    ring.register_provider("ollama", base_url="http://127.0.0.1:11434")

    async def consume() -> int:
        request = LLMRequest(model="ollama:llama3.2", messages=[Message(role="user", content="Hi")])
        count = 0
        async for chunk in ring.chat_stream(request):
            count += bool(chunk.delta)
        return count

    count = asyncio.run(consume())
    assert count == chunks, count


def child(kind: str, chunks: int) -> None:
    """Run one contender and print its peak RSS."""
    if kind == "floor":
        floor(chunks)
    else:
        replay(chunks, kind == "materialized")
    print(f"{peak_mb():.1f}")


def measure(kind: str, chunks: int) -> float:
    """Peak RSS in MB of a fresh process running `kind` on `chunks` chunks."""
    output = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(chunks)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return float(output.split()[-1])


def main() -> int:
    """Measure each size, print the table; 1 when the target is missed."""
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child(sys.argv[2], int(sys.argv[3]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--large", action="store_true", help="add 1,000,000 chunks")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")] + ([1_000_000] if args.large else [])
    kinds = ("floor", "replay", "materialized")
    table = {(kind, size): measure(kind, size) for size in sizes for kind in kinds}
    print(f"peak RSS in MB (load average {os.getloadavg()[0]:.2f})\n")
    print(f"{'chunks':>10}" + "".join(f"{kind:>14}" for kind in kinds) + f"{'replay/floor':>14}")
    for size in sizes:
        ratio = table["replay", size] / table["floor", size]
        cells = "".join(f"{table[kind, size]:>14.1f}" for kind in kinds)
        print(f"{size:>10,}{cells}{ratio:>13.2f}x")
    largest = sizes[-1]
    ratio = table["replay", largest] / table["floor", largest]
    before = table["materialized", largest] / table["floor", largest]
    met = ratio <= TARGET
    print(
        f"\nat {largest:,} chunks: replay {ratio:.2f}x the floor (target <= {TARGET}x), "
        f"materialized frames {before:.2f}x: {'ok' if met else 'MISSED'}"
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
