"""Gemini's own call ids go back over the wire with the results; derived ones never do.

A tool loop against the simulator speaking Gemini: the first answer has one call with an
id of Gemini's (`functionCall.id`) and one without (the client derives one); the request
carrying the results must answer the first by that id and the second by name only.
"""

from __future__ import annotations

import json
from typing import Any

from llmring_replay import LLMRequest, Message
from llmring_replay.providers.base import is_derived_call_id
from llmring_replay.service import PLACEHOLDER_KEY, LLMRing
from llmring_replay.simulator import Script, SimulatorServer, ToolCallSpec

CALLS = Script(
    tool_calls=[
        ToolCallSpec(name="get_weather", arguments={"city": "Paris"}, id="fc-paris-1"),
        ToolCallSpec(name="get_weather", arguments={"city": "Oslo"}),
    ]
)
ANSWER = Script(text="Warm in Paris, cold in Oslo.")


def _script(provider: str, model: str, body: Any) -> Script:
    return ANSWER if "functionResponse" in json.dumps(body) else CALLS


async def test_a_call_id_gemini_sent_comes_back_in_its_function_response() -> None:
    with SimulatorServer(_script) as sim:
        async with LLMRing() as ring:
            ring.register_provider(
                "google", api_key=PLACEHOLDER_KEY, base_url=sim.base_url_for("google")
            )
            messages = [Message(role="user", content="Weather in Paris and Oslo?")]
            last = None
            async for chunk in ring.chat_stream(
                LLMRequest(model="google:gemini-2.5-flash", messages=messages)
            ):
                last = chunk
            assert last is not None
            calls = last.tool_calls or []
            assert len(calls) == 2
            assert calls[0]["id"] == "fc-paris-1"
            assert is_derived_call_id(calls[1]["id"])
            messages.append(Message(role="assistant", content="", tool_calls=calls))
            for call, celsius in zip(calls, (21, 4), strict=True):
                content = json.dumps({"celsius": celsius})
                messages.append(Message(role="tool", content=content, tool_call_id=call["id"]))
            answer = "".join(
                [
                    chunk.delta
                    async for chunk in ring.chat_stream(
                        LLMRequest(model="google:gemini-2.5-flash", messages=messages)
                    )
                ]
            )
        second = sim.requests[-1].body
    assert answer == ANSWER.text
    model_turn, results = second["contents"][1:]
    assert [part["functionCall"].get("id") for part in model_turn["parts"]] == ["fc-paris-1", None]
    assert [part["functionResponse"] for part in results["parts"]] == [
        {"id": "fc-paris-1", "name": "get_weather", "response": {"celsius": 21}},
        {"name": "get_weather", "response": {"celsius": 4}},
    ]
