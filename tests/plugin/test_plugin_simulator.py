"""The `llm_simulator` fixture and recording from a scenario with no environment set-up."""

from __future__ import annotations

import pytest

from .helpers import PROVIDERS, README_TEST, make_project, offline

SIMULATOR_TEST = """\
import os
import pytest
from llmring_replay import LLMRequest, LLMRing, Message

pytestmark = pytest.mark.llm_scenario("scenarios/greeter.yaml")

async def test_clients_find_the_simulator(llm_simulator):
    assert os.environ["OPENAI_BASE_URL"] == llm_simulator.base_url + "/v1"
    assert os.environ["ANTHROPIC_API_KEY"] == "llmring-replay-placeholder"
    assert "GOOGLE_API_KEY" not in os.environ
    async with LLMRing() as ring:
        request = LLMRequest(model="ollama:llama3.2", messages=[Message(role="user", content="Yo")])
        text = "".join([chunk.delta async for chunk in ring.chat_stream(request)])
    assert text == "Greetings."
    assert llm_simulator.requests[-1].path == "/api/chat"

def test_the_environment_is_the_test_s_own():
    assert os.environ.get("OPENAI_BASE_URL") is None
"""
GREETER = "rules:\n  - reply: {text: Greetings.}\n"


def test_the_fixture_points_the_test_s_clients_at_its_scenario(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_project(pytester)
    offline(monkeypatch)
    monkeypatch.setenv("GOOGLE_API_KEY", "a-real-key-must-not-reach-the-simulator")
    pytester.makefile(".yaml", **{"scenarios/greeter": GREETER})
    pytester.makepyfile(test_sim=SIMULATOR_TEST)
    result = pytester.runpytest("-p", "no:randomly", "test_sim.py")
    result.assert_outcomes(passed=2)


def test_recording_from_an_ini_scenario_needs_no_keys_and_replays_offline(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_project(pytester, "llm_scenario = weather\n")
    offline(monkeypatch)
    pytester.makepyfile(test_readme=README_TEST)
    recorded = pytester.runpytest("--llm-record-mode=once", "--snapshot-update")
    recorded.assert_outcomes(passed=4)
    folder = pytester.path / "cassettes" / "test_readme"
    for provider in PROVIDERS:
        text = (folder / f"test_greeting-{provider}.yaml").read_text(encoding="utf-8")
        assert "server: [llmring-replay-simulator]" in text
        assert "llmring-replay-placeholder" not in text  # credentials never reach disk
    replayed = pytester.runpytest()  # record mode none: no simulator, no network
    replayed.assert_outcomes(passed=4)
    # `off` turns the ini's scenario off: recording would be live, and there is no key.
    (folder / "test_greeting-openai.yaml").unlink()
    live = pytester.runpytest("--llm-record-mode=once", "--llm-scenario=off", "-k", "openai")
    live.assert_outcomes(failed=1)
    live.stdout.fnmatch_lines(["*provider 'openai' is not configured: set OPENAI_API_KEY*"])


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("", "llm_simulator needs a scenario: --llm-scenario, @pytest.mark.llm_scenario(...)"),
        (
            "llm_scenario = broken.yaml\n",
            "broken.yaml: line 3: rules[0].match.turn: Input should be greater than or equal",
        ),
        ("llm_scenario = nowhere\n", "nowhere: no such file, nor a built-in scenario"),
    ],
)
def test_without_a_usable_scenario_the_test_fails_saying_why(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, setup: str, message: str
) -> None:
    make_project(pytester, setup)
    offline(monkeypatch)
    pytester.makefile(".yaml", broken="rules:\n  - match:\n      turn: 0\n")
    pytester.makepyfile(test_it="def test_it(llm_simulator):\n    pass\n")
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    output = result.stdout.str()
    assert message in output
    assert "Traceback" not in output and "validation error for" not in output


SESSION_CONFTEST = """\
import os
import pytest

@pytest.fixture(scope="session")
def app_base_url(llm_simulator_session):
    # An app started once per session reads its configuration from the environment.
    return os.environ["ANTHROPIC_BASE_URL"]
"""
SESSION_TEST = """\
import os
from llmring_replay import LLMRequest, LLMRing, Message

async def test_one(app_base_url, llm_simulator_session):
    assert app_base_url == llm_simulator_session.base_url
    async with LLMRing() as ring:
        request = LLMRequest(model="anthropic:claude-3-5-haiku-20241022",
                             messages=[Message(role="user", content="Hello")])
        text = "".join([chunk.delta async for chunk in ring.chat_stream(request)])
    assert text == "Hi there! How can I help you today?"

def test_two(app_base_url):
    assert os.environ["ANTHROPIC_BASE_URL"] == app_base_url
"""


def test_the_session_fixture_serves_the_ini_scenario_to_session_wide_fixtures(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_project(pytester, "llm_scenario = weather\n")
    offline(monkeypatch)
    pytester.makeconftest(SESSION_CONFTEST)
    pytester.makepyfile(test_session=SESSION_TEST)
    pytester.runpytest().assert_outcomes(passed=2)
