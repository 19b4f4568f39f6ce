"""The plugin's lifecycle in every test style users write, recording and then replaying.

Sync tests calling `asyncio.run` once or several times, pytest-asyncio in strict and auto
mode with function, module and session loops, anyio on asyncio and trio, an app serving from
its own loop in a thread: every request is recorded, clients are closed without touching a
loop that is gone (warnings are errors in the inner projects), and the replay passes with the
simulator stopped.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from llmring_replay.cassette import Cassette
from llmring_replay.simulator import Script

from .helpers import make_project, offline, simulating

COMMON = """\
import asyncio
import contextlib
import threading

import pytest
from llmring_replay import LLMRequest, Message


def request(text):
    return LLMRequest(model="ollama:llama3.2", messages=[Message(role="user", content=text)])


async def ask(ring, text="Hi"):
    return "".join([chunk.delta async for chunk in ring.chat_stream(request(text))])


async def first_chunk(ring):
    # Leaves the stream unread: the recording must still hold the whole answer.
    async for chunk in ring.chat_stream(request("early")):
        return chunk.delta
"""

STRICT = (
    COMMON
    + """

def test_sync_once(llmring):
    assert asyncio.run(ask(llmring)) == "Hello there"


def test_sync_twice(llmring):
    assert asyncio.run(ask(llmring, "one")) == asyncio.run(ask(llmring, "two")) == "Hello there"


@pytest.mark.asyncio
async def test_strict_function_loop(llmring):
    assert await ask(llmring) == "Hello there"


@pytest.mark.asyncio(loop_scope="module")
async def test_strict_module_loop(llmring):
    assert await ask(llmring) == "Hello there"


@pytest.mark.asyncio(loop_scope="module")
async def test_strict_module_loop_abandoned_stream(llmring):
    assert await first_chunk(llmring)


@pytest.mark.asyncio(loop_scope="session")
async def test_strict_session_loop(llmring):
    assert await ask(llmring) == "Hello there"


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request):
    return request.param


@pytest.mark.anyio
async def test_anyio(llmring, anyio_backend):
    assert await ask(llmring) == "Hello there"


@pytest.fixture
def app_loop():
    # An app serving from its own thread; stopped after the test's other fixtures.
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


def test_app_thread(app_loop, llmring, closed_after_the_test):
    answer = asyncio.run_coroutine_threadsafe(ask(llmring), app_loop).result(10)
    assert answer == "Hello there"


def test_app_thread_abandoned_stream(app_loop, llmring):
    assert asyncio.run_coroutine_threadsafe(first_chunk(llmring), app_loop).result(10)
"""
)

AUTO = (
    COMMON
    + """

async def test_auto_function_loop(llmring):
    assert await ask(llmring, "one") == await ask(llmring, "two") == "Hello there"


@pytest.mark.asyncio(loop_scope="module")
async def test_auto_module_loop(llmring):
    assert await ask(llmring) == "Hello there"
"""
)

#: How many interactions each test records.
RECORDED = {
    "test_sync_once": 1,
    "test_sync_twice": 2,
    "test_strict_function_loop": 1,
    "test_strict_module_loop": 1,
    "test_strict_module_loop_abandoned_stream": 1,
    "test_strict_session_loop": 1,
    "test_anyio-asyncio": 1,
    "test_anyio-trio": 1,
    "test_app_thread": 1,
    "test_app_thread_abandoned_stream": 1,
    "test_auto_function_loop": 2,
    "test_auto_module_loop": 1,
}
STRICT_INI = "asyncio_mode = auto\n", "asyncio_mode = strict\n"


def recorded(folder: Path) -> dict[str, int]:
    return {
        path.stem: len(Cassette.load(path).interactions)
        for path in sorted(folder.glob("cassettes/*/*.yaml"))
    }


def test_every_test_style_records_and_replays(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("trio")
    offline(monkeypatch)
    make_project(pytester)
    pytester.makepyfile(test_auto=AUTO)
    strict = pytester.mkdir("strict")
    (strict / "pytest.ini").write_text(
        (pytester.path / "pytest.ini").read_text().replace(*STRICT_INI)
    )
    (strict / "test_strict.py").write_text(STRICT)
    runs = [(pytester.path / "test_auto.py", 2), (strict, 10)]
    with simulating(monkeypatch, Script(text="Hello there")):
        for target, passed in runs:
            pytester.runpytest(target, "--llm-record-mode=once").assert_outcomes(passed=passed)
    assert {**recorded(pytester.path), **recorded(strict)} == RECORDED
    for target, passed in runs:  # the simulator is gone: replay only
        pytester.runpytest(target).assert_outcomes(passed=passed)
