"""The Ollama codec: `/api/chat` NDJSON streams, request bodies, replies and errors.

Streams are hand-written in the shape a real server sends (see `providers/ollama/codec.py`), fed
through the real NDJSON splitter in small pieces, as a transport would hand them over.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from llmring_replay.exceptions import (
    ConfigurationError,
    ModelNotFoundError,
    ProviderAuthenticationError,
    ProviderRateLimitError,
    ProviderResponseError,
)
from llmring_replay.framing import splitter_for
from llmring_replay.providers import codec_class
from llmring_replay.providers.base import ProviderConfig, derived_call_id
from llmring_replay.providers.errors import to_exception
from llmring_replay.providers.ollama.codec import OllamaCodec
from llmring_replay.schemas import LLMRequest, Message, StreamChunk

LOCAL = ProviderConfig("ollama", None, "http://localhost:11434")


def _codec(config: ProviderConfig = LOCAL) -> OllamaCodec:
    return OllamaCodec(config)


def _decode(body: str | bytes, model: str = "llama3.2", piece: int = 3) -> list[StreamChunk]:
    """Run `body` through splitter, parser and decoder in `piece`-byte reads."""
    raw = body.encode() if isinstance(body, str) else body
    splitter, parse = splitter_for("ndjson")
    decoder = _codec().stream_decoder(model)
    chunks: list[StreamChunk] = []
    for start in range(0, len(raw), piece):
        chunks += decoder.chunks(splitter.feed(raw[start : start + piece]), parse)
    chunks += decoder.chunks(splitter.flush(), parse)
    chunks += decoder.finish()
    return chunks


def _text(chunks: list[StreamChunk]) -> str:
    return "".join(chunk.delta for chunk in chunks)


def _assert_one_final(chunks: list[StreamChunk]) -> StreamChunk:
    """Rules 3 and 4: one chunk with a finish reason, the last, the only one with usage."""
    assert [c.finish_reason is not None for c in chunks] == [False] * (len(chunks) - 1) + [True]
    assert all(c.usage is None for c in chunks[:-1])
    return chunks[-1]


TEXT_STREAM = (
    '{"model":"llama3.2","created_at":"2025-01-01T00:00:00.1Z",'
    '"message":{"role":"assistant","content":"Hello"},"done":false}\n'
    '{"model":"llama3.2","created_at":"2025-01-01T00:00:00.2Z",'
    '"message":{"role":"assistant","content":", wörld"},"done":false}\n'
    '{"model":"llama3.2","created_at":"2025-01-01T00:00:00.3Z",'
    '"message":{"role":"assistant","content":""},"done":false}\n'
    '{"model":"llama3.2","created_at":"2025-01-01T00:00:00.4Z",'
    '"message":{"role":"assistant","content":" 😊"},"done":false}\n'
    '{"model":"llama3.2","created_at":"2025-01-01T00:00:00.5Z",'
    '"message":{"role":"assistant","content":""},"done_reason":"stop","done":true,'
    '"total_duration":1000,"load_duration":10,"prompt_eval_count":12,'
    '"prompt_eval_duration":100,"eval_count":4,"eval_duration":800}\n'
)


@pytest.mark.parametrize("piece", [1, 2, 7, 4096])
def test_text_stream(piece: int) -> None:
    # piece=1 splits the multi-byte "ö" and the emoji across reads.
    chunks = _decode(TEXT_STREAM, model="ignored-request-name", piece=piece)
    assert _text(chunks) == "Hello, wörld 😊"
    assert [c.delta for c in chunks] == ["Hello", ", wörld", " 😊", ""]  # empty piece skipped
    assert {c.model for c in chunks} == {"ollama:llama3.2"}
    final = _assert_one_final(chunks)
    assert final.finish_reason == "stop"
    assert final.usage == {"prompt_tokens": 12, "completion_tokens": 4, "total_tokens": 16}
    assert final.provider_details == {"finish_reason": "stop"}
    assert final.tool_calls is None


def test_last_line_without_trailing_newline() -> None:
    chunks = _decode(TEXT_STREAM.rstrip("\n"), piece=5)
    assert _text(chunks) == "Hello, wörld 😊"
    assert _assert_one_final(chunks).finish_reason == "stop"


def test_model_falls_back_to_the_requested_one() -> None:
    body = (
        '{"message":{"role":"assistant","content":"hi"},"done":false}\n'
        '{"message":{"role":"assistant","content":""},"done":true,"done_reason":"stop"}\n'
    )
    chunks = _decode(body, model="qwen3:4b")
    assert [c.model for c in chunks] == ["ollama:qwen3:4b", "ollama:qwen3:4b"]


THINKING_STREAM = (
    '{"model":"qwen3","created_at":"t","message":{"role":"assistant","content":"",'
    '"thinking":"The user"},"done":false}\n'
    '{"model":"qwen3","created_at":"t","message":{"role":"assistant","content":"",'
    '"thinking":" wants 1-3."},"done":false}\n'
    '{"model":"qwen3","created_at":"t","message":{"role":"assistant","content":"1 2"},'
    '"done":false}\n'
    '{"model":"qwen3","created_at":"t","message":{"role":"assistant","content":" 3"},'
    '"done":false}\n'
    '{"model":"qwen3","created_at":"t","message":{"role":"assistant","content":""},'
    '"done":true,"done_reason":"stop","prompt_eval_count":20,"eval_count":9}\n'
)


def test_thinking_then_content() -> None:
    chunks = _decode(THINKING_STREAM)
    assert _text(chunks) == "1 2 3"
    assert "".join(c.reasoning or "" for c in chunks) == "The user wants 1-3."
    thinking = [c for c in chunks if c.reasoning]
    assert [c.delta for c in thinking] == ["", ""]  # rule 6: never in delta
    final = _assert_one_final(chunks)
    assert final.finish_reason == "stop"
    assert final.usage == {"prompt_tokens": 20, "completion_tokens": 9, "total_tokens": 29}


TOOL_STREAM = (
    '{"model":"qwen3","created_at":"t","message":{"role":"assistant","content":"",'
    '"tool_calls":[{"id":"call_a","function":{"index":0,"name":"get_weather",'
    '"arguments":{"city":"Paris","units":"metric"}}}]},"done":false}\n'
    '{"model":"qwen3","created_at":"t","message":{"role":"assistant","content":"",'
    '"tool_calls":[{"function":{"index":1,"name":"get_time","arguments":{}}}]},'
    '"done":false}\n'
    '{"model":"qwen3","created_at":"t","message":{"role":"assistant","content":""},'
    '"done":true,"done_reason":"stop","prompt_eval_count":150,"eval_count":30}'
)


def test_tool_calls_on_separate_lines() -> None:
    chunks = _decode(TOOL_STREAM, piece=11)
    assert _text(chunks) == ""
    first, second, final = chunks
    # Rule 5: each chunk carries the whole list as it stands.
    assert first.tool_calls is not None and len(first.tool_calls) == 1
    assert second.tool_calls is not None and len(second.tool_calls) == 2
    assert final.tool_calls is not None
    weather, clock = final.tool_calls
    assert weather["id"] == "call_a"
    assert weather["type"] == "function"
    assert weather["function"]["name"] == "get_weather"
    # Ollama sends an object; OpenAI's shape wants a JSON string.
    assert isinstance(weather["function"]["arguments"], str)
    assert json.loads(weather["function"]["arguments"]) == {"city": "Paris", "units": "metric"}
    # No id on the wire (older servers): a derived one, stable, so the app can answer it.
    assert clock["id"] == derived_call_id(1, "get_time", "{}")
    assert clock["function"] == {"name": "get_time", "arguments": "{}"}
    # `done_reason` says stop, but the answer is a set of calls.
    assert _assert_one_final(chunks).finish_reason == "tool_calls"
    assert final.provider_details == {"finish_reason": "stop"}


def test_length() -> None:
    body = (
        '{"model":"gemma3:1b","message":{"role":"assistant","content":"One two"},"done":false}\n'
        '{"model":"gemma3:1b","message":{"role":"assistant","content":""},"done":true,'
        '"done_reason":"length","prompt_eval_count":15,"eval_count":2}\n'
    )
    final = _assert_one_final(_decode(body))
    assert final.finish_reason == "length"
    assert final.usage == {"prompt_tokens": 15, "completion_tokens": 2, "total_tokens": 17}


@pytest.mark.parametrize(
    ("reason_field", "raw"),
    [("", None), (',"done_reason":"load"', "load"), (',"done_reason":"unload"', "unload")],
)
def test_other_done_reasons_count_as_stop(reason_field: str, raw: str | None) -> None:
    body = (
        f'{{"model":"m","message":{{"role":"assistant","content":""}},"done":true{reason_field}}}'
    )
    final = _assert_one_final(_decode(body))
    assert final.finish_reason == "stop"
    assert final.provider_details == {"finish_reason": raw}
    assert final.usage is None  # no counters on the line: no usage invented


def test_usage_with_only_the_eval_count() -> None:
    # Older servers leave out prompt_eval_count when the whole prompt was cached.
    body = '{"model":"m","message":{"role":"assistant","content":"x"},"done":true,"eval_count":3}'
    chunks = _decode(body)
    assert _text(chunks) == "x"  # text on the done line itself is kept
    assert _assert_one_final(chunks).usage == {
        "prompt_tokens": 0,
        "completion_tokens": 3,
        "total_tokens": 3,
    }


def test_in_band_error_after_some_text() -> None:
    body = (
        '{"model":"m","message":{"role":"assistant","content":"Par"},"done":false}\n'
        '{"model":"m","message":{"role":"assistant","content":"tial"},"done":false}\n'
        '{"error":"an error was encountered while running the model: unexpected EOF"}\n'
    )
    splitter, parse = splitter_for("ndjson")
    decoder = _codec().stream_decoder("m")
    delivered: list[StreamChunk] = []
    with pytest.raises(ProviderResponseError) as caught:
        for frame in splitter.feed(body.encode()):
            event = parse(frame)
            assert event is not None
            delivered += decoder.feed(event)
    assert _text(delivered) == "Partial"  # what came before the error was delivered
    assert caught.value.status_code == 200
    assert caught.value.provider == "ollama"
    assert "unexpected EOF" in str(caught.value)
    assert type(caught.value) is ProviderResponseError


def test_in_band_model_error_is_still_a_response_error() -> None:
    # Inside a 200 stream the status decides nothing: never a ModelNotFoundError.
    with pytest.raises(ProviderResponseError) as caught:
        _decode('{"error":"model \\"x\\" not found"}\n')
    assert caught.value.status_code == 200


def test_stream_cut_before_done() -> None:
    body = TEXT_STREAM.splitlines(keepends=True)[:2]
    with pytest.raises(ProviderResponseError) as caught:
        _decode("".join(body))
    assert caught.value.retryable
    assert "ended before" in str(caught.value)


@pytest.mark.parametrize("line", ['{"model":"m","message":{"con', "[1, 2]", '"text"'])
def test_malformed_line(line: str) -> None:
    with pytest.raises(ProviderResponseError, match=r"malformed stream .*frame 1"):
        _decode(line + "\n")


def test_a_second_done_line_adds_no_second_final_chunk() -> None:
    done = '{"model":"m","message":{"role":"assistant","content":""},"done":true}\n'
    chunks = _decode('{"model":"m","message":{"role":"assistant","content":"a"}}\n' + done * 2)
    assert [c.finish_reason for c in chunks] == [None, "stop"]


# -- requests -------------------------------------------------------------------------------


def _body(request: LLMRequest, model: str = "llama3.2", *, stream: bool = True) -> Any:
    return json.loads(_codec().build_request(request, model, stream=stream).content)


def _ask(**fields: Any) -> LLMRequest:
    return LLMRequest(messages=[Message(role="user", content="Hi")], **fields)


def test_request_basics() -> None:
    request = LLMRequest(
        messages=[
            Message(role="system", content="Be brief."),
            Message(role="user", content="Hi"),
            Message(role="assistant", content="Hello!"),
            Message(role="user", content="Count to 3"),
        ]
    )
    http = _codec().build_request(request, "llama3.2", stream=True)
    assert http.method == "POST"
    assert str(http.url) == "http://localhost:11434/api/chat"
    assert http.headers["content-type"] == "application/json"
    assert "authorization" not in http.headers  # local Ollama needs no key
    # Compact, and in a fixed order, so the same request always has the same bytes.
    assert http.content == (
        b'{"model":"llama3.2","messages":[{"role":"system","content":"Be brief."},'
        b'{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello!"},'
        b'{"role":"user","content":"Count to 3"}],"stream":true}'
    )
    assert http.content == _codec().build_request(request, "llama3.2", stream=True).content


def test_request_bearer_key_and_base_url() -> None:
    cloud = ProviderConfig("ollama", "secret-key", "https://ollama.com/")
    http = _codec(cloud).build_request(_ask(), "gpt-oss:120b", stream=False)
    assert http.headers["authorization"] == "Bearer secret-key"
    assert str(http.url) == "https://ollama.com/api/chat"


def test_request_stream_false_for_chat() -> None:
    assert _body(_ask(), stream=False)["stream"] is False
    assert _body(_ask(), stream=True)["stream"] is True


def test_request_options_keep_zero() -> None:
    body = _body(_ask(temperature=0, max_tokens=50))
    assert body["options"] == {"temperature": 0, "num_predict": 50}
    assert "options" not in _body(_ask())


def test_request_extra_params_merged_last() -> None:
    request = _ask(
        temperature=0.2,
        extra_params={"options": {"temperature": 0.9, "num_ctx": 8192}, "keep_alive": "5m"},
    )
    body = _body(request)
    assert body["options"] == {"temperature": 0.9, "num_ctx": 8192}
    assert body["keep_alive"] == "5m"
    assert request.extra_params["options"] == {"temperature": 0.9, "num_ctx": 8192}  # untouched


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"response_format": {"type": "json_object"}}, "json"),
        ({"json_response": True}, "json"),
        (
            {
                "response_format": {
                    "type": "json_schema",
                    "json_schema": {"name": "n", "schema": {"type": "object", "required": []}},
                }
            },
            {"type": "object", "required": []},
        ),
        ({"response_format": {"type": "text"}}, None),
    ],
)
def test_request_format(fields: dict[str, Any], expected: Any) -> None:
    assert _body(_ask(**fields)).get("format") == expected


@pytest.mark.parametrize(("budget", "think"), [(None, None), (1024, True), (0, False)])
def test_request_think(budget: int | None, think: bool | None) -> None:
    assert _body(_ask(reasoning_tokens=budget)).get("think") is think


TOOL = {
    "type": "function",
    "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {}}},
}


def test_request_tools() -> None:
    assert _body(_ask(tools=[TOOL]))["tools"] == [TOOL]  # OpenAI's shape, as Ollama accepts
    assert "tools" not in _body(_ask(tools=[TOOL], tool_choice="none"))


def test_request_tool_round_trip() -> None:
    request = LLMRequest(
        messages=[
            Message(role="user", content="Weather and time in Paris?"),
            Message(
                role="assistant",
                content="",
                tool_calls=[
                    {"id": None, "function": {"name": "get_time", "arguments": ""}},
                    {
                        "id": "call_a",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
                    },
                ],
            ),
            # Answered out of order: the id decides first...
            Message(role="tool", content='{"temp": 21}', tool_call_id="call_a"),
            # ...and a result without a known id answers the next unanswered call.
            Message(role="tool", content="12:00", tool_call_id=None),
        ]
    )
    messages = _body(request)["messages"]
    assert messages[1] == {
        "role": "assistant",
        "content": "",
        "tool_calls": [
            {"function": {"name": "get_time", "arguments": {}}},
            {"function": {"name": "get_weather", "arguments": {"city": "Paris"}}},
        ],
    }
    assert messages[2] == {"role": "tool", "content": '{"temp": 21}', "tool_name": "get_weather"}
    assert messages[3] == {"role": "tool", "content": "12:00", "tool_name": "get_time"}


def test_calls_without_ids_are_answered_by_their_derived_ids() -> None:
    # The decoded calls go back as the assistant message; results answer `call["id"]`,
    # here in reverse order, and each still names its own tool.
    calls = _decode(TOOL_STREAM)[-1].tool_calls or []
    results = [
        Message(role="tool", content=call["function"]["name"], tool_call_id=call["id"])
        for call in reversed(calls)
    ]
    request = LLMRequest(
        messages=[
            Message(role="user", content="Weather and time?"),
            Message(role="assistant", content="", tool_calls=calls),
            *results,
        ]
    )
    sent = _body(request)["messages"][2:]
    assert [(m["tool_name"], m["content"]) for m in sent] == [
        ("get_time", "get_time"),
        ("get_weather", "get_weather"),
    ]


def test_request_tool_result_without_any_call() -> None:
    request = LLMRequest(messages=[Message(role="tool", content={"ok": True})])
    assert _body(request)["messages"] == [{"role": "tool", "content": '{"ok": true}'}]


def test_request_bad_tool_arguments() -> None:
    call = {"id": "c", "function": {"name": "f", "arguments": '{"cut'}}
    request = LLMRequest(messages=[Message(role="assistant", content="", tool_calls=[call])])
    with pytest.raises(ConfigurationError, match="JSON object"):
        _body(request)


def test_request_content_parts_and_images() -> None:
    parts = [
        {"type": "text", "text": "What is this?"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
        {"type": "text", "text": "Be short."},
    ]
    message = _body(LLMRequest(messages=[Message(role="user", content=parts)]))["messages"][0]
    assert message == {
        "role": "user",
        "content": "What is this?\nBe short.",
        "images": ["iVBORw0KGgo="],
    }


def test_request_image_url_must_be_inline() -> None:
    parts = [{"type": "image_url", "image_url": "https://example.com/cat.png"}]
    with pytest.raises(ConfigurationError, match="base64"):
        _body(LLMRequest(messages=[Message(role="user", content=parts)]))


# -- errors and replies ---------------------------------------------------------------------


def _raise(status: int, body: Any, headers: dict[str, str] | None = None) -> Exception:
    info = _codec().error_info(status, body)
    return to_exception("ollama", status, info, model="llama3.2", headers=headers)


def test_model_not_found() -> None:
    exc = _raise(404, {"error": 'model "llama3.2" not found, try pulling it first'})
    assert isinstance(exc, ModelNotFoundError)
    assert exc.status_code == 404
    assert exc.model_name == "llama3.2"
    assert "try pulling it first" in str(exc)
    assert _codec().error_info(404, {"error": 'model "x" not found'}).kind == "model_not_found"


def test_model_without_tools_is_a_response_error() -> None:
    exc = _raise(400, '{"error":"registry.ollama.ai/library/gemma3:1b does not support tools"}')
    assert type(exc) is ProviderResponseError
    assert exc.status_code == 400
    assert not exc.retryable
    assert "does not support tools" in str(exc)


def test_server_error_is_retryable() -> None:
    exc = _raise(500, b'{"error":"llama runner process has terminated: exit status 2"}')
    assert type(exc) is ProviderResponseError
    assert exc.status_code == 500
    assert exc.retryable
    assert "exit status 2" in str(exc)


def test_auth_and_rate_limit_by_status() -> None:
    assert isinstance(_raise(401, {"error": "unauthorized"}), ProviderAuthenticationError)
    assert isinstance(_raise(403, {"error": "forbidden"}), ProviderAuthenticationError)
    limited = _raise(429, {"error": "too many requests"}, {"retry-after": "7"})
    assert isinstance(limited, ProviderRateLimitError)
    assert limited.retry_after == 7.0


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("404 page not found", "404 page not found"),
        ("", "(empty error body)"),
        ({"error": {"message": "from a gateway"}}, "from a gateway"),
        (["odd"], '["odd"]'),
    ],
)
def test_error_info_is_robust(body: Any, message: str) -> None:
    assert _codec().error_info(502, body).message == message


def test_parse_response_text() -> None:
    data = {
        "model": "gpt-oss:120b",
        "created_at": "2026-01-01T00:00:00Z",
        "message": {"role": "assistant", "content": "It is **72 °F**."},
        "done": True,
        "done_reason": "stop",
        "prompt_eval_count": 189,
        "eval_count": 21,
    }
    response = _codec().parse_response(data, "requested")
    assert response.content == "It is **72 °F**."
    assert response.model == "ollama:gpt-oss:120b"
    assert response.finish_reason == "stop"
    assert response.usage == {"prompt_tokens": 189, "completion_tokens": 21, "total_tokens": 210}
    assert response.tool_calls is None
    assert response.reasoning is None


def test_parse_response_thinking_and_tool_calls() -> None:
    data = {
        "model": "gpt-oss:120b",
        "message": {
            "role": "assistant",
            "content": "",
            "thinking": "Use getWeather.",
            "tool_calls": [
                {"id": "call_1", "function": {"index": 0, "name": "getWeather", "arguments": {}}}
            ],
        },
        "done": True,
        "done_reason": "stop",
        "prompt_eval_count": 145,
        "eval_count": 44,
    }
    response = _codec().parse_response(data, "gpt-oss:120b")
    assert response.content == ""
    assert response.reasoning == "Use getWeather."
    assert response.finish_reason == "tool_calls"
    assert response.tool_calls == [
        {"id": "call_1", "type": "function", "function": {"name": "getWeather", "arguments": "{}"}}
    ]
    assert response.provider_details == {"finish_reason": "stop"}


def test_parse_response_error_object() -> None:
    with pytest.raises(ProviderResponseError, match="out of memory"):
        _codec().parse_response({"error": "out of memory"}, "m")
    with pytest.raises(ProviderResponseError, match="not a JSON object"):
        _codec().parse_response(["no"], "m")


def test_codec_registration() -> None:
    cls = codec_class("ollama")
    assert cls is OllamaCodec
    assert (cls.name, cls.framing, cls.default_base_url) == (
        "ollama",
        "ndjson",
        "http://localhost:11434",
    )
    assert cls.api_key_env == ("OLLAMA_API_KEY",)
    assert cls.base_url_env == "OLLAMA_BASE_URL"
    assert cls.key_optional is True


async def test_stream_through_an_httpx_transport() -> None:
    """The whole path a client takes: request out, NDJSON bytes back, chunks out."""
    seen: list[Any] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content))
        return httpx.Response(
            200, headers={"content-type": "application/x-ndjson"}, content=THINKING_STREAM
        )

    codec = _codec()
    splitter, parse = splitter_for(codec.framing)
    decoder = codec.stream_decoder("qwen3")
    chunks: list[StreamChunk] = []
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        response = await client.send(codec.build_request(_ask(), "qwen3", stream=True), stream=True)
        async for data in response.aiter_bytes():
            for frame in splitter.feed(data):
                event = parse(frame)
                if event is not None:
                    chunks += decoder.feed(event)
    chunks += decoder.end()
    assert seen[0]["stream"] is True
    assert _text(chunks) == "1 2 3"
    assert _assert_one_final(chunks).finish_reason == "stop"
