"""The built-in `weather` scenario over a real socket, through `LLMRing`, in every format.

No key is set: the clients find the simulator through the base URL variables alone (a local
base URL needs no key), as `serve --env-file` and the plugin's `llm_simulator` set them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from llmring_replay import (
    LLMRequest,
    LLMRing,
    Message,
    ProviderRateLimitError,
    ProviderResponseError,
    StreamChunk,
)
from llmring_replay.providers.registry import FORMATS, Format
from llmring_replay.simulator import SimulatorServer, builtin_scenario_names, load_simulator
from llmring_replay.simulator.environment import client_environment, key_variables

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}


@pytest.fixture(scope="module")
def weather() -> Iterator[SimulatorServer]:
    with SimulatorServer(load_simulator("weather")) as server:
        yield server


@pytest.fixture(params=FORMATS, ids=lambda fmt: fmt.name)
def fmt(request: pytest.FixtureRequest) -> Format:
    wire_format: Format = request.param
    return wire_format


@pytest.fixture
def ring(weather: SimulatorServer, monkeypatch: pytest.MonkeyPatch, fmt: Format) -> LLMRing:
    for variable in key_variables():
        monkeypatch.delenv(variable, raising=False)
    for variable, value in client_environment(weather.base_url).items():
        if variable not in key_variables():  # base URLs only: no key at all
            monkeypatch.setenv(variable, value)
    ring = LLMRing(timeout=10)
    ring.register_provider(fmt.provider, api=fmt.name)  # the provider's API in this format
    return ring


def model(fmt: Format) -> str:
    return f"{fmt.provider}:{fmt.default_model}"


async def stream(ring: LLMRing, fmt: Format, *messages: Message) -> list[StreamChunk]:
    request = LLMRequest(model=model(fmt), messages=list(messages), tools=[WEATHER_TOOL])
    return [chunk async for chunk in ring.chat_stream(request)]


def text(chunks: list[StreamChunk]) -> str:
    return "".join(chunk.delta for chunk in chunks)


def test_weather_is_built_in() -> None:
    assert "weather" in builtin_scenario_names()


async def test_greeting_conversation_and_tool_loop(ring: LLMRing, fmt: Format) -> None:
    async with ring:
        hello = await stream(ring, fmt, Message(role="user", content="Hi!"))
        assert text(hello) == "Hi there! How can I help you today?"
        assert hello[-1].finish_reason == "stop"

        first = Message(role="user", content="Hello, my name is Ada.")
        introduced = await stream(ring, fmt, first)
        second = [
            first,
            Message(role="assistant", content=text(introduced)),
            Message(role="user", content="What is my name?"),
        ]
        assert text(await stream(ring, fmt, *second)) == "Your name is Ada."

        messages = [Message(role="user", content="What's the weather in Paris?")]
        calls = await stream(ring, fmt, *messages)
        assert calls[-1].finish_reason == "tool_calls"
        tool_calls = calls[-1].tool_calls or []
        assert [json.loads(c["function"]["arguments"]) for c in tool_calls] == [{"city": "Paris"}]
        messages.append(Message(role="assistant", content=text(calls), tool_calls=tool_calls))
        messages += [
            Message(role="tool", content='{"celsius": 21}', tool_call_id=call["id"])
            for call in tool_calls
        ]
        report = await stream(ring, fmt, *messages)
        assert text(report) == "It is 21 degrees and sunny in Paris."


async def test_failures_on_demand(ring: LLMRing, fmt: Format) -> None:
    async with ring:
        with pytest.raises(ProviderRateLimitError) as limited:
            await stream(ring, fmt, Message(role="user", content="Hit the rate limit"))
        assert limited.value.status_code == 429

        delivered: list[str] = []
        with pytest.raises(ProviderResponseError, match="mid-response"):
            request = LLMRequest(
                model=model(fmt), messages=[Message(role="user", content="disconnect")]
            )
            async for chunk in ring.chat_stream(request):
                delivered.append(chunk.delta)
        assert "This answer is cut off after a few words".startswith("".join(delivered))

        # `fail_first` counts identical requests: the first fails, a retry succeeds.
        retry = Message(role="user", content=f"Please retry ({fmt.name})")
        with pytest.raises(ProviderResponseError) as overloaded:
            await stream(ring, fmt, retry)
        assert overloaded.value.retryable
        assert text(await stream(ring, fmt, retry)) == "Worked on the second try."


async def test_an_unmatched_request_names_the_closest_rule(ring: LLMRing, fmt: Format) -> None:
    async with ring:
        with pytest.raises(ProviderResponseError) as caught:
            await stream(ring, fmt, Message(role="user", content="Tell me about the wether"))
    error = caught.value
    assert error.status_code == 400 and not error.retryable
    assert "no rule of built-in scenario 'weather' matches this request" in error.message
    assert "closest rule: 'weather-call' (rules[1]), which wants user_contains 'weather'" in (
        error.message
    )
