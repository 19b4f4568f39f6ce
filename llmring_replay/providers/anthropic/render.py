"""Anthropic Messages (`POST /v1/messages`) as the real API sends it.

Stream: `event: <name>` + `data: {json}` pairs: `message_start`, then per content block
`content_block_start`, `content_block_delta`..., `content_block_stop` (a `ping` after the first
block start, where the API puts it), then `message_delta` (stop reason and usage) and
`message_stop`. Blocks: `thinking` (`thinking_delta` pieces, then one `signature_delta`),
`text` (`text_delta`), `tool_use` (`input_json_delta` fragments, the first one `""`).
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from llmring_replay.simulator.script import Script, TokenCounts
from llmring_replay.simulator.wire import ErrorResponse, Shape, dumps, sse_event

__all__ = [
    "FAULT_SHAPES",
    "JSON_CONTENT_TYPE",
    "JSON_INDENT",
    "STREAM_CONTENT_TYPE",
    "render_error",
    "render_error_frame",
    "render_json",
    "render_stream",
]

STREAM_CONTENT_TYPE = "text/event-stream; charset=utf-8"
JSON_CONTENT_TYPE = "application/json"
# The API sends a whole (non-streaming) answer compact.
JSON_INDENT: int | None = None

#: Failures worded as the API words them; only Anthropic has a status of its own for
#: `overloaded` (529 `overloaded_error`).
FAULT_SHAPES = {
    "model_not_found": Shape(404, "model: {model}"),
    "overloaded": Shape(529, "Overloaded", "overloaded_error"),
}

_STOP_REASONS = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "content_filter": "refusal",
}

# status -> (error.type, default message)
_ERRORS: dict[int, tuple[str, str]] = {
    400: ("invalid_request_error", "Invalid request."),
    401: ("authentication_error", "invalid x-api-key"),
    403: ("permission_error", "Your API key does not have permission to use this resource."),
    404: ("not_found_error", "model: not found"),
    413: ("request_too_large", "Request exceeds the maximum allowed number of bytes."),
    429: ("rate_limit_error", "Number of requests has exceeded your rate limit."),
    500: ("api_error", "Internal server error"),
    529: ("overloaded_error", "Overloaded"),
}


def _usage(counts: TokenCounts, output_tokens: int) -> dict[str, Any]:
    # Anthropic's input_tokens excludes the tokens read from the cache.
    return {
        "input_tokens": counts.prompt - counts.cached,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": counts.cached,
        "output_tokens": output_tokens,
    }


def _signature(reasoning: str) -> str:
    """A stable stand-in for the opaque signature that closes a thinking block."""
    return base64.b64encode(hashlib.sha256(reasoning.encode()).digest()).decode()


def _blocks(script: Script, seq: int) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Each content block as (its empty start form, its deltas)."""
    blocks: list[tuple[dict[str, Any], list[dict[str, Any]]]] = []
    if script.reasoning:
        deltas = [{"type": "thinking_delta", "thinking": p} for p in script.reasoning_chunks()]
        deltas.append({"type": "signature_delta", "signature": _signature(script.reasoning)})
        blocks.append(({"type": "thinking", "thinking": "", "signature": ""}, deltas))
    if script.text or not script.tool_calls:
        deltas = [{"type": "text_delta", "text": piece} for piece in script.text_chunks()]
        blocks.append(({"type": "text", "text": ""}, deltas))
    for index, call in enumerate(script.tool_calls):
        start = {
            "type": "tool_use",
            "id": script.call_id(index, "toolu_", seq),
            "name": call.name,
            "input": {},
        }
        pieces = ["", *call.argument_fragments(compact=False)]
        deltas = [{"type": "input_json_delta", "partial_json": piece} for piece in pieces]
        blocks.append((start, deltas))
    return blocks


def _message(script: Script, model: str, seq: int) -> dict[str, Any]:
    return {
        "model": script.reported_model(model),
        "id": f"msg_sim{seq:06d}",
        "type": "message",
        "role": "assistant",
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
    }


def render_stream(script: Script, model: str, body: Any, *, seq: int = 1) -> list[bytes]:
    """The streamed answer as `event:`/`data:` pairs, `message_start` to `message_stop`."""
    counts = script.token_counts(body)

    def event(name: str, payload: dict[str, Any]) -> bytes:
        return sse_event(dumps({"type": name, **payload}), name)

    # message_start reports the cache split and service tier too, as the API does.
    start_usage = {
        **_usage(counts, 1),
        "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
        "service_tier": "standard",
    }
    start = {**_message(script, model, seq), "usage": start_usage}
    frames = [event("message_start", {"message": start})]
    for index, (block, deltas) in enumerate(_blocks(script, seq)):
        frames.append(event("content_block_start", {"index": index, "content_block": block}))
        if index == 0:
            frames.append(sse_event('{"type": "ping"}', "ping"))
        frames += [event("content_block_delta", {"index": index, "delta": d}) for d in deltas]
        frames.append(event("content_block_stop", {"index": index}))
    stop = {"stop_reason": _STOP_REASONS[script.finish_reason()], "stop_sequence": None}
    frames.append(
        event("message_delta", {"delta": stop, "usage": _usage(counts, counts.completion)})
    )
    frames.append(event("message_stop", {}))
    return frames


def render_json(script: Script, model: str, body: Any, *, seq: int = 1) -> dict[str, Any]:
    """The non-streaming `message` object."""
    content: list[dict[str, Any]] = []
    if script.reasoning:
        signature = _signature(script.reasoning)
        content.append({"type": "thinking", "thinking": script.reasoning, "signature": signature})
    if script.text or not script.tool_calls:
        content.append({"type": "text", "text": script.text})
    for index, call in enumerate(script.tool_calls):
        call_id = script.call_id(index, "toolu_", seq)
        content.append(
            {"type": "tool_use", "id": call_id, "name": call.name, "input": call.arguments}
        )
    counts = script.token_counts(body)
    return {
        **_message(script, model, seq),
        "content": content,
        "stop_reason": _STOP_REASONS[script.finish_reason()],
        "usage": _usage(counts, counts.completion),
    }


def _error_payload(script: Script) -> dict[str, Any]:
    default = ("api_error", "Internal server error") if script.status >= 500 else _ERRORS[400]
    kind, message = _ERRORS.get(script.status, default)
    error = {"type": script.error_code or kind, "message": script.error_message or message}
    return {"type": "error", "error": error}


def render_error(script: Script, model: str, body: Any, *, stream: bool = False) -> ErrorResponse:
    """`{"type": "error", "error": {type, message}}` (529 `overloaded_error`)."""
    headers = {
        "content-type": JSON_CONTENT_TYPE,
        "request-id": "req_simulator",
        "x-should-retry": "true"
        if script.status in (408, 409, 429) or script.status >= 500
        else "false",
    }
    if script.retry_after is not None:
        headers["retry-after"] = f"{script.retry_after:g}"
    payload = {**_error_payload(script), "request_id": "req_simulator"}
    return ErrorResponse(script.status, headers, dumps(payload).encode())


def render_error_frame(script: Script, model: str) -> bytes:
    """An in-band `event: error` inside a 200 stream (e.g. `overloaded_error`)."""
    return sse_event(dumps(_error_payload(script)), "error")
