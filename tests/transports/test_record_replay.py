"""Record from the simulator over loopback, save, load, replay through LLMRing."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import httpx
import pytest

from llmring_replay import LLMRequest, Message, ProviderRateLimitError, StreamChunk
from llmring_replay.cassette import Cassette
from llmring_replay.service import LLMRing
from llmring_replay.simulator import Script, SimulatorServer, ToolCallSpec
from llmring_replay.transports import RecordingTransport, ReplayTransport

MODELS = {
    "openai": "gpt-4o-mini",
    "anthropic": "claude-3-5-haiku-20241022",
    "google": "gemini-2.5-flash",
    "ollama": "llama3.2",
}
CANARY = "sk-ant-canary00000000000000000000CANARY"


def chat(provider: str) -> LLMRequest:
    return LLMRequest(
        model=f"{provider}:{MODELS[provider]}",
        messages=[Message(role="user", content="What's the weather in Paris?")],
        temperature=0,
    )


async def stream(ring: LLMRing, provider: str) -> list[StreamChunk]:
    return [chunk async for chunk in ring.chat_stream(chat(provider))]


async def record(
    provider: str, script: Script, path: Path, api_key: str = "placeholder"
) -> list[StreamChunk]:
    async with SimulatorServer(script) as sim:
        cassette = Cassette(path=path)
        async with LLMRing(transport=RecordingTransport(cassette)) as ring:
            ring.register_provider(provider, api_key=api_key, base_url=sim.base_url_for(provider))
            return await stream(ring, provider)


def replaying(cassette: Cassette, base_url: str, provider: str, timing: str = "instant") -> LLMRing:
    ring = LLMRing(transport=ReplayTransport(cassette, timing))
    ring.register_provider(provider, api_key="placeholder", base_url=base_url)
    return ring


@pytest.mark.parametrize("provider", list(MODELS))
async def test_round_trip_gives_the_same_chunks(provider: str, tmp_path: Path) -> None:
    script = Script(
        text="It is sunny in Paris, 21 degrees.",
        reasoning="The user wants weather.",
        tool_calls=[ToolCallSpec(name="get_weather", arguments={"city": "Paris"})],
        ttft=0.01,
        interval=0.002,
    )
    path = tmp_path / f"{provider}.yaml"
    live = await record(provider, script, path)
    assert live[-1].finish_reason == "tool_calls"
    loaded = Cassette.load(path)
    assert len(loaded.interactions) == 1
    base = loaded.interactions[0].request.uri.split("/v1")[0].split("/api/")[0]
    if provider == "openai":
        base += "/v1"
    async with replaying(loaded, base, provider) as ring:
        replayed = await stream(ring, provider)
    assert replayed == live
    calls = replayed[-1].tool_calls or []
    assert [call["function"]["name"] for call in calls] == ["get_weather"]
    assert json.loads(calls[0]["function"]["arguments"]) == {"city": "Paris"}
    assert "".join(chunk.delta for chunk in replayed) == "It is sunny in Paris, 21 degrees."


async def test_consumer_sees_frame_one_before_frame_two_is_sent(tmp_path: Path) -> None:
    # A long gap between frames 1 and 2: a buffering recorder would deliver frame 1 late.
    script = Script(text="first second third", gaps=[0.0, 0.3, 0.0, 0.0, 0.0, 0.0, 0.0])
    async with SimulatorServer(script) as sim:
        cassette = Cassette(path=tmp_path / "c.yaml")
        async with LLMRing(transport=RecordingTransport(cassette)) as ring:
            ring.register_provider("ollama", base_url=sim.base_url_for("ollama"))
            seen_first = None
            async for chunk in ring.chat_stream(chat("ollama")):
                if chunk.delta and seen_first is None:
                    seen_first = time.perf_counter()
        sent = sim.sent
    assert seen_first is not None
    assert seen_first < sent[1].at, "frame 1 reached the app before frame 2 left the server"
    offsets = Cassette.load(tmp_path / "c.yaml").interactions[0].response.offsets
    # Frame 1 was timed before the app saw it, frame 2 after the server sent it: the gap
    # recorded is at least the time between those, however late a busy machine ran.
    assert offsets is not None
    assert offsets[1] - offsets[0] >= sent[1].at - seen_first - 0.001
    assert sent[1].at - sent[0].at >= 0.3


async def test_recorded_timing_replays_with_the_recorded_gaps(tmp_path: Path) -> None:
    script = Script(text="a b c d", gaps=[0.05, 0.1, 0.02, 0.08, 0.0, 0.0, 0.0])
    path = tmp_path / "t.yaml"
    await record("ollama", script, path)
    cassette = Cassette.load(path)
    offsets = cassette.interactions[0].response.offsets or []
    transport = ReplayTransport(cassette, "recorded")
    loop = asyncio.get_running_loop()
    async with httpx.AsyncClient(transport=transport) as client:
        start = loop.time()
        arrivals = []
        async with client.stream(
            "POST",
            cassette.interactions[0].request.uri,
            content=cassette.interactions[0].request.body,
        ) as response:
            async for _ in response.aiter_raw():
                arrivals.append(loop.time() - start)
    assert len(arrivals) == len(offsets)
    for got, want in zip(arrivals, offsets, strict=True):
        assert got >= want - 0.001  # never early; lateness is the machine's, not measured here


async def test_canary_key_never_reaches_the_cassette(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", CANARY)
    path = tmp_path / "secret.yaml"
    script = Script(text=f"echo {CANARY}")  # even a body echoing the key is redacted
    async with SimulatorServer(script) as sim:
        cassette = Cassette(path=path)
        transport = RecordingTransport(cassette)
        async with LLMRing(transport=transport) as ring:
            ring.register_provider("anthropic", base_url=sim.base_url_for("anthropic"))
            await stream(ring, "anthropic")
            # And every header and the query-string form of a key, through plain httpx.
            async with httpx.AsyncClient(transport=RecordingTransport(cassette)) as client:
                await client.post(
                    f"{sim.base_url}/v1beta/models/gemini-2.5-flash:generateContent?key={CANARY}",
                    json={"contents": []},
                    headers={
                        "x-goog-api-key": CANARY,
                        "authorization": f"Bearer {CANARY}",
                        "api-key": CANARY,
                        "x-api-key": CANARY,
                        "cookie": f"session={CANARY}",
                        "openai-organization": "org-canary0000",
                    },
                )
    text = path.read_bytes()
    assert CANARY.encode() not in text
    assert b"canary" not in text.lower()
    assert len(Cassette.load(path).interactions) == 2


async def test_error_response_is_recorded_and_replayed(tmp_path: Path) -> None:
    path = tmp_path / "e.yaml"
    with pytest.raises(ProviderRateLimitError):
        await record("openai", Script(status=429, retry_after=7), path)
    cassette = Cassette.load(path)
    assert cassette.interactions[0].response.status == 429
    ring = replaying(cassette, cassette.interactions[0].request.uri.rsplit("/chat", 1)[0], "openai")
    async with ring:
        with pytest.raises(ProviderRateLimitError) as info:
            await stream(ring, "openai")
    assert info.value.retry_after == 7.0


async def test_chat_non_streaming_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "chat.yaml"
    async with (
        SimulatorServer(Script(text="Whole answer.")) as sim,
        LLMRing(transport=RecordingTransport(Cassette(path=path))) as ring,
    ):
        ring.register_provider("google", api_key="placeholder", base_url=sim.base_url_for("google"))
        live = await ring.chat(chat("google"))
    async with replaying(Cassette.load(path), sim.base_url, "google") as ring:
        replayed = await ring.chat(chat("google"))
    assert replayed == live
    assert replayed.content == "Whole answer."
