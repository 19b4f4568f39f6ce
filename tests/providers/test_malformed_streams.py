"""Malformed provider data through the public API: only `ProviderResponseError`, never a stray
`AttributeError`/`OverflowError`/`RecursionError`, and the stream rules hold whatever arrives.

Each body goes through `LLMRing.chat_stream` (or `chat`) over an in-memory transport, read
whole (so frames after the end arrive in the same read as the end) and in small pieces.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from llmring_replay.exceptions import LLMRingError, ProviderResponseError
from llmring_replay.schemas import LLMRequest, Message, StreamChunk
from llmring_replay.service import LLMRing
from tests.support import StaticTransport

DEEP = "[" * 100_000 + "]" * 100_000
MEDIA = {"ollama": "application/x-ndjson"}


def sse(*payloads: Any, event: str | None = None) -> bytes:
    name = f"event: {event}\n" if event else ""
    return b"".join(
        f"{name}data: {p if isinstance(p, str) else json.dumps(p)}\n\n".encode() for p in payloads
    )


def ndjson(*payloads: Any) -> bytes:
    return b"".join(f"{p if isinstance(p, str) else json.dumps(p)}\n".encode() for p in payloads)


def ring_for(provider: str, transport: httpx.AsyncBaseTransport) -> LLMRing:
    ring = LLMRing(transport=transport)
    ring.register_provider(provider, api_key="test-key", base_url="http://provider.invalid")
    return ring


def request(provider: str) -> LLMRequest:
    return LLMRequest(model=f"{provider}:m", messages=[Message(role="user", content="hi")])


async def stream(
    provider: str, body: bytes, max_piece: int
) -> tuple[list[StreamChunk], LLMRingError | None]:
    """The chunks delivered, and the error raised (only project errors may escape)."""
    media = MEDIA.get(provider, "text/event-stream")
    transport = StaticTransport(body, headers={"content-type": media}, max_piece=max_piece)
    chunks: list[StreamChunk] = []
    error: LLMRingError | None = None
    async with ring_for(provider, transport) as ring:
        try:
            async for chunk in ring.chat_stream(request(provider)):
                chunks.append(chunk)
        except LLMRingError as exc:
            error = exc
    return chunks, error


def assert_stream_rules(chunks: list[StreamChunk], error: LLMRingError | None) -> None:
    """Rule 1 (`delta` a str) and rule 3 (one final chunk, the last; none after it)."""
    assert all(type(chunk.delta) is str for chunk in chunks)
    finals = [i for i, chunk in enumerate(chunks) if chunk.finish_reason is not None]
    assert finals in ([], [len(chunks) - 1])
    if error is None:
        assert finals, "a stream that ended without an error must have its final chunk"


def _gemini(*parts: Any, usage: Any = None) -> dict[str, Any]:
    data: dict[str, Any] = {"candidates": [{"content": {"parts": list(parts)}}]}
    if usage is not None:
        data["usageMetadata"] = usage
    return data


GEMINI_END = {"candidates": [{"finishReason": "STOP"}]}
ANTHROPIC_TEXT = {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta"}}


def _anthropic_text(text: Any) -> dict[str, Any]:
    return {**ANTHROPIC_TEXT, "delta": {"type": "text_delta", "text": text}}


def _openai(content: Any = None, **fields: Any) -> dict[str, Any]:
    delta = {} if content is None else {"content": content}
    return {"choices": [{"index": 0, "delta": delta, "finish_reason": None}], **fields}


def _ollama(content: Any, **fields: Any) -> dict[str, Any]:
    return {"model": "m", "message": {"role": "assistant", "content": content}, **fields}


#: (provider, body, text delivered before the error, the malformed frame's position)
MALFORMED: dict[str, tuple[str, bytes, str, int]] = {
    "gemini part is a string": (
        "google",
        sse(_gemini({"text": "Hi"}), _gemini("hi"), GEMINI_END),
        "Hi",
        2,
    ),
    "gemini text is a number": ("google", sse(_gemini({"text": 5}), GEMINI_END), "", 1),
    "gemini deep JSON": ("google", sse(_gemini({"text": "a"}), DEEP), "a", 2),
    "gemini event is a list": ("google", sse(_gemini({"text": "a"}), [1]), "a", 2),
    "gemini call args wrong": (
        "google",
        sse(_gemini({"functionCall": {"name": 5}}), GEMINI_END),
        "",
        1,
    ),
    "ollama message is a string": (
        "ollama",
        ndjson(_ollama("Hi"), {"model": "m", "message": "hi", "done": False}),
        "Hi",
        2,
    ),
    "ollama content is a number": ("ollama", ndjson(_ollama("a"), _ollama(5)), "a", 2),
    "ollama content is a list": ("ollama", ndjson(_ollama(["a"])), "", 1),
    "ollama count not numeric": (
        "ollama",
        ndjson(_ollama("a"), _ollama("", done=True, eval_count="many")),
        "a",
        2,
    ),
    "ollama count 1e400": ("ollama", b'{"done":true,"prompt_eval_count":1e400}\n', "", 1),
    "ollama count negative": ("ollama", ndjson(_ollama("", done=True, eval_count=-1)), "", 1),
    "ollama count a bool": ("ollama", ndjson(_ollama("", done=True, eval_count=True)), "", 1),
    "ollama deep JSON": ("ollama", ndjson(_ollama("a"), DEEP), "a", 2),
    "anthropic text is a list": (
        "anthropic",
        sse(_anthropic_text("a"), _anthropic_text([1]), {"type": "message_stop"}),
        "a",
        2,
    ),
    "anthropic count 1e400": (
        "anthropic",
        b'data: {"type":"message_delta","delta":{},"usage":{"output_tokens":1e400}}\n\n',
        "",
        1,
    ),
    "anthropic count a string": (
        "anthropic",
        sse({"type": "message_start", "message": {"usage": {"input_tokens": "9"}}}),
        "",
        1,
    ),
    "anthropic tool name a number": (
        "anthropic",
        sse(
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "tool_use", "id": "t", "name": 7},
            }
        ),
        "",
        1,
    ),
    "anthropic deep JSON": ("anthropic", sse(_anthropic_text("a"), DEEP), "a", 2),
    "openai content parts hold a number": (
        "openai",
        sse(_openai("a"), _openai([{"text": 5}])),
        "a",
        2,
    ),
    "openai count 1e400": (
        "openai",
        sse(_openai("a")) + b'data: {"choices":[],"usage":{"prompt_tokens":1e400}}\n\n',
        "a",
        2,
    ),
    "openai count a bool": ("openai", sse(_openai(usage={"prompt_tokens": False})), "", 1),
    "openai reasoning a number": (
        "openai",
        sse(_openai("a"), {"choices": [{"index": 0, "delta": {"reasoning": 3}}]}),
        "a",
        2,
    ),
    "openai tool call id a number": (
        "openai",
        sse(_openai(tool_calls=None), {"choices": [{"delta": {"tool_calls": [{"id": 1}]}}]}),
        "",
        2,
    ),
    "openai deep JSON": ("openai", sse(_openai("a"), DEEP, "[DONE]"), "a", 2),
}


@pytest.mark.parametrize("max_piece", [1_000_000, 7])
@pytest.mark.parametrize("case", MALFORMED)
async def test_a_malformed_frame_is_a_response_error_naming_the_frame(
    case: str, max_piece: int
) -> None:
    provider, body, before, position = MALFORMED[case]
    # Small reads of the deep bodies: 4 KiB, as the splitter copies its buffer on each read.
    chunks, error = await stream(provider, body, max_piece if len(body) < 10_000 else 4096)
    assert isinstance(error, ProviderResponseError), (case, error)
    assert "".join(chunk.delta for chunk in chunks) == before  # delivered first
    assert error.provider == provider
    assert error.status_code == 200
    assert f"frame {position}" in error.message
    assert error.details["code"] == "malformed_frame"
    assert_stream_rules(chunks, error)


async def test_gemini_usage_of_the_wrong_type_fails_at_the_end_of_the_stream() -> None:
    # Gemini's usage counts only at the end (each event repeats the running total).
    body = sse(_gemini({"text": "a"}, usage={"promptTokenCount": 1e400}), GEMINI_END)
    chunks, error = await stream("google", body, 1_000_000)
    assert isinstance(error, ProviderResponseError)
    assert [chunk.delta for chunk in chunks] == ["a"]
    assert "the end of the stream, after frame 2" in error.message
    assert "usageMetadata.promptTokenCount" in error.message


# -- rule 3: nothing after the final chunk, even in the same read -------------------------

AFTER_THE_END: dict[str, tuple[str, bytes, str]] = {
    "ollama text after done": (
        "ollama",
        ndjson(_ollama("a"), _ollama("", done=True), _ollama("late"), _ollama("", done=True)),
        "a",
    ),
    "two anthropic message_stops": (
        "anthropic",
        sse(_anthropic_text("a"), {"type": "message_stop"})
        + sse({"type": "message_stop"}, event="message_stop")
        + sse(_anthropic_text("late")),
        "a",
    ),
    "openai text after DONE": (
        "openai",
        sse(_openai("a"), {"choices": [{"delta": {}, "finish_reason": "stop"}]}, "[DONE]")
        + sse(_openai("late"), "[DONE]"),
        "a",
    ),
    "garbage after the end": ("ollama", ndjson(_ollama("a"), _ollama("", done=True), "{no"), "a"),
}


@pytest.mark.parametrize("max_piece", [1_000_000, 5])
@pytest.mark.parametrize("case", AFTER_THE_END)
async def test_nothing_after_the_final_chunk(case: str, max_piece: int) -> None:
    provider, body, text = AFTER_THE_END[case]
    chunks, error = await stream(provider, body, max_piece)
    assert error is None
    assert "".join(chunk.delta for chunk in chunks) == text
    assert_stream_rules(chunks, error)
    assert sum(chunk.finish_reason is not None for chunk in chunks) == 1


# -- non-streaming replies ----------------------------------------------------------------

REPLIES: dict[str, tuple[str, bytes]] = {
    "gemini part is a string": (
        "google",
        json.dumps({"candidates": [{"content": {"parts": ["hi"]}}]}).encode(),
    ),
    "gemini count 1e400": (
        "google",
        b'{"candidates":[],"usageMetadata":{"totalTokenCount":1e400}}',
    ),
    "ollama message is a string": ("ollama", json.dumps({"message": "hi", "done": True}).encode()),
    "ollama count negative": ("ollama", json.dumps({"message": {}, "eval_count": -2}).encode()),
    "anthropic block is a string": ("anthropic", json.dumps({"content": ["hi"]}).encode()),
    "anthropic count 1e400": ("anthropic", b'{"content":[],"usage":{"input_tokens":1e400}}'),
    "openai choice is a string": ("openai", json.dumps({"choices": ["hi"]}).encode()),
    "openai content a number": (
        "openai",
        json.dumps({"choices": [{"message": {"content": 5}}]}).encode(),
    ),
    "deep JSON": ("openai", DEEP.encode()),
}


@pytest.mark.parametrize("case", REPLIES)
async def test_a_malformed_reply_is_a_response_error(case: str) -> None:
    provider, body = REPLIES[case]
    transport = StaticTransport(body, headers={"content-type": "application/json"})
    async with ring_for(provider, transport) as ring:
        with pytest.raises(ProviderResponseError) as caught:
            await ring.chat(request(provider))
    assert caught.value.provider == provider
    assert caught.value.status_code == 200
