"""The SDK x route matrix's cases: each official SDK streams a text answer and a tool call,
sync and async, from the simulator; what it yields is kept for comparison with the replay.

One `Sdk` per official SDK knows how to build its client (pointed at a base URL through
the environment variable the SDK itself reads, or handed an HTTP client), stream a request,
turn a yielded chunk into plain data, and read the answer (text, tool calls) back out of
those chunks. Every route (injected client, interception, the recording proxy) runs the same
cases.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest

from llmring_replay.cassette import Interaction
from llmring_replay.providers.registry import Format, by_name, recognize
from llmring_replay.simulator import Script, ToolCallSpec

__all__ = [
    "CASES",
    "KINDS",
    "SDKS",
    "TEXT",
    "TOOL_CALL",
    "Case",
    "Run",
    "Sdk",
    "base_url_env",
    "check_replay",
    "run",
    "script_for",
]

PROMPT = "What is the weather in Paris?"
TEXT = "Sunny in Paris, twenty degrees."
#: What the model says before its tool call (so that every provider streams several frames).
PREAMBLE = "Let me check."
TOOL_CALL = ("get_weather", {"city": "Paris", "unit": "celsius"})
KINDS = ("text", "tool")
# Frames 20 ms apart: the replay's spread is measurable, the suite stays fast.
_PACE = {"ttft": 0.02, "interval": 0.02}
_SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "unit": {"type": "string"}},
    "required": ["city"],
}
_MESSAGES = [{"role": "user", "content": PROMPT}]
# The tool as OpenAI's Chat Completions and Ollama take it.
_FUNCTION_TOOL = {
    "type": "function",
    "function": {"name": TOOL_CALL[0], "description": "Weather", "parameters": _SCHEMA},
}
# Not shaped like a real key: nothing here may trip the secret guard.
KEY = "test-key"


def script_for(provider: str, model: str, body: Any) -> Script:
    """The simulator's answer: a tool call when the request offers tools, else text."""
    if isinstance(body, dict) and body.get("tools"):
        name, arguments = TOOL_CALL
        call = ToolCallSpec(name=name, arguments=arguments)
        return Script(text=PREAMBLE, tool_calls=[call], **_PACE)
    return Script(text=TEXT, **_PACE)


def _no_nones(value: Any) -> Any:
    """`value` without `None` members, so a dump compares what the SDK parsed, not its
    defaults for absent fields."""
    if isinstance(value, dict):
        return {k: _no_nones(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_no_nones(v) for v in value]
    return value


class Sdk:
    """One official SDK: its client, its streaming call and how to read what it yields."""

    #: The distribution name (`pip install NAME`).
    name: str
    #: How test ids and cassette names call it (the distribution name unless one SDK
    #: speaks several wire formats).
    label: str = ""
    #: The module it is imported as.
    module: str
    #: The wire format it speaks (a `providers.registry` format name).
    format_name: str
    model: str

    @property
    def format(self) -> Format:
        """The format's registry entry."""
        return by_name(self.format_name)

    def client(self, asynchronous: bool, **options: Any) -> Any:
        """A client; `options` as the SDK takes them (`http_client=`, ...)."""
        raise NotImplementedError

    def call(self, client: Any, kind: str, asynchronous: bool) -> Any:
        """Start streaming: an iterable (sync client) or an awaitable of an async one."""
        raise NotImplementedError

    def dump(self, chunk: Any) -> Any:
        """A yielded chunk as plain data."""
        return _no_nones(chunk.model_dump(mode="json"))

    def answer(self, chunks: list[Any]) -> tuple[str, list[tuple[str, Any]]]:
        """The text and the tool calls (name, arguments) the chunks add up to."""
        raise NotImplementedError

    def close(self, client: Any, asynchronous: bool) -> Any:
        """Close `client` (an awaitable for async clients)."""
        return client.close()

    def inject(self, transport: Any, asynchronous: bool) -> dict[str, Any]:
        """The client options that hand the SDK an HTTP client around `transport`
        (an httpx2 one, which the openai, anthropic and google-genai SDKs are built on)."""
        import httpx2

        cls = httpx2.AsyncClient if asynchronous else httpx2.Client
        return {"http_client": cls(transport=transport.for_httpx2())}


class OpenAIChat(Sdk):
    """openai: Chat Completions."""

    name = "openai"
    module = "openai"
    format_name = "openai_chat"
    model = "gpt-4o-mini"

    def client(self, asynchronous: bool, **options: Any) -> Any:
        import openai

        cls = openai.AsyncOpenAI if asynchronous else openai.OpenAI
        return cls(api_key=KEY, max_retries=0, **options)

    def call(self, client: Any, kind: str, asynchronous: bool) -> Any:
        tools = {"tools": [_FUNCTION_TOOL]} if kind == "tool" else {}
        return client.chat.completions.create(
            model=self.model,
            messages=_MESSAGES,
            stream=True,
            stream_options={"include_usage": True},
            **tools,
        )

    def answer(self, chunks: list[Any]) -> tuple[str, list[tuple[str, Any]]]:
        text, calls = "", {}
        for chunk in chunks:
            for choice in chunk.get("choices", []):
                delta = choice.get("delta", {})
                text += delta.get("content") or ""
                for call in delta.get("tool_calls", []):
                    name, arguments = calls.get(call["index"], ("", ""))
                    function = call.get("function", {})
                    name += function.get("name") or ""
                    calls[call["index"]] = (name, arguments + (function.get("arguments") or ""))
        return text, [(name, json.loads(arguments)) for name, arguments in calls.values()]


class OpenAIResponses(OpenAIChat):
    """openai: the Responses API (`client.responses.create`), a wire format of its own."""

    label = "openai-responses"
    format_name = "openai_responses"

    def call(self, client: Any, kind: str, asynchronous: bool) -> Any:
        tool = {"type": "function", "name": TOOL_CALL[0], "description": "Weather"}
        tools = {"tools": [{**tool, "parameters": _SCHEMA, "strict": False}]}
        return client.responses.create(
            model=self.model, input=PROMPT, stream=True, **(tools if kind == "tool" else {})
        )

    def answer(self, chunks: list[Any]) -> tuple[str, list[tuple[str, Any]]]:
        text, calls = "", {}
        for event in chunks:
            kind, item = event["type"], event.get("item", {})
            if kind == "response.output_text.delta":
                text += event["delta"]
            if kind == "response.output_item.added" and item["type"] == "function_call":
                calls[item["id"]] = [item["name"], ""]
            if kind == "response.function_call_arguments.delta":
                calls[event["item_id"]][1] += event["delta"]
        return text, [(name, json.loads(arguments)) for name, arguments in calls.values()]


class Anthropic(Sdk):
    """anthropic: Messages."""

    name = "anthropic"
    module = "anthropic"
    format_name = "anthropic"
    model = "claude-3-5-haiku-20241022"

    def client(self, asynchronous: bool, **options: Any) -> Any:
        import anthropic

        cls = anthropic.AsyncAnthropic if asynchronous else anthropic.Anthropic
        return cls(api_key=KEY, max_retries=0, **options)

    def call(self, client: Any, kind: str, asynchronous: bool) -> Any:
        tool = {"name": TOOL_CALL[0], "description": "Weather", "input_schema": _SCHEMA}
        tools = {"tools": [tool]} if kind == "tool" else {}
        return client.messages.create(
            model=self.model,
            max_tokens=256,
            messages=_MESSAGES,
            stream=True,
            **tools,
        )

    def answer(self, chunks: list[Any]) -> tuple[str, list[tuple[str, Any]]]:
        text, calls = "", []
        for event in chunks:
            block, delta = event.get("content_block", {}), event.get("delta", {})
            if block.get("type") == "tool_use":
                calls.append([block["name"], ""])
            if delta.get("type") == "text_delta":
                text += delta["text"]
            if delta.get("type") == "input_json_delta":
                calls[-1][1] += delta["partial_json"]
        return text, [(name, json.loads(arguments or "{}")) for name, arguments in calls]


class GoogleGenAI(Sdk):
    """google-genai: Gemini streamGenerateContent."""

    name = "google-genai"
    module = "google.genai"
    format_name = "gemini"
    model = "gemini-2.5-flash"

    def client(self, asynchronous: bool, **options: Any) -> Any:
        from google import genai
        from google.genai import types

        return genai.Client(api_key=KEY, http_options=types.HttpOptions(**options))

    def call(self, client: Any, kind: str, asynchronous: bool) -> Any:
        from google.genai import types

        config = None
        if kind == "tool":
            declaration = types.FunctionDeclaration(
                name=TOOL_CALL[0], description="Weather", parameters_json_schema=_SCHEMA
            )
            config = types.GenerateContentConfig(
                tools=[types.Tool(function_declarations=[declaration])]
            )
        models = client.aio.models if asynchronous else client.models
        return models.generate_content_stream(model=self.model, contents=PROMPT, config=config)

    def dump(self, chunk: Any) -> Any:
        # The HTTP response's headers ride along on every chunk: not part of the answer.
        return _no_nones(chunk.model_dump(mode="json", exclude={"sdk_http_response"}))

    def answer(self, chunks: list[Any]) -> tuple[str, list[tuple[str, Any]]]:
        text, calls = "", []
        for chunk in chunks:
            for candidate in chunk.get("candidates", []):
                for part in candidate.get("content", {}).get("parts", []):
                    text += part.get("text", "")
                    if "function_call" in part:
                        call = part["function_call"]
                        calls.append((call["name"], call.get("args", {})))
        return text, calls

    def close(self, client: Any, asynchronous: bool) -> Any:
        # One client, two sides: the async one has its own connections to close.
        return client.aio.aclose() if asynchronous else client.close()

    def inject(self, transport: Any, asynchronous: bool) -> dict[str, Any]:
        (options,) = super().inject(transport, asynchronous).values()
        return {"httpx_async_client" if asynchronous else "httpx_client": options}


class Ollama(Sdk):
    """ollama: /api/chat."""

    name = "ollama"
    module = "ollama"
    format_name = "ollama"
    model = "llama3.2"

    def client(self, asynchronous: bool, **options: Any) -> Any:
        import ollama

        return (ollama.AsyncClient if asynchronous else ollama.Client)(**options)

    def inject(self, transport: Any, asynchronous: bool) -> dict[str, Any]:
        # Built on httpx, to which it passes its extra keyword arguments.
        return {"transport": transport}

    def call(self, client: Any, kind: str, asynchronous: bool) -> Any:
        tools = {"tools": [_FUNCTION_TOOL]} if kind == "tool" else {}
        return client.chat(model=self.model, messages=_MESSAGES, stream=True, **tools)

    def answer(self, chunks: list[Any]) -> tuple[str, list[tuple[str, Any]]]:
        text, calls = "", []
        for chunk in chunks:
            message = chunk.get("message", {})
            text += message.get("content") or ""
            for call in message.get("tool_calls", []):
                calls.append((call["function"]["name"], call["function"]["arguments"]))
        return text, calls


SDKS: tuple[Sdk, ...] = (OpenAIChat(), OpenAIResponses(), Anthropic(), GoogleGenAI(), Ollama())


@dataclass(frozen=True)
class Case:
    """One cell row of the matrix: an SDK, a text answer or a tool call, sync or async."""

    sdk: Sdk
    kind: str
    asynchronous: bool

    @property
    def id(self) -> str:
        """`openai-text-sync`: the test id and the cassette name."""
        mode = "async" if self.asynchronous else "sync"
        return f"{self.sdk.label or self.sdk.name}-{self.kind}-{mode}"

    def expected(self) -> tuple[str, list[tuple[str, Any]]]:
        """What the simulator answers this case."""
        return (TEXT, []) if self.kind == "text" else (PREAMBLE, [TOOL_CALL])


CASES = [
    pytest.param(Case(sdk, kind, asynchronous), id=Case(sdk, kind, asynchronous).id)
    for sdk in SDKS
    for kind in KINDS
    for asynchronous in (False, True)
]


@dataclass
class Run:
    """What one streamed call yielded, and when (seconds from the call)."""

    chunks: list[Any] = field(default_factory=list)
    arrivals: list[float] = field(default_factory=list)


@contextmanager
def base_url_env(fmt: Format, base_url: str) -> Iterator[None]:
    """The environment variables the format's official SDKs read, pointing at `base_url`
    (a server root, as `serve` prints it)."""
    names = [variable for _, variable in fmt.client_base_url_env]
    saved = {name: os.environ.get(name) for name in names}
    os.environ.update(dict.fromkeys(names, base_url + fmt.base_url_suffix))
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def run(case: Case, **options: Any) -> Run:
    """Build the case's client with `options`, stream the case's request, close the client.

    Arrival times count from just before the request is made, so that each is a lower
    bound's fair test: a frame due at offset t cannot have arrived before t.
    """
    sdk, asynchronous = case.sdk, case.asynchronous
    client = sdk.client(asynchronous, **options)
    # What was handed in is closed too: not every SDK closes an HTTP client it was given.
    closing = "aclose" if asynchronous else "close"
    given = [value for value in options.values() if hasattr(value, closing)]
    if not asynchronous:
        try:
            started = time.perf_counter()
            return _collect(sdk, sdk.call(client, case.kind, False), started)
        finally:
            sdk.close(client, False)
            for value in given:
                value.close()

    async def main() -> Run:
        try:
            started = time.perf_counter()
            stream = await sdk.call(client, case.kind, True)
            return await _acollect(sdk, stream, started)
        finally:
            await sdk.close(client, True)
            for value in given:
                await value.aclose()

    return asyncio.run(main())


def _collect(sdk: Sdk, stream: Iterable[Any], started: float) -> Run:
    result = Run()
    for chunk in stream:
        result.arrivals.append(time.perf_counter() - started)
        result.chunks.append(sdk.dump(chunk))
    return result


async def _acollect(sdk: Sdk, stream: AsyncIterator[Any], started: float) -> Run:
    result = Run()
    async for chunk in stream:
        result.arrivals.append(time.perf_counter() - started)
        result.chunks.append(sdk.dump(chunk))
    return result


# A frame replayed at `recorded` timing never comes before its offset; the scheduler's
# clock may wake a hair early.
_EARLY = 0.005


def check_replay(case: Case, live: Run, replayed: Run, interaction: Interaction) -> None:
    """The matrix's verdict on one cell: the live run got the simulator's answer, the replay
    yielded the same chunks, and no chunk came before its frame's recorded offset."""
    assert case.sdk.answer(live.chunks) == case.expected()
    assert interaction.provider == case.sdk.format.provider
    assert recognize(interaction.request.uri) == case.sdk.format
    assert replayed.chunks == live.chunks
    # The SDK yields at most one chunk per frame, so its k-th chunk needs frame k, which a
    # replay at the recorded pace sends no earlier than frame k's recorded offset.
    offsets = [offset for offset, _ in interaction.response.frames()]
    assert 1 < len(replayed.chunks) <= len(offsets)
    for arrival, offset in zip(replayed.arrivals, offsets, strict=False):
        assert arrival >= offset - _EARLY
