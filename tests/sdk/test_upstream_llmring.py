"""Upstream `llmring` (which builds its own SDK clients, so no test can hand it a transport)
records through the recording proxy and replays from `serve`, configured by nothing but the
environment variables `serve` prints. Skipped where `llmring` is not installed (the
`upstream` extra; `make install` tries it).

Every provider has a cell. Two fail inside upstream llmring 1.4 with today's SDKs, before
it sends the streaming request: those cells check that it is still that failure, and no
request of ours, and skip saying so (when a later llmring fixes them, they simply pass).
"""

from __future__ import annotations

import asyncio
import gc
import inspect
import os
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from llmring_replay.cassette import Cassette
from llmring_replay.cli.serve import client_settings
from llmring_replay.cli.serve_cassettes import CassetteResponder
from llmring_replay.cli.serve_proxy import ProxyResponder, parse_upstreams
from llmring_replay.providers.registry import find_endpoint
from llmring_replay.simulator import SimulatorServer
from tests.sdk.cases import TEXT, script_for

MODELS = [
    "openai:gpt-4o-mini",
    "google:gemini-2.5-flash",
    "anthropic:claude-3-5-haiku-20241022",
    "ollama:llama3.2",
]
EARLY = 0.005
#: provider -> (what upstream llmring 1.4 raises, why): failures inside llmring itself.
BROKEN_UPSTREAM = {
    "anthropic": (
        "AsyncMessages.create() got an unexpected keyword argument 'temperature'",
        "its Anthropic provider passes `temperature` to messages.create(), which the "
        "anthropic SDK 2.x no longer takes",
    ),
    "ollama": (
        "'async for' requires an object with __aiter__ method, got coroutine",
        "its Ollama provider iterates ollama's AsyncClient.chat(stream=True) without "
        "awaiting it (a coroutine in ollama 0.6)",
    ),
}


@pytest.fixture
def llmring(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Any]:
    """Upstream llmring (imported here, not at collection: it takes seconds), with no key,
    base URL or lockfile of the developer's."""
    module = pytest.importorskip(
        "llmring",
        reason="upstream llmring is not installed (`make install` tries the `upstream` extra)",
    )
    for name in list(os.environ):
        if name.endswith(("_API_KEY", "_BASE_URL")) or name.startswith(("LLMRING_", "OLLAMA_")):
            monkeypatch.delenv(name)
    for name in ("OPENAI_API_KEY", "GEMINI_API_KEY", "ANTHROPIC_API_KEY"):
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
            try:
                async for chunk in ring.chat_stream(request):
                    arrivals.append(time.perf_counter() - started)
                    chunks.append(chunk.model_dump(mode="json"))
            finally:
                await close_clients(ring)
            return chunks, arrivals

    return asyncio.run(main())


async def close_clients(ring: Any) -> None:
    """Close the SDK clients of `ring`'s providers on their own event loop: llmring 1.4
    closes none of them (its Gemini and Ollama ones keep sockets open), and a socket left
    open would fail some later test with a ResourceWarning."""
    for provider in ring.providers.values():
        client = getattr(provider, "client", None)
        client = getattr(client, "aio", client)  # google-genai: the async side
        close = getattr(client, "aclose", None) or getattr(client, "close", None)
        if close is not None:
            closed = close()
            if inspect.isawaitable(closed):
                await closed


def llmring_version() -> str:
    """The installed upstream llmring's version."""
    from importlib.metadata import version

    return version("llmring")


def first_run(llmring: Any, model: str) -> list[Any] | str:
    """The recording run's chunks; for a provider that fails inside upstream llmring as
    `BROKEN_UPSTREAM` says, why (any other failure is raised)."""
    known, why = BROKEN_UPSTREAM.get(model.partition(":")[0], ("", ""))
    with warnings.catch_warnings():
        # Its Ollama provider leaves ollama's chat() coroutine unawaited: Python warns once
        # the failure's traceback is gone (collected here, not in a later test).
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            return stream(llmring, model)[0]
        except Exception as exc:
            if not known or known not in str(exc):
                raise
        gc.collect()
    return f"{why} ({known})"


@pytest.mark.parametrize("model", MODELS)
def test_upstream_llmring_records_and_replays_through_the_proxy(
    llmring: Any, model: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with SimulatorServer(script_for) as simulator:
        upstreams = parse_upstreams([simulator.base_url])
        proxy = ProxyResponder(CassetteResponder([]), Path("rec"), "once", upstreams)
        with SimulatorServer(responder=proxy) as server:
            point_at(server, monkeypatch)
            live = first_run(llmring, model)
        if isinstance(live, str):  # failed inside llmring: nothing of ours was reached
            assert not [r.path for r in simulator.requests if find_endpoint(r.path)]
            pytest.skip(f"fails inside upstream llmring {llmring_version()}: {live}")
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
