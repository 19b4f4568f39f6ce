"""The script model and the Simulator that picks a script per request."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

import llmring_replay.simulator as simulator_package
from llmring_replay.simulator import Script, Simulator, ToolCallSpec, Usage
from llmring_replay.simulator.script import split_words


def test_package_all_is_sorted_and_importable() -> None:
    names = simulator_package.__all__
    assert names == sorted(names)
    for name in names:
        assert hasattr(simulator_package, name), name


@pytest.mark.parametrize(
    "text",
    ["Hello world", "  leading and trailing  ", "one\n\ntwo\tthree", "", "héllo 😊 wörld"],
)
def test_split_words_pieces_join_back_to_the_text(text: str) -> None:
    pieces = split_words(text)
    assert "".join(pieces) == text
    assert all(piece for piece in pieces)


def test_text_chunks_are_a_word_plus_its_leading_space() -> None:
    assert Script(text="Hello big world").text_chunks() == ["Hello", " big", " world"]


def test_chunk_size_cuts_every_n_characters() -> None:
    assert Script(text="abcdefg", chunk_size=3).text_chunks() == ["abc", "def", "g"]


def test_explicit_chunks_define_the_text() -> None:
    script = Script(chunks=["Hel", "lo", "!"])
    assert script.text == "Hello!"
    assert script.text_chunks() == ["Hel", "lo", "!"]


def test_chunks_that_disagree_with_text_are_rejected() -> None:
    with pytest.raises(ValidationError, match="chunks"):
        Script(text="Hello", chunks=["Bye"])


def test_reasoning_is_split_like_text() -> None:
    assert Script(reasoning="Think first").reasoning_chunks() == ["Think", " first"]
    assert Script().reasoning_chunks() == []


@pytest.mark.parametrize(
    ("script", "finish"),
    [
        (Script(), "stop"),
        (Script(tool_calls=[ToolCallSpec(name="f")]), "tool_calls"),
        (Script(finish="length"), "length"),
        (Script(tool_calls=[ToolCallSpec(name="f")], finish="stop"), "stop"),
    ],
)
def test_finish_default_depends_on_tool_calls(script: Script, finish: str) -> None:
    assert script.finish_reason() == finish


def test_delays_use_ttft_then_interval() -> None:
    assert Script(ttft=0.5, interval=0.1).delays(3) == [0.5, 0.1, 0.1]


def test_gaps_override_and_fall_back_past_their_end() -> None:
    script = Script(ttft=0.5, interval=0.1, gaps=[0.01, 0.02])
    assert script.delays(4) == [0.01, 0.02, 0.1, 0.1]


@pytest.mark.parametrize(
    "fields",
    [{"status": 302}, {"status": 199}, {"gaps": [0.1, -0.1]}, {"ttft": -1}, {"bogus": 1}],
)
def test_invalid_scripts_are_rejected(fields: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        Script(**fields)


def test_token_counts_are_derived_from_words() -> None:
    script = Script(
        text="one two three",
        reasoning="think think",
        tool_calls=[ToolCallSpec(name="f", arguments={"city": "Paris"})],
    )
    counts = script.token_counts({"model": "m", "messages": [{"role": "user", "content": "a b"}]})
    # Prompt: "user", "a", "b" (the model name is not prompt text).
    assert counts.prompt == 3
    # Completion: three words of text, two of reasoning, two of arguments JSON.
    assert counts.completion == 3 + 2 + 2
    assert counts.reasoning == 2
    assert counts.total == counts.prompt + counts.completion


def test_scripted_usage_wins() -> None:
    usage = Usage(prompt_tokens=10, completion_tokens=20, cached_tokens=4, reasoning_tokens=5)
    counts = Script(usage=usage).token_counts({})
    assert (counts.prompt, counts.completion, counts.cached, counts.reasoning) == (10, 20, 4, 5)


def test_tool_call_fragments_join_to_the_arguments() -> None:
    call = ToolCallSpec(name="f", arguments={"location": "Florence, Italy", "days": 3})
    for compact in (True, False):
        fragments = call.argument_fragments(compact=compact)
        assert 1 < len(fragments) <= 3
        assert json.loads("".join(fragments)) == call.arguments
    assert call.arguments_json() == '{"location":"Florence, Italy","days":3}'


def test_call_ids_are_scripted_or_derived() -> None:
    script = Script(tool_calls=[ToolCallSpec(name="a", id="call_x"), ToolCallSpec(name="b")])
    assert script.call_id(0, "call_", 7) == "call_x"
    assert script.call_id(1, "toolu_", 7) == "toolu_sim000007_1"


def test_reported_model_defaults_to_the_requested_one() -> None:
    assert Script().reported_model("gpt-4o-mini") == "gpt-4o-mini"
    dated = Script(model="gpt-4o-mini-2024-07-18")
    assert dated.reported_model("gpt-4o-mini") == "gpt-4o-mini-2024-07-18"


def test_fields_are_documented_in_the_json_schema() -> None:
    # `serve --simulate FILE` users read these descriptions.
    properties = Script.model_json_schema()["properties"]
    assert all(field.get("description") for field in properties.values()), properties


def test_script_round_trips_through_json() -> None:
    script = Script(
        chunks=["a", "b"], tool_calls=[ToolCallSpec(name="f", arguments={"x": 1})], gaps=[0.1]
    )
    assert Script.model_validate_json(script.model_dump_json()) == script


def test_single_script_answers_everything() -> None:
    script = Script(text="same")
    simulator = Simulator(script)
    assert [simulator.script_for("openai", "m", {}) for _ in range(3)] == [script] * 3


def test_list_is_consumed_in_order_and_the_last_repeats() -> None:
    first, second = Script(text="first"), Script(text="second")
    simulator = Simulator([first, second])
    picked = [simulator.script_for("openai", "m", {}).text for _ in range(4)]
    assert picked == ["first", "second", "second", "second"]


def test_empty_list_is_rejected() -> None:
    with pytest.raises(ValueError, match="at least one"):
        Simulator([])


def test_callable_decides_per_request() -> None:
    seen: list[tuple[str, str, Any]] = []

    def factory(provider: str, model: str, body: Any) -> Script:
        seen.append((provider, model, body))
        return Script(text=f"{provider}/{model}")

    simulator = Simulator(factory)
    assert simulator.script_for("google", "gemini", {"a": 1}).text == "google/gemini"
    assert seen == [("google", "gemini", {"a": 1})]


def test_coerce_keeps_a_simulator() -> None:
    simulator = Simulator(Script())
    assert Simulator.coerce(simulator) is simulator
    assert isinstance(Simulator.coerce(Script()), Simulator)


def test_from_file_reads_yaml_lists(tmp_path: Path) -> None:
    path = tmp_path / "sim.yaml"
    path.write_text(
        "scripts:\n"
        "  - text: first answer\n"
        "    ttft: 0.2\n"
        "  - status: 429\n"
        "    retry_after: 3\n"
        "    tool_calls:\n"
        "      - {name: lookup, arguments: {q: x}}\n",
        encoding="utf-8",
    )
    simulator = Simulator.from_file(path)
    first = simulator.script_for("openai", "m", {})
    second = simulator.script_for("openai", "m", {})
    assert (first.text, first.ttft) == ("first answer", 0.2)
    assert (second.status, second.retry_after) == (429, 3)
    assert second.tool_calls[0].arguments == {"q": "x"}


def test_from_file_reads_one_json_script(tmp_path: Path) -> None:
    path = tmp_path / "sim.json"
    path.write_text(json.dumps({"text": "hi", "finish": "length"}), encoding="utf-8")
    script = Simulator.from_file(path).script_for("ollama", "m", {})
    assert (script.text, script.finish_reason()) == ("hi", "length")
