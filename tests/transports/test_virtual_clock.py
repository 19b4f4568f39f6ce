"""Replay on a virtual clock: a 5 s recorded stream in well under a second of wall time."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import httpx
import pytest

from llmring_replay import ConfigurationError, LLMRequest, Message, ProviderTimeoutError
from llmring_replay.cassette import Cassette, Interaction, RecordedRequest, RecordedResponse
from llmring_replay.clock import is_virtual, virtual_clock
from llmring_replay.service import PLACEHOLDER_KEY, LLMRing
from llmring_replay.simulator import Script, SimulatorServer
from llmring_replay.transports import CassetteTransport, ReplayTransport

URL = "http://localhost:11434/api/chat"
OFFSETS = [0.8, 1.3, 2.0, 2.1, 3.6, 5.0]


def slow_cassette(offsets: list[float]) -> Cassette:
    lines = [
        json.dumps(
            {
                "model": "llama3.2",
                "message": {"role": "assistant", "content": f"w{i} "},
                "done": False,
            }
        )
        for i in range(len(offsets) - 1)
    ]
    lines.append(
        json.dumps(
            {
                "model": "llama3.2",
                "message": {"role": "assistant", "content": ""},
                "done": True,
                "done_reason": "stop",
                "prompt_eval_count": 3,
                "eval_count": len(offsets) - 1,
            }
        )
    )
    request_body = json.dumps(
        {"model": "llama3.2", "messages": [{"role": "user", "content": "Hi"}], "stream": True},
        separators=(",", ":"),
    ).encode()
    return Cassette(
        interactions=[
            Interaction(
                request=RecordedRequest(
                    "POST", URL, {"content-type": ["application/json"]}, request_body
                ),
                response=RecordedResponse(
                    200,
                    "OK",
                    {"content-type": ["application/x-ndjson"]},
                    ("\n".join(lines) + "\n").encode(),
                    offsets=list(offsets),
                ),
                provider="ollama",
                model="llama3.2",
            )
        ]
    )


def request() -> LLMRequest:
    return LLMRequest(model="ollama:llama3.2", messages=[Message(role="user", content="Hi")])


async def test_five_second_stream_in_virtual_time() -> None:
    ring = LLMRing(transport=ReplayTransport(slow_cassette(OFFSETS), "recorded"))
    wall = time.perf_counter()
    with virtual_clock() as loop:
        start = loop.time()
        seen = [loop.time() - start async for _ in ring.chat_stream(request())]
    wall = time.perf_counter() - wall
    await ring.aclose()
    # Less wall time than the 5 virtual seconds (which a real-clock replay needs at least),
    # not a fixed bound: a loaded machine may take a second.
    assert wall < seen[-1]
    # One chunk per text frame, then the final chunk on the done line.
    assert seen == pytest.approx(OFFSETS, abs=1e-3)


async def test_stall_longer_than_timeout_raises_in_virtual_time() -> None:
    ring = LLMRing(
        transport=ReplayTransport(slow_cassette([0.1, 0.2, 30.0]), "recorded"), timeout=10
    )
    wall = time.perf_counter()
    deltas: list[str] = []
    with virtual_clock() as loop:
        start = loop.time()
        with pytest.raises(ProviderTimeoutError, match="timed out"):
            async for chunk in ring.chat_stream(request()):
                deltas.append(chunk.delta)
        waited = loop.time() - start
    await ring.aclose()
    assert deltas == ["w0 ", "w1 "]  # what arrived before the stall was delivered
    assert waited == pytest.approx(0.2 + 10, abs=1e-3)  # the read timeout, counted from frame 2
    assert time.perf_counter() - wall < waited  # the 10 s of waiting cost no wall time


async def test_speed_policy_halves_the_gaps() -> None:
    ring = LLMRing(transport=ReplayTransport(slow_cassette(OFFSETS), "speed=2"))
    with virtual_clock() as loop:
        start = loop.time()
        seen = [loop.time() - start async for _ in ring.chat_stream(request())]
    await ring.aclose()
    assert seen == pytest.approx([offset / 2 for offset in OFFSETS], abs=1e-3)


async def test_virtual_time_goes_on_from_the_loops_clock_in_every_block() -> None:
    loop = asyncio.get_running_loop()
    before = loop.time()
    with virtual_clock():
        entered = loop.time()
        await asyncio.sleep(3600)
        left = loop.time()
    assert before <= entered  # not 0: no jump back on entry
    assert left - entered == pytest.approx(3600)
    with virtual_clock():
        again = loop.time()
    # The second block goes on from the first one's end, the later of the two clocks.
    assert again >= left
    # After a block the loop's real clock runs again, behind the virtual one (documented).
    assert loop.time() < left


async def test_frames_land_exactly_while_the_real_clock_keeps_pace() -> None:
    # A loaded machine lets the real clock keep pace with the virtual one; here the app
    # blocks for each gap. Frames must still land exactly on the virtual clock (guessing
    # "virtual" from how far loop.time() is from the real clock made them 0.5 ms early).
    offsets = [0.02, 0.04, 0.06, 0.08]
    ring = LLMRing(transport=ReplayTransport(slow_cassette(offsets), "recorded"))
    seen = []
    with virtual_clock() as loop:
        start, real_start = loop.time(), time.monotonic()
        async for _ in ring.chat_stream(request()):
            seen.append(loop.time() - start)
            time.sleep(max(0.0, seen[-1] - (time.monotonic() - real_start)))
    await ring.aclose()
    assert seen == pytest.approx(offsets, abs=1e-6)


async def test_is_virtual_only_inside_the_block() -> None:
    assert not is_virtual()
    with virtual_clock():
        assert is_virtual()
    assert not is_virtual()


def test_is_virtual_knows_trios_mock_clock() -> None:
    trio = pytest.importorskip("trio")
    trio_testing = pytest.importorskip("trio.testing")

    async def check() -> bool:
        return is_virtual()

    assert trio.run(check, clock=trio_testing.MockClock()) is True
    assert trio.run(check) is False
    assert not is_virtual()  # no event loop at all


async def test_recording_under_a_virtual_clock_is_refused_with_the_way_out(
    tmp_path: Path,
) -> None:
    # Waiting on a live server looks idle to a virtual clock: it would jump to the client's
    # timeout. So nothing goes out, nothing is written, and the error says what to do.
    path = tmp_path / "recorded.yaml"
    with SimulatorServer(Script(text="Hi there")) as sim:
        base_url = sim.base_url_for("ollama")
        transport = CassetteTransport(path, "once")
        async with LLMRing(transport=transport) as ring:
            ring.register_provider("ollama", api_key=PLACEHOLDER_KEY, base_url=base_url)
            with virtual_clock(), pytest.raises(ConfigurationError) as refused:
                [chunk async for chunk in ring.chat_stream(request())]
            assert "under a virtual clock" in str(refused.value)
            assert "/api/chat" in str(refused.value)  # names the request
            assert "llm_cassette.recording" in str(refused.value)  # and the way out
            assert list(sim.requests) == []
            # The same request on the real clock records; then it replays under the virtual.
            text = "".join([chunk.delta async for chunk in ring.chat_stream(request())])
        assert text == "Hi there"
    assert path.exists() and transport.live.sent == 1
    replay = LLMRing(transport=CassetteTransport(path, "none"))
    replay.register_provider("ollama", api_key=PLACEHOLDER_KEY, base_url=base_url)
    with virtual_clock():
        replayed = "".join([chunk.delta async for chunk in replay.chat_stream(request())])
    await replay.aclose()
    assert replayed == text


async def test_a_sync_client_records_under_a_virtual_clock(tmp_path: Path) -> None:
    # A sync client blocks the loop while it waits for the server, so the virtual clock
    # cannot jump meanwhile: recording through it is not refused.
    path = tmp_path / "recorded.yaml"
    with SimulatorServer(Script(text="Hi there")) as sim:
        transport = CassetteTransport(path, "once")
        url = sim.base_url_for("ollama") + "/api/chat"
        body = {"model": "llama3.2", "messages": [{"role": "user", "content": "hi"}]}
        with virtual_clock(), httpx.Client(transport=transport) as client:
            assert is_virtual()
            with client.stream("POST", url, json=body) as response:
                lines = [line for line in response.iter_lines() if line]
    assert transport.live.sent == 1 and len(sim.requests) == 1
    assert "".join(json.loads(line)["message"]["content"] for line in lines) == "Hi there"
    assert Cassette.load(path).interactions[0].request.uri == url
