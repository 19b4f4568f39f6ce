"""Safety: missing cassettes name the command that records them, the network is blocked,
unplayed interactions fail the test."""

from __future__ import annotations

import shlex
import socket

import pytest

from llmring_replay.cassette import Cassette

from .helpers import make_project, offline, simulating

HELLO = """\
from llmring_replay import LLMRequest, Message

async def test_hello(llmring):
    request = LLMRequest(model="openai:gpt-4o-mini", messages=[Message(role="user", content="Hi")])
    chunks = [chunk async for chunk in llmring.chat_stream(request)]
    assert chunks[-1].finish_reason == "stop"
"""


def test_missing_cassette_fails_with_the_command_that_records_it(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_project(pytester)
    pytester.mkdir("tests")  # not a package: `tests` is the outer suite's
    (pytester.path / "tests" / "test_chat.py").write_text(HELLO)
    offline(monkeypatch)

    missing = pytester.runpytest()
    missing.assert_outcomes(failed=1)
    command = "pytest tests/test_chat.py::test_hello --llm-record-mode=once"
    missing.stdout.fnmatch_lines(
        [
            "*cassette tests/cassettes/test_chat/test_hello.yaml does not exist*",
            f"    {command}",
        ]
    )
    assert "Traceback" not in missing.stdout.str()

    # The command does what it says (here against the simulator, not a real provider).
    with simulating(monkeypatch):
        pytester.runpytest(*shlex.split(command)[1:]).assert_outcomes(passed=1)
    assert (pytester.path / "tests" / "cassettes" / "test_chat" / "test_hello.yaml").exists()
    pytester.runpytest().assert_outcomes(passed=1)


def test_record_command_quotes_parametrize_ids(pytester: pytest.Pytester) -> None:
    make_project(pytester)
    pytester.makepyfile(
        test_ids="""
        import pytest

        @pytest.mark.parametrize("word", ["a b"])
        def test_word(llm_cassette, word):
            pass
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["    pytest 'test_ids.py::test_word[a b]' --llm-record-mode=once"])


NETWORK = """\
import socket

import httpx
import pytest

from llmring_replay.simulator import Script, SimulatorServer

pytestmark = pytest.mark.llm_cassette(name="empty")

def test_raw_socket(llm_cassette):
    socket.create_connection(("192.0.2.1", 443), timeout=5)

def test_sync_httpx(llm_cassette):
    httpx.get("https://example.com/")

async def test_async_httpx(llm_cassette):
    async with httpx.AsyncClient() as client:
        await client.get("https://example.com/")

def test_swallowed(llm_cassette):
    try:
        socket.create_connection(("192.0.2.1", 443), timeout=5)
    except Exception:
        pass

# A provider API path (even on loopback) is served by the cassette unless interception is off.
@pytest.mark.llm_cassette(intercept=False)
async def test_loopback_stays_open(llm_cassette):
    async with SimulatorServer(Script(text="local")) as sim:
        async with httpx.AsyncClient() as client:
            response = await client.post(sim.base_url_for("ollama") + "/api/chat",
                                         json={"model": "m", "messages": []})
    assert response.status_code == 200

def test_unblocked_without_the_fixture():
    assert socket.getaddrinfo.__module__ == "socket"
"""


def test_network_is_blocked_while_replaying(pytester: pytest.Pytester) -> None:
    make_project(pytester)
    pytester.makepyfile(test_net=NETWORK)
    Cassette(path=pytester.path / "cassettes" / "test_net" / "empty.yaml").save()
    original = (socket.socket.connect, socket.getaddrinfo)

    result = pytester.runpytest("-p", "no:randomly")

    result.assert_outcomes(failed=4, passed=2)
    result.stdout.fnmatch_lines(
        [
            "*NetworkBlockedError: llmring-replay blocked a connection to 192.0.2.1:443*",
            "*NetworkBlockedError: llmring-replay blocked a DNS lookup of 'example.com'*",
            "*the test tried to reach the network while replaying its cassette:",
            "*  - a connection to 192.0.2.1:443",
        ]
    )
    assert (socket.socket.connect, socket.getaddrinfo) == original


QUIET = """\
import pytest

@pytest.mark.llm_cassette(name="hello")
async def test_quiet(llmring):
    pass

@pytest.mark.llm_cassette(name="hello", allow_unplayed=True)
async def test_quiet_allowed(llmring):
    pass

@pytest.mark.llm_cassette(name="hello")
async def test_failing_for_its_own_reason(llmring):
    assert 1 == 2
"""


def test_unplayed_interaction_fails_unless_allowed(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_project(pytester)
    pytester.makepyfile(test_hello=HELLO)
    offline(monkeypatch)
    with simulating(monkeypatch):
        pytester.runpytest("--llm-record-mode=once").assert_outcomes(passed=1)
    recorded = pytester.path / "cassettes" / "test_hello" / "test_hello.yaml"
    (pytester.path / "cassettes" / "test_quiet").mkdir()
    recorded.rename(pytester.path / "cassettes" / "test_quiet" / "hello.yaml")
    pytester.makepyfile(test_quiet=QUIET)

    result = pytester.runpytest("test_quiet.py")

    result.assert_outcomes(failed=2, passed=1)
    result.stdout.fnmatch_lines(
        [
            "*test_quiet*",
            "*hello.yaml: 1 recorded interaction(s) never requested:",
            "*[[]0] POST http://127.0.0.1:*/v1/chat/completions",
            "*(if that is expected: @pytest.mark.llm_cassette(allow_unplayed=True))",
        ]
    )
    # A test failing for its own reason reports that reason only.
    output = result.stdout.str()
    quiet = output.split("_ test_quiet _")[1].split("_ test_failing_for_its_own_reason _")[0]
    assert quiet.count("never requested") == 1  # said once, not chained
    section = output.split("test_failing_for_its_own_reason _")[1].split("short test summary")[0]
    assert "assert 1 == 2" in section
    assert "never requested" not in section


def test_marker_typo_is_a_collection_error(pytester: pytest.Pytester) -> None:
    make_project(pytester)
    pytester.makepyfile(
        test_typo="""
        import pytest

        @pytest.mark.llm_cassette(allow_unplayd=True)
        def test_x(llm_cassette):
            pass
        """
    )
    result = pytester.runpytest()
    assert result.ret != 0
    assert "llm_cassette: unknown argument(s) ['allow_unplayd']" in result.stdout.str()


KEYS = """\
import pytest

@pytest.mark.llm_cassette(providers=["anthropic", "google", "ollama"])
def test_cross(llm_cassette):
    pass

def test_plain(llm_cassette):
    pass
"""


def test_missing_cassette_names_the_key_of_the_test_provider(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_project(pytester)
    pytester.makepyfile(test_keys=KEYS)
    offline(monkeypatch)
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(failed=4)
    # Under CI=true pytest repeats each failure's message, untruncated, in the short summary.
    hints = list(
        dict.fromkeys(line.strip() for line in result.stdout.lines if "(recording talks to" in line)
    )
    assert hints == [
        "(recording talks to the real anthropic API: set ANTHROPIC_API_KEY)",
        "(recording talks to the real google API: set GEMINI_API_KEY or GOOGLE_API_KEY)",
        "(recording talks to the real ollama API: set OLLAMA_API_KEY if it needs a key)",
        "(recording talks to the real provider: set its API key: OPENAI_API_KEY (openai), "
        "ANTHROPIC_API_KEY (anthropic), GEMINI_API_KEY or GOOGLE_API_KEY (google), "
        "OLLAMA_API_KEY (ollama, if it needs a key))",
    ]
