"""Options, ini settings, the marker, cassette paths and the fixtures' objects."""

from __future__ import annotations

import pytest

from llmring_replay.cassette import Cassette
from llmring_replay.simulator import Script

from .helpers import make_project, offline, simulating


def test_options_and_marker_are_documented(pytester: pytest.Pytester) -> None:
    make_project(pytester)
    help_text = pytester.runpytest("--help").stdout.str()
    assert "llmring-replay: record and replay LLM streams:" in help_text
    assert "--llm-record-mode={none,once,new_episodes,all}" in help_text
    assert "--llm-timing=LLM_TIMING" in help_text
    assert "llm_cassette_dir (string):" in help_text
    markers = pytester.runpytest("--markers").stdout.str()
    assert "@pytest.mark.llm_cassette(name=None, *, timing='instant'" in markers


def test_bad_record_mode_is_refused(pytester: pytest.Pytester) -> None:
    make_project(pytester)
    result = pytester.runpytest("--llm-record-mode=sometimes")
    assert result.ret == pytest.ExitCode.USAGE_ERROR


PATHS = """\
import re
from pathlib import Path

import pytest

HERE = Path(__file__).parent

def relative(cassette):
    return cassette.path.relative_to(HERE).as_posix()

def test_plain(llm_cassette):
    assert relative(llm_cassette) == "DIR/test_paths/test_plain.yaml"

@pytest.mark.parametrize("n", [1])
@pytest.mark.parametrize("word", ["a"])
def test_param(llm_cassette, word, n):
    assert relative(llm_cassette) == "DIR/test_paths/test_param-a-1.yaml"

@pytest.mark.parametrize("text", ["a/b", "a:b"])
def test_unsafe(llm_cassette, text):
    pattern = r"DIR/test_paths/test_unsafe-a_b-[0-9a-f]{8}[.]yaml"
    assert re.fullmatch(pattern, relative(llm_cassette))

class TestChat:
    def test_method(self, llm_cassette):
        assert relative(llm_cassette) == "DIR/test_paths/TestChat.test_method.yaml"

@pytest.mark.llm_cassette("shared/greeting")
def test_named(llm_cassette):
    assert relative(llm_cassette) == "DIR/test_paths/shared/greeting.yaml"

@pytest.mark.llm_cassette(name="greeting.yml", providers=["openai", "ollama"])
def test_named_per_provider(llm_cassette, llm_provider):
    assert relative(llm_cassette) == f"DIR/test_paths/greeting-{llm_provider}.yml"
"""


@pytest.mark.parametrize(
    ("ini", "folder"), [("", "cassettes"), ("llm_cassette_dir = recordings\n", "recordings")]
)
def test_cassette_paths(pytester: pytest.Pytester, ini: str, folder: str) -> None:
    make_project(pytester, ini)
    pytester.makepyfile(test_paths=PATHS.replace("DIR", folder))
    # Record mode once: missing cassettes are fine, and nothing is requested or written.
    result = pytester.runpytest("--llm-record-mode=once", "-v")
    result.assert_outcomes(passed=8)
    assert not (pytester.path / folder).exists()


TIMING = """\
import os
import pytest

@pytest.mark.llm_cassette(timing="speed=2")
def test_marked(llm_cassette):
    assert llm_cassette.settings.timing == os.environ["EXPECT_MARKED"]

def test_unmarked(llm_cassette):
    assert llm_cassette.settings.timing == os.environ["EXPECT_UNMARKED"]
"""


@pytest.mark.parametrize(
    ("args", "ini", "expected"),
    [
        ((), "", ("speed=2", "instant")),
        ((), "llm_timing = recorded\n", ("speed=2", "recorded")),
        (("--llm-timing=speed=5",), "llm_timing = recorded\n", ("speed=5", "speed=5")),
    ],
)
def test_timing_precedence_is_command_line_then_marker_then_ini(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    args: tuple[str, ...],
    ini: str,
    expected: tuple[str, str],
) -> None:
    make_project(pytester, ini)
    pytester.makepyfile(test_timing=TIMING)
    monkeypatch.setenv("EXPECT_MARKED", expected[0])
    monkeypatch.setenv("EXPECT_UNMARKED", expected[1])
    pytester.runpytest("--llm-record-mode=once", *args).assert_outcomes(passed=2)


USE = """\
import asyncio

import httpx
import pytest

from llmring_replay import LLMRequest, Message, ProviderRateLimitError

REQUEST = LLMRequest(model="ollama:llama3.2", messages=[Message(role="user", content="Hi")])

@pytest.mark.llm_cassette(name="hi")
async def test_record(llmring):
    assert (await llmring.chat(REQUEST)).content == "Hello!"

@pytest.mark.llm_cassette(name="hi")
async def test_state(llmring, llm_cassette):
    assert not llm_cassette.recording
    assert [i.provider for i in llm_cassette.interactions] == ["ollama"]
    assert llm_cassette.unplayed == [0] and llm_cassette.played == []
    async with llmring:
        await llmring.chat(REQUEST)
    assert llm_cassette.played == [0] and llm_cassette.unplayed == []

@pytest.mark.llm_cassette(name="hi", timing="recorded")
async def test_recorded_timing(llmring):
    loop = asyncio.get_running_loop()
    start = loop.time()
    await llmring.chat(REQUEST)
    assert loop.time() - start >= 0.2

@pytest.mark.llm_cassette(name="hi")
def test_sync_caller(llmring):
    assert asyncio.run(llmring.chat(REQUEST)).content == "Hello!"

@pytest.mark.llm_cassette(name="hi", ignore_paths=["options"])  # Ollama: options.temperature
async def test_ignore_paths(llmring):
    await llmring.chat(REQUEST.model_copy(update={"temperature": 0.5}))

@pytest.mark.llm_cassette(name="hi")
async def test_any_httpx_client_on_any_host(llm_cassette):
    body = llm_cassette.interactions[0].request.body
    async with httpx.AsyncClient(transport=llm_cassette.transport) as client:
        response = await client.post("https://ollama.example:8443/api/chat", content=body)
    assert response.status_code == 200 and b"Hello" in response.content

@pytest.mark.llm_cassette(name="hi", faults=["rate_limit"])
async def test_faults(llmring):
    with pytest.raises(ProviderRateLimitError):
        await llmring.chat(REQUEST)
"""


def test_fixtures_replay_with_the_marker_options(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_project(pytester)
    pytester.makepyfile(test_use=USE)
    offline(monkeypatch)
    with simulating(monkeypatch, Script(text="Hello!", ttft=0.25)):
        recorded = pytester.runpytest("--llm-record-mode=once", "test_use.py::test_record")
    recorded.assert_outcomes(passed=1)
    cassette = Cassette.load(pytester.path / "cassettes" / "test_use" / "hi.yaml")
    assert len(cassette.interactions) == 1
    pytester.runpytest().assert_outcomes(passed=7)


STRICT = """\
import pytest
from llmring_replay import LLMRequest, Message

@pytest.mark.asyncio
@pytest.mark.llm_cassette(name="hi")
async def test_strict(llmring):
    request = LLMRequest(model="ollama:llama3.2", messages=[Message(role="user", content="Hi")])
    assert (await llmring.chat(request)).content == "Hello!"
"""


def test_pytest_asyncio_strict_mode(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makefile(
        ".ini",
        pytest="[pytest]\nasyncio_default_fixture_loop_scope = function\n"
        "addopts = -p no:hypothesispytest\nfilterwarnings = error\n",
    )
    pytester.makepyfile(test_strict=STRICT)
    offline(monkeypatch)
    with simulating(monkeypatch, Script(text="Hello!")):
        pytester.runpytest("--llm-record-mode=once").assert_outcomes(passed=1)
    pytester.runpytest().assert_outcomes(passed=1)


MODELS = """\
import pytest

@pytest.mark.llm_cassette(providers=["openai", "ollama"], models={"openai": "gpt-4o"})
def test_models(llm_provider, llm_model):
    expected = {"openai": "openai:gpt-4o", "ollama": "ollama:llama3.2"}
    assert llm_model == expected[llm_provider]

def test_no_providers(llm_model):
    pass
"""

UNKNOWN = """\
import pytest

@pytest.mark.llm_cassette(providers=["mistral"])
def test_unknown_provider(llm_model):
    pass
"""


def test_models_per_provider(pytester: pytest.Pytester) -> None:
    make_project(pytester)
    pytester.makepyfile(test_models=MODELS, test_unknown=UNKNOWN)
    result = pytester.runpytest("-v", "--continue-on-collection-errors")
    result.stdout.fnmatch_lines(["*test_models?openai? PASSED*", "*test_models?ollama? PASSED*"])
    result.assert_outcomes(passed=2, errors=2)  # test_unknown.py, test_no_providers
    output = result.stdout.str()
    assert "no default model for provider 'mistral'; give one with models=" in output
    assert "llm_model needs @pytest.mark.llm_cassette(providers=[...])" in output


@pytest.mark.parametrize(
    ("args", "ini", "source"),
    [
        (("--llm-timing=sped=2",), "", "--llm-timing"),
        ((), "llm_timing = sped=2\n", "llm_timing"),
    ],
)
def test_bad_timing_is_a_usage_error(
    pytester: pytest.Pytester, args: tuple[str, ...], ini: str, source: str
) -> None:
    make_project(pytester, ini)
    pytester.makepyfile(test_timing=TIMING)
    result = pytester.runpytest("--llm-record-mode=once", *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {source}: unknown timing 'sped=2': use recorded*"])
    output = result.stdout.str() + result.stderr.str()
    assert "Traceback" not in output and "raise ValueError" not in output
