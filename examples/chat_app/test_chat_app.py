import asyncio
import contextlib
import itertools

import pytest
from chat import Chat

from llmring_replay.clock import virtual_clock

# Every test runs once per provider, each with its own cassette.
pytestmark = pytest.mark.llm_cassette(providers=["openai", "anthropic", "google", "ollama"])


@pytest.fixture
def llmring_config(llm_provider):
    # llmring.lock binds the alias `chatbot` in one profile per provider.
    return {"profile": llm_provider}


# Replayed at a steady pace: the first frame after 300 ms, then one every 20 ms.
@pytest.mark.llm_cassette(timing="fixed=20ms,ttft=300ms")
async def test_a_conversation_streams_to_the_ui_every_50ms(llmring, llm_cassette):
    loop = asyncio.get_running_loop()
    updates = []  # when the UI was updated
    chat = Chat(llmring, render=lambda text: updates.append(loop.time()))
    # Replay paces frames on the loop's clock: a virtual one makes that free. (Not while
    # recording: waiting for a real server would look idle, and time would jump ahead.)
    with contextlib.nullcontext() if llm_cassette.recording else virtual_clock():
        assert await chat.send("Hello, my name is Ada.") == "Nice to meet you, Ada!"
        # At most one update per 50 ms, and one more when the answer ends.
        gaps = [later - earlier for earlier, later in itertools.pairwise(updates[:-1])]
        assert all(gap >= 0.05 for gap in gaps)
        if not llm_cassette.recording:
            assert len(updates) >= 3  # streamed in pieces, not all at the end
        assert await chat.send("What is my name?") == "Your name is Ada."


async def test_the_weather_tool_loop(llmring):
    shown = []
    chat = Chat(llmring, render=shown.append)
    answer = await chat.send("What's the weather in Paris?")
    assert answer == "It is 21 degrees and sunny in Paris."
    assert [m.role for m in chat.messages] == ["user", "assistant", "tool", "assistant"]
    assert "".join(shown) == "Let me check the weather." + answer


async def test_a_rate_limit_is_shown_and_the_chat_goes_on(llmring):
    shown = []
    chat = Chat(llmring, render=shown.append)
    busy = await chat.send("Can you hit the rate limit?")
    assert busy in ("[the model is busy: try again in 2 s]", "[the model is busy: try again later]")
    assert shown == [busy] and chat.messages == []  # the failed turn was taken back
    assert await chat.send("Hi!") == "Hi there! How can I help you today?"
