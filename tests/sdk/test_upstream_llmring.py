"""Upstream `llmring` (which builds its own SDK clients, so no test can hand it a transport)
records through the recording proxy and replays from `serve`, configured by nothing but the
environment variables `serve` prints. Skipped where `llmring` is not installed (the
`upstream` extra; `make install` tries it).

Only the providers upstream 1.4 can stream with today's SDKs are here: its Anthropic
provider passes `temperature` that anthropic 2.x no longer takes, and its Ollama provider
iterates a coroutine; both fail inside llmring before any request is sent.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from llmring_replay.cassette import Cassette
from llmring_replay.cli.serve import client_settings
from llmring_replay.cli.serve_cassettes import CassetteResponder
from llmring_replay.cli.serve_proxy import ProxyResponder, parse_upstreams
from llmring_replay.simulator import SimulatorServer
from tests.sdk.cases import TEXT, script_for

MODELS = ["openai:gpt-4o-mini", "google:gemini-2.5-flash"]
EARLY = 0.005


@pytest.fixture
def llmring(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Any]:
    """Upstream llmring (imported here, not at collection: it takes seconds), with no key,
    base URL or lockfile of the developer's."""
    module = pytest.importorskip("llmring", reason="upstream llmring is not installed")
    for name in list(os.environ):
        if name.endswith(("_API_KEY", "_BASE_URL")) or name.startswith(("LLMRING_", "OLLAMA_")):
            monkeypatch.delenv(name)
    for name in ("OPENAI_API_KEY", "GEMINI_API_KEY"):
        monkeypatch.setenv(name, "test-key")
    monkeypatch.chdir(tmp_path)
    yield module


def point_at(server: SimulatorServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """Set every variable `serve`'s banner prints, as a user would."""
    for variable, value, _ in client_settings(server.base_url):
        monkeypatch.setenv(variable, value)


def stream(llmring: Any, model: str) -> tuple[list[Any], list[float]]:
    """Upstream llmring's chunks for one request, and when each arrived."""

    async def main() -> tuple[list[Any], list[float]]:
        # Its model registry lives on the internet: a closed loopback port fails fast.
        async with llmring.LLMRing(registry_url="http://127.0.0.1:9/") as ring:
            request = llmring.LLMRequest(
                model=model, messages=[llmring.Message(role="user", content="Weather?")]
            )
            chunks, arrivals, started = [], [], time.perf_counter()
            async for chunk in ring.chat_stream(request):
                arrivals.append(time.perf_counter() - started)
                chunks.append(chunk.model_dump(mode="json"))
            # llmring 1.4 closes no Gemini client: close it here, on its own event loop
            # (a socket left open would fail some later test with a ResourceWarning).
            for provider in ring.providers.values():
                gemini = getattr(getattr(provider, "client", None), "aio", None)
                if gemini is not None:
                    await gemini.aclose()
            return chunks, arrivals

    return asyncio.run(main())


@pytest.mark.parametrize("model", MODELS)
def test_upstream_llmring_records_and_replays_through_the_proxy(
    llmring: Any, model: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with SimulatorServer(script_for) as simulator:
        upstreams = parse_upstreams([simulator.base_url])
        proxy = ProxyResponder(CassetteResponder([]), Path("rec"), "once", upstreams)
        with SimulatorServer(responder=proxy) as server:
            point_at(server, monkeypatch)
            live, _ = stream(llmring, model)
    (path,) = Path("rec").glob("*.yaml")  # not the lock file beside it
    cassette = Cassette.load(path)
    with SimulatorServer(responder=CassetteResponder([cassette], "recorded")) as server:
        point_at(server, monkeypatch)
        replayed, arrivals = stream(llmring, model)
    assert "".join(chunk["delta"] for chunk in live) == TEXT
    assert live[-1]["finish_reason"]  # its own spelling: `finishreason.stop` on Google
    assert replayed == live
    offsets = [offset for offset, _ in cassette.interactions[0].response.frames()]
    for arrival, offset in zip(arrivals, offsets, strict=False):
        assert arrival >= offset - EARLY
