"""LLMRing: provider configuration, aliases, fallbacks, errors at the HTTP boundary."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from llmring_replay import (
    ConfigurationError,
    LLMRequest,
    Message,
    ModelNotFoundError,
    ProviderAuthenticationError,
    ProviderNotFoundError,
    ProviderRateLimitError,
    ProviderResponseError,
    ProviderTimeoutError,
    StreamChunk,
)
from llmring_replay.lockfile import Lockfile
from llmring_replay.service import PLACEHOLDER_KEY, LLMRing

KEY_VARS = [
    "OPENAI_API_KEY",
    "ANTHROPIC_API_KEY",
    "GEMINI_API_KEY",
    "GOOGLE_API_KEY",
    "OLLAMA_API_KEY",
    "OPENAI_BASE_URL",
    "ANTHROPIC_BASE_URL",
    "GOOGLE_GEMINI_BASE_URL",
    "OLLAMA_BASE_URL",
    "LLMRING_LOCKFILE_PATH",
    "LLMRING_PROFILE",
]


@pytest.fixture(autouse=True)
def _no_provider_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for var in KEY_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)


def openai_sse(*pieces: str, model: str = "gpt-4o-mini") -> bytes:
    events = [
        {
            "id": "c1",
            "object": "chat.completion.chunk",
            "model": model,
            "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}],
        }
        for piece in pieces
    ]
    events.append(
        {
            "id": "c1",
            "object": "chat.completion.chunk",
            "model": model,
            "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
        }
    )
    events.append(
        {
            "id": "c1",
            "object": "chat.completion.chunk",
            "model": model,
            "choices": [],
            "usage": {
                "prompt_tokens": 5,
                "completion_tokens": len(pieces),
                "total_tokens": 5 + len(pieces),
            },
        }
    )
    body = "".join(f"data: {json.dumps(event)}\n\n" for event in events) + "data: [DONE]\n\n"
    return body.encode()


def error_json(status: int, message: str) -> httpx.Response:
    return httpx.Response(
        status,
        json={"error": {"message": message, "type": "x", "param": None, "code": None}},
        headers={"retry-after": "3"} if status == 429 else {},
    )


Handler = Callable[[httpx.Request], httpx.Response]


def ring_with(handler: Handler, lockfile: Path | None = None) -> LLMRing:
    ring = LLMRing(lockfile, transport=httpx.MockTransport(handler))
    for name in ("openai", "anthropic", "google", "ollama"):
        ring.register_provider(name, api_key="test-key")
    return ring


def request(model: str) -> LLMRequest:
    return LLMRequest(model=model, messages=[Message(role="user", content="Hi")])


async def collect(ring: LLMRing, model: str) -> list[StreamChunk]:
    return [chunk async for chunk in ring.chat_stream(request(model))]


def test_providers_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "k-openai")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("GOOGLE_API_KEY", "k-google")
    ring = LLMRing()
    providers = ring.providers
    assert providers["openai"].api_key == "k-openai"
    assert providers["openai"].base_url == "http://127.0.0.1:9/v1"
    assert providers["google"].api_key == "k-google"
    assert providers["ollama"].base_url == "http://localhost:11434"  # always configured
    assert "anthropic" not in providers


@pytest.mark.parametrize(
    ("base_url", "configured"),
    [
        ("http://127.0.0.1:8765", True),
        ("http://localhost:8765", True),
        ("http://[::1]:8765", True),
        ("http://10.0.0.5:8765", False),
        ("https://api.anthropic.example", False),
    ],
)
def test_a_local_base_url_needs_no_key(
    monkeypatch: pytest.MonkeyPatch, base_url: str, configured: bool
) -> None:
    # A simulator or `serve` on this machine checks no key: recording from it needs none.
    monkeypatch.setenv("ANTHROPIC_BASE_URL", base_url)
    providers = LLMRing().providers
    assert ("anthropic" in providers) is configured
    if configured:
        assert providers["anthropic"].api_key == PLACEHOLDER_KEY
        assert providers["anthropic"].base_url == base_url


def test_gemini_key_preferred_over_google_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOOGLE_API_KEY", "k-google")
    monkeypatch.setenv("GEMINI_API_KEY", "k-gemini")
    assert LLMRing().providers["google"].api_key == "k-gemini"


async def test_unconfigured_provider_names_the_variable() -> None:
    ring = LLMRing(transport=httpx.MockTransport(lambda r: httpx.Response(500)))
    with pytest.raises(ProviderNotFoundError, match="ANTHROPIC_API_KEY"):
        await collect(ring, "anthropic:claude-3-5-haiku-20241022")


async def test_unknown_provider_and_bad_model_reference() -> None:
    ring = ring_with(lambda r: httpx.Response(500))
    with pytest.raises(ProviderNotFoundError, match="known: anthropic, google, ollama, openai"):
        await collect(ring, "mystery:model")
    with pytest.raises(ConfigurationError, match="no model"):
        await ring.chat(LLMRequest(messages=[]))


async def test_stream_sends_to_the_configured_base_url() -> None:
    seen: list[httpx.Request] = []

    def handler(req: httpx.Request) -> httpx.Response:
        seen.append(req)
        return httpx.Response(
            200, content=openai_sse("Hel", "lo"), headers={"content-type": "text/event-stream"}
        )

    ring = ring_with(handler)
    ring.register_provider("openai", base_url="http://sim.test/v1")
    chunks = await collect(ring, "openai:gpt-4o-mini")
    assert "".join(c.delta for c in chunks) == "Hello"
    assert str(seen[0].url) == "http://sim.test/v1/chat/completions"
    assert seen[0].headers["authorization"] == "Bearer test-key"
    assert chunks[-1].usage == {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7}


def _lockfile(tmp_path: Path, *models: str) -> Path:
    lockfile = Lockfile.create()
    lockfile.set_binding("chatbot", list(models))
    return lockfile.save(tmp_path / "llmring.lock")


def _by_model(responses: dict[str, httpx.Response]) -> Handler:
    def handler(req: httpx.Request) -> httpx.Response:
        return responses[json.loads(req.content)["model"]]

    return handler


async def test_alias_resolves_through_lockfile(tmp_path: Path) -> None:
    path = _lockfile(tmp_path, "openai:gpt-4o-mini")
    ok = httpx.Response(
        200, content=openai_sse("Hi"), headers={"content-type": "text/event-stream"}
    )
    ring = ring_with(_by_model({"gpt-4o-mini": ok}), path)
    chunks = await collect(ring, "chatbot")
    assert chunks[-1].model == "openai:gpt-4o-mini"


def test_ring_profile_is_the_default_for_calls(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LLMRING_PROFILE", "prod")
    lock = Lockfile.create(tmp_path / "llmring.lock")
    lock.set_binding("chatbot", ["openai:gpt-4o"], profile="prod")
    lock.set_binding("chatbot", ["anthropic:claude-3-5-haiku-20241022"], profile="test")
    lock.save()
    ring = LLMRing(tmp_path / "llmring.lock", profile="test")
    assert ring.resolve_model("chatbot") == ["anthropic:claude-3-5-haiku-20241022"]
    assert ring.resolve_model("chatbot", "prod") == ["openai:gpt-4o"]  # a call's own wins
    assert LLMRing(tmp_path / "llmring.lock").resolve_model("chatbot") == ["openai:gpt-4o"]


async def test_unknown_alias_names_profile_and_file(tmp_path: Path) -> None:
    path = _lockfile(tmp_path, "openai:gpt-4o-mini")
    ring = ring_with(lambda r: httpx.Response(500), path)
    with pytest.raises(ModelNotFoundError, match="'default'") as info:
        await collect(ring, "writer")
    assert str(path) in str(info.value)


async def test_fallback_on_rate_limit_before_first_chunk(tmp_path: Path) -> None:
    path = _lockfile(tmp_path, "openai:gpt-4o", "openai:gpt-4o-mini")
    ok = httpx.Response(
        200, content=openai_sse("Fine"), headers={"content-type": "text/event-stream"}
    )
    ring = ring_with(_by_model({"gpt-4o": error_json(429, "slow down"), "gpt-4o-mini": ok}), path)
    chunks = await collect(ring, "chatbot")
    assert "".join(c.delta for c in chunks) == "Fine"
    assert chunks[-1].model == "openai:gpt-4o-mini"


async def test_no_fallback_on_authentication_error(tmp_path: Path) -> None:
    path = _lockfile(tmp_path, "openai:gpt-4o", "openai:gpt-4o-mini")
    ok = httpx.Response(
        200, content=openai_sse("Fine"), headers={"content-type": "text/event-stream"}
    )
    ring = ring_with(_by_model({"gpt-4o": error_json(401, "bad key"), "gpt-4o-mini": ok}), path)
    with pytest.raises(ProviderAuthenticationError):
        await collect(ring, "chatbot")


async def test_last_model_error_is_raised(tmp_path: Path) -> None:
    path = _lockfile(tmp_path, "openai:gpt-4o", "openai:gpt-4o-mini")
    ring = ring_with(
        _by_model({"gpt-4o": error_json(500, "oops"), "gpt-4o-mini": error_json(429, "busy")}), path
    )
    with pytest.raises(ProviderRateLimitError) as info:
        await collect(ring, "chatbot")
    assert info.value.retry_after == 3.0


async def test_no_fallback_after_a_chunk_was_delivered(tmp_path: Path) -> None:
    path = _lockfile(tmp_path, "openai:gpt-4o", "openai:gpt-4o-mini")
    # The body up to (not including) the finish chunk: the connection closed mid-answer.
    cut = openai_sse("Half", " an answer").split(b'"delta": {}')[0].rsplit(b"data: ", 1)[0]
    broken = httpx.Response(200, content=cut, headers={"content-type": "text/event-stream"})
    ok = httpx.Response(
        200, content=openai_sse("Other"), headers={"content-type": "text/event-stream"}
    )
    ring = ring_with(_by_model({"gpt-4o": broken, "gpt-4o-mini": ok}), path)
    received: list[str] = []
    with pytest.raises(ProviderResponseError, match="ended before"):
        async for chunk in ring.chat_stream(request("chatbot")):
            received.append(chunk.delta)
    assert "".join(received) == "Half an answer"


async def test_chat_falls_back_too(tmp_path: Path) -> None:
    path = _lockfile(tmp_path, "openai:gpt-4o", "openai:gpt-4o-mini")
    answer = httpx.Response(
        200,
        json={
            "id": "x",
            "object": "chat.completion",
            "model": "gpt-4o-mini-2024-07-18",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": "Yes"},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        },
    )
    ring = ring_with(_by_model({"gpt-4o": error_json(503, "down"), "gpt-4o-mini": answer}), path)
    response = await ring.chat(request("chatbot"))
    assert (response.content, response.model) == ("Yes", "openai:gpt-4o-mini-2024-07-18")


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_connection_refused_names_the_base_url() -> None:
    async with LLMRing() as ring:
        base = f"http://127.0.0.1:{_closed_port()}"
        ring.register_provider("ollama", base_url=base)
        with pytest.raises(ProviderResponseError, match=f"cannot connect to {base}"):
            await collect(ring, "ollama:llama3.2")


async def test_timeout_becomes_provider_timeout_error() -> None:
    def handler(req: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("stalled", request=req)

    ring = ring_with(handler)
    with pytest.raises(ProviderTimeoutError, match="timed out") as info:
        await collect(ring, "openai:gpt-4o-mini")
    assert info.value.provider == "openai"


async def test_request_timeout_reaches_the_transport() -> None:
    seen: list[dict[str, float]] = []

    def handler(req: httpx.Request) -> httpx.Response:
        seen.append(req.extensions["timeout"])
        return httpx.Response(
            200, content=openai_sse("x"), headers={"content-type": "text/event-stream"}
        )

    ring = ring_with(handler)
    await collect(ring, "openai:gpt-4o-mini")
    slow = request("openai:gpt-4o-mini")
    slow.timeout = 2.5
    [c async for c in ring.chat_stream(slow)]
    assert seen[0]["read"] == 60.0
    assert seen[1]["read"] == 2.5


async def test_context_manager_closes_the_client() -> None:
    closed: list[bool] = []

    class Tracking(httpx.MockTransport):
        async def aclose(self) -> None:
            closed.append(True)

    async with LLMRing(
        transport=Tracking(
            lambda r: httpx.Response(
                200, content=openai_sse("x"), headers={"content-type": "text/event-stream"}
            )
        )
    ) as ring:
        ring.register_provider("openai", api_key="k")
        await collect(ring, "openai:gpt-4o-mini")
    assert closed == [True]


# -- 404s: a missing model, or a wrong URL ---------------------------------------------------


async def test_a_base_url_without_v1_is_a_wrong_url_not_a_missing_model(tmp_path: Path) -> None:
    # OPENAI_BASE_URL without `/v1`, against a real (simulated) server: its router's 404.
    from llmring_replay.simulator import Script, SimulatorServer

    path = _lockfile(tmp_path, "openai:gpt-4o", "anthropic:claude-3-5-haiku-20241022")
    async with SimulatorServer(Script(text="Hello")) as sim:
        async with LLMRing(path) as ring:
            ring.register_provider("openai", api_key="k", base_url=sim.base_url)
            ring.register_provider("anthropic", api_key="k", base_url=sim.base_url)
            with pytest.raises(ProviderResponseError) as info:
                await collect(ring, "chatbot")  # no fallback to the next model
        requested = [request.path for request in sim.requests]
    error = info.value
    assert type(error) is ProviderResponseError and error.status_code == 404
    assert error.details["wrong_url"] is True
    url = f"{sim.base_url}/chat/completions"
    assert error.details["url"] == url
    assert f"the URL looks wrong, not the model: {url} is no OpenAI Chat Completions" in str(error)
    assert "OPENAI_BASE_URL, e.g. https://api.openai.com/v1" in str(error)
    assert requested == ["/chat/completions"]


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (404, {"error": {"message": "The model `gpt-4o` does not exist", "code": None}}),
        (400, {"error": {"message": "unknown", "type": "x", "code": "model_not_found"}}),
    ],
)
async def test_a_missing_model_still_falls_back(
    tmp_path: Path, status: int, body: dict[str, object]
) -> None:
    path = _lockfile(tmp_path, "openai:gpt-4o", "openai:gpt-4o-mini")
    ok = httpx.Response(
        200, content=openai_sse("Fine"), headers={"content-type": "text/event-stream"}
    )
    missing = httpx.Response(status, json=body)
    ring = ring_with(_by_model({"gpt-4o": missing, "gpt-4o-mini": ok}), path)
    assert "".join(c.delta for c in await collect(ring, "chatbot")) == "Fine"
    with pytest.raises(ModelNotFoundError):
        await collect(ring_with(_by_model({"gpt-4o": missing}), None), "openai:gpt-4o")


def test_one_ring_serves_several_event_loops(monkeypatch: pytest.MonkeyPatch) -> None:
    # Connections belong to the loop that opened them: the ring keeps a pool per loop, so
    # the same ring answers on this test's loop and on an app's loop in another thread.
    import asyncio
    import threading

    from llmring_replay.simulator import Script, SimulatorServer

    request = LLMRequest(model="ollama:llama3.2", messages=[Message(role="user", content="Hi")])

    async def ask(ring: LLMRing) -> str:
        return "".join([chunk.delta async for chunk in ring.chat_stream(request)])

    app_loop = asyncio.new_event_loop()
    thread = threading.Thread(target=app_loop.run_forever)
    thread.start()
    with SimulatorServer(Script(text="Hello there")) as sim:
        monkeypatch.setenv("OLLAMA_BASE_URL", sim.base_url_for("ollama"))
        ring = LLMRing()

        async def main() -> list[str]:
            here = await ask(ring)
            there = asyncio.run_coroutine_threadsafe(ask(ring), app_loop)
            answers = [here, await asyncio.wrap_future(there), await ask(ring)]
            await ring.aclose()  # this loop's pool now, the app loop's pool there
            return answers

        try:
            assert asyncio.run(main()) == ["Hello there"] * 3
        finally:
            app_loop.call_soon_threadsafe(app_loop.stop)
            thread.join()
        app_loop.run_until_complete(asyncio.sleep(0))  # the scheduled close runs to its end
        app_loop.close()
    assert len(sim.requests) == 3
