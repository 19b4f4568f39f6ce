"""Record modes through the plugin: `once` over an existing cassette, `new_episodes`, and
recordings that never complete."""

from __future__ import annotations

import pytest

from llmring_replay.cassette import Cassette
from llmring_replay.simulator import Script

from .helpers import make_project, offline, simulating

ONCE = """\
import socket

import pytest
from llmring_replay import LLMRequest, Message

REQUEST = LLMRequest(model="ollama:llama3.2", messages=[Message(role="user", content="Hi")])
pytestmark = pytest.mark.llm_cassette(name="hi")

async def test_chat(llmring, llm_cassette):
    assert (await llmring.chat(REQUEST)).content == "Hello!"

@pytest.mark.llm_cassette(allow_unplayed=True)
def test_network(llm_cassette):
    assert not llm_cassette.recording
    socket.create_connection(("192.0.2.1", 443), timeout=5)
"""


def test_once_over_an_existing_cassette_replays_with_the_network_blocked(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_project(pytester)
    pytester.makepyfile(test_once=ONCE)
    offline(monkeypatch)
    with simulating(monkeypatch, Script(text="Hello!")) as sim:
        first = pytester.runpytest("--llm-record-mode=once", "test_once.py::test_chat")
        first.assert_outcomes(passed=1)
        assert len(sim.requests) == 1

        # The cassette exists now: `once` only replays, though the simulator still answers.
        again = pytester.runpytest("--llm-record-mode=once", "-p", "no:randomly")
        assert len(sim.requests) == 1
    again.assert_outcomes(passed=1, failed=1)
    again.stdout.fnmatch_lines(
        ["*NetworkBlockedError: llmring-replay blocked a connection to 192.0.2.1:443*"]
    )


EPISODES = """\
import os

import pytest
from llmring_replay import LLMRequest, Message

def ask(text):
    return LLMRequest(model="ollama:llama3.2", messages=[Message(role="user", content=text)])

@pytest.mark.llm_cassette(name="talk")
async def test_talk(llmring):
    assert (await llmring.chat(ask("Hi"))).content == "Hello!"
    if os.environ.get("ALSO_BYE"):
        assert (await llmring.chat(ask("Bye"))).content == "Hello!"
"""


def test_new_episodes_replays_what_is_recorded_and_records_the_rest(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_project(pytester)
    pytester.makepyfile(test_episodes=EPISODES)
    offline(monkeypatch)
    path = pytester.path / "cassettes" / "test_episodes" / "talk.yaml"
    with simulating(monkeypatch, Script(text="Hello!")) as sim:
        pytester.runpytest("--llm-record-mode=once").assert_outcomes(passed=1)
        assert len(Cassette.load(path).interactions) == 1

        monkeypatch.setenv("ALSO_BYE", "1")
        pytester.runpytest("--llm-record-mode=new_episodes").assert_outcomes(passed=1)
        assert len(sim.requests) == 2  # "Hi" was replayed, only "Bye" went out
    assert len(Cassette.load(path).interactions) == 2
    pytester.runpytest().assert_outcomes(passed=1)


CUT = """\
import contextlib
import socket
import threading

import httpx

def answer_then_hang_up(listener):
    connection, _ = listener.accept()
    with connection:
        connection.recv(65536)
        connection.sendall(
            b"HTTP/1.1 200 OK\\r\\ncontent-type: text/plain\\r\\ncontent-length: 100\\r\\n\\r\\ncut"
        )
        connection.shutdown(socket.SHUT_WR)
        while connection.recv(65536):  # until the client hangs up too: no reset
            pass

async def test_cut_and_swallowed(llm_cassette):
    with socket.create_server(("127.0.0.1", 0)) as listener:
        server = threading.Thread(target=answer_then_hang_up, args=(listener,))
        server.start()
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/api/chat"
        try:
            async with httpx.AsyncClient(transport=llm_cassette.transport) as client:
                with contextlib.suppress(httpx.TransportError):
                    await client.post(url, json={"model": "llama3.2"})
        finally:
            server.join()
"""


def test_request_that_was_not_recorded_fails_the_test(pytester: pytest.Pytester) -> None:
    make_project(pytester)
    pytester.makepyfile(test_cut=CUT)

    result = pytester.runpytest("--llm-record-mode=once")

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*1 request(s) went to the network while recording, 0 interaction(s) were recorded*",
        ]
    )
    assert not (pytester.path / "cassettes").exists()


ABANDONED = """\
import httpx

async def test_abandoned(llm_cassette):
    client = httpx.AsyncClient(transport=llm_cassette.transport)
    # Headers read, the body never: neither the response nor the client is closed.
    await client.send(client.build_request("POST", f"{BASE}/api/chat", json={
        "model": "llama3.2", "messages": [{"role": "user", "content": "Hi"}]}), stream=True)
"""


def test_stream_abandoned_on_the_cassette_transport_is_recorded(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_project(pytester)
    offline(monkeypatch)
    with simulating(monkeypatch, Script(text="Hello there!")) as sim:
        pytester.makepyfile(test_abandoned=f"BASE = {sim.base_url_for('ollama')!r}\n" + ABANDONED)
        pytester.runpytest("--llm-record-mode=once").assert_outcomes(passed=1)
    path = pytester.path / "cassettes" / "test_abandoned" / "test_abandoned.yaml"
    (interaction,) = Cassette.load(path).interactions
    assert b'"done":true' in interaction.response.body.replace(b" ", b"")
