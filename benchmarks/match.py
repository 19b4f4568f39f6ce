"""Benchmark: `Matcher.match` from 10 to 10,000 interactions, beside its floors.

Per cassette size, each round builds a fresh `Matcher` and replays every request in a shuffled
order, each body a *new* bytes object (so no hash is cached, as with real requests). Rows:

- `exact`: the client sends the bytes it recorded (the usual case);
- `reserialized`: the same JSON with other key order and spacing, as an SDK other than the
  recording one sends it (the body must be canonicalized);
- `miss`: a request that matches nothing (one message changed), timed until the
  `CassetteMatchError` naming the closest interaction is built;
- `construct`: building the index, per interaction.

Peers, measured in the same run on the same bodies: `dict-floor`, a dict lookup of
`(method, url, body)` (what an exact match cannot beat), and `canon-floor`, `json.loads` +
`json.dumps(sort_keys=True)` of the body (what canonicalizing cannot beat). Prints medians
(µs per call), the ratio of each row to its floor, and the ratio of the largest size to the
smallest, each in units of its floor at that size (so a change of machine load between
sizes cancels out): a flat curve is O(1) per request. Exits 1 when a row grows more than
`FLAT_RATIO` times from the smallest size to the largest (miss: from 1,000 to the largest).

Run: `.venv/bin/python benchmarks/match.py [--sizes 10,100,1000,10000] [--rounds 5]`
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Callable

from llmring_replay.cassette import (
    Cassette,
    Interaction,
    Matcher,
    RecordedRequest,
    RecordedResponse,
)
from llmring_replay.exceptions import CassetteMatchError

FLAT_RATIO = 3.0
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


def build(size: int) -> tuple[Cassette, list[bytes], list[bytes]]:
    """The cassette, the exact request bodies, and the same bodies re-serialized."""
    cassette = Cassette()
    exact, reserialized = [], []
    for index in range(size):
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


def _fresh(bodies: list[bytes], rng: random.Random) -> list[bytes]:
    order = list(range(len(bodies)))
    rng.shuffle(order)
    return [bytes(bytearray(bodies[i])) for i in order]  # new objects: hash not cached


def match_us(cassette: Cassette, bodies: list[bytes], rng: random.Random) -> float:
    """Mean time per `match` call over a full shuffled replay, in microseconds."""
    matcher = Matcher(cassette)
    fresh = _fresh(bodies, rng)
    start = time.perf_counter()
    for body in fresh:
        matcher.match("POST", URL, body)
    elapsed = time.perf_counter() - start
    assert not matcher.unplayed()
    return elapsed / len(bodies) * 1e6


def miss_us(cassette: Cassette, size: int) -> float:
    """Time for one unmatched request, error message included, in microseconds."""
    matcher = Matcher(cassette)
    request = _request(size // 2)
    request["messages"][3]["content"] = "a turn nobody recorded"  # type: ignore[index]
    body = json.dumps(request).encode()
    start = time.perf_counter()
    try:
        matcher.match("POST", URL, body)
    except CassetteMatchError as error:
        assert error.closest is not None
    else:
        raise AssertionError("the request should not match")
    return (time.perf_counter() - start) * 1e6


def construct_us(cassette: Cassette, size: int) -> float:
    """Time to build a `Matcher`, per interaction, in microseconds."""
    start = time.perf_counter()
    Matcher(cassette)
    return (time.perf_counter() - start) / size * 1e6


def dict_floor_us(bodies: list[bytes], rng: random.Random) -> float:
    """A dict lookup of `(method, url, body)` per request: the floor of an exact match."""
    table = {("POST", URL, body): index for index, body in enumerate(bodies)}
    fresh = _fresh(bodies, rng)
    start = time.perf_counter()
    for body in fresh:
        table[("POST", URL, body)]
    return (time.perf_counter() - start) / len(bodies) * 1e6


def canon_floor_us(bodies: list[bytes], rng: random.Random) -> float:
    """`json.loads` + sorted compact `json.dumps` per body: the floor of canonicalizing."""
    fresh = _fresh(bodies, rng)
    dumps, loads = json.dumps, json.loads
    start = time.perf_counter()
    for body in fresh:
        dumps(loads(body), sort_keys=True, separators=(",", ":"))
    return (time.perf_counter() - start) / len(bodies) * 1e6


def main() -> int:
    """Time every size, print the table; 1 when a curve is not flat."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,100,1000,10000")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    rng = random.Random(3)
    table: dict[tuple[str, int], float] = {}
    for size in sizes:
        cassette, exact, reserialized = build(size)
        # Fewer calls per round at small sizes would be all noise: repeat to ~10,000 calls.
        repeat = max(1, 10_000 // size)
        contenders: dict[str, Callable[[], float]] = {
            "exact": lambda: match_us(cassette, exact, rng),  # noqa: B023
            "dict-floor": lambda: dict_floor_us(exact, rng),  # noqa: B023
            "reserialized": lambda: match_us(cassette, reserialized, rng),  # noqa: B023
            "canon-floor": lambda: canon_floor_us(reserialized, rng),  # noqa: B023
            "miss": lambda: miss_us(cassette, size),  # noqa: B023
            "construct": lambda: construct_us(cassette, size),  # noqa: B023
        }
        samples: dict[str, list[float]] = {name: [] for name in contenders}
        for _ in range(args.rounds):
            for name, run in contenders.items():  # interleaved: noise hits all alike
                samples[name].append(statistics.median(run() for _ in range(repeat)))
        for name, values in samples.items():
            table[name, size] = statistics.median(values)
    load = os.getloadavg()[0]
    print(f"Matcher.match, ~{len(exact[0])}-byte JSON bodies, median of {args.rounds} rounds,")
    print(f"µs per call (load average {load:.2f})\n")
    print(f"{'size':>7}" + "".join(f"{name:>14}" for name in contenders))
    for size in sizes:
        print(f"{size:>7,}" + "".join(f"{table[name, size]:>14.2f}" for name in contenders))
    print("\nratios at each size (to the floor measured in the same run)")
    print(f"{'size':>7}{'exact/dict':>14}{'reser/canon':>14}{'miss/canon':>14}")
    for size in sizes:
        exact_ratio = table["exact", size] / table["dict-floor", size]
        reser_ratio = table["reserialized", size] / table["canon-floor", size]
        miss_ratio = table["miss", size] / table["canon-floor", size]
        print(f"{size:>7,}{exact_ratio:>13.1f}x{reser_ratio:>13.2f}x{miss_ratio:>13.0f}x")
    small, large = sizes[0], sizes[-1]
    miss_base = 1000 if 1000 in sizes and large > 1000 else small
    rows = {"exact": "dict-floor", "reserialized": "canon-floor", "miss": "canon-floor"}
    print(f"\ngrowth from the smallest size to {large:,}, in units of the floor at each size")
    print(f"(a load change between sizes cancels out; target <= {FLAT_RATIO}x: flat)")
    met = True
    for name, floor in rows.items():
        base = miss_base if name == "miss" else small
        ratio = (table[name, large] / table[floor, large]) / (
            table[name, base] / table[floor, base]
        )
        ok = ratio <= FLAT_RATIO
        met = met and ok
        print(f"  {name:<14}{base:>7,} -> {large:,}: {ratio:6.2f}x {'ok' if ok else 'MISSED'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
