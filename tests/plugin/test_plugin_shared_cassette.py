"""xdist workers recording into one shared cassette (`name=`, `new_episodes`) lose nothing.

Issue 11: `pytest -n 4` with tests sharing a cassette kept 3 of 12 interactions and reported
12 passed. Each worker now stores its interactions under the cassette's file lock, in the
journal beside it, and folds it into the file when its test ends.
"""

from __future__ import annotations

import json

import pytest
import yaml

from llmring_replay.cassette import Cassette

from .helpers import make_project, offline, simulating

TESTS = 12  # the finding: `pytest -n 4` kept 3 of 12
SHARED = f"""\
import pytest
from llmring_replay import LLMRequest, Message

@pytest.mark.llm_cassette(name="shared", allow_unplayed=True)
@pytest.mark.parametrize("number", range({TESTS}))
async def test_ask(llmring, number):
    request = LLMRequest(model="ollama:llama3.2",
                         messages=[Message(role="user", content=f"question {{number}}")])
    assert (await llmring.chat(request)).content
"""


def _prompts(interactions: list[dict[str, object]]) -> list[str]:
    bodies = [json.loads(str(item["request"]["body"])) for item in interactions]  # type: ignore[index]
    return sorted(body["messages"][-1]["content"] for body in bodies)


@pytest.mark.slow
def test_xdist_workers_sharing_a_cassette_keep_every_interaction(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_project(pytester)
    pytester.makepyfile(test_shared=SHARED)
    offline(monkeypatch)
    with simulating(monkeypatch) as sim:
        run = pytester.runpytest_subprocess(
            "-n", "4", "--llm-record-mode=new_episodes", timeout=300
        )
        run.assert_outcomes(passed=TESTS)
        assert len(sim.requests) == TESTS
    path = pytester.path / "cassettes" / "test_shared" / "shared.yaml"
    expected = sorted(f"question {n}" for n in range(TESTS))
    # Every worker's test folded its journal in: the file alone holds them all (for vcrpy).
    in_file = yaml.safe_load(path.read_text(encoding="utf-8"))["interactions"]
    assert _prompts(in_file) == expected
    assert len(Cassette.load(path).interactions) == TESTS
    assert sorted(p.name for p in path.parent.iterdir()) == [".shared.yaml.lock", "shared.yaml"]

    # Simulator gone: every test replays its own interaction from the shared cassette.
    pytester.runpytest_subprocess("-n", "2", "--llm-record-mode=none", timeout=300).assert_outcomes(
        passed=TESTS
    )
