"""The OpenAI Responses API codec: hand-written event streams, request building, errors."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from llmring_replay.exceptions import (
    ModelNotFoundError,
    ProviderAuthenticationError,
    ProviderRateLimitError,
    ProviderResponseError,
)
from llmring_replay.framing import splitter_for
from llmring_replay.providers import codec_class
from llmring_replay.providers.base import ProviderConfig
from llmring_replay.providers.errors import to_exception
from llmring_replay.providers.openai_responses.codec import OpenAIResponsesCodec
from llmring_replay.providers.registry import by_name, for_provider
from llmring_replay.schemas import LLMRequest, Message, StreamChunk

MODEL = "gpt-4o-2024-08-06"


def make_codec(api_key: str | None = "sk-test") -> OpenAIResponsesCodec:
    return OpenAIResponsesCodec(ProviderConfig("openai", api_key, "https://api.openai.com/v1"))


def sse(*events: Any, named: bool = True) -> bytes:
    """An SSE body: each event's JSON `type` as its `event:` name too (OpenAI's way), or
    `data:` lines only (OpenRouter's); strings are sent as they are (`[DONE]`)."""
    out = []
    for event in events:
        if isinstance(event, str):
            out.append(f"data: {event}\n\n")
        elif named:
            out.append(f"event: {event['type']}\ndata: {json.dumps(event)}\n\n")
        else:
            out.append(f"data: {json.dumps(event)}\n\n")
    return "".join(out).encode()


def decode(body: bytes, piece: int = 7) -> list[StreamChunk]:
    """Run `body`, cut into `piece`-byte reads, through the SSE framing and the decoder."""
    splitter, parse = splitter_for("sse")
    decoder = make_codec().stream_decoder("gpt-4o")
    chunks: list[StreamChunk] = []
    for i in range(0, len(body), piece):
        chunks.extend(decoder.chunks(splitter.feed(body[i : i + piece]), parse))
    chunks.extend(decoder.chunks(splitter.flush(), parse))
    chunks.extend(decoder.finish())
    return chunks


def collect(body: bytes, piece: int = 7) -> tuple[list[StreamChunk], Exception | None]:
    """The chunks a caller saw before the stream raised (and the error), chunk by chunk."""
    splitter, parse = splitter_for("sse")
    decoder = make_codec().stream_decoder("gpt-4o")
    chunks: list[StreamChunk] = []
    try:
        for i in range(0, len(body), piece):
            for chunk in decoder.chunks(splitter.feed(body[i : i + piece]), parse):
                chunks.append(chunk)
        chunks.extend(decoder.finish())
    except ProviderResponseError as exc:
        return chunks, exc
    return chunks, None


def response(status: str = "completed", output: list[Any] | None = None, **extra: Any) -> Any:
    usage = {
        "input_tokens": 30,
        "input_tokens_details": {"cached_tokens": 12},
        "output_tokens": 20,
        "output_tokens_details": {"reasoning_tokens": 8},
        "total_tokens": 50,
    }
    return {
        "id": "resp_1",
        "object": "response",
        "status": status,
        "model": MODEL,
        "error": None,
        "incomplete_details": None,
        "output": output or [],
        "usage": usage if status != "in_progress" else None,
        **extra,
    }


def created() -> list[Any]:
    started = response("in_progress")
    return [
        {"type": "response.created", "response": started},
        {"type": "response.in_progress", "response": started},
    ]


def message(text: str, index: int = 0) -> list[Any]:
    """A message item streamed as text deltas, one per word."""
    item = {"id": f"msg_{index}", "type": "message", "role": "assistant", "content": []}
    where = {"item_id": f"msg_{index}", "output_index": index, "content_index": 0}
    words = [w for w in text.split(" ")]
    pieces = [words[0]] + [f" {w}" for w in words[1:]]
    part = {"type": "output_text", "text": text, "annotations": []}
    return [
        {"type": "response.output_item.added", "output_index": index, "item": item},
        {"type": "response.content_part.added", **where, "part": {**part, "text": ""}},
        *({"type": "response.output_text.delta", **where, "delta": p} for p in pieces),
        {"type": "response.output_text.done", **where, "text": text},
        {"type": "response.content_part.done", **where, "part": part},
        {
            "type": "response.output_item.done",
            "output_index": index,
            "item": {**item, "status": "completed", "content": [part]},
        },
    ]


def function_call(
    index: int, call_id: str, name: str, pieces: list[str], kind: str = "function_call"
) -> list[Any]:
    key = "arguments" if kind == "function_call" else "input"
    delta = (
        "response.function_call_arguments.delta"
        if kind == "function_call"
        else "response.custom_tool_call_input.delta"
    )
    item = {"id": f"fc_{index}", "type": kind, "call_id": call_id, "name": name, key: ""}
    where = {"item_id": f"fc_{index}", "output_index": index}
    return [
        {"type": "response.output_item.added", "output_index": index, "item": item},
        *({"type": delta, **where, "delta": piece} for piece in pieces),
        {
            "type": "response.output_item.done",
            "output_index": index,
            "item": {**item, key: "".join(pieces), "status": "completed"},
        },
    ]


def completed(output: list[Any], status: str = "completed", **extra: Any) -> Any:
    return {"type": "response.completed", "response": response(status, output, **extra)}


def assert_one_final(chunks: list[StreamChunk]) -> StreamChunk:
    """Rules 3 and 4: exactly one chunk has a finish reason, it is last, usage only on it."""
    assert [c.finish_reason is not None for c in chunks] == [False] * (len(chunks) - 1) + [True]
    assert all(c.usage is None for c in chunks[:-1])
    return chunks[-1]


USAGE = {
    "prompt_tokens": 30,
    "completion_tokens": 20,
    "total_tokens": 50,
    "cached_tokens": 12,
    "reasoning_tokens": 8,
}


# -- streams ----------------------------------------------------------------------------------


@pytest.mark.parametrize("piece", [1, 3, 64, 100_000])
@pytest.mark.parametrize("named", [True, False], ids=["named", "data-only"])
def test_text_stream(piece: int, named: bool) -> None:
    # Piece size 1 splits the multi-byte "á" and "👋" across reads.
    text = "Olá 👋 world"
    body = sse(*created(), *message(text), completed([]), named=named)
    chunks = decode(body, piece)
    assert [c.delta for c in chunks] == ["Olá", " 👋", " world", ""]
    final = assert_one_final(chunks)
    assert final.finish_reason == "stop"
    assert final.usage == USAGE
    assert final.provider_details == {"finish_reason": "completed"}
    assert {c.model for c in chunks} == {f"openai:{MODEL}"}


def test_done_marker_after_the_end_is_ignored_and_before_it_is_a_cut() -> None:
    whole = sse(*created(), *message("Hi"), completed([]), "[DONE]", named=False)
    assert decode(whole)[-1].finish_reason == "stop"
    cut = sse(*created(), *message("Hi"), "[DONE]", named=False)
    chunks, error = collect(cut)
    assert [c.delta for c in chunks] == ["Hi"]
    assert error is not None and "ended before" in str(error)


def test_stream_cut_before_the_terminal_event_raises() -> None:
    with pytest.raises(ProviderResponseError, match="ended before"):
        decode(sse(*created(), *message("Half an answer")))


def test_reasoning_summary_and_reasoning_text_go_to_reasoning_only() -> None:
    where = {"item_id": "rs_0", "output_index": 0}
    reasoning = [
        {"type": "response.output_item.added", "output_index": 0, "item": {"type": "reasoning"}},
        {"type": "response.reasoning_summary_text.delta", **where, "delta": "**Plan**\n\nI"},
        {"type": "response.reasoning_summary_text.delta", **where, "delta": " add."},
        {"type": "response.reasoning_text.delta", **where, "delta": " Raw."},
        {"type": "response.reasoning_summary_text.done", **where, "text": "**Plan**\n\nI add."},
    ]
    chunks = decode(sse(*created(), *reasoning, *message("4", 1), completed([])))
    assert "".join(c.delta for c in chunks) == "4"
    assert "".join(c.reasoning or "" for c in chunks) == "**Plan**\n\nI add. Raw."
    assert all(c.delta == "" for c in chunks if c.reasoning)


def test_function_calls_are_cumulative_keyed_by_item_with_call_id_as_id() -> None:
    # Parallel calls to the same function: consecutive items, told apart by output index.
    calls = [
        *function_call(0, "call_a", "lookup", ['{"k":', '"x"}']),
        *function_call(1, "call_b", "lookup", ['{"k":"y"}']),
    ]
    output = [
        {"type": "function_call", "call_id": "call_a", "name": "lookup", "arguments": '{"k":"x"}'},
        {"type": "function_call", "call_id": "call_b", "name": "lookup", "arguments": '{"k":"y"}'},
    ]
    chunks = decode(sse(*created(), *calls, completed(output)))
    final = assert_one_final(chunks)
    assert final.finish_reason == "tool_calls"
    assert final.tool_calls == [
        {
            "id": "call_a",
            "type": "function",
            "function": {"name": "lookup", "arguments": '{"k":"x"}'},
        },
        {
            "id": "call_b",
            "type": "function",
            "function": {"name": "lookup", "arguments": '{"k":"y"}'},
        },
    ]
    # Cumulative: each chunk carries every call as it stands.
    progress = [c.tool_calls for c in chunks if c.tool_calls]
    assert progress[0] == [
        {"id": "call_a", "type": "function", "function": {"name": "lookup", "arguments": ""}}
    ]
    assert progress[1][0]["function"]["arguments"] == '{"k":'


def test_the_finished_item_settles_the_arguments() -> None:
    # A fragment went missing: the finished item says what the arguments are.
    events = function_call(0, "call_a", "f", ['{"a":1}'])
    events[1]["delta"] = '{"a":'
    chunks = decode(sse(*created(), *events, completed([])))
    assert chunks[-1].tool_calls == [
        {"id": "call_a", "type": "function", "function": {"name": "f", "arguments": '{"a":1}'}}
    ]


def test_calls_only_in_the_terminal_output_are_delivered() -> None:
    # A server that skips the item events still names the calls in the finished response.
    output = [{"type": "function_call", "call_id": "call_z", "name": "f", "arguments": "{}"}]
    chunks = decode(sse(*created(), completed(output)))
    assert chunks[-1].tool_calls == [
        {"id": "call_z", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    ]
    assert chunks[-1].finish_reason == "tool_calls"


def test_a_custom_tool_call_is_a_call_with_free_form_arguments() -> None:
    events = function_call(0, "call_c", "math_exp", ["4 +", " 4"], kind="custom_tool_call")
    chunks = decode(sse(*created(), *events, completed([])))
    assert chunks[-1].tool_calls == [
        {"id": "call_c", "type": "function", "function": {"name": "math_exp", "arguments": "4 + 4"}}
    ]
    assert chunks[-1].finish_reason == "tool_calls"


def test_built_in_tool_items_are_never_calls() -> None:
    mcp = {"id": "mcp_0", "type": "mcp_call", "name": "roll", "arguments": "", "server_label": "d"}
    where = {"item_id": "mcp_0", "output_index": 0}
    events = [
        {"type": "response.output_item.added", "output_index": 0, "item": mcp},
        {"type": "response.mcp_call_arguments.delta", **where, "delta": '{"n":2}'},
        {"type": "response.mcp_call.completed", **where},
        {
            "type": "response.output_item.done",
            "output_index": 0,
            "item": {**mcp, "arguments": "{}"},
        },
        {
            "type": "response.output_item.added",
            "output_index": 1,
            "item": {"type": "web_search_call"},
        },
        {"type": "response.web_search_call.searching", "output_index": 1, "item_id": "ws_1"},
        *message("Rolled.", 2),
    ]
    output = [mcp, {"type": "web_search_call", "id": "ws_1", "status": "completed"}]
    chunks = decode(sse(*created(), *events, completed(output)))
    assert all(c.tool_calls is None for c in chunks)
    assert chunks[-1].finish_reason == "stop"
    assert "".join(c.delta for c in chunks) == "Rolled."


def test_a_refusal_is_not_text() -> None:
    where = {"item_id": "msg_0", "output_index": 0, "content_index": 0}
    refusal = [{"type": "response.refusal.delta", **where, "delta": "I can't help"}]
    chunks = decode(sse(*created(), *refusal, completed([])))
    assert "".join(c.delta for c in chunks) == ""
    assert chunks[-1].finish_reason == "stop"


@pytest.mark.parametrize(
    ("reason", "finish"),
    [("max_output_tokens", "length"), ("content_filter", "content_filter"), ("other", "error")],
)
def test_incomplete_gives_the_reason_s_finish(reason: str, finish: str) -> None:
    end = {
        "type": "response.incomplete",
        "response": response("incomplete", incomplete_details={"reason": reason}),
    }
    chunks = decode(sse(*created(), *message("Cut"), end))
    final = assert_one_final(chunks)
    assert (final.finish_reason, final.provider_details) == (finish, {"finish_reason": reason})
    assert final.usage == USAGE


def test_usage_without_details_has_only_the_three_counts() -> None:
    plain = {"input_tokens": 3, "output_tokens": 2, "total_tokens": 5}
    chunks = decode(sse(*created(), *message("Hi"), completed([], usage=plain)))
    assert chunks[-1].usage == {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}


def test_an_error_event_raises_after_the_text_delivered_first() -> None:
    error = {
        "type": "error",
        "sequence_number": 9,
        "error": {"type": "server_error", "code": "server_error", "message": "boom"},
    }
    failed = {"type": "response.failed", "response": response("failed", error={"message": "x"})}
    chunks, raised = collect(sse(*created(), *message("Partial answer")[:4], error, failed))
    assert "".join(c.delta for c in chunks) == "Partial answer"
    assert isinstance(raised, ProviderResponseError)
    assert raised.status_code == 200 and "boom" in str(raised)
    assert raised.retryable  # a server error: worth another try


def test_an_error_event_with_code_and_message_on_top() -> None:
    # The SDK's own event type puts them there.
    error = {"type": "error", "code": "rate_limit_exceeded", "message": "slow down", "param": None}
    with pytest.raises(ProviderRateLimitError, match="slow down") as info:
        decode(sse(*created(), error))
    assert info.value.status_code == 200


def test_response_failed_raises() -> None:
    failure = {"code": "insufficient_quota", "message": "You exceeded your current quota"}
    failed = {"type": "response.failed", "response": response("failed", error=failure)}
    chunks, raised = collect(sse(*created(), *message("So far")[:3], failed))
    assert "".join(c.delta for c in chunks) == "So"
    assert type(raised) is ProviderResponseError
    assert "exceeded your current quota" in str(raised)


@pytest.mark.parametrize(
    "data", ["{not json", "[1, 2]", '"text"', '{"type": "response.output_item.added"}']
)
def test_malformed_frames_raise(data: str) -> None:
    body = sse(*created()) + f"data: {data}\n\n".encode()
    with pytest.raises(ProviderResponseError, match="openai sent a malformed stream"):
        decode(body)


def test_unknown_events_change_nothing() -> None:
    extra = [
        {"type": "response.output_text.annotation.added", "annotation": {"type": "url"}},
        {"type": "response.queued"},
        {"type": "response.something_new", "delta": "not text"},
    ]
    chunks = decode(sse(*created(), *extra, *message("Fine"), completed([])))
    assert [c.delta for c in chunks] == ["Fine", ""]


# -- whole responses ----------------------------------------------------------------------------


def test_parse_response_text_reasoning_usage() -> None:
    output = [
        {"type": "reasoning", "summary": [{"type": "summary_text", "text": "Think."}]},
        {
            "type": "message",
            "content": [
                {"type": "output_text", "text": '{"a": '},
                {"type": "refusal", "refusal": "no"},
                {"type": "output_text", "text": "1}"},
            ],
        },
    ]
    answer = make_codec().parse_response(response("completed", output), "gpt-4o")
    assert (answer.content, answer.reasoning, answer.parsed) == ('{"a": 1}', "Think.", {"a": 1})
    assert (answer.model, answer.finish_reason, answer.usage) == (f"openai:{MODEL}", "stop", USAGE)
    assert answer.provider_details == {"finish_reason": "completed", "id": "resp_1"}


def test_parse_response_calls_and_incomplete() -> None:
    output = [
        {"type": "custom_tool_call", "call_id": "call_1", "name": "math", "input": "4 + 4"},
        {"type": "function_call", "call_id": "call_2", "name": "f", "arguments": '{"x":1}'},
    ]
    answer = make_codec().parse_response(response("completed", output), "gpt-5")
    assert answer.finish_reason == "tool_calls"
    assert [c["id"] for c in answer.tool_calls or []] == ["call_1", "call_2"]
    assert (answer.tool_calls or [])[0]["function"]["arguments"] == "4 + 4"
    cut = response("incomplete", incomplete_details={"reason": "max_output_tokens"})
    assert make_codec().parse_response(cut, "gpt-5").finish_reason == "length"


def test_parse_response_failed_or_malformed_raises() -> None:
    failed = response("failed", error={"code": "server_error", "message": "boom"})
    with pytest.raises(ProviderResponseError, match="boom"):
        make_codec().parse_response(failed, "gpt-4o")
    with pytest.raises(ProviderResponseError, match="openai sent a malformed response"):
        make_codec().read_response({"output": [42]}, "gpt-4o")


# -- requests -------------------------------------------------------------------------------------

WEATHER = {
    "type": "function",
    "function": {"name": "get_weather", "parameters": {"type": "object"}, "strict": True},
}
CALLS = [
    {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}},
    {"id": "call_2", "type": "function", "function": {"name": "calc", "arguments": "1 + 1"}},
]


def body_of(request: LLMRequest, stream: bool = True, model: str = "gpt-4o") -> dict[str, Any]:
    built = make_codec().build_request(request, model, stream=stream)
    assert isinstance(built, httpx.Request)
    assert str(built.url) == "https://api.openai.com/v1/responses"
    return dict(json.loads(built.content))


def test_request_shape_auth_and_key_order() -> None:
    request = LLMRequest(
        messages=[Message(role="user", content="Hi")],
        temperature=0,
        max_tokens=50,
        extra_params={"reasoning": {"summary": "auto"}, "store": False},
    )
    built = make_codec().build_request(request, "gpt-5", stream=True)
    assert built.headers["authorization"] == "Bearer sk-test"
    assert built.headers["accept"] == "text/event-stream"
    body = json.loads(built.content)
    assert list(body) == [
        "model",
        "input",
        "stream",
        "temperature",
        "max_output_tokens",
        "reasoning",
        "store",
    ]
    assert body["input"] == [{"role": "user", "content": "Hi"}]
    assert body["temperature"] == 0
    whole = make_codec(api_key=None).build_request(request, "gpt-5", stream=False)
    assert "authorization" not in whole.headers and "stream" not in json.loads(whole.content)


def test_conversation_with_tools_becomes_input_items() -> None:
    image = {"type": "image_url", "image_url": {"url": "data:image/png;base64,AA", "detail": "low"}}
    request = LLMRequest(
        messages=[
            Message(role="system", content="Be brief."),
            Message(role="user", content=[{"type": "text", "text": "Look"}, image]),
            Message(role="assistant", content="Checking.", tool_calls=CALLS),
            Message(role="tool", content='{"c": 21}', tool_call_id="call_1"),
            Message(role="tool", content=[{"type": "text", "text": "2"}], tool_call_id="call_2"),
            Message(role="assistant", content=None, tool_calls=CALLS[:1]),
        ],
        tools=[WEATHER, {"type": "custom", "name": "calc"}, {"type": "web_search"}],
        tool_choice={"type": "function", "function": {"name": "get_weather"}},
    )
    body = body_of(request)
    assert body["input"] == [
        {"role": "system", "content": "Be brief."},
        {
            "role": "user",
            "content": [
                {"type": "input_text", "text": "Look"},
                {"type": "input_image", "image_url": "data:image/png;base64,AA", "detail": "low"},
            ],
        },
        {"role": "assistant", "content": "Checking."},
        {"type": "function_call", "call_id": "call_1", "name": "get_weather", "arguments": "{}"},
        {"type": "custom_tool_call", "call_id": "call_2", "name": "calc", "input": "1 + 1"},
        {"type": "function_call_output", "call_id": "call_1", "output": '{"c": 21}'},
        {"type": "custom_tool_call_output", "call_id": "call_2", "output": "2"},
        {"type": "function_call", "call_id": "call_1", "name": "get_weather", "arguments": "{}"},
    ]
    assert body["tools"] == [
        {
            "type": "function",
            "name": "get_weather",
            "parameters": {"type": "object"},
            "strict": True,
        },
        {"type": "custom", "name": "calc"},
        {"type": "web_search"},
    ]
    assert body["tool_choice"] == {"type": "function", "name": "get_weather"}


@pytest.mark.parametrize(
    ("request_fields", "text"),
    [
        ({"json_response": True}, {"format": {"type": "json_object"}}),
        (
            {
                "response_format": {
                    "type": "json_schema",
                    "json_schema": {"name": "x", "schema": {}},
                }
            },
            {"format": {"type": "json_schema", "name": "x", "schema": {}}},
        ),
        ({"response_format": {"type": "json_object"}}, {"format": {"type": "json_object"}}),
    ],
)
def test_json_output_is_text_format(request_fields: dict[str, Any], text: Any) -> None:
    body = body_of(LLMRequest(messages=[Message(role="user", content="x")], **request_fields))
    assert body["text"] == text


def test_tool_choice_any_is_required() -> None:
    request = LLMRequest(messages=[Message(role="user", content="x")], tool_choice="any")
    assert body_of(request)["tool_choice"] == "required"


# -- errors and identity ------------------------------------------------------------------------


def _raise(status: int, body: Any, headers: dict[str, str] | None = None) -> Exception:
    info = make_codec().error_info(status, body)
    return to_exception("openai", status, info, model="gpt-4o", headers=headers or {})


def test_errors_before_the_stream() -> None:
    unknown = {
        "error": {"message": "The requested model 'x' does not exist.", "code": "model_not_found"}
    }
    error = _raise(400, unknown)
    assert isinstance(error, ModelNotFoundError) and error.status_code == 400
    assert isinstance(
        _raise(401, {"error": {"message": "no", "code": "invalid_api_key"}}),
        ProviderAuthenticationError,
    )
    limited = _raise(429, {"error": {"message": "slow"}}, {"retry-after": "2"})
    assert isinstance(limited, ProviderRateLimitError) and limited.retry_after == 2


def test_selected_only_by_name() -> None:
    fmt = by_name("openai_responses")
    assert codec_class("openai", "responses") is OpenAIResponsesCodec is fmt.codec_class()
    assert for_provider("openai") is not fmt  # Chat Completions stays the default
    assert (OpenAIResponsesCodec.name, OpenAIResponsesCodec.framing) == ("openai", "sse")
