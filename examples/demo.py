"""The quickstart demo: stream the bundled cassettes through `LLMRing`, no keys, no network.

Each provider's cassette in `cassettes/` is replayed through the same client code an app
would run (`async for chunk in ring.chat_stream(request)`), at the recorded timing (twice as
fast), first a plain answer and then a tool call.

    .venv/bin/python examples/demo.py [--timing recorded|instant|speed=2|...]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

from llmring_replay import LLMRingError
from llmring_replay.service import LLMRing
from llmring_replay.timing import parse_timing
from llmring_replay.transports import CassetteTransport

sys.path.insert(0, str(Path(__file__).resolve().parent))
from record_examples import FOLDER, MODELS, requests


async def play(provider: str, timing: str) -> None:
    transport = CassetteTransport(FOLDER / f"{provider}_weather.yaml", "none", timing=timing)
    async with LLMRing(transport=transport) as ring:
        ring.register_provider(provider, api_key="not-needed-in-replay")
        for request, _ in requests(provider):
            started = time.perf_counter()
            ttft = None
            print(f"\n[{request.model}] ", end="", flush=True)
            async for chunk in ring.chat_stream(request):
                if ttft is None and (chunk.delta or chunk.tool_calls):
                    ttft = time.perf_counter() - started
                print(chunk.delta, end="", flush=True)
            print()
            for call in chunk.tool_calls or []:
                function = call["function"]
                print(f"  -> tool call {function['name']}({function['arguments']})")
            took = time.perf_counter() - started
            print(
                f"  finish={chunk.finish_reason} usage={chunk.usage} "
                f"ttft={ttft or 0:.2f}s total={took:.2f}s"
            )
    transport.assert_all_played()


async def play_all(timing: str) -> int:
    try:
        for provider in MODELS:
            await play(provider, timing)
    except LLMRingError as exc:
        print(f"\nerror: {exc}", file=sys.stderr)
        return 1
    print("\nAll four providers replayed from cassettes: no API key, no network.")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timing", default="speed=2", help="replay timing (default: speed=2)")
    args = parser.parse_args()
    try:
        parse_timing(args.timing)  # checked before anything plays: a usage error, exit 2
    except ValueError as exc:
        print(f"demo.py: --timing: {exc}", file=sys.stderr)
        return 2
    return asyncio.run(play_all(args.timing))


if __name__ == "__main__":
    raise SystemExit(main())
