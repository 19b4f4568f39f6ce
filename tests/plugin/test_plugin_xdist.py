"""Under pytest-xdist, workers record and replay their own cassettes in the same run."""

from __future__ import annotations

import re

import pytest

from .helpers import PROVIDERS, README_TEST, make_project, offline, simulating

OTHERS = """\
import pytest
from llmring_replay import LLMRequest, Message

@pytest.mark.parametrize("question", ["first", "second"])
async def test_other(llmring, stream_snapshot, question):
    request = LLMRequest(model="anthropic:claude-3-5-haiku-20241022",
                         messages=[Message(role="user", content=question)])
    chunks = [chunk async for chunk in llmring.chat_stream(request)]
    assert chunks == stream_snapshot
"""


@pytest.mark.slow
def test_xdist_records_and_replays_distinct_cassettes_in_one_run(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_project(pytester)
    pytester.makepyfile(test_others=OTHERS)
    offline(monkeypatch)
    with simulating(monkeypatch):
        # test_others' cassettes exist before the parallel run; test_readme's do not.
        pytester.runpytest("--llm-record-mode=once", "--snapshot-update").assert_outcomes(passed=2)
        pytester.makepyfile(test_readme=README_TEST)
        mixed = pytester.runpytest_subprocess(
            "-n", "2", "-v", "--llm-record-mode=once", "--snapshot-update", timeout=120
        )
        mixed.assert_outcomes(passed=6)
        assert set(re.findall(r"\[(gw\d)\] .*PASSED", mixed.stdout.str())) == {"gw0", "gw1"}
    folder = pytester.path / "cassettes"
    recorded = {p.relative_to(folder).as_posix() for p in folder.rglob("*.yaml")}
    assert recorded == {
        "test_others/test_other-first.yaml",
        "test_others/test_other-second.yaml",
        *(f"test_readme/test_greeting-{provider}.yaml" for provider in PROVIDERS),
    }

    # Simulator gone: the parallel run replays everything and every snapshot matches.
    replayed = pytester.runpytest_subprocess("-n", "2", "--llm-record-mode=none", timeout=120)
    replayed.assert_outcomes(passed=6)
    assert "6 snapshots passed" in replayed.stdout.str()
