"""The bundled example cassettes replay through LLMRing, as the README's demo does."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from llmring_replay.service import LLMRing
from llmring_replay.transports import CassetteTransport

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
sys.path.insert(0, str(EXAMPLES))
from record_examples import FOLDER, MODELS, requests  # noqa: E402


@pytest.mark.parametrize("provider", list(MODELS))
async def test_bundled_cassette_replays(provider: str) -> None:
    transport = CassetteTransport(FOLDER / f"{provider}_weather.yaml", "none")
    async with LLMRing(transport=transport) as ring:
        ring.register_provider(provider, api_key="placeholder")
        plain, tools = requests(provider)
        answer = [chunk async for chunk in ring.chat_stream(plain[0])]
        call = [chunk async for chunk in ring.chat_stream(tools[0])]
    transport.assert_all_played()
    assert "".join(chunk.delta for chunk in answer) == plain[1].text
    assert answer[-1].finish_reason == "stop"
    assert answer[-1].model == f"{provider}:{MODELS[provider]}"
    assert call[-1].finish_reason == "tool_calls"
    calls = call[-1].tool_calls or []
    assert [c["function"]["name"] for c in calls] == ["get_weather"]
    assert json.loads(calls[0]["function"]["arguments"]) == {"city": "Paris"}
