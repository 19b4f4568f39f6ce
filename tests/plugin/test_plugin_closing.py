"""The plugin closes the fixtures' clients on the loop they ran on, wherever that loop runs."""

from __future__ import annotations

import pytest

from llmring_replay.simulator import Script

from .helpers import make_project, offline, simulating

THREADED = """\
import asyncio
import threading

import pytest
from llmring_replay import LLMRequest, Message

REQUEST = LLMRequest(model="ollama:llama3.2", messages=[Message(role="user", content="Hi")])

@pytest.fixture
def app_loop():
    # An app serving from its own thread, as a web server under test would; it is stopped
    # only after the test's other fixtures are torn down.
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever)
    thread.start()
    yield loop
    loop.call_soon_threadsafe(loop.stop)
    thread.join()
    loop.close()

@pytest.fixture
def closed_after_the_test(llm_cassette):
    yield
    # Torn down after the plugin's end-of-test checks, before the cassette and the app.
    assert not llm_cassette.transport.open, "the ring was left open"

@pytest.mark.llm_cassette(name="hi")
def test_app_thread(app_loop, llmring, closed_after_the_test):
    answer = asyncio.run_coroutine_threadsafe(llmring.chat(REQUEST), app_loop).result(10)
    assert answer.content == "Hello!"
"""


def test_rings_used_on_a_loop_in_another_thread_are_closed_there(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_project(pytester)
    pytester.makepyfile(test_threaded=THREADED)
    offline(monkeypatch)
    with simulating(monkeypatch, Script(text="Hello!")):
        pytester.runpytest("--llm-record-mode=once").assert_outcomes(passed=1)
    pytester.runpytest().assert_outcomes(passed=1)
