"""A conversation and a tool loop on every provider, as an app's tests write them.

With `tests/test_readme_example.py`, the example suite that records from one scenario: the
built-in `weather` (`llm_scenario = "weather"` in pyproject.toml), so re-recording needs no
key: `pytest tests/test_readme_example.py tests/test_scenario_example.py
--llm-record-mode=all --snapshot-update -n 2`. tests/simulator/test_scenario_recording.py
proves that such a run records exactly the committed cassettes, in parallel, whatever fails.
"""

from __future__ import annotations

import json

import pytest

from llmring_replay import LLMRequest, LLMRing, Message
from llmring_replay.providers.registry import provider_names

PROVIDERS = list(provider_names())
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The current weather in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}


async def answer(ring: LLMRing, model: str, messages: list[Message]) -> tuple[str, list]:
    """The streamed text, and the tool calls of the last chunk."""
    request = LLMRequest(model=model, messages=messages, tools=[WEATHER_TOOL])
    chunks = [chunk async for chunk in ring.chat_stream(request)]
    return "".join(chunk.delta for chunk in chunks), chunks[-1].tool_calls or []


@pytest.mark.llm_cassette(providers=PROVIDERS)
async def test_the_conversation_remembers(llmring: LLMRing, llm_model: str) -> None:
    messages = [Message(role="user", content="Hello, my name is Ada.")]
    greeting, _ = await answer(llmring, llm_model, messages)
    assert greeting == "Nice to meet you, Ada!"
    messages.append(Message(role="assistant", content=greeting))
    messages.append(Message(role="user", content="What is my name?"))
    recalled, _ = await answer(llmring, llm_model, messages)
    assert recalled == "Your name is Ada."


@pytest.mark.llm_cassette(providers=PROVIDERS)
async def test_the_tool_loop(llmring: LLMRing, llm_model: str) -> None:
    messages = [Message(role="user", content="What's the weather in Paris?")]
    text, calls = await answer(llmring, llm_model, messages)
    assert [call["function"]["name"] for call in calls] == ["get_weather"]
    messages.append(Message(role="assistant", content=text, tool_calls=calls))
    for call in calls:
        city = json.loads(call["function"]["arguments"])["city"]
        result = {"city": city, "celsius": 21, "sky": "sunny"}
        messages.append(Message(role="tool", content=json.dumps(result), tool_call_id=call["id"]))
    report, more = await answer(llmring, llm_model, messages)
    assert report == "It is 21 degrees and sunny in Paris."
    assert more == []
