"""`rebuild_request` inverts each codec's `build_request`: the basis of `lint --drift`."""

from __future__ import annotations

import json
from typing import Any

import pytest

from llmring_replay.cli.decode import codec_for
from llmring_replay.cli.rebuild import rebuild_request
from llmring_replay.providers.registry import FORMATS, by_name
from llmring_replay.schemas import LLMRequest, Message

#: Wire format -> the model requested.
MODELS = {fmt.name: fmt.default_model for fmt in FORMATS}
IMAGE = {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}
CALL = {
    "id": "call_1",
    "type": "function",
    "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
}

REQUESTS: dict[str, LLMRequest] = {
    "plain": LLMRequest(
        messages=[
            Message(role="system", content="Be brief."),
            Message(role="user", content="Hi"),
        ],
        temperature=0.2,
        max_tokens=64,
    ),
    "tools": LLMRequest(
        messages=[
            Message(role="user", content="Weather in Paris?"),
            Message(role="assistant", content="", tool_calls=[CALL]),
            Message(role="tool", content='{"temp": 21}', tool_call_id="call_1"),
        ],
        tools=[WEATHER_TOOL],
        tool_choice="auto",
    ),
    "thinking and json": LLMRequest(
        messages=[Message(role="user", content="Plan it")],
        reasoning_tokens=1024,
        json_response=True,
        max_tokens=2048,
    ),
    "image": LLMRequest(
        messages=[Message(role="user", content=[{"type": "text", "text": "What is it?"}, IMAGE])]
    ),
}
EXTRAS: dict[str, dict[str, Any]] = {
    "openai_chat": {"seed": 7, "user": "u-1"},
    "openai_responses": {"reasoning": {"summary": "auto"}, "store": False},
    "anthropic": {"top_k": 5, "metadata": {"user_id": "u-1"}},
    "gemini": {"generationConfig": {"topK": 5}, "safetySettings": []},
    "ollama": {"options": {"top_k": 5}, "keep_alive": "5m"},
}


def body_of(provider: str, request: LLMRequest, stream: bool) -> tuple[dict[str, Any], str]:
    built = codec_for(by_name(provider)).build_request(request, MODELS[provider], stream=stream)
    return json.loads(built.content), str(built.url)


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "whole"])
@pytest.mark.parametrize("name", list(REQUESTS))
@pytest.mark.parametrize("provider", list(MODELS))  # a wire format's name
def test_rebuilding_then_building_gives_the_same_body(
    provider: str, name: str, stream: bool
) -> None:
    request = REQUESTS[name].model_copy(update={"extra_params": EXTRAS[provider]})
    body, url = body_of(provider, request, stream)
    rebuilt = rebuild_request(by_name(provider), body, MODELS[provider], url)
    assert (rebuilt.model, rebuilt.stream) == (MODELS[provider], stream)
    again, _ = body_of(provider, rebuilt.request, stream)
    assert again == body


def test_what_llmrequest_cannot_say_is_an_error() -> None:
    body = {"model": "gpt-4o", "messages": [{"role": "developer", "content": "x"}]}
    with pytest.raises(ValueError, match="role"):
        url = "https://api.openai.com/v1/chat/completions"
        rebuild_request(by_name("openai_chat"), body, "gpt-4o", url)
