"""The README's example test, exactly as a new user would write it.

Its cassettes (`tests/cassettes/test_readme_example/`) and snapshots (`tests/__snapshots__/`)
are committed; CI replays them offline (record mode `none`, no keys). They were recorded from
the simulator's built-in `weather` scenario, which pyproject.toml names (`llm_scenario`), with
no key: `pytest tests/test_readme_example.py --llm-record-mode=all --snapshot-update`.
"""

import pytest

from llmring_replay import LLMRequest, Message


@pytest.mark.llm_cassette(providers=["openai", "anthropic", "google", "ollama"])
async def test_greeting(llmring, llm_model, stream_snapshot):
    request = LLMRequest(model=llm_model, messages=[Message(role="user", content="Say hi")])
    chunks = [chunk async for chunk in llmring.chat_stream(request)]
    assert "".join(c.delta for c in chunks)
    assert chunks[-1].finish_reason == "stop"
    assert chunks == stream_snapshot
