"""The Anthropic Messages codec: request bodies, the SSE stream decoder, responses, errors.

Streams are hand-written in Anthropic's wire format (named events, padded JSON, `ping`s) and
fed through the real SSE framing in small pieces, as they arrive from a socket.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from llmring_replay.exceptions import (
    ConfigurationError,
    ModelNotFoundError,
    ProviderAuthenticationError,
    ProviderError,
    ProviderRateLimitError,
    ProviderResponseError,
)
from llmring_replay.framing import splitter_for
from llmring_replay.providers.anthropic.codec import AnthropicCodec
from llmring_replay.providers.anthropic.request import JSON_INSTRUCTION
from llmring_replay.providers.base import ProviderConfig
from llmring_replay.providers.errors import to_exception
from llmring_replay.schemas import LLMRequest, Message, StreamChunk

CODEC = AnthropicCodec(ProviderConfig("anthropic", "sk-ant-test", "https://api.anthropic.com"))
MODEL = "claude-sonnet-4-0"
REPORTED = "anthropic:claude-sonnet-4-20250514"

# A real-looking stream, written out by hand: pings before, between and after deltas, padding
# spaces inside the JSON, an `ø` (two UTF-8 bytes) that piece boundaries will cut.
TEXT_STREAM = """\
event: message_start
data: {"type":"message_start","message":{"model":"claude-sonnet-4-20250514","id":"msg_1",\
"type":"message","role":"assistant","content":[],"stop_reason":null,"stop_sequence":null,\
"usage":{"input_tokens":16,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,\
"output_tokens":5}}      }

event: ping
data: {"type": "ping"}

event: content_block_start
data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}   }

event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hej"}  }

event: ping
data: {"type": "ping"}

event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" verden ø!"}}

event: content_block_stop
data: {"type":"content_block_stop","index":0            }

event: ping
data: {"type": "ping"}

event: message_delta
data: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},\
"usage":{"output_tokens":7}          }

event: message_stop
data: {"type":"message_stop"       }

"""


def sse(*events: dict[str, Any]) -> str:
    """An SSE body of `event: <type>` + `data: <json>` pairs."""
    return "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in events)


def start(model: str = "claude-sonnet-4-20250514", **usage: Any) -> dict[str, Any]:
    usage = usage or {"input_tokens": 10, "output_tokens": 1}
    return {"type": "message_start", "message": {"model": model, "content": [], "usage": usage}}


def block_start(index: int, **block: Any) -> dict[str, Any]:
    return {"type": "content_block_start", "index": index, "content_block": block}


def delta(index: int, **payload: Any) -> dict[str, Any]:
    return {"type": "content_block_delta", "index": index, "delta": payload}


def text(index: int, value: str) -> dict[str, Any]:
    return delta(index, type="text_delta", text=value)


def args(index: int, piece: str) -> dict[str, Any]:
    return delta(index, type="input_json_delta", partial_json=piece)


def stop(index: int) -> dict[str, Any]:
    return {"type": "content_block_stop", "index": index}


def end(stop_reason: str = "end_turn", **usage: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    message_delta = {
        "type": "message_delta",
        "delta": {"stop_reason": stop_reason, "stop_sequence": None},
        "usage": usage or {"output_tokens": 9},
    }
    return message_delta, {"type": "message_stop"}


def iter_chunks(body: str, piece: int = 5, model: str = MODEL) -> Iterator[StreamChunk]:
    """Chunks of `body` fed through the SSE framing in `piece`-byte reads, then `finish()`."""
    raw = body.encode()
    splitter, parse = splitter_for("sse")
    decoder = CODEC.stream_decoder(model)
    for offset in range(0, len(raw), piece):
        yield from decoder.chunks(splitter.feed(raw[offset : offset + piece]), parse)
    yield from decoder.chunks(splitter.flush(), parse)
    yield from decoder.finish()


def decode(body: str, piece: int = 5) -> list[StreamChunk]:
    return list(iter_chunks(body, piece))


def assert_stream_rules(chunks: list[StreamChunk]) -> None:
    """DESIGN.md rules 1-4: str deltas, one model, one final chunk, usage only on it."""
    assert chunks
    assert all(isinstance(c.delta, str) for c in chunks)
    assert len({c.model for c in chunks}) == 1
    assert [c.finish_reason is not None for c in chunks] == [False] * (len(chunks) - 1) + [True]
    assert all(c.usage is None for c in chunks[:-1])


# -- text streams -------------------------------------------------------------------------


@pytest.mark.parametrize("piece", [1, 3, 7, 64, 10_000])
def test_text_stream_with_pings_and_padding_at_any_piece_size(piece: int) -> None:
    chunks = decode(TEXT_STREAM, piece)

    assert_stream_rules(chunks)
    assert "".join(c.delta for c in chunks) == "Hej verden ø!"
    assert [c.delta for c in chunks] == ["Hej", " verden ø!", ""]
    assert {c.model for c in chunks} == {REPORTED}
    final = chunks[-1]
    assert final.finish_reason == "stop"
    assert final.provider_details == {"finish_reason": "end_turn"}
    assert final.usage == {
        "prompt_tokens": 16,
        "completion_tokens": 7,
        "total_tokens": 23,
        "cached_tokens": 0,
        "cache_creation_tokens": 0,
    }
    assert final.tool_calls is None


def test_model_falls_back_to_the_requested_one() -> None:
    body = sse(
        {"type": "message_start", "message": {"content": [], "usage": {"input_tokens": 1}}},
        block_start(0, type="text", text=""),
        text(0, "hi"),
        *end(),
    )
    assert {c.model for c in decode(body)} == {f"anthropic:{MODEL}"}


def test_unknown_events_and_deltas_are_ignored() -> None:
    body = sse(
        start(),
        {"type": "brand_new_event", "payload": 1},
        block_start(0, type="text", text=""),
        text(0, "cited"),
        delta(0, type="citations_delta", citation={"type": "char_location", "cited_text": "x"}),
        delta(0, type="future_delta", stuff=True),
        *end(),
    )
    chunks = decode(body)
    assert [c.delta for c in chunks] == ["cited", ""]


def test_malformed_event_raises_a_response_error() -> None:
    body = sse(start()) + "event: content_block_delta\ndata: {not json\n\n"
    with pytest.raises(ProviderResponseError, match="malformed") as info:
        decode(body)
    assert info.value.provider == "anthropic"
    assert info.value.status_code == 200


# -- tool calls ---------------------------------------------------------------------------


def test_tool_use_built_from_fragments_cumulatively() -> None:
    body = sse(
        start(),
        block_start(0, type="tool_use", id="toolu_1", name="weather", input={}),
        args(0, ""),
        args(0, '{"location": "Flo'),
        {"type": "ping"},
        args(0, 'rence"}'),
        stop(0),
        *end("tool_use"),
    )
    chunks = decode(body)

    assert_stream_rules(chunks)
    assert "".join(c.delta for c in chunks) == ""
    arguments = [c.tool_calls[0]["function"]["arguments"] for c in chunks if c.tool_calls]
    # Opened empty, then each non-empty fragment re-sends the whole call (rule 5).
    assert arguments == ["", '{"location": "Flo', '{"location": "Florence"}', arguments[-1]]
    final = chunks[-1]
    assert final.finish_reason == "tool_calls"
    assert final.tool_calls == [
        {
            "id": "toolu_1",
            "type": "function",
            "function": {"name": "weather", "arguments": '{"location": "Florence"}'},
        }
    ]


def test_tool_use_without_fragments_gets_empty_object_arguments() -> None:
    body = sse(
        start(),
        block_start(0, type="tool_use", id="toolu_1", name="get_time", input={}),
        args(0, ""),
        stop(0),
        *end("tool_use"),
    )
    final = decode(body)[-1]
    assert final.tool_calls is not None
    assert final.tool_calls[0]["function"] == {"name": "get_time", "arguments": "{}"}


def test_two_parallel_tool_calls_after_text() -> None:
    body = sse(
        start(),
        block_start(0, type="text", text=""),
        text(0, "Adding and multiplying."),
        stop(0),
        block_start(1, type="tool_use", id="toolu_a", name="add", input={}),
        args(1, ""),
        args(1, '{"a": 2'),
        args(1, ', "b": 3}'),
        stop(1),
        block_start(2, type="tool_use", id="toolu_m", name="multiply", input={}),
        args(2, '{"a": 2, "b": 3}'),
        stop(2),
        *end("tool_use"),
    )
    chunks = decode(body)

    assert_stream_rules(chunks)
    assert "".join(c.delta for c in chunks) == "Adding and multiplying."
    calls = chunks[-1].tool_calls
    assert calls is not None
    assert [(c["id"], c["function"]["name"]) for c in calls] == [
        ("toolu_a", "add"),
        ("toolu_m", "multiply"),
    ]
    assert [json.loads(c["function"]["arguments"]) for c in calls] == [{"a": 2, "b": 3}] * 2


def test_server_tool_use_is_not_a_client_tool_call() -> None:
    body = sse(
        start(),
        block_start(0, type="server_tool_use", id="srvtoolu_1", name="web_search", input={}),
        args(0, '{"query": "weather"}'),
        stop(0),
        block_start(1, type="text", text=""),
        text(1, "Sunny."),
        stop(1),
        *end(),
    )
    chunks = decode(body)
    assert all(c.tool_calls is None for c in chunks)
    assert "".join(c.delta for c in chunks) == "Sunny."


# -- thinking -----------------------------------------------------------------------------


def test_thinking_is_reasoning_never_delta() -> None:
    body = sse(
        start(),
        block_start(0, type="thinking", thinking="", signature=""),
        delta(0, type="thinking_delta", thinking="Let me think"),
        delta(0, type="thinking_delta", thinking=""),
        delta(0, type="thinking_delta", thinking=" about it."),
        delta(0, type="signature_delta", signature="EtYDsig"),
        stop(0),
        block_start(1, type="redacted_thinking", data="EmwKAhgB"),
        stop(1),
        block_start(2, type="text", text=""),
        text(2, "Answer."),
        stop(2),
        *end(),
    )
    chunks = decode(body)

    assert_stream_rules(chunks)
    assert "".join(c.delta for c in chunks) == "Answer."
    assert "".join(c.reasoning or "" for c in chunks) == "Let me think about it."
    assert all(not (c.reasoning and c.delta) for c in chunks)
    # Handed back so the next turn can send the blocks with their signatures.
    assert chunks[-1].provider_details == {
        "finish_reason": "end_turn",
        "thinking_blocks": [
            {"type": "thinking", "thinking": "Let me think about it.", "signature": "EtYDsig"},
            {"type": "redacted_thinking", "data": "EmwKAhgB"},
        ],
    }


# -- usage and finish ---------------------------------------------------------------------


def test_usage_merges_start_and_delta_with_cache_counts() -> None:
    body = sse(
        start(
            input_tokens=10,
            cache_read_input_tokens=100,
            cache_creation_input_tokens=5,
            output_tokens=1,
        ),
        block_start(0, type="text", text=""),
        text(0, "ok"),
        # Newer API versions repeat the input counts in message_delta, some as null.
        *end(
            input_tokens=10,
            cache_read_input_tokens=None,
            cache_creation_input_tokens=7,
            output_tokens=42,
        ),
    )
    assert decode(body)[-1].usage == {
        "prompt_tokens": 117,
        "completion_tokens": 42,
        "total_tokens": 159,
        "cached_tokens": 100,
        "cache_creation_tokens": 7,
    }


def test_usage_without_cache_fields_has_no_optional_keys() -> None:
    body = sse(start(input_tokens=27, output_tokens=1), *end("max_tokens", output_tokens=15))
    assert decode(body)[-1].usage == {
        "prompt_tokens": 27,
        "completion_tokens": 15,
        "total_tokens": 42,
    }


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("end_turn", "stop"),
        ("stop_sequence", "stop"),
        ("pause_turn", "stop"),
        ("max_tokens", "length"),
        ("model_context_window_exceeded", "length"),
        ("tool_use", "tool_calls"),
        ("refusal", "content_filter"),
        ("some_future_reason", "stop"),
    ],
)
def test_finish_reason_table(raw: str, normalized: str) -> None:
    final = decode(sse(start(), *end(raw)))[-1]
    assert final.finish_reason == normalized
    assert final.provider_details == {"finish_reason": raw}


# -- failures mid-stream ------------------------------------------------------------------


def test_in_band_overloaded_error_after_chunks_is_retryable() -> None:
    error = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    body = sse(start(), block_start(0, type="text", text=""), text(0, "Partial"), error)
    delivered: list[StreamChunk] = []
    with pytest.raises(ProviderResponseError, match="Overloaded") as info:
        for chunk in iter_chunks(body):
            delivered.append(chunk)

    assert [c.delta for c in delivered] == ["Partial"]
    assert info.value.provider == "anthropic"
    assert info.value.status_code == 200
    assert info.value.retryable is True
    assert info.value.details["code"] == "overloaded_error"


@pytest.mark.parametrize(
    ("kind", "expected", "retryable"),
    [
        ("api_error", ProviderResponseError, True),
        ("rate_limit_error", ProviderRateLimitError, True),
        ("authentication_error", ProviderAuthenticationError, False),
        ("invalid_request_error", ProviderResponseError, False),
    ],
)
def test_in_band_error_kinds(kind: str, expected: type[ProviderError], retryable: bool) -> None:
    error = {"type": "error", "error": {"type": kind, "message": "nope"}}
    with pytest.raises(expected) as info:
        decode(sse(start(), error))
    assert type(info.value) is expected
    assert info.value.status_code == 200
    assert info.value.retryable is retryable


def test_message_stop_without_stop_reason_still_finishes() -> None:
    body = sse(start(), block_start(0, type="text", text=""), text(0, "ok"), end()[1])
    final = decode(body)[-1]
    assert final.finish_reason == "stop"
    assert final.provider_details == {"finish_reason": None}


@pytest.mark.parametrize("cut_after", ["text", "message_delta"])
def test_stream_cut_before_message_stop_raises(cut_after: str) -> None:
    events = [start(), block_start(0, type="text", text=""), text(0, "Half an ans")]
    if cut_after == "message_delta":
        events.append(end()[0])
    delivered: list[StreamChunk] = []
    with pytest.raises(ProviderResponseError, match="ended before") as info:
        for chunk in iter_chunks(sse(*events)):
            delivered.append(chunk)
    assert [c.delta for c in delivered] == ["Half an ans"]
    assert info.value.retryable is True


def test_decoder_is_done_after_message_stop() -> None:
    decoder = CODEC.stream_decoder(MODEL)
    splitter, parse = splitter_for("sse")
    for frame in splitter.feed(sse(start(), *end()).encode()):
        event = parse(frame)
        assert event is not None
        decoder.feed(event)
    assert decoder.done
    assert decoder.end() == []


# -- request building ---------------------------------------------------------------------


def body_of(request: LLMRequest, *, stream: bool = True, model: str = MODEL) -> dict[str, Any]:
    built = CODEC.build_request(request, model, stream=stream)
    parsed: dict[str, Any] = json.loads(built.content)
    return parsed


def test_request_url_headers_and_compact_body() -> None:
    built = CODEC.build_request(
        LLMRequest(messages=[Message(role="user", content="Hi")]), MODEL, stream=True
    )

    assert built.method == "POST"
    assert str(built.url) == "https://api.anthropic.com/v1/messages"
    assert built.headers["x-api-key"] == "sk-ant-test"
    assert built.headers["anthropic-version"] == "2023-06-01"
    assert built.headers["content-type"] == "application/json"
    assert built.content == (
        b'{"model":"claude-sonnet-4-0","max_tokens":4096,'
        b'"messages":[{"role":"user","content":"Hi"}],"stream":true}'
    )


def test_request_without_key_and_custom_base_url() -> None:
    codec = AnthropicCodec(ProviderConfig("anthropic", None, "http://127.0.0.1:8080/"))
    built = codec.build_request(
        LLMRequest(messages=[Message(role="user", content="Hi")]), MODEL, stream=False
    )
    assert str(built.url) == "http://127.0.0.1:8080/v1/messages"
    assert "x-api-key" not in built.headers
    assert "stream" not in json.loads(built.content)


def test_codec_class_attributes() -> None:
    assert AnthropicCodec.name == "anthropic"
    assert AnthropicCodec.framing == "sse"
    assert AnthropicCodec.default_base_url == "https://api.anthropic.com"
    assert AnthropicCodec.api_key_env == ("ANTHROPIC_API_KEY",)
    assert AnthropicCodec.base_url_env == "ANTHROPIC_BASE_URL"


def test_system_messages_are_joined_at_top_level() -> None:
    body = body_of(
        LLMRequest(
            messages=[
                Message(role="system", content="Be brief."),
                Message(role="system", content=[{"type": "text", "text": "Speak Danish."}]),
                Message(role="user", content="Hi"),
            ]
        )
    )
    assert body["system"] == "Be brief.\n\nSpeak Danish."
    assert body["messages"] == [{"role": "user", "content": "Hi"}]


def test_system_with_cache_control_becomes_blocks() -> None:
    cache = {"type": "ephemeral"}
    body = body_of(
        LLMRequest(
            messages=[
                Message(role="system", content="Long manual.", metadata={"cache_control": cache}),
                Message(role="user", content="Hi"),
            ]
        )
    )
    assert body["system"] == [{"type": "text", "text": "Long manual.", "cache_control": cache}]


def test_multi_turn_with_tool_calls_and_merged_tool_results() -> None:
    call_add = {
        "id": "toolu_a",
        "type": "function",
        "function": {"name": "add", "arguments": '{"a": 2, "b": 3}'},
    }
    call_mul = {
        "id": "toolu_m",
        "type": "function",
        "function": {"name": "multiply", "arguments": ""},
    }
    body = body_of(
        LLMRequest(
            messages=[
                Message(role="user", content="Add and multiply 2 and 3"),
                Message(role="assistant", content="On it.", tool_calls=[call_add, call_mul]),
                Message(role="tool", content="5", tool_call_id="toolu_a"),
                Message(role="tool", content={"value": 6}, tool_call_id="toolu_m"),
                Message(role="assistant", content="5 and 6."),
                Message(role="user", content=[{"type": "text", "text": "Thanks"}]),
            ]
        )
    )
    assert body["messages"] == [
        {"role": "user", "content": "Add and multiply 2 and 3"},
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "On it."},
                {"type": "tool_use", "id": "toolu_a", "name": "add", "input": {"a": 2, "b": 3}},
                {"type": "tool_use", "id": "toolu_m", "name": "multiply", "input": {}},
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "toolu_a", "content": "5"},
                {"type": "tool_result", "tool_use_id": "toolu_m", "content": '{"value": 6}'},
            ],
        },
        {"role": "assistant", "content": "5 and 6."},
        {"role": "user", "content": [{"type": "text", "text": "Thanks"}]},
    ]


def test_assistant_turn_with_only_tool_calls_has_no_empty_text_block() -> None:
    call = {"id": "t1", "type": "function", "function": {"name": "now", "arguments": "{}"}}
    body = body_of(LLMRequest(messages=[Message(role="assistant", content="", tool_calls=[call])]))
    assert body["messages"][0]["content"] == [
        {"type": "tool_use", "id": "t1", "name": "now", "input": {}}
    ]


def test_tool_call_with_invalid_json_arguments_is_a_configuration_error() -> None:
    call = {"id": "t1", "type": "function", "function": {"name": "now", "arguments": "{oops"}}
    with pytest.raises(ConfigurationError, match="t1"):
        body_of(LLMRequest(messages=[Message(role="assistant", content="", tool_calls=[call])]))


def test_image_url_parts_become_image_blocks() -> None:
    parts = [
        {"type": "text", "text": "What is this?"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
        {"type": "image_url", "image_url": "https://example.com/cat.jpg"},
    ]
    body = body_of(LLMRequest(messages=[Message(role="user", content=parts)]))
    assert body["messages"][0]["content"] == [
        {"type": "text", "text": "What is this?"},
        {
            "type": "image",
            "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="},
        },
        {"type": "image", "source": {"type": "url", "url": "https://example.com/cat.jpg"}},
    ]


def test_tools_are_translated_and_native_tools_pass_through() -> None:
    params = {"type": "object", "properties": {"city": {"type": "string"}}}
    web_search = {"type": "web_search_20250305", "name": "web_search", "max_uses": 2}
    body = body_of(
        LLMRequest(
            messages=[Message(role="user", content="Weather?")],
            tools=[
                {
                    "type": "function",
                    "function": {"name": "weather", "description": "Get it", "parameters": params},
                },
                {"type": "function", "function": {"name": "now"}},
                web_search,
            ],
        )
    )
    assert body["tools"] == [
        {"name": "weather", "description": "Get it", "input_schema": params},
        {"name": "now", "input_schema": {"type": "object", "properties": {}}},
        web_search,
    ]


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ("auto", {"type": "auto"}),
        ("required", {"type": "any"}),
        ("any", {"type": "any"}),
        ("none", {"type": "none"}),
        ({"type": "function", "function": {"name": "add"}}, {"type": "tool", "name": "add"}),
        ({"type": "tool", "name": "add"}, {"type": "tool", "name": "add"}),
    ],
)
def test_tool_choice_mapping(choice: str | dict[str, Any], expected: dict[str, Any]) -> None:
    request = LLMRequest(messages=[Message(role="user", content="Hi")], tool_choice=choice)
    assert body_of(request)["tool_choice"] == expected


def test_unknown_tool_choice_string_is_rejected() -> None:
    request = LLMRequest(messages=[Message(role="user", content="Hi")], tool_choice="sometimes")
    with pytest.raises(ConfigurationError, match="sometimes"):
        body_of(request)


def test_temperature_zero_is_kept_and_max_tokens_given_wins() -> None:
    request = LLMRequest(
        messages=[Message(role="user", content="Hi")], temperature=0, max_tokens=100
    )
    body = body_of(request)
    assert body["temperature"] == 0
    assert body["max_tokens"] == 100


def test_thinking_budget_and_default_max_tokens_above_it() -> None:
    request = LLMRequest(messages=[Message(role="user", content="Hi")], reasoning_tokens=8000)
    body = body_of(request)
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 8000}
    assert body["max_tokens"] == 8000 + 4096


def test_json_response_appends_an_instruction_to_the_system_prompt() -> None:
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}}
    request = LLMRequest(
        messages=[Message(role="system", content="Count."), Message(role="user", content="3")],
        response_format={"type": "json_schema", "json_schema": {"name": "n", "schema": schema}},
    )
    system = body_of(request)["system"]
    assert system.startswith(f"Count.\n\n{JSON_INSTRUCTION}")
    assert json.dumps(schema, sort_keys=True, separators=(",", ":")) in system

    plain = LLMRequest(messages=[Message(role="user", content="3")], json_response=True)
    assert body_of(plain)["system"] == JSON_INSTRUCTION


def test_extra_params_are_merged_last() -> None:
    request = LLMRequest(
        messages=[Message(role="user", content="Hi")],
        max_tokens=10,
        extra_params={"max_tokens": 20, "top_k": 5, "metadata": {"user_id": "u1"}},
    )
    body = body_of(request)
    assert body["max_tokens"] == 20
    assert body["top_k"] == 5
    assert list(body)[-2:] == ["top_k", "metadata"]


def test_request_body_is_deterministic() -> None:
    request = LLMRequest(
        messages=[Message(role="system", content="S"), Message(role="user", content="Ünïcode")],
        temperature=0.5,
    )
    first = CODEC.build_request(request, MODEL, stream=True).content
    assert first == CODEC.build_request(request, MODEL, stream=True).content
    assert "Ünïcode".encode() in first


# -- errors -------------------------------------------------------------------------------


def error_body(kind: str, message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": kind, "message": message}, "request_id": "req_1"}


def test_error_info_reads_type_and_message() -> None:
    info = CODEC.error_info(529, error_body("overloaded_error", "Overloaded"))
    assert (info.message, info.code, info.kind) == ("Overloaded", "overloaded_error", "overloaded")


def test_error_info_from_text_bodies() -> None:
    as_text = CODEC.error_info(401, json.dumps(error_body("authentication_error", "bad key")))
    assert (as_text.code, as_text.message) == ("authentication_error", "bad key")
    html = CODEC.error_info(502, "<html>Bad gateway</html>")
    assert (html.code, html.message) == (None, "<html>Bad gateway</html>")
    assert CODEC.error_info(500, "").message == "HTTP 500"


@pytest.mark.parametrize(
    ("status", "kind", "headers", "expected", "retryable"),
    [
        (401, "authentication_error", {}, ProviderAuthenticationError, False),
        (403, "permission_error", {}, ProviderAuthenticationError, False),
        (429, "rate_limit_error", {"retry-after": "20"}, ProviderRateLimitError, True),
        (529, "overloaded_error", {}, ProviderResponseError, True),
        (500, "api_error", {}, ProviderResponseError, True),
        (400, "invalid_request_error", {}, ProviderResponseError, False),
    ],
)
def test_http_errors_map_to_exceptions(
    status: int, kind: str, headers: dict[str, str], expected: type[ProviderError], retryable: bool
) -> None:
    info = CODEC.error_info(status, error_body(kind, "nope"))
    exc = to_exception("anthropic", status, info, model=MODEL, headers=headers)
    assert type(exc) is expected
    assert isinstance(exc, ProviderError)
    assert exc.provider == "anthropic"
    assert exc.status_code == status
    assert exc.retryable is retryable
    if status == 429:
        assert isinstance(exc, ProviderRateLimitError)
        assert exc.retry_after == 20.0


def test_404_not_found_is_model_not_found() -> None:
    info = CODEC.error_info(404, error_body("not_found_error", "model: claude-nope"))
    exc = to_exception("anthropic", 404, info, model="claude-nope")
    assert isinstance(exc, ModelNotFoundError)
    assert exc.model_name == "claude-nope"
    assert exc.status_code == 404
    assert "model: claude-nope" in str(exc)


# -- non-streaming responses --------------------------------------------------------------


def test_parse_response() -> None:
    data = {
        "id": "msg_1",
        "type": "message",
        "model": "claude-sonnet-4-20250514",
        "content": [
            {"type": "thinking", "thinking": "Weather needs a tool.", "signature": "sig"},
            {"type": "text", "text": "Checking "},
            {"type": "text", "text": "now."},
            {"type": "tool_use", "id": "toolu_1", "name": "weather", "input": {"city": "Oslo"}},
        ],
        "stop_reason": "tool_use",
        "usage": {
            "input_tokens": 20,
            "cache_read_input_tokens": 30,
            "cache_creation_input_tokens": None,
            "output_tokens": 12,
        },
    }
    response = CODEC.parse_response(data, MODEL)

    assert response.content == "Checking now."
    assert response.reasoning == "Weather needs a tool."
    assert response.model == REPORTED
    assert response.finish_reason == "tool_calls"
    assert response.usage == {
        "prompt_tokens": 50,
        "completion_tokens": 12,
        "total_tokens": 62,
        "cached_tokens": 30,
    }
    assert response.tool_calls is not None
    assert response.tool_calls[0]["id"] == "toolu_1"
    assert json.loads(response.tool_calls[0]["function"]["arguments"]) == {"city": "Oslo"}
    assert response.provider_details is not None
    assert response.provider_details["finish_reason"] == "tool_use"
    assert response.provider_details["thinking_blocks"][0]["signature"] == "sig"
