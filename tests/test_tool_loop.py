"""One tool loop, written once, runs unchanged on every provider: live against the simulator,
recorded into a cassette, and replayed from it.

The loop is the one every chat app writes: stream the answer, run each tool call, answer it
with a `tool` message naming `call["id"]`, stream the final answer. Providers that send no
call id (Gemini; older Ollama servers) get a derived one, and the request builders find the
function's name from it (Gemini's `functionResponse.name`, Ollama's `tool_name`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from llmring_replay import LLMRequest, Message
from llmring_replay.providers.base import derived_call_id
from llmring_replay.providers.registry import for_provider, provider_names
from llmring_replay.service import PLACEHOLDER_KEY, LLMRing
from llmring_replay.simulator import Script, SimulatorServer, ToolCallSpec
from llmring_replay.transports import CassetteTransport

PROVIDERS = list(provider_names())
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The weather in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}
TEMPERATURES = {"Paris": 21, "Oslo": 4}
CALLS = Script(
    text="Let me check.",
    tool_calls=[
        ToolCallSpec(name="get_weather", arguments={"city": city}) for city in TEMPERATURES
    ],
)
ANSWER = Script(text="Paris is warm at 21 degrees, Oslo cold at 4.")


def _script(provider: str, model: str, body: Any) -> Script:
    """The simulated model calls the tool until the request carries its results."""
    return ANSWER if _results_sent(body) else CALLS


def _model(provider: str) -> str:
    return f"{provider}:{for_provider(provider).default_model}"


async def tool_loop(ring: LLMRing, model: str) -> tuple[list[dict[str, Any]], str]:
    """Stream, run the tools, answer each call by its id, stream the final answer."""
    messages = [Message(role="user", content="Weather in Paris and Oslo?")]
    request = LLMRequest(model=model, messages=messages, tools=[WEATHER_TOOL])
    text, last = "", None
    async for chunk in ring.chat_stream(request):
        text, last = text + chunk.delta, chunk
    assert last is not None and last.finish_reason == "tool_calls"
    calls = last.tool_calls or []
    messages.append(Message(role="assistant", content=text, tool_calls=calls))
    for call in calls:
        city = json.loads(call["function"]["arguments"])["city"]
        result = json.dumps({"city": city, "celsius": TEMPERATURES[city]})
        messages.append(Message(role="tool", content=result, tool_call_id=call["id"]))
    request = LLMRequest(model=model, messages=messages, tools=[WEATHER_TOOL])
    answer = "".join([chunk.delta async for chunk in ring.chat_stream(request)])
    return calls, answer


def _results_sent(body: Any) -> list[Any]:
    """Every tool result the simulator received, found by value (no provider's shape)."""
    found = []
    text = json.dumps(body)
    for city, celsius in TEMPERATURES.items():
        if f'\\"celsius\\": {celsius}' in text or f'"celsius": {celsius}' in text:
            found.append(city)
    return found


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_tool_loop_live_recorded_and_replayed(provider: str, tmp_path: Path) -> None:
    model = _model(provider)
    path = tmp_path / "loop.yaml"
    with SimulatorServer(_script) as sim:
        base_url = sim.base_url_for(provider)
        async with LLMRing() as ring:
            ring.register_provider(provider, api_key=PLACEHOLDER_KEY, base_url=base_url)
            live_calls, live_answer = await tool_loop(ring, model)
        recorder = CassetteTransport(path, "once")
        async with LLMRing(transport=recorder) as ring:
            ring.register_provider(provider, api_key=PLACEHOLDER_KEY, base_url=base_url)
            recorded = await tool_loop(ring, model)
        received = list(sim.requests)
    replayer = CassetteTransport(path, "none")
    async with LLMRing(transport=replayer) as ring:
        ring.register_provider(provider, api_key=PLACEHOLDER_KEY, base_url=base_url)
        replayed = await tool_loop(ring, model)
    replayer.assert_all_played()

    assert live_answer == "Paris is warm at 21 degrees, Oslo cold at 4."
    # The replay gives the app exactly what the recording run gave it, ids included; the
    # simulator numbers its own ids by request, so the live run differs only in those.
    assert replayed == recorded
    assert recorded[1] == live_answer
    assert [c["function"] for c in recorded[0]] == [c["function"] for c in live_calls]
    ids = [call["id"] for call in recorded[0]]
    assert all(ids) and len(set(ids)) == 2
    # Every second request (live, then recording) carried both results to the provider.
    assert [_results_sent(request.body) for request in received] == [[], ["Paris", "Oslo"]] * 2


def test_derived_ids_are_stable_and_distinct() -> None:
    first = derived_call_id(0, "get_weather", '{"city":"Paris"}')
    assert first == derived_call_id(0, "get_weather", '{"city":"Paris"}')
    assert first.startswith("call_") and len(first) == 29
    others = {
        derived_call_id(1, "get_weather", '{"city":"Paris"}'),
        derived_call_id(0, "get_time", '{"city":"Paris"}'),
        derived_call_id(0, "get_weather", '{"city":"Oslo"}'),
    }
    assert first not in others and len(others) == 3
