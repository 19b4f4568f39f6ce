"""The public types keep upstream llmring's fields and defaults."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from llmring_replay import LLMRequest, LLMResponse, Message, StreamChunk


def test_message_defaults_and_content_forms() -> None:
    text = Message(role="user", content="hi")
    assert (text.tool_calls, text.tool_call_id, text.metadata, text.timestamp) == (
        None,
        None,
        None,
        None,
    )
    parts = Message(role="user", content=[{"type": "text", "text": "hi"}])
    assert parts.content == [{"type": "text", "text": "hi"}]
    tool = Message(role="tool", content="42", tool_call_id="call_1")
    assert tool.tool_call_id == "call_1"


def test_message_rejects_unknown_role() -> None:
    with pytest.raises(ValidationError) as info:
        Message(role="robot", content="x")  # type: ignore[arg-type]
    assert "role" in str(info.value)


def test_request_defaults() -> None:
    request = LLMRequest(messages=[Message(role="user", content="hi")])
    assert request.model is None
    assert request.temperature is None
    assert request.max_tokens is None
    assert request.tools is None
    assert request.tool_choice is None
    assert request.response_format is None
    assert request.timeout is None
    assert request.extra_params == {}
    # extra_params is a fresh dict per request, never shared.
    other = LLMRequest(messages=[])
    other.extra_params["x"] = 1
    assert request.extra_params == {}


def test_request_validates_types() -> None:
    with pytest.raises(ValidationError) as info:
        LLMRequest(messages=[{"role": "user", "content": "x"}], max_tokens="many")  # type: ignore[list-item,arg-type]
    assert "max_tokens" in str(info.value)
    with pytest.raises(ValidationError):
        LLMRequest(messages="hello")  # type: ignore[arg-type]


def test_request_keeps_zero_temperature_and_tool_choice_forms() -> None:
    request = LLMRequest(
        messages=[], temperature=0, tool_choice={"type": "function", "function": {"name": "f"}}
    )
    assert request.temperature == 0.0
    assert request.tool_choice == {"type": "function", "function": {"name": "f"}}
    assert LLMRequest(messages=[], tool_choice="auto").tool_choice == "auto"


@pytest.mark.parametrize(
    ("usage", "total"),
    [
        (None, None),
        ({}, None),
        ({"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 9}, 9),
        ({"prompt_tokens": 3, "completion_tokens": 4}, 7),
    ],
)
def test_response_total_tokens(usage: dict[str, int] | None, total: int | None) -> None:
    response = LLMResponse(content="x", model="openai:gpt-4o", usage=usage)
    assert response.total_tokens == total


def test_stream_chunk_defaults() -> None:
    chunk = StreamChunk(delta="")
    assert chunk.model_dump() == {
        "delta": "",
        "model": None,
        "finish_reason": None,
        "usage": None,
        "tool_calls": None,
        "reasoning": None,
        "provider_details": None,
    }
    with pytest.raises(ValidationError):
        StreamChunk()  # type: ignore[call-arg]
