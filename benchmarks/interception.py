"""Automatic interception vs an injected client: the OpenAI SDK replaying a 1,000-chunk stream.

One interaction (a Chat Completions stream of 1,000 chunks) is recorded from the simulator,
then replayed at `instant` timing through the official `openai` SDK, alternating two routes:

- injected: `OpenAI(http_client=httpx2.Client(transport=ReplayTransport(...).for_httpx2()))`;
- intercepted: a plain `OpenAI()` inside `intercept(ReplayTransport(...))`, the way the
  pytest plugin serves clients a test cannot reach (the HTTP library's own transport hands
  the request to ours).

and, where google-genai and aiohttp are installed, a 1,000-chunk Gemini stream through
google-genai's async client: injected (`HttpOptions(httpx_async_client=httpx.AsyncClient(
transport=...))`) vs a plain client inside the interception, which sends through aiohttp
(as it does whenever aiohttp is installed) and is served by our aiohttp adapter.

Each run reads the whole stream through the SDK (it parses every chunk, which is most of the
time) and is timed in process CPU time, so other load on a shared machine does not count.
We report the medians of the sync and the async client and the ratio intercepted / injected.
Target: within 10% (ratio <= 1.10).

    .venv/bin/python benchmarks/interception.py [--runs 20]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

try:
    import httpx2
    from openai import AsyncOpenAI, OpenAI
except ImportError:  # Python < 3.11, or the SDK not installed
    print("needs the openai SDK and httpx2 (pip install -e '.[dev]', Python >= 3.11)")
    raise SystemExit(0) from None

from llmring_replay.cassette import Cassette
from llmring_replay.simulator import Script, SimulatorServer
from llmring_replay.transports import RecordingTransport, ReplayTransport
from llmring_replay.transports.intercept import intercept

TARGET = 1.10
CHUNKS = 1000
ASK = {
    "model": "gpt-4o-mini",
    "messages": [{"role": "user", "content": "Count to a thousand"}],
    "stream": True,
}
BASE_URL = "http://127.0.0.1:9/v1"  # nothing listens: every request must be replayed


def record() -> Cassette:
    """The 1,000-chunk stream, recorded from the simulator through the SDK."""
    cassette = Cassette()
    script = Script(chunks=[f"w{i} " for i in range(CHUNKS)], ttft=0.0, interval=0.0)
    with SimulatorServer(script) as sim:
        transport = RecordingTransport(cassette).for_httpx2()
        with httpx2.Client(transport=transport) as http:
            sdk = OpenAI(base_url=sim.base_url_for("openai"), api_key="sk-test", http_client=http)
            assert read(sdk).count(" ") == CHUNKS
    for interaction in cassette.interactions:  # replay it at the dead base URL
        interaction.request.uri = f"{BASE_URL}/chat/completions"
    return cassette


def read(sdk: OpenAI) -> str:
    return "".join(c.choices[0].delta.content or "" for c in sdk.chat.completions.create(**ASK))


async def aread(sdk: AsyncOpenAI) -> str:
    stream = await sdk.chat.completions.create(**ASK)
    return "".join([c.choices[0].delta.content or "" async for c in stream])


#: CPU time of this process: what replaying costs, whatever else the machine runs.
clock = time.process_time


def timed(run: Callable[[], Any]) -> float:
    started = clock()
    text = run()
    elapsed = clock() - started
    assert text.count(" ") == CHUNKS, "the stream was not replayed whole"
    return elapsed


def replay(cassette: Cassette) -> ReplayTransport:
    return ReplayTransport(cassette, allow_repeats=True)


def sync_routes(cassette: Cassette) -> dict[str, Callable[[], Any]]:
    injected = httpx2.Client(transport=replay(cassette).for_httpx2())
    sdk = OpenAI(base_url=BASE_URL, api_key="sk-test", http_client=injected)
    plain = OpenAI(base_url=BASE_URL, api_key="sk-test")
    return {"injected": lambda: read(sdk), "intercepted": lambda: read(plain)}


async def async_times(cassette: Cassette, runs: int) -> dict[str, list[float]]:
    injected = httpx2.AsyncClient(transport=replay(cassette).for_httpx2())
    sdk = AsyncOpenAI(base_url=BASE_URL, api_key="sk-test", http_client=injected)
    plain = AsyncOpenAI(base_url=BASE_URL, api_key="sk-test")
    routes = {"injected": sdk, "intercepted": plain}
    times: dict[str, list[float]] = {name: [] for name in routes}
    for index in range(runs + 1):  # the first round warms up
        for name, client in routes.items():
            started = clock()
            text = await aread(client)
            assert text.count(" ") == CHUNKS
            if index:
                times[name].append(clock() - started)
    await injected.aclose()
    await plain.close()
    return times


async def genai_times(runs: int) -> dict[str, list[float]] | None:
    """google-genai's async client: an injected httpx client vs aiohttp, intercepted."""
    try:
        import httpx
        from google import genai
        from google.genai import _api_client, types
    except ImportError:
        return None
    if not _api_client.has_aiohttp:
        return None
    ask: dict[str, Any] = {"model": "gemini-2.5-flash", "contents": "Count to a thousand"}

    def client(**options: Any) -> Any:
        return genai.Client(api_key="test", http_options=types.HttpOptions(**options))

    async def aread(sdk: Any) -> str:
        stream = await sdk.aio.models.generate_content_stream(**ask)
        return "".join([chunk.text or "" async for chunk in stream])

    cassette = Cassette()
    script = Script(chunks=[f"w{i} " for i in range(CHUNKS)], ttft=0.0, interval=0.0)
    recording = RecordingTransport(cassette)
    async with SimulatorServer(script) as sim, httpx.AsyncClient(transport=recording) as http:
        sdk = client(base_url=sim.base_url_for("gemini"), httpx_async_client=http)
        assert (await aread(sdk)).count(" ") == CHUNKS
    for interaction in cassette.interactions:  # replay it at the dead base URL
        path = interaction.request.uri.split("/", 3)[3]
        interaction.request.uri = f"{BASE_URL.removesuffix('/v1')}/{path}"
    injected = httpx.AsyncClient(transport=replay(cassette))
    base_url = BASE_URL.removesuffix("/v1")
    routes = {
        "injected": client(base_url=base_url, httpx_async_client=injected),
        "intercepted": client(base_url=base_url),  # sends through aiohttp
    }
    times: dict[str, list[float]] = {name: [] for name in routes}
    with intercept(replay(cassette)):
        for index in range(runs + 1):  # interleaved; the first round warms up
            for name, sdk in routes.items():
                started = clock()
                text = await aread(sdk)
                assert text.count(" ") == CHUNKS, "the stream was not replayed whole"
                if index:
                    times[name].append(clock() - started)
        for sdk in routes.values():
            await sdk.aio.aclose()
    await injected.aclose()
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    cassette = record()
    results: dict[str, dict[str, list[float]]] = {}
    with intercept(replay(cassette)):
        routes = sync_routes(cassette)
        sync: dict[str, list[float]] = {name: [] for name in routes}
        for index in range(args.runs + 1):  # interleaved; the first round warms up
            for name, run in routes.items():
                elapsed = timed(run)
                if index:
                    sync[name].append(elapsed)
        results["sync"] = sync
        results["async"] = asyncio.run(async_times(cassette, args.runs))
    genai_results = asyncio.run(genai_times(args.runs))
    if genai_results is not None:  # google-genai's async client, on aiohttp
        results["aiohttp"] = genai_results
    print(
        f"openai SDK {sys.modules['openai'].__version__}, one {CHUNKS}-chunk stream replayed "
        f"at instant timing, {args.runs} interleaved runs per route, CPU time"
    )
    if "aiohttp" in results:
        print(
            f"aiohttp row: google-genai {sys.modules['google.genai'].__version__} async client, "
            f"injected httpx client vs aiohttp {sys.modules['aiohttp'].__version__} intercepted"
        )
    print()
    print(f"{'client':<7} {'injected':>12} {'intercepted':>12} {'ratio':>7}")
    worst = 0.0
    for kind, times in results.items():
        medians = {name: statistics.median(values) * 1000 for name, values in times.items()}
        ratio = medians["intercepted"] / medians["injected"]
        worst = max(worst, ratio)
        print(
            f"{kind:<7} {medians['injected']:>9.2f} ms {medians['intercepted']:>9.2f} ms "
            f"{ratio:>7.3f}"
        )
    print(f"\ninterception costs x{worst:.3f} at worst (target <= x{TARGET:.2f})")
    return 0 if worst <= TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
