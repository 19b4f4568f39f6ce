"""Record from the simulator, replay offline, snapshot: the README's test on four providers."""

from __future__ import annotations

import pytest

from llmring_replay.cassette import Cassette
from llmring_replay.simulator import Script

from .helpers import PROVIDERS, README_TEST, make_project, offline, simulating


def test_readme_test_records_then_replays_offline_on_all_providers(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_project(pytester)
    pytester.makepyfile(test_readme=README_TEST)
    offline(monkeypatch)
    with simulating(monkeypatch) as sim:
        recorded = pytester.runpytest("--llm-record-mode=once", "--snapshot-update")
        recorded.assert_outcomes(passed=4)
        assert len(sim.requests) == 4
    folder = pytester.path / "cassettes" / "test_readme"
    assert sorted(p.name for p in folder.glob("[!.]*")) == sorted(  # not the lock files
        f"test_greeting-{provider}.yaml" for provider in PROVIDERS
    )
    for provider in PROVIDERS:
        cassette = Cassette.load(folder / f"test_greeting-{provider}.yaml")
        assert [i.provider for i in cassette.interactions] == [provider]
        assert b"recording-key" not in (folder / f"test_greeting-{provider}.yaml").read_bytes()

    # The simulator is gone, no key, no base URL: replay alone must answer, snapshots match.
    replayed = pytester.runpytest("--llm-record-mode=none")
    replayed.assert_outcomes(passed=4)
    assert "4 snapshots passed" in replayed.stdout.str()


def test_snapshot_file_reads_as_a_transcript(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_project(pytester)
    pytester.makepyfile(test_readme=README_TEST)
    offline(monkeypatch)
    with simulating(monkeypatch):
        pytester.runpytest("--llm-record-mode=once", "--snapshot-update").assert_outcomes(passed=4)
    text = (pytester.path / "__snapshots__" / "test_readme.stream").read_text()
    assert "# name: test_greeting[openai]" in text
    assert "  model: openai:gpt-4o-mini\n" in text
    assert "  - text: Hi there! Nice to meet you.\n" in text
    assert "  finish_reason: stop\n" in text
    assert "chatcmpl" not in text  # ids are gone


REWORDED = """\
import pytest
from llmring_replay import LLMRequest, Message

REQUEST = LLMRequest(model="openai:gpt-4o-mini", messages=[Message(role="user", content="Hi")])

@pytest.mark.llm_cassette(name="hi")
async def test_coalesced(llmring, stream_snapshot):
    chunks = [chunk async for chunk in llmring.chat_stream(REQUEST)]
    assert chunks == stream_snapshot

@pytest.mark.llm_cassette(name="hi")
async def test_exact(llmring, stream_snapshot):
    chunks = [chunk async for chunk in llmring.chat_stream(REQUEST)]
    assert chunks == stream_snapshot(exact=True)
"""


def test_rechunked_recording_keeps_coalesced_snapshot_and_changes_exact_one(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_project(pytester)
    pytester.makepyfile(test_chunks=REWORDED)
    offline(monkeypatch)
    text = "Hello there, how can I help?"
    with simulating(monkeypatch, Script(text=text)):
        first = pytester.runpytest("--llm-record-mode=once", "--snapshot-update")
        first.assert_outcomes(passed=2)
    snapshots = pytester.path / "__snapshots__"
    coalesced = (snapshots / "test_chunks.stream").read_text()
    exact = (snapshots / "test_chunks.chunks").read_text()
    assert "- delta: ' there,'" in exact

    chunks = ["Hel", "lo there, h", "ow can I", " help?"]
    with simulating(monkeypatch, Script(chunks=chunks)):
        rerecorded = pytester.runpytest("--llm-record-mode=all")
    rerecorded.assert_outcomes(passed=1, failed=1)
    rerecorded.stdout.fnmatch_lines(["*FAILED test_chunks.py::test_exact*"])
    assert (snapshots / "test_chunks.stream").read_text() == coalesced

    with simulating(monkeypatch, Script(chunks=chunks)):
        updated = pytester.runpytest("--llm-record-mode=none", "--snapshot-update")
    updated.assert_outcomes(passed=2)
    assert (snapshots / "test_chunks.stream").read_text() == coalesced
    assert "- delta: lo there, h" in (snapshots / "test_chunks.chunks").read_text()
    pytester.runpytest("--llm-record-mode=none").assert_outcomes(passed=2)


BOTH_OPENAI_APIS = """\
import pytest
from llmring_replay import LLMRequest, Message

@pytest.mark.llm_cassette(providers=["openai", "openai_responses"])
async def test_greeting(llmring, llm_provider, llm_model):
    request = LLMRequest(model=llm_model, messages=[Message(role="user", content="Say hi")])
    chunks = [chunk async for chunk in llmring.chat_stream(request)]
    assert "".join(c.delta for c in chunks) == "Hi there! Nice to meet you."
    assert llm_model == "openai:gpt-4o-mini"
    assert llmring.providers["openai"].api == (
        "openai_responses" if llm_provider == "openai_responses" else "openai_chat"
    )
"""


def test_a_cross_provider_run_names_a_wire_format_for_the_responses_api(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_project(pytester)
    pytester.makepyfile(test_apis=BOTH_OPENAI_APIS)
    offline(monkeypatch)
    with simulating(monkeypatch) as sim:
        pytester.runpytest("--llm-record-mode=once").assert_outcomes(passed=2)
        paths = sorted(request.path for request in sim.requests)
    assert paths == ["/v1/chat/completions", "/v1/responses"]
    folder = pytester.path / "cassettes" / "test_apis"
    responses = Cassette.load(folder / "test_greeting-openai_responses.yaml")
    assert responses.interactions[0].request.uri.endswith("/v1/responses")
    pytester.runpytest("--llm-record-mode=none").assert_outcomes(passed=2)
