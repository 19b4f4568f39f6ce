"""The README's example app records from one scenario under `pytest -n 2`, then replays.

The suite is examples/chat_app (a chat app's greeting and conversation, tool loop and rate
limit, each on every provider) and the README's example test, run in a project of its own
whose ini names the built-in `weather` scenario, beside a test that fails half-way after a
request no rule matches. No key and no base URL is set. The parallel recording must write
exactly the cassettes committed in this repository (recorded in another run, in another
order): with a scenario the answer is a function of the request, so neither the order of
the workers nor a failing test changes what the others record. The old global queue of
scripts failed both.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from llmring_replay.cassette import Cassette
from llmring_replay.cassette.canonical import canonical_url
from tests.plugin.helpers import INI, offline

REPO = Path(__file__).resolve().parents[2]
APP = REPO / "examples" / "chat_app"
TESTS = REPO / "tests"
#: module in the inner project -> the folder of its committed cassettes.
SUITE = {
    "test_chat_app": APP / "cassettes" / "test_chat_app",
    "test_readme_example": TESTS / "cassettes" / "test_readme_example",
}
BROKEN = """\
import pytest
from llmring_replay import LLMRequest, Message

@pytest.mark.llm_cassette(providers=["openai", "anthropic", "google", "ollama"])
async def test_a_broken_test_first(llmring, llm_model):
    said = Message(role="user", content="Hello, my name is Bob.")
    [chunk async for chunk in llmring.chat_stream(LLMRequest(model=llm_model, messages=[said]))]
    odd = Message(role="user", content="A question no rule of the scenario knows")
    [chunk async for chunk in llmring.chat_stream(LLMRequest(model=llm_model, messages=[odd]))]
"""


def _comparable(path: Path) -> list[tuple[Any, ...]]:
    """What a recording says, without when it was made or the simulator's port."""
    return [
        (
            i.request.method,
            canonical_url(i.request.uri)[2:],
            i.request.body,
            i.response.status,
            sorted(i.response.headers.items()),
            i.response.body,
            i.provider,
            i.model,
        )
        for i in Cassette.load(path).interactions
    ]


@pytest.mark.slow
def test_the_example_app_records_in_parallel_from_one_scenario_then_replays(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    offline(monkeypatch)
    pytester.makefile(".ini", pytest=INI + "llm_scenario = weather\n")
    for name in ("chat.py", "llmring.lock", "test_chat_app.py"):
        shutil.copy(APP / name, pytester.path / name)
    shutil.copy(TESTS / "test_readme_example.py", pytester.path)
    shutil.copytree(TESTS / "__snapshots__", pytester.path / "__snapshots__")
    pytester.makepyfile(test_a_broken=BROKEN)

    # Subprocesses: the inner modules are named like this suite's own (in-process they clash).
    recorded = pytester.runpytest_subprocess(
        "-n", "2", "--llm-record-mode=once", "--snapshot-update", timeout=300
    )
    # The broken test fails on all four providers, saying which rule was closest.
    recorded.assert_outcomes(passed=16, failed=4)
    recorded.stdout.fnmatch_lines(["*no rule of built-in scenario 'weather' matches*"])

    for module, committed in SUITE.items():
        ours = pytester.path / "cassettes" / module
        names = sorted(path.name for path in committed.glob("*.yaml"))
        assert names and sorted(path.name for path in ours.glob("*.yaml")) == names
        for name in names:
            assert _comparable(ours / name) == _comparable(committed / name), (
                f"{module}/{name} differs from the committed recording"
            )
    snapshot = "__snapshots__/test_readme_example.stream"
    assert (pytester.path / snapshot).read_text() == (TESTS / snapshot).read_text()

    # No simulator now (record mode none): everything replays offline.
    (pytester.path / "test_a_broken.py").unlink()
    replayed = pytester.runpytest_subprocess(timeout=300)
    replayed.assert_outcomes(passed=16)
