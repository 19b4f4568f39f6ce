"""`chat()` and `chat_stream()` agree on content, finish reason and usage for one answer."""

from __future__ import annotations

import json

import pytest

from llmring_replay import LLMRequest, Message
from llmring_replay.service import LLMRing
from llmring_replay.simulator import Script, SimulatorServer, ToolCallSpec

MODELS = {
    "openai": "gpt-4o-mini",
    "anthropic": "claude-3-5-haiku-20241022",
    "google": "gemini-2.5-flash",
    "ollama": "llama3.2",
}
SCRIPTS = {
    "text": Script(text="The same answer, whichever endpoint you ask."),
    "length": Script(text="Cut short because", finish="length"),
    "tools": Script(text="Checking.", tool_calls=[ToolCallSpec(name="f", arguments={"x": 1})]),
}


@pytest.mark.parametrize("script_name", list(SCRIPTS))
@pytest.mark.parametrize("provider", list(MODELS))
async def test_chat_and_stream_agree(provider: str, script_name: str) -> None:
    request = LLMRequest(
        model=f"{provider}:{MODELS[provider]}", messages=[Message(role="user", content="Hi")]
    )
    async with SimulatorServer(SCRIPTS[script_name]) as sim, LLMRing() as ring:
        ring.register_provider(provider, api_key="placeholder", base_url=sim.base_url_for(provider))
        chunks = [chunk async for chunk in ring.chat_stream(request)]
        whole = await ring.chat(request)
    last = chunks[-1]
    assert whole.content == "".join(chunk.delta for chunk in chunks)
    assert whole.finish_reason == last.finish_reason
    assert whole.usage == last.usage
    assert whole.model == last.model
    streamed_calls = [
        (call["function"]["name"], json.loads(call["function"]["arguments"]))
        for call in last.tool_calls or []
    ]
    whole_calls = [
        (call["function"]["name"], json.loads(call["function"]["arguments"]))
        for call in whole.tool_calls or []
    ]
    assert whole_calls == streamed_calls
