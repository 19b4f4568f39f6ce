"""Frame timing, flushing, disconnects and the ways to run the server.

Timing assertions are lower bounds only: a frame can arrive late on a busy machine, never
early, because the server does not write it before its scheduled time.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import textwrap
import time
from typing import Any

import httpx
import pytest

from llmring_replay.framing import splitter_for
from llmring_replay.simulator import Script, SimulatorServer

OPENAI_BODY = {"model": "gpt-4o-mini", "stream": True, "messages": []}
# Frames of an OpenAI stream of three chunks: role, 3 contents, finish, [DONE].
GAPS = [0.03, 0.02, 0.04, 0.01, 0.03, 0.02]
CLOCK_SLACK = 0.002  # timer resolution, not machine noise: the server never sends early


def timed_frames(response: httpx.Response) -> list[tuple[float, bytes]]:
    """Each SSE frame with the `perf_counter` when the client had all of it."""
    splitter, _ = splitter_for("sse")
    seen = []
    for data in response.iter_raw():
        now = time.perf_counter()
        seen += [(now, frame) for frame in splitter.feed(data)]
    return seen


def client() -> httpx.Client:
    return httpx.Client(trust_env=False, timeout=5)


def test_frames_arrive_no_earlier_than_their_gaps() -> None:
    script = Script(chunks=["one", " two", " three"], gaps=GAPS)
    with SimulatorServer(script) as sim, client() as http:
        started = time.perf_counter()
        with http.stream("POST", sim.base_url + "/v1/chat/completions", json=OPENAI_BODY) as r:
            seen = timed_frames(r)
    assert len(seen) == len(GAPS) == len(sim.sent)
    for index, (arrived, _) in enumerate(seen):
        assert arrived - started >= sum(GAPS[: index + 1]) - CLOCK_SLACK
    for index in range(1, len(GAPS)):
        # The server's own log shows the full gap between writes. (Not the client's
        # arrivals: a client descheduled past a gap reads two frames at once.)
        assert sim.sent[index].at - sim.sent[index - 1].at >= GAPS[index] - CLOCK_SLACK
        # So no frame reaches the client sooner than its gap after the previous one left.
        assert seen[index][0] >= sim.sent[index - 1].at + GAPS[index] - CLOCK_SLACK


def test_client_sees_frame_one_before_frame_two_is_sent() -> None:
    script = Script(text="early late", gaps=[0, 0.05, 0.05])
    with (
        SimulatorServer(script) as sim,
        client() as http,
        http.stream("POST", sim.base_url + "/v1/chat/completions", json=OPENAI_BODY) as r,
    ):
        seen = timed_frames(r)
    first_seen = seen[0][0]
    assert sim.sent[0].at <= first_seen < sim.sent[1].at
    assert seen[0][1] == sim.sent[0].data


def test_ttft_delays_whole_answers_and_errors() -> None:
    scripts = [Script(text="slow", ttft=0.04), Script(status=503, ttft=0.04)]
    with SimulatorServer(scripts) as sim, client() as http:
        for status in (200, 503):
            started = time.perf_counter()
            response = http.post(sim.base_url + "/api/chat", json={"model": "m", "stream": False})
            assert response.status_code == status
            assert time.perf_counter() - started >= 0.04 - CLOCK_SLACK


def test_disconnect_mid_stream_leaves_the_server_healthy(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    frames_per_stream = 20 + 1  # one NDJSON line per character, then the `done` line
    long_answer = Script(chunk_size=1, text="x" * 20, interval=0.005)
    with SimulatorServer(long_answer) as sim, client() as http:
        body = {"model": "llama3", "messages": []}
        with http.stream("POST", sim.base_url + "/api/chat", json=body) as response:
            first = next(response.iter_raw())
            assert first.startswith(b'{"model":"llama3"')
        # Leaving the block closed the half-read response: httpx drops that connection.
        time.sleep(0.05)
        again = http.post(sim.base_url + "/api/chat", json={**body, "stream": False})
        assert again.status_code == 200
        assert again.json()["message"]["content"] == "x" * 20
        time.sleep(0.15)  # longer than the abandoned stream would have run
    # The abandoned stream stopped early: fewer frames than a full stream plus the JSON body.
    assert len(sim.sent) < frames_per_stream + 1
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text


def test_closing_the_server_ends_a_stalled_stream() -> None:
    stalled = Script(text="never finished", gaps=[0, 30])
    http = client()
    try:
        with SimulatorServer(stalled) as sim:
            response = http.send(
                http.build_request("POST", sim.base_url + "/v1/messages", json={"stream": True}),
                stream=True,
            )
            chunks = response.iter_raw()
            assert next(chunks).startswith(b"event: message_start")
            closing = time.perf_counter()
        # Nowhere near the 30 s the script would stall for (a loose sanity bound).
        assert time.perf_counter() - closing < 5
        # The client learns the body was cut short, as with any server going away.
        with pytest.raises(httpx.RemoteProtocolError):
            list(chunks)
        response.close()
    finally:
        http.close()


@pytest.mark.parametrize(
    ("path", "body", "framing"),
    [
        ("/v1/chat/completions", OPENAI_BODY, "sse"),
        ("/v1/messages", {"model": "claude", "stream": True}, "sse"),
        ("/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", {}, "sse"),
        ("/api/chat", {"model": "llama3"}, "ndjson"),
    ],
)
async def test_async_server_and_client_stream_on_schedule(
    path: str, body: dict[str, Any], framing: str
) -> None:
    script = Script(text="async works", interval=0.005, ttft=0.02)
    async with (
        SimulatorServer(script) as sim,
        httpx.AsyncClient(trust_env=False, timeout=5) as http,
    ):
        started = time.perf_counter()
        async with http.stream("POST", sim.base_url + path, json=body) as response:
            assert response.status_code == 200
            splitter, parse = splitter_for(framing)
            frames: list[bytes] = []
            first_at = None
            async for data in response.aiter_raw():
                frames += splitter.feed(data)
                if frames and first_at is None:
                    first_at = time.perf_counter()
    assert first_at is not None and first_at - started >= 0.02 - CLOCK_SLACK
    assert frames == [frame.data for frame in sim.sent]
    assert all(parse(frame) is not None for frame in frames)
    assert sim.requests[0].body == body


async def test_async_server_survives_a_disconnect() -> None:
    script = Script(chunk_size=1, text="abcdefghij", interval=0.01)
    async with (
        SimulatorServer(script) as sim,
        httpx.AsyncClient(trust_env=False, timeout=5) as http,
    ):
        async with http.stream("POST", sim.base_url + "/api/chat", json={"model": "m"}) as r:
            async for _ in r.aiter_raw():
                break
        response = await http.post(sim.base_url + "/api/chat", json={"model": "m", "stream": False})
        assert response.json()["message"]["content"] == "abcdefghij"


def test_serve_forever_runs_until_ctrl_c() -> None:
    program = textwrap.dedent(
        """
        from llmring_replay.simulator import Script, SimulatorServer

        def ready(server):
            print(server.base_url, flush=True)

        SimulatorServer(Script(text="from the CLI")).serve_forever(on_ready=ready)
        print("stopped", flush=True)
        """
    )
    process = subprocess.Popen(
        [sys.executable, "-c", program],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "error"},
    )
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:")
        with client() as http:
            response = http.post(base_url + "/api/chat", json={"model": "m", "stream": False})
        assert json.loads(response.content)["message"]["content"] == "from the CLI"
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, stderr
    assert stdout.strip() == "stopped"
    assert "Traceback" not in stderr
