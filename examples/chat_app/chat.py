"""A small chat app on llmring's streaming API, the kind llmring-replay is for.

- It streams each answer to a UI, buffered: the UI is updated at most every 50 ms of the
  event loop's time (a terminal or a web socket would not keep up with every token).
- It keeps the conversation, so follow-up questions work.
- It runs tools: when the model calls one, it answers the call (by `call["id"]`, on every
  provider) and streams the model's next answer.
- It survives provider errors: a rate limit or a failed answer is shown to the user, the
  turn is taken back, and the chat goes on.
- It asks for the alias `chatbot`, which `llmring.lock` binds to a model per profile.

Run it with a real key (`OPENAI_API_KEY=... python examples/chat_app/chat.py`), or against
the simulator (`llmring-replay serve --simulate weather --env-file sim.env`, then load
`sim.env` into the environment). Its tests are `test_chat_app.py` beside it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from llmring_replay import LLMRequest, LLMRing, Message
from llmring_replay.exceptions import LLMRingError, ProviderRateLimitError

__all__ = ["TOOLS", "Chat", "get_weather"]

#: How often, at most, the UI gets the text that arrived since its last update.
FLUSH_EVERY = 0.05


def get_weather(city: str) -> dict[str, Any]:
    """The weather tool (a real app would call a weather service)."""
    return {"city": city, "celsius": 21, "sky": "sunny"}


TOOLS: dict[str, Callable[..., Any]] = {"get_weather": get_weather}
_SCHEMAS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "The current weather in a city",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    }
]


class Chat:
    """A conversation with the model behind `model`, rendered through `render(text)`."""

    def __init__(
        self,
        ring: LLMRing,
        *,
        model: str = "chatbot",
        render: Callable[[str], None] = lambda text: print(text, end="", flush=True),
    ) -> None:
        self.ring = ring
        self.model = model
        self.render = render
        self.messages: list[Message] = []

    async def send(self, text: str) -> str:
        """One user turn: the final answer's text, or the message shown for an error."""
        turn_start = len(self.messages)
        self.messages.append(Message(role="user", content=text))
        try:
            while True:
                answer, calls = await self._stream()
                self.messages.append(Message(role="assistant", content=answer, tool_calls=calls))
                if not calls:
                    return answer
                self.messages.extend(self._run_tools(calls))
        except ProviderRateLimitError as exc:
            wait = f" in {exc.retry_after:g} s" if exc.retry_after is not None else " later"
            shown = f"[the model is busy: try again{wait}]"
        except LLMRingError as exc:
            shown = f"[the answer failed: {type(exc).__name__}]"
        # Take the turn back: the history must not end in a question without an answer.
        del self.messages[turn_start:]
        self.render(shown)
        return shown

    async def _stream(self) -> tuple[str, list[dict[str, Any]] | None]:
        """Stream one answer to the UI, buffered; its text and tool calls."""
        request = LLMRequest(model=self.model, messages=self.messages, tools=_SCHEMAS)
        loop = asyncio.get_running_loop()
        text, pending, calls = "", "", None
        last_flush = loop.time()
        async for chunk in self.ring.chat_stream(request):
            text += chunk.delta
            pending += chunk.delta
            calls = chunk.tool_calls or calls
            if pending and loop.time() - last_flush >= FLUSH_EVERY:
                self.render(pending)
                pending, last_flush = "", loop.time()
        if pending:
            self.render(pending)
        return text, calls

    def _run_tools(self, calls: list[dict[str, Any]]) -> list[Message]:
        results = []
        for call in calls:
            function = call["function"]
            result = TOOLS[function["name"]](**json.loads(function["arguments"] or "{}"))
            content = json.dumps(result)
            results.append(Message(role="tool", content=content, tool_call_id=call["id"]))
        return results


async def main() -> None:
    """A terminal chat: type a line, read the answer; an empty line ends it."""
    # The lockfile beside this file; its default profile is OpenAI's (LLMRING_PROFILE=...).
    async with LLMRing(Path(__file__).with_name("llmring.lock")) as ring:
        chat = Chat(ring)
        while line := await asyncio.to_thread(input, "\n> "):
            await chat.send(line)


if __name__ == "__main__":
    asyncio.run(main())
