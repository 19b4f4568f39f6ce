"""Normalized transcripts: what the stream snapshots store."""

from __future__ import annotations

import pytest
from pytest_llmring_replay import transcript
from pytest_llmring_replay.snapshot import StreamExactSnapshotExtension, StreamSnapshotExtension

from llmring_replay import LLMResponse, StreamChunk

MODEL = "openai:gpt-4o-mini-2024-07-18"


def call(call_id: str, arguments: str) -> dict[str, object]:
    return {
        "id": call_id,
        "type": "function",
        "function": {"name": "get_weather", "arguments": arguments},
    }


def stream(pieces: list[str], call_id: str = "call_Xy12") -> list[StreamChunk]:
    """An answer with reasoning, text cut into `pieces`, a tool call and a final chunk."""
    chunks = [StreamChunk(delta="", model=MODEL, reasoning="Think.")]
    chunks += [StreamChunk(delta=piece, model=MODEL) for piece in pieces]
    chunks.append(StreamChunk(delta="", model=MODEL, tool_calls=[call(call_id, '{"ci')]))
    final = [call(call_id, '{"city": "Paris"}')]
    chunks.append(StreamChunk(delta="", model=MODEL, tool_calls=final))
    chunks.append(
        StreamChunk(
            delta="",
            model=MODEL,
            tool_calls=final,
            finish_reason="tool_calls",
            usage={"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12},
            provider_details={"finish_reason": "tool_calls", "id": "chatcmpl-123"},
        )
    )
    return chunks


def test_coalesced_transcript_is_normalized() -> None:
    assert transcript.coalesced(stream(["Hello", " there"])) == {
        "model": MODEL,
        "stream": [
            {"reasoning": "Think."},
            {"text": "Hello there"},
            {
                "tool_calls": [
                    {"id": "call_1", "name": "get_weather", "arguments": {"city": "Paris"}}
                ]
            },
        ],
        "finish_reason": "tool_calls",
        "usage": {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12},
        "provider_details": {"finish_reason": "tool_calls"},
    }


def test_coalesced_transcript_ignores_chunk_boundaries_and_ids() -> None:
    one = transcript.dump(transcript.coalesced(stream(["Hello", " there"])))
    other = transcript.dump(transcript.coalesced(stream(["Hel", "lo th", "ere"], "toolu_9")))
    assert one == other


def test_exact_transcript_keeps_every_chunk() -> None:
    one = transcript.exact(stream(["Hello", " there"]))
    other = transcript.exact(stream(["Hel", "lo th", "ere"], "toolu_9"))
    assert one != other
    assert [entry["delta"] for entry in one["chunks"]] == ["", "Hello", " there", "", "", ""]
    partial = one["chunks"][3]["tool_calls"][0]
    assert partial == {"id": "call_1", "name": "get_weather", "arguments_text": '{"ci'}
    assert "id" not in one["chunks"][-1]["provider_details"]


def test_dump_reads_as_yaml() -> None:
    text = StreamSnapshotExtension().serialize(stream(["Line one\n", "line two"]))
    assert text == (
        "model: openai:gpt-4o-mini-2024-07-18\n"
        "stream:\n"
        "- reasoning: Think.\n"
        "- text: |-\n"
        "    Line one\n"
        "    line two\n"
        "- tool_calls:\n"
        "  - id: call_1\n"
        "    name: get_weather\n"
        "    arguments:\n"
        "      city: Paris\n"
        "finish_reason: tool_calls\n"
        "usage:\n"
        "  prompt_tokens: 5\n"
        "  completion_tokens: 7\n"
        "  total_tokens: 12\n"
        "provider_details:\n"
        "  finish_reason: tool_calls"
    )


def test_text_after_tool_calls_is_its_own_segment() -> None:
    calls = [call("a", "{}")]
    chunks = [
        StreamChunk(delta="Checking.", model=MODEL),
        StreamChunk(delta="", model=MODEL, tool_calls=calls),
        StreamChunk(delta=" Done.", model=MODEL),
        StreamChunk(delta="", model=MODEL, tool_calls=calls, finish_reason="tool_calls"),
    ]
    segments = transcript.coalesced(chunks)["stream"]
    assert [next(iter(segment)) for segment in segments] == ["text", "tool_calls", "text"]


def test_several_models_are_listed() -> None:
    chunks = [StreamChunk(delta="a", model="openai:x"), StreamChunk(delta="b", model="openai:y")]
    assert transcript.coalesced(chunks)["models"] == ["openai:x", "openai:y"]
    assert transcript.exact(chunks)["chunks"][1] == {"delta": "b", "model": "openai:y"}


def test_response_has_the_coalesced_shape() -> None:
    response = LLMResponse(
        content="Hello there",
        model=MODEL,
        finish_reason="stop",
        reasoning="Think.",
        provider_details={"id": "chatcmpl-1", "finish_reason": "stop"},
    )
    expected = transcript.coalesced(
        [
            StreamChunk(delta="", model=MODEL, reasoning="Think."),
            StreamChunk(delta="Hello there", model=MODEL),
            StreamChunk(
                delta="",
                model=MODEL,
                finish_reason="stop",
                provider_details={"finish_reason": "stop"},
            ),
        ]
    )
    assert transcript.from_response(response) == expected
    assert StreamExactSnapshotExtension().serialize(response) == transcript.dump(expected)


def test_other_data_is_refused() -> None:
    with pytest.raises(TypeError, match="list of StreamChunk"):
        StreamSnapshotExtension().serialize("Hello")
