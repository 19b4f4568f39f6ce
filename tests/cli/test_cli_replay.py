"""`replay`: cassettes played through LLMRing, at a timing, with faults, as text or JSON."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

from llmring_replay.cassette import Interaction, RecordedRequest, RecordedResponse
from llmring_replay.cli import main
from llmring_replay.simulator import SimulatorServer
from tests.cli.cassettes import TEXT, openai_interaction, save, text_stream

WORDS = ["One", " two", " three", " four"]
# Offsets of the frames of `text_stream(WORDS)`: 4 words, finish, usage, [DONE].
SLOW = [0.12, 0.18, 0.24, 0.3, 0.3, 0.3, 0.3]


def replay(runner: CliRunner, *args: str) -> Result:
    return runner.invoke(main, ["replay", *args])


def json_lines(result: Result) -> list[dict[str, Any]]:
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_a_recording_replays_as_it_was_seen(runner: CliRunner, sim: SimulatorServer) -> None:
    record = ["record", "-m", "openai:gpt-4o-mini", "-p", "Hi", "-o", "c.yaml"]
    assert runner.invoke(main, [*record, "--base-url", sim.base_url_for("openai")]).exit_code == 0
    result = replay(runner, "c.yaml")
    assert result.exit_code == 0, result.output
    text, summary = result.stdout.splitlines()
    assert text == TEXT
    assert summary.startswith("finish: stop · usage: ")


def test_json_gives_one_normalized_chunk_per_line(runner: CliRunner) -> None:
    save(Path("c.yaml"), openai_interaction(text_stream(WORDS)))
    result = replay(runner, "c.yaml", "--json", "--timing", "instant")
    assert result.exit_code == 0, result.output
    lines = json_lines(result)
    assert "".join(line["delta"] for line in lines) == "".join(WORDS)
    assert all(line["interaction"] == 0 for line in lines)
    assert all(line["model"] == "openai:gpt-4o-mini" for line in lines)
    offsets = [line["offset_ms"] for line in lines]
    assert offsets == sorted(offsets)
    assert lines[-1]["finish_reason"] == "stop"
    assert lines[-1]["usage"]["completion_tokens"] == 4
    assert "finish_reason" not in lines[0]  # exclude_none: absent, not null


@pytest.mark.parametrize(
    ("timing", "first_at_least", "last_between"),
    # Upper bounds leave room for a loaded machine, yet keep the two policies apart.
    [("recorded", 115, (295, 1500)), ("speed=3", 38, (95, 290))],
)
def test_the_timing_policy_paces_the_stream(
    runner: CliRunner, timing: str, first_at_least: float, last_between: tuple[float, float]
) -> None:
    save(Path("c.yaml"), openai_interaction(text_stream(WORDS), offsets=SLOW))
    result = replay(runner, "c.yaml", "--json", "--timing", timing)
    assert result.exit_code == 0, result.output
    offsets = [line["offset_ms"] for line in json_lines(result)]
    assert offsets[0] >= first_at_least  # the recorded 120 ms TTFT, scaled by the policy
    assert last_between[0] <= offsets[-1] <= last_between[1]


def test_instant_timing_does_not_wait(runner: CliRunner) -> None:
    save(Path("c.yaml"), openai_interaction(text_stream(WORDS), offsets=[5.0] * 7))
    result = replay(runner, "c.yaml", "--json", "--timing", "instant")
    assert result.exit_code == 0
    assert json_lines(result)[-1]["offset_ms"] < 1000


def test_interaction_picks_one_even_among_identical_requests(runner: CliRunner) -> None:
    first = openai_interaction(text_stream(["first"]))
    second = openai_interaction(text_stream(["second"]))
    save(Path("c.yaml"), first, second)
    result = replay(runner, "c.yaml", "--interaction", "1", "--timing", "instant")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "second"
    both = replay(runner, "c.yaml", "--timing", "instant")
    assert [line for line in both.stdout.splitlines() if line in ("first", "second")] == [
        "first",
        "second",
    ]


def test_an_interaction_out_of_range_is_one_line(runner: CliRunner) -> None:
    save(Path("c.yaml"), openai_interaction(text_stream(WORDS)))
    result = replay(runner, "c.yaml", "-i", "3")
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "Error: c.yaml has 1 interaction(s): there is no interaction 3"
    )


def test_a_bad_timing_is_a_usage_error(runner: CliRunner) -> None:
    save(Path("c.yaml"), openai_interaction(text_stream(WORDS)))
    result = replay(runner, "c.yaml", "--timing", "warp=9")
    assert result.exit_code == 2
    assert "--timing" in result.stderr


def test_disconnect_fault_shows_three_frames_then_the_error(runner: CliRunner) -> None:
    pytest.importorskip("llmring_replay.faults")
    save(Path("c.yaml"), openai_interaction(text_stream(WORDS)))
    result = replay(runner, "c.yaml", "--timing", "instant", "--fault", "disconnect:after=3")
    assert result.exit_code == 1
    assert result.stdout == "One two three\n"
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("Error: openai: connection to https://api.openai.com failed")


def test_a_stall_fails_after_the_given_timeout(runner: CliRunner) -> None:
    pytest.importorskip("llmring_replay.faults")
    save(Path("c.yaml"), openai_interaction(text_stream(WORDS)))
    started = time.monotonic()
    result = replay(runner, "c.yaml", "--fault", "stall:before=30s", "--timeout", "0.2")
    assert time.monotonic() - started < 10  # not the default 60 s, nor the 30 s stall
    assert result.exit_code == 1
    assert "ProviderTimeoutError" in result.stderr or "timed out" in result.stderr.lower()


def test_a_fault_aimed_at_one_interaction_spares_the_others(runner: CliRunner) -> None:
    pytest.importorskip("llmring_replay.faults")
    save(
        Path("c.yaml"),
        openai_interaction(text_stream(["a"])),
        openai_interaction(text_stream(["b"])),
    )
    result = replay(runner, "c.yaml", "--timing", "instant", "--fault", "rate_limit:only=1")
    assert result.exit_code == 1
    assert "a\nfinish: stop" in result.stdout
    assert result.stderr.strip().startswith("Error: openai 429: ")


def test_fault_without_the_faults_module_says_so(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "llmring_replay.faults", None)  # import now fails
    save(Path("c.yaml"), openai_interaction(text_stream(WORDS)))
    result = replay(runner, "c.yaml", "--fault", "disconnect:after=3")
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "Error: --fault needs llmring_replay.faults, which this installation does not have"
    )


def test_a_bad_fault_spec_is_a_usage_error(runner: CliRunner) -> None:
    pytest.importorskip("llmring_replay.faults")
    save(Path("c.yaml"), openai_interaction(text_stream(WORDS)))
    result = replay(runner, "c.yaml", "--fault", "meteor_strike")
    assert result.exit_code == 2
    assert "--fault" in result.stderr


def test_a_recorded_error_is_raised_and_later_interactions_still_play(runner: CliRunner) -> None:
    error = {"error": {"message": "Rate limit reached", "type": "requests", "code": None}}
    limited = openai_interaction(
        json.dumps(error).encode(), status=429, content_type="application/json"
    )
    save(Path("c.yaml"), limited, openai_interaction(text_stream(["after"])))
    result = replay(runner, "c.yaml", "--timing", "instant")
    assert result.exit_code == 1
    assert result.stderr.strip() == "Error: openai 429: Rate limit reached"
    assert "── interaction 1: openai:gpt-4o-mini\nafter\n" in result.stdout


def test_an_answer_that_is_not_a_stream_plays_through_chat(runner: CliRunner) -> None:
    answer = {
        "model": "gpt-4o-mini",
        "choices": [{"index": 0, "message": {"content": "Whole answer."}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
    }
    request = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}]}
    interaction = openai_interaction(
        json.dumps(answer).encode(), request=request, content_type="application/json"
    )
    save(Path("c.yaml"), interaction)
    result = replay(runner, "c.yaml", "--timing", "instant")
    assert result.exit_code == 0, result.output
    text, summary = result.stdout.splitlines()
    assert text == "Whole answer."
    assert summary.startswith("finish: stop · usage: 3 in + 2 out = 5 tokens")


def test_a_vcrpy_cassette_replays_with_synthesized_timing(runner: CliRunner) -> None:
    lines = [
        {"model": "llama3.2", "message": {"role": "assistant", "content": "Hi "}, "done": False},
        {"model": "llama3.2", "message": {"role": "assistant", "content": "there"}, "done": False},
        {"model": "llama3.2", "done": True, "done_reason": "stop", "eval_count": 2},
    ]
    vcrpy = {
        "interactions": [
            {
                "request": {
                    "method": "POST",
                    "uri": "http://localhost:11434/api/chat",
                    "body": '{"model":"llama3.2","messages":[],"stream":true}',
                    "headers": {},
                },
                "response": {
                    "status": {"code": 200, "message": "OK"},
                    "headers": {"Content-Type": ["application/x-ndjson"]},
                    "body": {"string": "".join(json.dumps(line) + "\n" for line in lines)},
                },
            }
        ],
        "version": 1,
    }
    Path("vcr.yaml").write_text(yaml.safe_dump(vcrpy))
    result = replay(runner, "vcr.yaml", "--json")
    assert result.exit_code == 0, result.output
    chunks = json_lines(result)
    assert "".join(chunk["delta"] for chunk in chunks) == "Hi there"
    # Synthesized: the first frame at 250 ms, then one every 20 ms.
    assert chunks[0]["offset_ms"] >= 240
    assert chunks[-1]["usage"]["completion_tokens"] == 2


def test_a_request_to_no_known_provider_is_skipped_or_refused(runner: CliRunner) -> None:
    side = Interaction(
        RecordedRequest("GET", "https://huggingface.co/tokenizer.json"),
        RecordedResponse(200, "OK", {"content-type": ["application/json"]}, b"{}", offsets=[0.1]),
    )
    save(Path("c.yaml"), side, openai_interaction(text_stream(["ok"])))
    both = replay(runner, "c.yaml", "--timing", "instant")
    assert both.exit_code == 0, both.output
    assert "interaction 0: skipped, GET https://huggingface.co/tokenizer.json" in both.stderr
    assert "ok\n" in both.stdout
    alone = replay(runner, "c.yaml", "-i", "0")
    assert alone.exit_code == 1
    assert "no codec speaks GET https://huggingface.co/tokenizer.json" in alone.stderr
