"""Benchmark: `Matcher.match` on a 1,000-interaction cassette.

Each round builds a fresh `Matcher` and replays all 1,000 requests in a shuffled order, each
body a *new* bytes object (so no hash is cached, as with real requests). Rows:

- exact bytes: the client sends the bytes it recorded (the usual case: the fast path);
- re-serialized: same JSON, other key order and spacing (cache miss: full canonicalization);
- construction: building the index, per interaction.

Prints the median time per call; exits 1 when the exact-bytes median is above 5 us.

Run: `.venv/bin/python benchmarks/match.py [--rounds 15]`
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time

from llmring_replay.cassette import (
    Cassette,
    Interaction,
    Matcher,
    RecordedRequest,
    RecordedResponse,
)

TARGET_US = 5.0
INTERACTIONS = 1000
URL = "https://api.openai.com/v1/chat/completions"


def _request(index: int) -> dict[str, object]:
    history = [
        {"role": "user" if n % 2 == 0 else "assistant", "content": f"turn {n} of chat {index}"}
        for n in range(6)
    ]
    return {
        "model": "gpt-4o-mini",
        "messages": [{"role": "system", "content": "You are terse."}, *history],
        "stream": True,
        "stream_options": {"include_usage": True},
        "temperature": 0.2,
    }


def build() -> tuple[Cassette, list[bytes], list[bytes]]:
    """The cassette, the exact request bodies, and the same bodies re-serialized."""
    cassette = Cassette()
    exact, reserialized = [], []
    for index in range(INTERACTIONS):
        request = _request(index)
        body = json.dumps(request, separators=(",", ":")).encode()
        cassette.interactions.append(
            Interaction(
                RecordedRequest("POST", URL, {"content-type": ["application/json"]}, body),
                RecordedResponse(200, "OK", {"content-type": ["text/event-stream"]}, b"", []),
            )
        )
        exact.append(body)
        reserialized.append(json.dumps(dict(reversed(request.items())), indent=1).encode())
    return cassette, exact, reserialized


def per_call_us(cassette: Cassette, bodies: list[bytes], rounds: int) -> float:
    """Median over rounds of the mean time per `match` call, in microseconds."""
    rng = random.Random(3)
    results = []
    for _ in range(rounds):
        matcher = Matcher(cassette)
        order = list(range(INTERACTIONS))
        rng.shuffle(order)
        fresh = [bytes(bytearray(bodies[i])) for i in order]  # new objects: hash not cached
        start = time.perf_counter()
        for body in fresh:
            matcher.match("POST", URL, body)
        results.append((time.perf_counter() - start) / INTERACTIONS * 1e6)
        assert not matcher.unplayed()
    return statistics.median(results)


def construction_us(cassette: Cassette, rounds: int) -> float:
    """Median time to build a `Matcher`, per interaction, in microseconds."""
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        Matcher(cassette)
        times.append((time.perf_counter() - start) / INTERACTIONS * 1e6)
    return statistics.median(times)


def main() -> int:
    """Time, print the table; 1 when the target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    rounds = parser.parse_args().rounds
    cassette, exact, reserialized = build()
    exact_us = per_call_us(cassette, exact, rounds)
    rows = [
        ("match(), exact recorded bytes", exact_us),
        (
            "match(), re-serialized JSON (canonicalized)",
            per_call_us(cassette, reserialized, rounds),
        ),
        ("Matcher(cassette), per interaction", construction_us(cassette, rounds)),
    ]
    print(f"{INTERACTIONS} interactions, ~{len(exact[0])} byte JSON bodies, median of {rounds}")
    print(f"{'operation':<48}{'median':>12}")
    for name, micros in rows:
        print(f"{name:<48}{micros:>9.2f} us")
    met = exact_us <= TARGET_US
    print(f"target <= {TARGET_US} us per match: {'met' if met else 'MISSED'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
