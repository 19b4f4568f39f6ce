"""The Gemini codec: stream decoding, non-streaming responses, request building, errors.

Streams are hand-written in Gemini's wire shape (`data: {...}` events ending in CRLF blank
lines, no end marker) and go through the real SSE splitter and parser in small pieces, as
the transport would hand them over.
"""

from __future__ import annotations

import json
import random
from typing import Any

import httpx
import pytest

from llmring_replay.exceptions import (
    ConfigurationError,
    LLMRingError,
    ModelNotFoundError,
    ProviderAuthenticationError,
    ProviderRateLimitError,
    ProviderResponseError,
)
from llmring_replay.framing import splitter_for
from llmring_replay.providers import codec_class
from llmring_replay.providers.base import ProviderConfig, derived_call_id, is_derived_call_id
from llmring_replay.providers.errors import to_exception
from llmring_replay.providers.gemini.codec import GoogleCodec
from llmring_replay.schemas import LLMRequest, Message, StreamChunk

MODEL = "gemini-2.5-flash"

# Three text events; usage changes between them and the prompt count even drops (15 -> 13),
# as Gemini really does: only the last usageMetadata counts. A multi-byte character gives
# the byte-split test something to cut.
TEXT_STREAM = (
    b'data: {"candidates": [{"content": {"parts": [{"text": "The capital"}],"role": "model"},'
    b'"index": 0}],"usageMetadata": {"promptTokenCount": 15,"totalTokenCount": 15},'
    b'"modelVersion": "gemini-2.5-flash-001","responseId": "r1"}\r\n\r\n'
    b'data: {"candidates": [{"content": {"parts": [{"text": " of France is Par"}],'
    b'"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 15,'
    b'"candidatesTokenCount": 5,"totalTokenCount": 20},"modelVersion": "gemini-2.5-flash-001",'
    b'"responseId": "r1"}\r\n\r\n'
    b'data: {"candidates": [{"content": {"parts": [{"text": "is \xc3\xa0 \xf0\x9f\x97\xbc."}],'
    b'"role": "model"},"finishReason": "STOP","index": 0}],"usageMetadata": '
    b'{"promptTokenCount": 13,"candidatesTokenCount": 8,"totalTokenCount": 21},'
    b'"modelVersion": "gemini-2.5-flash-001","responseId": "r1"}\r\n\r\n'
)

# A thought summary, then text; thoughts are counted apart from candidates.
THINKING_STREAM = (
    b'data: {"candidates": [{"content": {"parts": [{"text": "**Planning**\\n\\nAdd them.",'
    b'"thought": true}],"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 9,'
    b'"totalTokenCount": 9},"modelVersion": "gemini-2.5-flash"}\r\n\r\n'
    b'data: {"candidates": [{"content": {"parts": [{"text": "2 + 2 = 4."}],"role": "model"},'
    b'"index": 0}],"usageMetadata": {"promptTokenCount": 9,"candidatesTokenCount": 6,'
    b'"totalTokenCount": 45,"thoughtsTokenCount": 30},"modelVersion": "gemini-2.5-flash"}\r\n\r\n'
    b'data: {"candidates": [{"content": {"parts": [{"text": "","thoughtSignature": "c2ln"}],'
    b'"role": "model"},"finishReason": "STOP","index": 0}],"usageMetadata": '
    b'{"promptTokenCount": 9,"candidatesTokenCount": 6,"totalTokenCount": 45,'
    b'"cachedContentTokenCount": 4,"thoughtsTokenCount": 30},"modelVersion": "gemini-2.5-flash"}'
    b"\r\n\r\n"
)

# Two whole calls in one event: the first with a thoughtSignature sibling and no id, the
# second with an id. The finish reason is a plain STOP.
PARALLEL_CALLS_STREAM = (
    b'data: {"candidates": [{"content": {"parts": [{"functionCall": {"name": "add",'
    b'"args": {"b": 3,"a": 2}},"thoughtSignature": "Q2xvQnZq"},{"functionCall": '
    b'{"id": "call-7","name": "multiply","args": {"a": 2,"b": 3}}}],"role": "model"},'
    b'"finishReason": "STOP","index": 0,"finishMessage": "Model generated function call(s)."}],'
    b'"usageMetadata": {"promptTokenCount": 121,"candidatesTokenCount": 36,'
    b'"totalTokenCount": 195,"thoughtsTokenCount": 38},"modelVersion": "gemini-2.5-flash"}'
    b"\r\n\r\n"
)


def _codec(api_key: str | None = "AIza-test-key") -> GoogleCodec:
    return GoogleCodec(ProviderConfig("google", api_key, GoogleCodec.default_base_url))


def _event(payload: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(payload).encode() + b"\r\n\r\n"


def _answer(*parts: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"parts": list(parts), "role": "model"}}
    if finish is not None:
        candidate["finishReason"] = finish
    return {"candidates": [candidate], "modelVersion": MODEL}


def decode(body: bytes, *, seed: int = 0, max_piece: int = 11) -> list[StreamChunk]:
    """Chunks for `body` read in random small pieces, through the real SSE framing."""
    rng = random.Random(seed)
    splitter, parse = splitter_for("sse")
    decoder = _codec().stream_decoder(MODEL)
    chunks: list[StreamChunk] = []
    frames: list[bytes] = []
    position = 0
    while position < len(body):
        size = rng.randint(1, max_piece)
        frames.extend(splitter.feed(body[position : position + size]))
        position += size
    frames.extend(splitter.flush())
    chunks.extend(decoder.chunks(frames, parse))
    chunks.extend(decoder.finish())
    return chunks


def _text(chunks: list[StreamChunk]) -> str:
    return "".join(chunk.delta for chunk in chunks)


def _assert_one_final(chunks: list[StreamChunk]) -> StreamChunk:
    finals = [index for index, chunk in enumerate(chunks) if chunk.finish_reason is not None]
    assert finals == [len(chunks) - 1]
    assert all(chunk.usage is None for chunk in chunks[:-1])
    return chunks[-1]


# -- streams ------------------------------------------------------------------------------


def test_text_stream() -> None:
    chunks = decode(TEXT_STREAM)
    assert [chunk.delta for chunk in chunks] == ["The capital", " of France is Par", "is à 🗼.", ""]
    assert {chunk.model for chunk in chunks} == {"google:gemini-2.5-flash-001"}
    final = _assert_one_final(chunks)
    assert final.finish_reason == "stop"
    assert final.provider_details == {"finish_reason": "STOP"}
    assert final.tool_calls is None
    assert all(chunk.reasoning is None for chunk in chunks)


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("max_piece", [1, 3, 64])
def test_stream_split_anywhere_gives_the_same_transcript(seed: int, max_piece: int) -> None:
    # Pieces of one byte cut the CRLF terminators and the 4-byte emoji in every place.
    chunks = decode(TEXT_STREAM, seed=seed, max_piece=max_piece)
    assert _text(chunks) == "The capital of France is Paris à 🗼."
    assert chunks[-1].usage == {"prompt_tokens": 13, "completion_tokens": 8, "total_tokens": 21}


def test_usage_is_the_last_report_replacing_earlier_ones() -> None:
    # The first event reports cached and thought tokens that the last one no longer has:
    # merging would keep them, replacing must not.
    body = _event(
        {
            **_answer({"text": "a"}),
            "usageMetadata": {
                "promptTokenCount": 50,
                "candidatesTokenCount": 1,
                "totalTokenCount": 80,
                "thoughtsTokenCount": 29,
                "cachedContentTokenCount": 40,
            },
        }
    ) + _event(
        {
            **_answer({"text": "b"}, finish="STOP"),
            "usageMetadata": {
                "promptTokenCount": 48,
                "candidatesTokenCount": 2,
                "totalTokenCount": 50,
            },
        }
    )
    final = decode(body)[-1]
    assert final.usage == {"prompt_tokens": 48, "completion_tokens": 2, "total_tokens": 50}


def test_thought_parts_are_reasoning_never_delta() -> None:
    chunks = decode(THINKING_STREAM)
    assert _text(chunks) == "2 + 2 = 4."
    assert "".join(chunk.reasoning or "" for chunk in chunks) == "**Planning**\n\nAdd them."
    assert "Planning" not in _text(chunks)
    final = _assert_one_final(chunks)
    assert final.finish_reason == "stop"
    # completion = candidates + thoughts; the optional keys appear because Gemini sent them.
    assert final.usage == {
        "prompt_tokens": 9,
        "completion_tokens": 36,
        "total_tokens": 45,
        "cached_tokens": 4,
        "reasoning_tokens": 30,
    }


def test_empty_text_part_with_only_a_signature_makes_no_text_chunk() -> None:
    chunks = decode(THINKING_STREAM)
    # thought, text, final: the signature-only part in the last event adds nothing.
    assert len(chunks) == 3


def test_parallel_whole_function_calls() -> None:
    chunks = decode(PARALLEL_CALLS_STREAM)
    # Rule 5: each call adds a chunk carrying the whole list as it stands.
    assert [len(chunk.tool_calls or []) for chunk in chunks] == [1, 2, 2]
    final = _assert_one_final(chunks)
    assert final.finish_reason == "tool_calls"
    assert final.provider_details == {"finish_reason": "STOP"}
    assert final.tool_calls == [
        {
            "id": derived_call_id(0, "add", '{"b":3,"a":2}'),
            "type": "function",
            "function": {"name": "add", "arguments": '{"b":3,"a":2}'},
        },
        {
            "id": "call-7",
            "type": "function",
            "function": {"name": "multiply", "arguments": '{"a":2,"b":3}'},
        },
    ]
    assert _text(chunks) == ""
    assert final.usage == {
        "prompt_tokens": 121,
        "completion_tokens": 74,
        "total_tokens": 195,
        "reasoning_tokens": 38,
    }


def test_call_in_an_earlier_event_still_turns_stop_into_tool_calls() -> None:
    body = _event(_answer({"functionCall": {"name": "now"}})) + _event(
        _answer({"text": "Checking."}, finish="STOP")
    )
    final = decode(body)[-1]
    assert final.finish_reason == "tool_calls"
    assert final.tool_calls is not None
    assert final.tool_calls[0]["function"] == {"name": "now", "arguments": "{}"}


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("STOP", "stop"),
        ("MAX_TOKENS", "length"),
        ("SAFETY", "content_filter"),
        ("RECITATION", "content_filter"),
        ("BLOCKLIST", "content_filter"),
        ("PROHIBITED_CONTENT", "content_filter"),
        ("SPII", "content_filter"),
        ("IMAGE_SAFETY", "content_filter"),
        ("MALFORMED_FUNCTION_CALL", "error"),
        ("OTHER", "error"),
        ("SOMETHING_NEW", "error"),
    ],
)
def test_finish_reason_table(raw: str, normalized: str) -> None:
    final = decode(_event(_answer({"text": "x"}, finish=raw)))[-1]
    assert final.finish_reason == normalized
    assert final.provider_details == {"finish_reason": raw}


def test_safety_stop_without_content() -> None:
    body = _event(_answer({"text": "Here is how"})) + _event(
        {"candidates": [{"finishReason": "SAFETY", "index": 0}], "modelVersion": MODEL}
    )
    chunks = decode(body)
    assert _text(chunks) == "Here is how"
    assert _assert_one_final(chunks).finish_reason == "content_filter"


def test_blocked_prompt_has_no_candidate() -> None:
    body = _event(
        {
            "promptFeedback": {"blockReason": "PROHIBITED_CONTENT"},
            "usageMetadata": {"promptTokenCount": 7, "totalTokenCount": 7},
            "modelVersion": MODEL,
        }
    )
    final = decode(body)[-1]
    assert final.finish_reason == "content_filter"
    assert final.usage == {"prompt_tokens": 7, "completion_tokens": 0, "total_tokens": 7}


def test_model_falls_back_to_the_requested_one_without_prefix() -> None:
    decoder = _codec().stream_decoder("models/gemini-2.0-flash")
    payload = {"candidates": [{"content": {"parts": [{"text": "hi"}]}, "finishReason": "STOP"}]}
    chunks = decoder.feed_json(payload) + decoder.end()
    assert {chunk.model for chunk in chunks} == {"google:gemini-2.0-flash"}


def test_in_band_error_raises_after_the_chunks_before_it() -> None:
    splitter, parse = splitter_for("sse")
    decoder = _codec().stream_decoder(MODEL)
    error = {"error": {"code": 503, "message": "The model is overloaded.", "status": "UNAVAILABLE"}}
    delivered: list[StreamChunk] = []
    with pytest.raises(ProviderResponseError) as caught:
        for frame in splitter.feed(_event(_answer({"text": "Hel"})) + _event(error)):
            event = parse(frame)
            assert event is not None
            delivered.extend(decoder.feed(event))
    assert _text(delivered) == "Hel"
    assert caught.value.provider == "google"
    assert caught.value.status_code == 200
    assert caught.value.retryable
    assert "overloaded" in caught.value.message


def test_in_band_quota_error_is_a_rate_limit_with_its_delay() -> None:
    error = {
        "error": {
            "code": 429,
            "message": "Quota exceeded.",
            "status": "RESOURCE_EXHAUSTED",
            "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "9s"}],
        }
    }
    with pytest.raises(ProviderRateLimitError) as caught:
        decode(_event(error))
    assert caught.value.status_code == 200
    assert caught.value.retry_after == 9.0


def test_stream_cut_before_the_finish_reason_raises() -> None:
    with pytest.raises(ProviderResponseError, match="ended before"):
        decode(_event(_answer({"text": "partial"})))


@pytest.mark.parametrize("data", [b"data: {not json\r\n\r\n", b"data: [1, 2]\r\n\r\n"])
def test_malformed_event_raises_a_response_error(data: bytes) -> None:
    with pytest.raises(ProviderResponseError, match="google sent"):
        decode(data)


# -- non-streaming responses --------------------------------------------------------------

RESPONSE = {
    "candidates": [
        {
            "content": {
                "parts": [
                    {"text": "Let me think.", "thought": True},
                    {"text": "It is "},
                    {"text": "sunny."},
                    {"functionCall": {"name": "log", "args": {"level": "info"}}},
                ],
                "role": "model",
            },
            "finishReason": "STOP",
        }
    ],
    "usageMetadata": {
        "promptTokenCount": 20,
        "candidatesTokenCount": 10,
        "totalTokenCount": 42,
        "thoughtsTokenCount": 12,
    },
    "modelVersion": "gemini-2.5-pro",
}


def test_parse_response() -> None:
    response = _codec().parse_response(RESPONSE, "gemini-2.5-pro")
    assert response.content == "It is sunny."
    assert response.reasoning == "Let me think."
    assert response.model == "google:gemini-2.5-pro"
    assert response.finish_reason == "tool_calls"
    assert response.tool_calls == [
        {
            "id": derived_call_id(0, "log", '{"level":"info"}'),
            "type": "function",
            "function": {"name": "log", "arguments": '{"level":"info"}'},
        }
    ]
    assert response.usage == {
        "prompt_tokens": 20,
        "completion_tokens": 22,
        "total_tokens": 42,
        "reasoning_tokens": 12,
    }


def test_parse_response_accepts_the_array_form() -> None:
    # `streamGenerateContent` without alt=sse answers the events as one JSON array.
    data = [_answer({"text": "Hel"}), _answer({"text": "lo"}, finish="MAX_TOKENS")]
    response = _codec().parse_response(data, "models/" + MODEL)
    assert response.content == "Hello"
    assert response.finish_reason == "length"
    assert response.usage is None


def test_parse_response_with_an_error_object_raises() -> None:
    error = {"code": 404, "message": f"models/{MODEL} is not found", "status": "NOT_FOUND"}
    with pytest.raises(ModelNotFoundError):
        _codec().parse_response({"error": error}, MODEL)
    with pytest.raises(ProviderResponseError):
        _codec().parse_response({"error": {"code": 404, "status": "NOT_FOUND"}}, MODEL)


# -- requests -----------------------------------------------------------------------------


def _body(request: LLMRequest, *, stream: bool = True) -> dict[str, Any]:
    built = _codec().build_request(request, MODEL, stream=stream)
    body: dict[str, Any] = json.loads(built.content)
    return body


def _ask(text: str = "Hi", **fields: Any) -> LLMRequest:
    return LLMRequest(messages=[Message(role="user", content=text)], **fields)


def test_codec_is_registered_with_its_settings() -> None:
    assert codec_class("google") is GoogleCodec
    assert GoogleCodec.name == "google"
    assert GoogleCodec.framing == "sse"
    assert GoogleCodec.default_base_url == "https://generativelanguage.googleapis.com"
    assert GoogleCodec.api_key_env == ("GEMINI_API_KEY", "GOOGLE_API_KEY")
    assert GoogleCodec.base_url_env == "GOOGLE_GEMINI_BASE_URL"


@pytest.mark.parametrize("model", ["gemini-2.5-flash", "models/gemini-2.5-flash"])
def test_request_urls_and_key_header(model: str) -> None:
    codec = _codec()
    stream = codec.build_request(_ask(), model, stream=True)
    plain = codec.build_request(_ask(), model, stream=False)
    base = "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash"
    assert str(stream.url) == base + ":streamGenerateContent?alt=sse"
    assert str(plain.url) == base + ":generateContent"
    for request in (stream, plain):
        assert request.method == "POST"
        assert request.headers["x-goog-api-key"] == "AIza-test-key"
        assert request.headers["content-type"] == "application/json"
        assert "key" not in request.url.params
        assert b"AIza" not in request.content


def test_no_key_header_without_a_key() -> None:
    request = _codec(api_key=None).build_request(_ask(), MODEL, stream=True)
    assert "x-goog-api-key" not in request.headers


def test_configured_base_url_is_used() -> None:
    codec = GoogleCodec(ProviderConfig("google", None, "http://127.0.0.1:8089/"))
    request = codec.build_request(_ask(), MODEL, stream=True)
    assert request.url == httpx.URL(
        "http://127.0.0.1:8089/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
    )


def test_body_is_compact_and_deterministic() -> None:
    request = _ask("Olá", temperature=0.5)
    first = _codec().build_request(request, MODEL, stream=True).content
    second = _codec().build_request(request, MODEL, stream=True).content
    assert first == second
    assert (
        first == json.dumps(json.loads(first), separators=(",", ":"), ensure_ascii=False).encode()
    )
    assert "Olá".encode() in first


def test_system_instruction_and_multi_turn_roles() -> None:
    request = LLMRequest(
        messages=[
            Message(role="system", content="Be brief."),
            Message(role="user", content="Hi"),
            Message(role="assistant", content="Hello!"),
            Message(
                role="user",
                content=[{"type": "text", "text": "Name "}, {"type": "text", "text": "a fruit."}],
            ),
        ]
    )
    body = _body(request)
    assert body["systemInstruction"] == {"parts": [{"text": "Be brief."}]}
    assert body["contents"] == [
        {"role": "user", "parts": [{"text": "Hi"}]},
        {"role": "model", "parts": [{"text": "Hello!"}]},
        {"role": "user", "parts": [{"text": "Name "}, {"text": "a fruit."}]},
    ]
    assert "generationConfig" not in body
    assert "tools" not in body


def test_image_data_url_becomes_inline_data() -> None:
    content = [{"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0K"}}]
    body = _body(LLMRequest(messages=[Message(role="user", content=content)]))
    assert body["contents"][0]["parts"] == [
        {"inlineData": {"mimeType": "image/png", "data": "iVBORw0K"}}
    ]


WEATHER_TOOL: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "weather",
        "description": "Weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}


def test_tools_calls_and_results() -> None:
    calls = [
        {
            "id": "c1",
            "type": "function",
            "function": {"name": "weather", "arguments": '{"city":"Rome"}'},
        },
        {"id": "c2", "type": "function", "function": {"name": "time", "arguments": ""}},
    ]
    request = LLMRequest(
        messages=[
            Message(role="user", content="Weather and time in Rome?"),
            Message(role="assistant", content="", tool_calls=calls),
            Message(role="tool", tool_call_id="c2", content="12:00"),
            Message(role="tool", tool_call_id="c1", content='{"temp": 21}'),
            Message(role="user", content="Thanks"),
        ],
        tools=[WEATHER_TOOL, {"type": "function", "function": {"name": "time"}}],
    )
    body = _body(request)
    assert body["tools"] == [
        {
            "functionDeclarations": [
                {
                    "name": "weather",
                    "description": "Weather for a city",
                    "parameters": WEATHER_TOOL["function"]["parameters"],
                },
                {"name": "time"},
            ]
        }
    ]
    assert body["contents"][1:] == [
        {
            "role": "model",
            "parts": [
                {"functionCall": {"name": "weather", "args": {"city": "Rome"}, "id": "c1"}},
                {"functionCall": {"name": "time", "args": {}, "id": "c2"}},
            ],
        },
        # Both results in one user content, each named after the call it answers and
        # carrying its id.
        {
            "role": "user",
            "parts": [
                {
                    "functionResponse": {
                        "id": "c2",
                        "name": "time",
                        "response": {"result": "12:00"},
                    }
                },
                {
                    "functionResponse": {
                        "id": "c1",
                        "name": "weather",
                        "response": {"temp": 21},
                    }
                },
            ],
        },
        {"role": "user", "parts": [{"text": "Thanks"}]},
    ]


def test_call_ids_gemini_sent_go_back_and_derived_ones_do_not() -> None:
    # The decoded answer: `add` came without an id (derived), `multiply` with Gemini's own.
    calls = _assert_one_final(decode(PARALLEL_CALLS_STREAM)).tool_calls or []
    derived, sent = (call["id"] for call in calls)
    assert is_derived_call_id(derived) and not is_derived_call_id(sent)
    request = LLMRequest(
        messages=[
            Message(role="user", content="Add and multiply 2 and 3"),
            Message(role="assistant", content="", tool_calls=calls),
            Message(role="tool", tool_call_id=sent, content="6"),
            Message(role="tool", tool_call_id=derived, content="5"),
        ]
    )
    model_turn, results = _body(request)["contents"][1:]
    assert [part["functionCall"] for part in model_turn["parts"]] == [
        {"name": "add", "args": {"b": 3, "a": 2}},
        {"name": "multiply", "args": {"a": 2, "b": 3}, "id": "call-7"},
    ]
    assert [part["functionResponse"] for part in results["parts"]] == [
        {"id": "call-7", "name": "multiply", "response": {"result": "6"}},
        {"name": "add", "response": {"result": "5"}},
    ]


def test_only_the_derived_form_counts_as_derived() -> None:
    assert is_derived_call_id(derived_call_id(3, "f", "{}"))
    for real in ("call-7", "1", "call_", "call_" + "0" * 23, "call_" + "G" * 24, "x" * 29):
        assert not is_derived_call_id(real), real


def test_thought_signature_of_a_replayed_call_is_sent_back() -> None:
    call = {
        "id": "c1",
        "type": "function",
        "function": {"name": "weather", "arguments": "{}"},
        "extra_content": {"google": {"thought_signature": "c2lnbmF0dXJl"}},
    }
    request = LLMRequest(messages=[Message(role="assistant", content=None, tool_calls=[call])])
    part = _body(request)["contents"][0]["parts"][0]
    assert part == {
        "functionCall": {"name": "weather", "args": {}, "id": "c1"},
        "thoughtSignature": "c2lnbmF0dXJl",
    }


def test_tool_result_for_an_unknown_call_is_refused() -> None:
    request = LLMRequest(messages=[Message(role="tool", tool_call_id="nope", content="x")])
    with pytest.raises(ConfigurationError, match="nope"):
        _codec().build_request(request, MODEL, stream=True)


def test_tool_call_arguments_that_are_not_an_object_are_refused() -> None:
    call = {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "[1"}}
    request = LLMRequest(messages=[Message(role="assistant", content="", tool_calls=[call])])
    with pytest.raises(ConfigurationError, match="JSON object"):
        _codec().build_request(request, MODEL, stream=True)


@pytest.mark.parametrize(
    ("choice", "config"),
    [
        ("auto", {"mode": "AUTO"}),
        ("none", {"mode": "NONE"}),
        ("required", {"mode": "ANY"}),
        ("any", {"mode": "ANY"}),
        (
            {"type": "function", "function": {"name": "weather"}},
            {"mode": "ANY", "allowedFunctionNames": ["weather"]},
        ),
    ],
)
def test_tool_choice(choice: str | dict[str, Any], config: dict[str, Any]) -> None:
    body = _body(_ask(tools=[WEATHER_TOOL], tool_choice=choice))
    assert body["toolConfig"] == {"functionCallingConfig": config}


def test_unknown_tool_choice_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="tool_choice"):
        _body(_ask(tools=[WEATHER_TOOL], tool_choice="sometimes"))


def test_generation_config_keeps_zero_values() -> None:
    body = _body(_ask(temperature=0.0, max_tokens=256, reasoning_tokens=0))
    assert body["generationConfig"] == {
        "temperature": 0.0,
        "maxOutputTokens": 256,
        "thinkingConfig": {"thinkingBudget": 0},
    }


@pytest.mark.parametrize(
    ("fields", "config"),
    [
        ({"json_response": True}, {"responseMimeType": "application/json"}),
        ({"response_format": {"type": "json_object"}}, {"responseMimeType": "application/json"}),
        (
            {
                "response_format": {
                    "type": "json_schema",
                    "json_schema": {"name": "city", "schema": {"type": "object"}},
                }
            },
            {"responseMimeType": "application/json", "responseSchema": {"type": "object"}},
        ),
        ({"response_format": {"type": "text"}}, None),
    ],
)
def test_json_output(fields: dict[str, Any], config: dict[str, Any] | None) -> None:
    assert _body(_ask(**fields)).get("generationConfig") == config


def test_extra_params_merge_last_and_deep() -> None:
    extra = {
        "generationConfig": {"topK": 3, "temperature": 0.9},
        "safetySettings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}],
    }
    body = _body(_ask(temperature=0.1, max_tokens=10, extra_params=extra))
    assert body["generationConfig"] == {"temperature": 0.9, "maxOutputTokens": 10, "topK": 3}
    assert body["safetySettings"] == extra["safetySettings"]


# -- errors -------------------------------------------------------------------------------

INVALID_KEY = {
    "error": {
        "code": 400,
        "message": "API key not valid. Please pass a valid API key.",
        "status": "INVALID_ARGUMENT",
        "details": [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "API_KEY_INVALID",
                "domain": "googleapis.com",
            }
        ],
    }
}
QUOTA = {
    "error": {
        "code": 429,
        "message": "You exceeded your current quota. Please retry in 17.2s.",
        "status": "RESOURCE_EXHAUSTED",
        "details": [
            {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": []},
            {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "17s"},
        ],
    }
}


def _raise_for(status: int, body: Any, headers: dict[str, str] | None = None) -> LLMRingError:
    info = _codec().error_info(status, body)
    return to_exception("google", status, info, model=MODEL, headers=headers)


@pytest.mark.parametrize(
    ("status", "body", "exception", "code"),
    [
        (400, INVALID_KEY, ProviderAuthenticationError, "INVALID_ARGUMENT"),
        (
            403,
            {"error": {"code": 403, "message": "Denied", "status": "PERMISSION_DENIED"}},
            ProviderAuthenticationError,
            "PERMISSION_DENIED",
        ),
        (
            404,
            {"error": {"code": 404, "message": "models/x is not found", "status": "NOT_FOUND"}},
            ModelNotFoundError,
            "NOT_FOUND",
        ),
        (429, QUOTA, ProviderRateLimitError, "RESOURCE_EXHAUSTED"),
        (
            500,
            {"error": {"code": 500, "message": "Internal error", "status": "INTERNAL"}},
            ProviderResponseError,
            "INTERNAL",
        ),
        (
            400,
            {"error": {"code": 400, "message": "Bad field", "status": "INVALID_ARGUMENT"}},
            ProviderResponseError,
            "INVALID_ARGUMENT",
        ),
    ],
)
def test_error_mapping(
    status: int, body: dict[str, Any], exception: type[LLMRingError], code: str
) -> None:
    error = _raise_for(status, body)
    assert type(error) is exception
    assert getattr(error, "status_code", None) == status
    assert error.details == {"code": code, "status": status}
    assert body["error"]["message"] in error.message


def test_invalid_key_is_not_retryable_and_server_error_is() -> None:
    assert not getattr(_raise_for(400, INVALID_KEY), "retryable", True)
    server = {"error": {"code": 500, "message": "Internal error", "status": "INTERNAL"}}
    assert getattr(_raise_for(500, server), "retryable", False)


def test_rate_limit_delay_from_retry_info() -> None:
    error = _raise_for(429, QUOTA)
    assert isinstance(error, ProviderRateLimitError)
    assert error.retry_after == 17.0


def test_rate_limit_header_wins_over_the_body() -> None:
    error = _raise_for(429, QUOTA, headers={"retry-after": "3"})
    assert isinstance(error, ProviderRateLimitError)
    assert error.retry_after == 3.0


def test_not_found_names_the_model() -> None:
    message = f"models/{MODEL} is not found for API version v1beta"
    body = {"error": {"code": 404, "message": message, "status": "NOT_FOUND"}}
    error = _raise_for(404, body)
    assert isinstance(error, ModelNotFoundError)
    assert error.model_name == MODEL


def test_a_not_found_that_names_no_model_is_a_wrong_url() -> None:
    error = _raise_for(404, {"error": {"code": 404, "message": "gone", "status": "NOT_FOUND"}})
    assert type(error) is ProviderResponseError
    assert error.details["wrong_url"] is True
    assert "the URL looks wrong, not the model" in str(error)


@pytest.mark.parametrize(
    "body",
    [
        [INVALID_KEY],  # what streamGenerateContent without alt=sse sends
        json.dumps(INVALID_KEY),
        json.dumps(INVALID_KEY).encode(),
    ],
)
def test_error_body_shapes(body: Any) -> None:
    info = _codec().error_info(400, body)
    assert info.kind == "auth"
    assert info.code == "INVALID_ARGUMENT"
    assert info.message == "API key not valid. Please pass a valid API key."


@pytest.mark.parametrize("body", ["<html>Bad Gateway</html>", b"upstream reset", None, 42])
def test_error_body_that_is_not_a_status_is_kept_as_the_message(body: Any) -> None:
    info = _codec().error_info(502, body)
    assert info.kind is None
    assert info.code is None
    assert info.message
    error = to_exception("google", 502, info, model=MODEL)
    assert type(error) is ProviderResponseError
    assert error.status_code == 502
