"""Every wire format reads the conversation out of the request bodies its own codec builds.

The scenarios of the simulator match on what these readers find (last user message, tool
results of the newest turn, turn number), so a rule written once matches every format: the
same `LLMRequest`, encoded by each codec, must read back the same.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from llmring_replay import LLMRequest, Message
from llmring_replay.providers import ProviderConfig
from llmring_replay.providers.conversation import Entry, text_of
from llmring_replay.providers.registry import FORMATS, Format
from llmring_replay.simulator.request_view import RequestView

TOOLS = [
    {"type": "function", "function": {"name": name, "parameters": {"type": "object"}}}
    for name in ("get_weather", "get_time")
]
CALLS = [
    {
        "id": f"call_{index}",
        "type": "function",
        "function": {"name": name, "arguments": json.dumps({"city": "Paris"})},
    }
    for index, name in enumerate(["get_weather", "get_time"])
]
TOOL_LOOP = [
    Message(role="system", content="Be brief."),
    Message(role="user", content="Weather in Paris?"),
    Message(role="assistant", content="Let me check.", tool_calls=CALLS),
    Message(role="tool", content='{"celsius": 21}', tool_call_id="call_0"),
    Message(role="tool", content='{"time": "noon"}', tool_call_id="call_1"),
]
SILENT_CALLS = [
    Message(role="user", content="Weather in Paris?"),
    Message(role="assistant", content="", tool_calls=CALLS[:1]),
    Message(role="tool", content='{"celsius": 21}', tool_call_id="call_0"),
]
AFTER_THE_LOOP = [
    *TOOL_LOOP,
    Message(role="assistant", content="21 degrees at noon."),
    Message(role="user", content=[{"type": "text", "text": "Thanks!"}]),
]
MULTI_TURN = [
    Message(role="user", content="My name is Ada."),
    Message(role="assistant", content="Nice to meet you, Ada!"),
    Message(role="user", content="What is my name?"),
]


def _view(fmt: Format, messages: list[Message]) -> RequestView:
    codec = fmt.codec_class()(ProviderConfig(fmt.provider, "key", "http://127.0.0.1:9"))
    request = LLMRequest(messages=messages, tools=TOOLS)
    built = codec.build_request(request, fmt.default_model, stream=True)
    body = json.loads(built.content)
    return RequestView.read(fmt.provider, fmt.default_model, built.url.path, body)


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda fmt: fmt.name)
@pytest.mark.parametrize(
    ("messages", "last_user", "tool_results", "turn"),
    [
        ([Message(role="user", content="Hi")], "Hi", (), 1),
        (MULTI_TURN, "What is my name?", (), 2),
        (TOOL_LOOP, "Weather in Paris?", ("get_weather", "get_time"), 2),
        (SILENT_CALLS, "Weather in Paris?", ("get_weather",), 2),
        (AFTER_THE_LOOP, "Thanks!", (), 3),
    ],
    ids=["first", "multi-turn", "tool-results", "calls-without-text", "after-the-loop"],
)
def test_each_format_reads_back_what_its_codec_sent(
    fmt: Format,
    messages: list[Message],
    last_user: str,
    tool_results: tuple[str, ...],
    turn: int,
) -> None:
    view = _view(fmt, messages)
    assert view.format == fmt.name
    assert view.provider == fmt.provider
    assert (view.last_user, view.tool_results, view.turn) == (last_user, tool_results, turn)


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda fmt: fmt.name)
@pytest.mark.parametrize(
    "body",
    [{}, {"messages": "nope"}, {"messages": [1, None, {"role": 3}]}, {"contents": [[]]}],
)
def test_readers_skip_what_they_do_not_understand(fmt: Format, body: dict[str, Any]) -> None:
    entries = fmt.module("conversation").entries(body)
    assert all(isinstance(entry, Entry) for entry in entries)


def test_text_of_joins_text_parts_only() -> None:
    parts = ["a", {"type": "text", "text": "b"}, {"type": "image_url"}, {"text": "c"}, 3]
    assert text_of(parts) == "a\nb\nc"
    assert text_of({"text": "not a list"}) == ""
    assert text_of([{"type": "input_text", "text": "x"}], types=("input_text",)) == "x"
