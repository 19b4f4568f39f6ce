"""The OpenAI Chat Completions codec: hand-written SSE fixtures, request building, errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from llmring_replay.exceptions import (
    ModelNotFoundError,
    ProviderAuthenticationError,
    ProviderRateLimitError,
    ProviderResponseError,
)
from llmring_replay.framing import Event, parse_sse, splitter_for
from llmring_replay.providers import codec_class
from llmring_replay.providers.base import ProviderConfig
from llmring_replay.providers.errors import to_exception
from llmring_replay.providers.openai_chat.codec import OpenAICodec, normalize_finish_reason
from llmring_replay.schemas import LLMRequest, Message, StreamChunk

DATA = Path(__file__).parent / "data"


def make_codec(api_key: str | None = "sk-test", base_url: str | None = None) -> OpenAICodec:
    return OpenAICodec(ProviderConfig("openai", api_key, base_url or OpenAICodec.default_base_url))


def fixture(name: str) -> bytes:
    return (DATA / name).read_bytes()


def decode(body: bytes, piece: int = 7, model: str = "gpt-4o-mini") -> list[StreamChunk]:
    """Run `body`, cut into `piece`-byte reads, through the SSE framing and the decoder."""
    splitter, parse = splitter_for("sse")
    decoder = make_codec().stream_decoder(model)
    chunks: list[StreamChunk] = []
    for i in range(0, len(body), piece):
        chunks.extend(decoder.chunks(splitter.feed(body[i : i + piece]), parse))
    chunks.extend(decoder.chunks(splitter.flush(), parse))
    chunks.extend(decoder.finish())
    return chunks


def sse(*payloads: Any) -> bytes:
    """An SSE body from JSON payloads (strings are sent as they are, e.g. `[DONE]`)."""
    parts = [p if isinstance(p, str) else json.dumps(p) for p in payloads]
    return "".join(f"data: {part}\n\n" for part in parts).encode()


def chunk(delta: dict[str, Any] | None = None, finish: str | None = None, **extra: Any) -> Any:
    choice = {"index": 0, "delta": delta or {}, "logprobs": None, "finish_reason": finish}
    return {"id": "c", "model": "gpt-4o-mini-2024-07-18", "choices": [choice], **extra}


def text_of(chunks: list[StreamChunk]) -> str:
    return "".join(c.delta for c in chunks)


def assert_one_final(chunks: list[StreamChunk]) -> StreamChunk:
    """Rules 3 and 4: exactly one chunk has a finish reason, it is last, usage only on it."""
    assert [c.finish_reason is not None for c in chunks] == [False] * (len(chunks) - 1) + [True]
    assert all(c.usage is None for c in chunks[:-1])
    assert all(isinstance(c.delta, str) for c in chunks)
    return chunks[-1]


# -- streams ----------------------------------------------------------------------------


@pytest.mark.parametrize("piece", [1, 3, 64, 100_000])
def test_text_stream(piece: int) -> None:
    # Piece size 1 splits the multi-byte "á" and "👋" across reads.
    chunks = decode(fixture("text_stream.sse"), piece)
    assert [c.delta for c in chunks] == ["Olá", " 👋", " world", ""]
    assert {c.model for c in chunks} == {"openai:gpt-4o-mini-2024-07-18"}
    final = assert_one_final(chunks)
    assert final.finish_reason == "stop"
    assert final.provider_details == {"finish_reason": "stop"}
    assert final.usage == {
        "prompt_tokens": 20,
        "completion_tokens": 4,
        "total_tokens": 24,
        "cached_tokens": 8,
        "reasoning_tokens": 0,
    }
    assert final.tool_calls is None


def test_crlf_and_comments_read_like_lf() -> None:
    body = fixture("text_stream.sse").replace(b"\n", b"\r\n")
    body = b": keep-alive\r\n\r\n" + body.replace(b"data: [DONE]", b": ping\r\ndata: [DONE]")
    for piece in (1, 2, 5):
        chunks = decode(body, piece)
        assert text_of(chunks) == "Olá 👋 world"
        assert assert_one_final(chunks).usage is not None


def test_parallel_tool_calls_are_cumulative_by_index() -> None:
    chunks = decode(fixture("parallel_tools.sse"), 11)
    tool_chunks = [c for c in chunks if c.tool_calls and c.finish_reason is None]
    assert len(tool_chunks) == 5
    assert all(c.delta == "" for c in chunks)
    # After the second fragment both calls are listed, the second with its first piece.
    assert [call["function"]["arguments"] for call in tool_chunks[1].tool_calls or []] == [
        "",
        '{"a"',
    ]
    final = assert_one_final(chunks)
    assert final.finish_reason == "tool_calls"
    assert final.tool_calls == [
        {
            "id": "call_add",
            "type": "function",
            "function": {"name": "add", "arguments": '{"a": 2, "b": 3}'},
        },
        {
            "id": "call_mul",
            "type": "function",
            "function": {"name": "multiply", "arguments": '{"a": 2, "b": 3}'},
        },
    ]
    assert final.usage == {"prompt_tokens": 106, "completion_tokens": 50, "total_tokens": 156}


def test_whole_call_in_one_fragment_and_repeated_ids() -> None:
    # Some servers send a call complete, or repeat id and name on every fragment.
    whole = {"index": 0, "id": "fc_1", "type": "function"}
    body = sse(
        chunk({"tool_calls": [{**whole, "function": {"name": "get", "arguments": '{"n":'}}]}),
        chunk({"tool_calls": [{**whole, "function": {"name": "get", "arguments": "1}"}}]}),
        # No `index` at all (e.g. Gemini's compatible endpoint): each id is a new call.
        chunk({"tool_calls": [{"id": "x_2", "function": {"name": "put", "arguments": "{}"}}]}),
        chunk({"tool_calls": [{"id": "x_3", "function": {"name": "put", "arguments": "[]"}}]}),
        # A call whose id and name only come with its second fragment.
        chunk({"tool_calls": [{"index": 5, "function": {"arguments": "{"}}]}),
        chunk(
            {
                "tool_calls": [
                    {"index": 5, "id": "late", "function": {"name": "z", "arguments": "}"}}
                ]
            }
        ),
        chunk(finish="tool_calls"),
        "[DONE]",
    )
    final = decode(body)[-1]
    assert final.tool_calls == [
        {"id": "fc_1", "type": "function", "function": {"name": "get", "arguments": '{"n":1}'}},
        {"id": "x_2", "type": "function", "function": {"name": "put", "arguments": "{}"}},
        {"id": "x_3", "type": "function", "function": {"name": "put", "arguments": "[]"}},
        {"id": "late", "type": "function", "function": {"name": "z", "arguments": "{}"}},
    ]


def test_usage_chunk_after_finish_is_merged_into_the_final_chunk() -> None:
    usage = {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6}
    body = sse(chunk({"content": "Hi"}), chunk(finish="stop"), {"choices": [], "usage": usage})
    chunks = decode(body + b"data: [DONE]\n\n")
    # The finish chunk itself yields nothing: the final chunk waits for the usage.
    assert [c.delta for c in chunks] == ["Hi", ""]
    assert {c.model for c in chunks} == {"openai:gpt-4o-mini-2024-07-18"}
    assert assert_one_final(chunks).usage == usage


def test_running_usage_on_text_chunks_keeps_the_last_value() -> None:
    # vLLM's `continuous_usage_stats` repeats the counts on every chunk.
    def counts(n: int) -> dict[str, int]:
        return {"prompt_tokens": 3, "completion_tokens": n, "total_tokens": 3 + n}

    body = sse(
        chunk({"content": "a"}, usage=counts(1)),
        chunk({"content": "b"}, usage=counts(2)),
        chunk(finish="stop"),
        "[DONE]",
    )
    chunks = decode(body)
    assert text_of(chunks) == "ab"
    assert assert_one_final(chunks).usage == counts(2)


def test_text_on_the_finish_chunk_and_content_parts() -> None:
    body = sse(
        chunk({"content": "Hi."}),
        chunk({"content": [{"type": "text", "text": " Hello"}, {"type": "image_url"}]}),
        chunk({"content": " there", "reasoning": "(aside)"}),
        chunk({"content": "!"}, finish="length"),
        "[DONE]",
    )
    chunks = decode(body)
    assert [c.delta for c in chunks] == ["Hi.", " Hello", " there", "", "!", ""]
    assert [c.reasoning for c in chunks] == [None, None, None, "(aside)", None, None]
    assert assert_one_final(chunks).finish_reason == "length"


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("stop", "stop"),
        ("length", "length"),
        ("tool_calls", "tool_calls"),
        ("content_filter", "content_filter"),
        ("function_call", "tool_calls"),
        ("eos", "stop"),
        ("something_new", "error"),
    ],
)
def test_finish_reason_table(raw: str, normalized: str) -> None:
    assert normalize_finish_reason(raw) == normalized
    final = decode(sse(chunk({"content": "x"}), chunk(finish=raw), "[DONE]"))[-1]
    assert final.finish_reason == normalized
    assert final.provider_details == {"finish_reason": raw}


def test_reasoning_never_reaches_delta() -> None:
    chunks = decode(fixture("compat_reasoning.sse"), 4)
    assert text_of(chunks) == "Done."
    assert "".join(c.reasoning or "" for c in chunks) == "Think hard."
    assert all(c.delta == "" for c in chunks if c.reasoning)
    assert {c.model for c in chunks} == {"openai:openai/gpt-oss-120b"}
    # Groq: usage on the finish chunk itself; its timing fields are not token counts.
    assert assert_one_final(chunks).usage == {
        "prompt_tokens": 30,
        "completion_tokens": 9,
        "total_tokens": 39,
        "reasoning_tokens": 5,
    }


def test_empty_choices_and_unknown_fields_yield_nothing() -> None:
    decoder = make_codec().stream_decoder("gpt-4o-mini")
    assert decoder.feed(Event(json.dumps({"id": "c", "choices": [], "obfuscation": "x"}))) == []
    role_only = chunk({"role": "assistant", "content": "", "refusal": None}, new_field=[1])
    assert decoder.feed(Event(json.dumps(role_only))) == []
    [text] = decoder.feed(Event(json.dumps(chunk({"content": "a"}, obfuscation="zz"))))
    assert (text.delta, text.model) == ("a", "openai:gpt-4o-mini-2024-07-18")


def test_only_choice_zero_counts() -> None:
    def two(index: int, delta: dict[str, Any], finish: str | None = None) -> Any:
        return {"choices": [{"index": index, "delta": delta, "finish_reason": finish}]}

    body = sse(
        two(0, {"content": "A"}),
        two(1, {"content": "B"}),
        two(0, {}, "length"),
        two(1, {}, "stop"),
        "[DONE]",
    )
    chunks = decode(body, model="gpt-4o")
    assert text_of(chunks) == "A"
    assert chunks[-1].finish_reason == "length"
    assert chunks[-1].model == "openai:gpt-4o"  # no model reported: the requested one


def test_done_ends_the_stream_at_once() -> None:
    decoder = make_codec().stream_decoder("gpt-4o-mini")
    decoder.feed(Event(json.dumps(chunk(finish="stop"))))
    assert not decoder.done
    [final] = decoder.feed(Event("[DONE]"))
    assert final.finish_reason == "stop"
    assert decoder.done
    assert decoder.feed(Event(json.dumps(chunk({"content": "late"})))) == []
    assert decoder.end() == []


def test_stream_cut_before_finish_raises() -> None:
    body = sse(chunk({"content": "Hel"}), chunk({"content": "lo"}))
    with pytest.raises(ProviderResponseError) as info:
        decode(body)
    assert info.value.status_code == 200
    assert info.value.provider == "openai"
    # `[DONE]` without a finish reason is just as incomplete.
    with pytest.raises(ProviderResponseError):
        decode(body + b"data: [DONE]\n\n")


def test_stream_cut_after_finish_still_finishes() -> None:
    chunks = decode(sse(chunk({"content": "ok"}), chunk(finish="stop")))
    assert assert_one_final(chunks).finish_reason == "stop"
    assert text_of(chunks) == "ok"


def test_in_band_error_event_raises_after_earlier_chunks() -> None:
    splitter, parse = splitter_for("sse")
    decoder = make_codec().stream_decoder("openai/gpt-oss-120b")
    delivered: list[StreamChunk] = []
    with pytest.raises(ProviderResponseError) as info:
        for frame in splitter.feed(fixture("inband_error.sse")):
            event = parse(frame)
            assert event is not None
            delivered.extend(decoder.feed(event))
    assert text_of(delivered) == "Partial answer"
    assert info.value.status_code == 200
    assert info.value.details["code"] == "tool_use_failed"
    assert "Tool call validation failed" in info.value.message


@pytest.mark.parametrize(
    ("data", "message"),
    [("upstream connection reset", "upstream connection reset"), ('{"message": "busy"}', "busy")],
)
def test_error_event_raises_whatever_its_data(data: str, message: str) -> None:
    decoder = make_codec().stream_decoder("gpt-4o")
    with pytest.raises(ProviderResponseError) as info:
        decoder.feed(Event(data, "error"))
    assert info.value.status_code == 200
    assert info.value.message == f"openai stream error: {message}"


def test_in_band_error_object_without_event_name() -> None:
    decoder = make_codec().stream_decoder("gpt-4o")
    assert decoder.feed(Event(json.dumps(chunk({"content": "a"}))))
    error = {"error": {"message": "Rate limit reached. Please try again in 1m6.5s.",
                       "type": "requests", "code": "rate_limit_exceeded"}}  # fmt: skip
    with pytest.raises(ProviderRateLimitError) as info:
        decoder.feed(Event(json.dumps(error)))
    assert info.value.status_code == 200
    assert info.value.retry_after == pytest.approx(66.5)


def test_error_key_wins_over_choices() -> None:
    decoder = make_codec().stream_decoder("gpt-4o")
    assert decoder.feed(Event(json.dumps(chunk({"content": "ok"}))))
    both = chunk({"content": "x"}, error={"message": "boom", "type": "server_error"})
    with pytest.raises(ProviderResponseError, match="boom") as info:
        decoder.feed(Event(json.dumps(both)))
    assert info.value.retryable


def test_malformed_frame_raises() -> None:
    decoder = make_codec().stream_decoder("gpt-4o")

    def feed(data: str) -> list[StreamChunk]:
        return list(decoder.chunks([f"data: {data}\n\n".encode()], parse_sse))

    with pytest.raises(ProviderResponseError, match="malformed"):
        feed('{"choices": [{"index": 0,')
    wrong_shapes = [
        "",
        '{"choices": []} trailing',
        "[1, 2]",
        '{"choices": {"0": "x"}}',
        json.dumps(chunk({"tool_calls": [5]})),
        json.dumps(chunk({"content": "x"}, usage={"prompt_tokens": "many"})),
    ]
    for data in wrong_shapes:
        with pytest.raises(ProviderResponseError, match="malformed"):
            feed(data)


def test_whitespace_around_the_json_is_fine() -> None:
    decoder = make_codec().stream_decoder("gpt-4o")
    [text] = decoder.feed(Event(" " + json.dumps(chunk({"content": "a"})) + " \t"))
    assert text.delta == "a"


def test_other_event_names_read_like_unnamed_events() -> None:
    decoder = make_codec().stream_decoder("gpt-4o")
    [text] = decoder.feed(Event(json.dumps(chunk({"content": "a"})), "message"))
    assert text.delta == "a"
    assert decoder.feed(Event(json.dumps(chunk(finish="stop")), "message")) == []
    [final] = decoder.feed(Event("[DONE]", "message"))
    assert final.finish_reason == "stop"


# -- requests ---------------------------------------------------------------------------


def body_of(request: httpx.Request) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(request.content)
    return data


def test_codec_identity() -> None:
    assert codec_class("openai") is OpenAICodec
    assert OpenAICodec.name == "openai"
    assert OpenAICodec.framing == "sse"
    assert OpenAICodec.default_base_url == "https://api.openai.com/v1"
    assert OpenAICodec.api_key_env == ("OPENAI_API_KEY",)
    assert OpenAICodec.base_url_env == "OPENAI_BASE_URL"


def test_stream_request_shape_and_auth() -> None:
    request = LLMRequest(
        messages=[Message(role="system", content="Be brief."), Message(role="user", content="Hi")]
    )
    built = make_codec(base_url="http://127.0.0.1:8080/v1/").build_request(
        request, "gpt-4o-mini", stream=True
    )
    assert built.method == "POST"
    assert str(built.url) == "http://127.0.0.1:8080/v1/chat/completions"
    assert built.headers["authorization"] == "Bearer sk-test"
    assert built.headers["content-type"] == "application/json"
    # Compact, in a fixed key order: cassette matching and diffs stay stable.
    assert built.content == (
        b'{"model":"gpt-4o-mini","messages":[{"role":"system","content":"Be brief."},'
        b'{"role":"user","content":"Hi"}],"stream":true,"stream_options":{"include_usage":true}}'
    )


def test_no_key_means_no_authorization_header() -> None:
    request = LLMRequest(messages=[Message(role="user", content="Hi")])
    built = make_codec(api_key=None).build_request(request, "qwen3", stream=False)
    assert "authorization" not in built.headers
    assert "stream" not in body_of(built)
    assert "stream_options" not in body_of(built)


def test_multi_turn_with_tools_and_tool_results() -> None:
    call = {"id": "call_1", "type": "function",
            "function": {"name": "weather", "arguments": '{"city":"Paris"}'}}  # fmt: skip
    tool = {"type": "function", "function": {"name": "weather", "parameters": {"type": "object"}}}
    request = LLMRequest(
        messages=[
            Message(role="user", content=[{"type": "text", "text": "Weather?"}]),
            Message(role="assistant", content=None, tool_calls=[call]),
            Message(role="tool", content="15C", tool_call_id="call_1"),
        ],
        tools=[tool],
        tool_choice="any",
    )
    body = body_of(make_codec().build_request(request, "gpt-4o", stream=True))
    assert body["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "Weather?"}]},
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "content": "15C", "tool_call_id": "call_1"},
    ]
    assert body["tools"] == [tool]
    assert body["tool_choice"] == "required"


@pytest.mark.parametrize(
    "choice",
    ["auto", "none", "required", {"type": "function", "function": {"name": "weather"}}],
)
def test_other_tool_choices_pass_through(choice: str | dict[str, Any]) -> None:
    request = LLMRequest(messages=[Message(role="user", content="x")], tool_choice=choice)
    assert (
        body_of(make_codec().build_request(request, "gpt-4o", stream=False))["tool_choice"]
        == choice
    )


def test_temperature_zero_is_kept() -> None:
    request = LLMRequest(messages=[Message(role="user", content="x")], temperature=0)
    assert body_of(make_codec().build_request(request, "gpt-4o", stream=True))["temperature"] == 0


@pytest.mark.parametrize(
    ("model", "key"),
    [
        ("gpt-4o", "max_tokens"),
        ("gpt-4.1-mini", "max_tokens"),
        ("o1-mini", "max_completion_tokens"),
        ("o3", "max_completion_tokens"),
        ("o4-mini", "max_completion_tokens"),
        ("gpt-5-nano", "max_completion_tokens"),
        ("openai/o3-mini", "max_completion_tokens"),
    ],
)
def test_max_tokens_key_depends_on_the_model(model: str, key: str) -> None:
    request = LLMRequest(messages=[Message(role="user", content="x")], max_tokens=50)
    body = body_of(make_codec().build_request(request, model, stream=True))
    assert body[key] == 50
    other = {"max_tokens", "max_completion_tokens"} - {key}
    assert other.isdisjoint(body)


def test_json_response_and_response_format() -> None:
    message = [Message(role="user", content="x")]
    codec = make_codec()
    plain = LLMRequest(messages=message, json_response=True)
    assert body_of(codec.build_request(plain, "gpt-4o", stream=True))["response_format"] == {
        "type": "json_object"
    }
    schema = {"type": "json_schema", "json_schema": {"name": "a", "schema": {"type": "object"}}}
    both = LLMRequest(messages=message, json_response=True, response_format=schema)
    assert body_of(codec.build_request(both, "gpt-4o", stream=True))["response_format"] == schema
    neither = LLMRequest(messages=message)
    assert "response_format" not in body_of(codec.build_request(neither, "gpt-4o", stream=True))


def test_extra_params_are_merged_last() -> None:
    request = LLMRequest(
        messages=[Message(role="user", content="x")],
        temperature=0.5,
        extra_params={"temperature": 0.1, "seed": 7, "stream_options": {"include_usage": False}},
    )
    body = body_of(make_codec().build_request(request, "gpt-4o", stream=True))
    assert (body["temperature"], body["seed"]) == (0.1, 7)
    assert body["stream_options"] == {"include_usage": False}
    assert list(body)[-1] == "seed"


# -- errors -----------------------------------------------------------------------------


def error_body(message: str, type_: str, code: str | None) -> dict[str, Any]:
    return {"error": {"message": message, "type": type_, "param": None, "code": code}}


def exception_for(status: int, body: Any, headers: dict[str, str] | None = None) -> Exception:
    codec = make_codec()
    info = codec.error_info(status, body)
    return to_exception("openai", status, info, model="gpt-4o", headers=httpx.Headers(headers))


def test_401_is_an_authentication_error() -> None:
    body = error_body(
        "Incorrect API key provided: sk-****.", "invalid_request_error", "invalid_api_key"
    )
    exc = exception_for(401, body)
    assert isinstance(exc, ProviderAuthenticationError)
    assert exc.status_code == 401
    assert "Incorrect API key" in exc.message
    assert exc.details["code"] == "invalid_api_key"


def test_404_model_not_found() -> None:
    body = error_body(
        "The model `nope` does not exist.", "invalid_request_error", "model_not_found"
    )
    assert make_codec().error_info(404, body).kind == "model_not_found"
    exc = exception_for(404, body)
    assert isinstance(exc, ModelNotFoundError)
    assert (exc.status_code, exc.model_name) == (404, "gpt-4o")


@pytest.mark.parametrize(
    ("headers", "retry_after"),
    [
        ({"retry-after": "20"}, 20.0),
        ({"retry-after-ms": "1500", "retry-after": "2"}, 1.5),
        ({}, 0.02),  # only the message's "try again in 20ms"
    ],
)
def test_429_rate_limit_with_retry_after(headers: dict[str, str], retry_after: float) -> None:
    body = error_body(
        "Rate limit reached for gpt-4o on tokens per min (TPM). Please try again in 20ms.",
        "tokens",
        "rate_limit_exceeded",
    )
    exc = exception_for(429, body, headers)
    assert isinstance(exc, ProviderRateLimitError)
    assert exc.status_code == 429
    assert exc.retry_after == pytest.approx(retry_after)
    assert exc.retryable


def test_429_insufficient_quota_is_decided_by_the_status() -> None:
    body = error_body(
        "You exceeded your current quota.", "insufficient_quota", "insufficient_quota"
    )
    exc = exception_for(429, body)
    assert isinstance(exc, ProviderRateLimitError)
    assert exc.retry_after is None


def test_500_is_a_retryable_response_error() -> None:
    body = error_body(
        "The server had an error while processing your request.", "server_error", None
    )
    exc = exception_for(500, body)
    assert type(exc) is ProviderResponseError
    assert exc.status_code == 500
    assert exc.retryable
    assert exc.details["code"] == "server_error"


def test_error_info_is_robust_to_odd_bodies() -> None:
    codec = make_codec()
    assert codec.error_info(502, "<html>Bad gateway</html>").message == "<html>Bad gateway</html>"
    assert codec.error_info(503, "").message == "HTTP 503"
    assert codec.error_info(400, {"error": "model is required"}).message == "model is required"
    assert codec.error_info(400, None).message == "HTTP 400"
    info = codec.error_info(400, {"error": {"type": "invalid_request_error", "code": 400}})
    assert info.code == "400"
    assert "invalid_request_error" in info.message


# -- non-streaming ----------------------------------------------------------------------


def completion(message: dict[str, Any], finish: str = "stop") -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": "gpt-4o-2024-08-06",
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {
            "prompt_tokens": 12,
            "completion_tokens": 30,
            "total_tokens": 42,
            "prompt_tokens_details": {"cached_tokens": 4},
            "completion_tokens_details": {"reasoning_tokens": 16},
        },
    }


def test_parse_response_text() -> None:
    data = completion({"role": "assistant", "content": "Hello", "reasoning": "hmm"})
    response = make_codec().parse_response(data, "gpt-4o")
    assert response.content == "Hello"
    assert response.model == "openai:gpt-4o-2024-08-06"
    assert response.finish_reason == "stop"
    assert response.usage == {
        "prompt_tokens": 12,
        "completion_tokens": 30,
        "total_tokens": 42,
        "cached_tokens": 4,
        "reasoning_tokens": 16,
    }
    assert response.tool_calls is None
    assert response.parsed is None
    assert response.reasoning == "hmm"
    assert response.provider_details == {"finish_reason": "stop", "id": "chatcmpl-1"}


def test_parse_response_tool_calls_and_json() -> None:
    call = {"id": "call_9", "type": "function",
            "function": {"name": "weather", "arguments": '{"city":"Oslo"}'}}  # fmt: skip
    message = {"role": "assistant", "content": None, "tool_calls": [call]}
    response = make_codec().parse_response(completion(message, "tool_calls"), "gpt-4o")
    assert (response.content, response.finish_reason) == ("", "tool_calls")
    assert response.tool_calls == [call]
    as_json = completion({"role": "assistant", "content": '{"city": "Oslo", "temp": 3}'})
    assert make_codec().parse_response(as_json, "gpt-4o").parsed == {"city": "Oslo", "temp": 3}
