"""Benchmark: loading a 1,000-interaction cassette, ours against vcrpy's own loader.

Builds cassettes of 1,000 streamed chat completions (20-50 SSE frames each, with recorded
frame offsets) in a temp dir with `Cassette.save`, in two shapes:

- `typical`: the headers a recording of the OpenAI Python SDK holds after scrubbing (16 on the
  request, 20 on the response), as real cassettes do;
- `bodies`: only `content-type` and one more header each way, so the SSE bodies dominate.

On each file it times:

- `Cassette.load`, cold: the parse cache cleared first, so the file is read and parsed into
  the full model (offsets parsed, request bodies restored);
- `Cassette.load`, warm: the file unchanged since it was parsed twice before, so a copy
  comes from the in-process cache (see `llmring_replay.cassette.cache`);
- vcrpy 9's `FilesystemPersister.load_cassette(path, yamlserializer)`, what vcrpy does when a
  test opens a cassette;
- plain `yaml.load(text, CSafeLoader)`, for reference.

The cold contenders take turns run by run, so machine noise hits them alike. Prints the
medians and the ratios to vcrpy; exits 1 when a cold load is slower than half of vcrpy's.

Run: `.venv/bin/python benchmarks/cassette_load.py [--runs 9]`
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml
from vcr.persisters.filesystem import FilesystemPersister
from vcr.serializers import yamlserializer

from llmring_replay.cassette import (
    Cassette,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    cache,
)

TARGET_RATIO = 0.5
INTERACTIONS = 1000
URL = "https://api.openai.com/v1/chat/completions"

TYPICAL_REQUEST_HEADERS = {
    "accept": ["application/json"],
    "accept-encoding": ["gzip, deflate"],
    "connection": ["keep-alive"],
    "content-length": ["170"],
    "content-type": ["application/json"],
    "host": ["api.openai.com"],
    "user-agent": ["OpenAI/Python 1.99.0"],
    "x-stainless-arch": ["x64"],
    "x-stainless-async": ["async:asyncio"],
    "x-stainless-lang": ["python"],
    "x-stainless-os": ["Linux"],
    "x-stainless-package-version": ["1.99.0"],
    "x-stainless-read-timeout": ["600"],
    "x-stainless-retry-count": ["0"],
    "x-stainless-runtime": ["CPython"],
    "x-stainless-runtime-version": ["3.11.7"],
}
TYPICAL_RESPONSE_HEADERS = {
    "date": ["Tue, 24 Nov 2026 10:00:00 GMT"],
    "content-type": ["text/event-stream; charset=utf-8"],
    "transfer-encoding": ["chunked"],
    "connection": ["keep-alive"],
    "access-control-expose-headers": ["X-Request-ID"],
    "openai-processing-ms": ["187"],
    "openai-version": ["2020-10-01"],
    "x-envoy-upstream-service-time": ["191"],
    "x-ratelimit-limit-requests": ["10000"],
    "x-ratelimit-limit-tokens": ["10000000"],
    "x-ratelimit-remaining-requests": ["9999"],
    "x-ratelimit-remaining-tokens": ["9999982"],
    "x-ratelimit-reset-requests": ["6ms"],
    "x-ratelimit-reset-tokens": ["0s"],
    "cf-cache-status": ["DYNAMIC"],
    "strict-transport-security": ["max-age=31536000; includeSubDomains; preload"],
    "x-content-type-options": ["nosniff"],
    "server": ["cloudflare"],
    "cf-ray": ["9a58bfc40d5799cc-CDG"],
    "alt-svc": ['h3=":443"; ma=86400'],
}


def _sse_body(rng: random.Random, index: int) -> bytes:
    events = []
    for n in range(rng.randint(20, 50)):
        chunk = {
            "id": f"chatcmpl-{index:08d}",
            "object": "chat.completion.chunk",
            "created": 1_790_000_000 + index,
            "model": "gpt-4o-mini-2024-07-18",
            "choices": [{"index": 0, "delta": {"content": f" word{n}"}, "finish_reason": None}],
        }
        events.append(b"data: " + json.dumps(chunk, separators=(",", ":")).encode() + b"\n\n")
    return b"".join(events) + b"data: [DONE]\n\n"


def _interaction(rng: random.Random, index: int, typical: bool) -> Interaction:
    request = {
        "model": "gpt-4o-mini",
        "messages": [{"role": "user", "content": f"Question number {index}?"}],
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    if typical:
        request_headers, response_headers = TYPICAL_REQUEST_HEADERS, TYPICAL_RESPONSE_HEADERS
    else:
        request_headers = {"content-type": ["application/json"], "accept": ["text/event-stream"]}
        response_headers = {
            "content-type": ["text/event-stream; charset=utf-8"],
            "x-request-id": [f"req_{index}"],
        }
    body = _sse_body(rng, index)
    frames = body.count(b"\n\n")
    return Interaction(
        request=RecordedRequest(
            "POST", URL, dict(request_headers), json.dumps(request, separators=(",", ":")).encode()
        ),
        response=RecordedResponse(
            200,
            "OK",
            dict(response_headers),
            body,
            [0.2 + 0.015 * n + rng.random() / 1000 for n in range(frames)],
        ),
        provider="openai",
        model="gpt-4o-mini",
        recorded_at="2026-11-24T10:00:00Z",
    )


def build(path: Path, *, typical: bool = True) -> None:
    """Write a benchmark cassette to `path`."""
    rng = random.Random(7)
    Cassette(path, [_interaction(rng, i, typical) for i in range(INTERACTIONS)]).save()


def medians(actions: dict[str, Callable[[], object]], runs: int) -> dict[str, float]:
    """Median wall time of each action; the actions take turns, so noise hits all alike."""
    times: dict[str, list[float]] = {name: [] for name in actions}
    for _ in range(runs):
        for name, action in actions.items():
            start = time.perf_counter()
            action()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def _cold(path: Path) -> Cassette:
    cache.clear()
    return Cassette.load(path)


def measure(path: Path, runs: int) -> dict[str, float]:
    """Medians for one cassette file (cold contenders interleaved, then the warm loads)."""
    text = path.read_text(encoding="utf-8")
    results = medians(
        {
            "llmring_replay Cassette.load, cold": lambda: _cold(path),
            "vcrpy FilesystemPersister.load_cassette": lambda: FilesystemPersister.load_cassette(
                path, yamlserializer
            ),
            "yaml.load(CSafeLoader), reference": lambda: yaml.load(text, Loader=yaml.CSafeLoader),
        },
        runs,
    )
    cache.clear()
    Cassette.load(path)
    Cassette.load(path)  # the second load puts it in the cache
    warm = medians({"warm": lambda: Cassette.load(path)}, runs)["warm"]
    results["llmring_replay Cassette.load, warm (cached)"] = warm
    return results


def main() -> int:
    """Build, time, print the tables; 1 when the target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    runs = parser.parse_args().runs
    missed = False
    with tempfile.TemporaryDirectory() as directory:
        for shape in ("typical", "bodies"):
            path = Path(directory) / f"{shape}.yaml"
            build(path, typical=shape == "typical")
            results = measure(path, runs)
            vcrpy = results["vcrpy FilesystemPersister.load_cassette"]
            ratio = results["llmring_replay Cassette.load, cold"] / vcrpy
            size = path.stat().st_size / 1e6
            print(f"\n{shape}: {INTERACTIONS} interactions, {size:.1f} MB, median of {runs} runs")
            print(f"{'loader':<46}{'median':>12}{'vs vcrpy':>10}")
            for name, seconds in results.items():
                print(f"{name:<46}{seconds * 1000:>9.1f} ms{seconds / vcrpy:>9.2f}x")
            met = ratio <= TARGET_RATIO
            missed = missed or not met
            print(
                f"target cold <= {TARGET_RATIO}x vcrpy: {'met' if met else 'MISSED'} ({ratio:.2f}x)"
            )
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
