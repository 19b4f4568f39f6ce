"""The marker beyond the basics: class- and module-level `providers`, `Timing` objects, names
leading out of the module's folder, parametrize ids that look like node-id separators."""

from __future__ import annotations

import pytest

from llmring_replay.simulator import Script

from .helpers import make_project, offline, simulating

SCOPED = """\
import pytest

pytestmark = pytest.mark.llm_cassette(providers=["openai", "ollama"])

def test_plain():
    pass

def test_model(llm_model):
    assert llm_model in ("openai:gpt-4o-mini", "ollama:llama3.2")

def test_ring(llmring, llm_cassette, llm_provider):
    assert llm_cassette.path.name == f"test_ring-{llm_provider}.yaml"

class TestChat:
    pytestmark = pytest.mark.llm_cassette(providers=["anthropic"])

    def test_plain(self):
        pass

    def test_cassette(self, llm_cassette, llm_provider):
        assert llm_provider == "anthropic"
        assert llm_cassette.path.name == "TestChat.test_cassette-anthropic.yaml"
"""


def test_providers_at_module_and_class_level_leave_other_tests_alone(
    pytester: pytest.Pytester,
) -> None:
    make_project(pytester)
    pytester.makepyfile(test_scoped=SCOPED)
    # Record mode once: missing cassettes are fine, and nothing is requested or written.
    result = pytester.runpytest("--llm-record-mode=once", "-v")
    result.assert_outcomes(passed=7)
    result.stdout.fnmatch_lines_random(
        [
            "*test_scoped.py::test_plain PASSED*",
            "*test_scoped.py::test_model?openai? PASSED*",
            "*test_scoped.py::test_model?ollama? PASSED*",
            "*test_scoped.py::test_ring?openai? PASSED*",
            "*test_scoped.py::test_ring?ollama? PASSED*",
            "*test_scoped.py::TestChat::test_plain PASSED*",
            "*test_scoped.py::TestChat::test_cassette?anthropic? PASSED*",
        ]
    )


IDS = """\
import re
import pytest

def name_of(cassette):
    return cassette.path.name

@pytest.mark.parametrize("text", ["a::b", "a.b"])
def test_ids(llm_cassette, text):
    if text == "a.b":
        assert name_of(llm_cassette) == "test_ids-a.b.yaml"
    else:
        assert re.fullmatch(r"test_ids-a_b-[0-9a-f]{8}[.]yaml", name_of(llm_cassette))

class TestIds:
    @pytest.mark.parametrize("text", ["x::y"])
    def test_in_class(self, llm_cassette, text):
        pattern = r"TestIds[.]test_in_class-x_y-[0-9a-f]{8}[.]yaml"
        assert re.fullmatch(pattern, name_of(llm_cassette))
"""


def test_ids_containing_node_id_separators_get_their_own_cassettes(
    pytester: pytest.Pytester,
) -> None:
    make_project(pytester)
    pytester.makepyfile(test_sep=IDS)
    pytester.runpytest("--llm-record-mode=once").assert_outcomes(passed=3)


SPEED = """\
import pytest
from llmring_replay.timing import Speed

@pytest.mark.llm_cassette(timing=Speed(2))
def test_speed(llm_cassette):
    assert llm_cassette.settings.timing == Speed(2)
"""


def test_marker_timing_may_be_a_timing_object(pytester: pytest.Pytester) -> None:
    make_project(pytester)
    pytester.makepyfile(test_speed=SPEED)
    pytester.runpytest("--llm-record-mode=once").assert_outcomes(passed=1)


SHARED = """\
from pathlib import Path

import pytest
from llmring_replay import LLMRequest, Message

REQUEST = LLMRequest(model="ollama:llama3.2", messages=[Message(role="user", content="Hi")])
SHARED = Path(__file__).parent / "cassettes" / "shared" / "hi.yaml"

@pytest.mark.llm_cassette(name="../shared/hi")
async def test_shared(llmring, llm_cassette):
    assert llm_cassette.path == SHARED
    assert (await llmring.chat(REQUEST)).content == "Hello!"
"""


def test_marker_name_may_lead_out_of_the_module_folder(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_project(pytester)
    pytester.makepyfile(test_shared=SHARED)
    offline(monkeypatch)
    with simulating(monkeypatch, Script(text="Hello!")):
        pytester.runpytest("--llm-record-mode=once").assert_outcomes(passed=1)
    cassettes = pytester.path / "cassettes"
    assert (cassettes / "shared" / "hi.yaml").exists()
    assert sorted(p.name for p in cassettes.iterdir()) == ["shared"]  # no stray folder
    pytester.runpytest().assert_outcomes(passed=1)


def test_bad_marker_timing_is_reported_without_a_traceback(pytester: pytest.Pytester) -> None:
    make_project(pytester)
    pytester.makepyfile(
        test_bad="""
        import pytest

        @pytest.mark.llm_cassette(timing="sped=2")
        def test_x(llm_cassette):
            pass
        """
    )
    result = pytester.runpytest("--llm-record-mode=once")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*llm_cassette: unknown timing 'sped=2': use recorded*"])
    assert "raise ValueError" not in result.stdout.str()  # no frames, just the message
