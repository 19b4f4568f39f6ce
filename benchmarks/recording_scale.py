"""Recording at scale: time per interaction recorded into a cassette file, 10 -> 10,000.

The same traffic goes through `RecordingTransport` three ways, from an in-process fake
upstream (an `httpx.MockTransport` answering each request with an OpenAI-style SSE stream of
20 chunks, ~2.6 KB; no socket, so only the recording's own cost differs):

- `no-saves`: each finished interaction kept in memory only (`save=False`), the floor;
- `recording`: stored as recording does it (`Cassette.record`: a journal append, fsync'd,
  under the file lock), folded into the file when the transport closes (timed too);
- `save-each`: the whole cassette saved after each one, as recording did before
  (quadratic); only up to `--save-each-max` interactions, it gets slow.

Every recorded file is checked: loaded, and read alone as vcrpy would, it holds every
interaction. Wall time, median of `--runs` up to 1,000 interactions (one run above). The
`fsync` column is the part of `recording` spent in `os.fsync`, the price of surviving a kill
(or a power cut) after each interaction: on a busy disk it is most of the cost.

    .venv/bin/python benchmarks/recording_scale.py                          # ~1 min
    .venv/bin/python benchmarks/recording_scale.py --sizes 10 100 1000 10000   # ~3-6 min
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import httpx
import yaml

from llmring_replay.cassette import Cassette
from llmring_replay.transports import RecordingTransport

URL = "https://api.openai.com/v1/chat/completions"


def _answer(request: httpx.Request) -> httpx.Response:
    number = json.loads(request.content)["n"]
    chunks = [
        {
            "id": f"chatcmpl-{number}",
            "object": "chat.completion.chunk",
            "model": "gpt-4o-mini",
            "choices": [{"index": 0, "delta": {"content": f"word{i} "}, "finish_reason": None}],
        }
        for i in range(20)
    ]
    body = "".join(f"data: {json.dumps(chunk)}\n\n" for chunk in chunks) + "data: [DONE]\n\n"
    return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body)


class _FsyncClock:
    """Time spent in `os.fsync` while installed."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.real = os.fsync

    def __enter__(self) -> _FsyncClock:
        def timed(fd: int) -> None:
            started = time.perf_counter()
            try:
                self.real(fd)
            finally:
                self.seconds += time.perf_counter() - started

        os.fsync = timed
        return self

    def __exit__(self, *_: object) -> None:
        os.fsync = self.real


async def _record(count: int, contender: str, path: Path) -> float:
    """Seconds to record `count` interactions (closing the transport included)."""
    cassette = Cassette(path=path)
    save = contender != "no-saves"
    transport = RecordingTransport(cassette, httpx.MockTransport(_answer), save=save)
    started = time.perf_counter()
    async with httpx.AsyncClient(transport=transport) as client:
        for number in range(count):
            response = await client.post(URL, json={"n": number, "model": "gpt-4o-mini"})
            await response.aread()
            if contender == "save-each":
                cassette.save()
    elapsed = time.perf_counter() - started
    assert len(cassette.interactions) == count
    if save:
        _check(path, count)
    return elapsed


def _check(path: Path, count: int) -> None:
    assert len(Cassette.load(path).interactions) == count
    with open(path, encoding="utf-8") as handle:
        interactions = yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    assert len(interactions["interactions"]) == count, "the file alone must hold them all"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--runs", type=int, default=5, help="runs per size up to 1,000")
    parser.add_argument("--save-each-max", type=int, default=300)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="recording_scale-"))
    print("interactions recorded through RecordingTransport from an in-process fake upstream;")
    print("wall time per interaction, median of runs; ratio = contender / no-saves;")
    print(f"load average {os.getloadavg()[0]:.1f}\n")
    columns = ("no-saves", "recording", "ratio", "fsync", "save-each", "ratio")
    print(f"{'n':>7} " + " ".join(f"{name:>10}" for name in columns))
    try:
        for name in ("no-saves", "recording", "save-each"):  # warm-up: imports, first calls
            asyncio.run(_record(5, name, folder / f"warm-{name}.yaml"))
        for count in args.sizes:
            runs = args.runs if count <= 1000 else 1
            contenders = ["no-saves", "recording"]
            if count <= args.save_each_max:
                contenders.append("save-each")
            times: dict[str, list[float]] = {name: [] for name in contenders}
            synced: list[float] = []
            for run in range(runs):
                for name in contenders:  # interleaved, so machine load hits all alike
                    path = folder / f"{name}-{count}-{run}.yaml"
                    with _FsyncClock() as fsync:
                        times[name].append(asyncio.run(_record(count, name, path)) / count)
                    if name == "recording":
                        synced.append(fsync.seconds / count)
            per = {name: statistics.median(values) * 1000 for name, values in times.items()}
            line = f"{count:>7} {per['no-saves']:>8.3f}ms {per['recording']:>8.3f}ms"
            line += f" {per['recording'] / per['no-saves']:>9.2f}x"
            line += f" {statistics.median(synced) * 1000:>8.3f}ms"
            if "save-each" in per:
                line += f" {per['save-each']:>8.3f}ms {per['save-each'] / per['no-saves']:>9.1f}x"
            print(line, flush=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
