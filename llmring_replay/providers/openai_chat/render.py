"""OpenAI Chat Completions (`POST /v1/chat/completions`) as the real API sends it.

Stream: `data: {chunk}` events of `chat.completion.chunk` objects, a first delta
`{"role": "assistant", "content": ""}` (`content: null` when only tool calls follow), text
deltas, tool-call fragments (first `{index, id, type, function: {name, arguments: ""}}`, then
argument pieces), a finish chunk with `delta: {}`, a usage chunk with `choices: []` only when
the request asks for `stream_options.include_usage` (every chunk then carries `usage: null`),
and `data: [DONE]`. Thinking text goes in `delta.reasoning`, as OpenAI-compatible servers send
it (OpenAI itself never streams reasoning text on this endpoint).
"""

from __future__ import annotations

import json
from typing import Any

from llmring_replay.simulator.script import Script, TokenCounts
from llmring_replay.simulator.wire import EPOCH, ErrorResponse, Shape, dumps, sse_event

__all__ = [
    "FAULT_SHAPES",
    "JSON_CONTENT_TYPE",
    "JSON_INDENT",
    "STREAM_CONTENT_TYPE",
    "error_object",
    "render_error",
    "render_error_frame",
    "render_json",
    "render_stream",
]

STREAM_CONTENT_TYPE = "text/event-stream; charset=utf-8"
JSON_CONTENT_TYPE = "application/json"
# The API pretty-prints a whole (non-streaming) answer.
JSON_INDENT: int | None = 2

_FINGERPRINT = "fp_simulator"

#: Failures worded as the API words them (checked against the conformance recordings).
FAULT_SHAPES = {
    "forbidden": Shape(403, "Country, region, or territory not supported"),
    "model_not_found": Shape(
        404, "The model `{model}` does not exist or you do not have access to it."
    ),
    "rate_limit": Shape(
        429,
        "Rate limit reached for {model} on requests per min (RPM): Limit 3, Used 3, "
        "Requested 1.{retry} Visit https://platform.openai.com/account/rate-limits to learn "
        "more.",
    ),
}

# status -> (type, code, default message), as the API answers them.
_ERRORS: dict[int, tuple[str, str | None, str]] = {
    400: ("invalid_request_error", None, "Invalid request."),
    401: ("invalid_request_error", "invalid_api_key", "Incorrect API key provided."),
    403: ("invalid_request_error", "unsupported_country_region_territory", "Forbidden."),
    404: ("invalid_request_error", "model_not_found", "The model does not exist."),
    429: ("requests", "rate_limit_exceeded", "Rate limit reached for requests."),
    500: ("server_error", None, "The server had an error while processing your request."),
    503: ("server_error", None, "The engine is currently overloaded, please try again later."),
}


def _usage(counts: TokenCounts) -> dict[str, Any]:
    return {
        "prompt_tokens": counts.prompt,
        "completion_tokens": counts.completion,
        "total_tokens": counts.total,
        "prompt_tokens_details": {"cached_tokens": counts.cached, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": counts.reasoning,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def _include_usage(body: Any) -> bool:
    options = body.get("stream_options") if isinstance(body, dict) else None
    return isinstance(options, dict) and bool(options.get("include_usage"))


def _deltas(script: Script, seq: int) -> list[dict[str, Any]]:
    """Every delta before the finish chunk, in order."""
    content: str | None = "" if script.text or not script.tool_calls else None
    deltas: list[dict[str, Any]] = [{"role": "assistant", "content": content, "refusal": None}]
    deltas += [{"reasoning": piece} for piece in script.reasoning_chunks()]
    deltas += [{"content": piece} for piece in script.text_chunks()]
    for index, call in enumerate(script.tool_calls):
        head = {
            "index": index,
            "id": script.call_id(index, "call_", seq),
            "type": "function",
            "function": {"name": call.name, "arguments": ""},
        }
        deltas.append({"tool_calls": [head]})
        for piece in call.argument_fragments():
            fragment = {"index": index, "function": {"arguments": piece}}
            deltas.append({"tool_calls": [fragment]})
    return deltas


def render_stream(script: Script, model: str, body: Any, *, seq: int = 1) -> list[bytes]:
    """The streamed answer: one `data:` event per chunk, then `data: [DONE]`."""
    with_usage = _include_usage(body)
    envelope = {
        "id": f"chatcmpl-sim{seq:06d}",
        "object": "chat.completion.chunk",
        "created": EPOCH,
        "model": script.reported_model(model),
        "service_tier": "default",
        "system_fingerprint": _FINGERPRINT,
    }

    def chunk(choices: list[dict[str, Any]], usage: dict[str, Any] | None = None) -> bytes:
        payload = {**envelope, "choices": choices}
        if with_usage:
            payload["usage"] = usage
        return sse_event(dumps(payload))

    def choice(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}

    frames = [chunk([choice(delta)]) for delta in _deltas(script, seq)]
    frames.append(chunk([choice({}, script.finish_reason())]))
    if with_usage:
        frames.append(chunk([], _usage(script.token_counts(body))))
    frames.append(sse_event("[DONE]"))
    return frames


def render_json(script: Script, model: str, body: Any, *, seq: int = 1) -> dict[str, Any]:
    """The non-streaming `chat.completion` object."""
    message: dict[str, Any] = {
        "role": "assistant",
        "content": script.text if script.text or not script.tool_calls else None,
        "refusal": None,
        "annotations": [],
    }
    if script.reasoning:
        message["reasoning"] = script.reasoning
    if script.tool_calls:
        message["tool_calls"] = [
            {
                "id": script.call_id(index, "call_", seq),
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments_json()},
            }
            for index, call in enumerate(script.tool_calls)
        ]
    return {
        "id": f"chatcmpl-sim{seq:06d}",
        "object": "chat.completion",
        "created": EPOCH,
        "model": script.reported_model(model),
        "choices": [
            {
                "index": 0,
                "message": message,
                "logprobs": None,
                "finish_reason": script.finish_reason(),
            }
        ],
        "usage": _usage(script.token_counts(body)),
        "service_tier": "default",
        "system_fingerprint": _FINGERPRINT,
    }


def error_object(script: Script) -> dict[str, Any]:
    """The `{message, type, param, code}` object of an error for `script.status`."""
    kind, code, message = _ERRORS.get(script.status, ("server_error", None, "Error."))
    if script.status < 500 and script.status not in _ERRORS:
        kind = "invalid_request_error"
    return {
        "message": script.error_message or message,
        "type": kind,
        "param": None,
        # `error_code=""` asks for no code at all (`null`), as the API's own router 404 has.
        "code": (script.error_code if script.error_code is not None else code) or None,
    }


def render_error(script: Script, model: str, body: Any, *, stream: bool = False) -> ErrorResponse:
    """`{"error": {message, type, param, code}}`, with `retry-after` headers on a 429."""
    headers = {"content-type": JSON_CONTENT_TYPE, "x-request-id": "req_simulator"}
    if script.retry_after is not None:
        headers["retry-after"] = f"{script.retry_after:g}"
        headers["retry-after-ms"] = f"{round(script.retry_after * 1000)}"
    # The API pretty-prints its error bodies with four spaces.
    payload = json.dumps({"error": error_object(script)}, indent=4, ensure_ascii=False)
    return ErrorResponse(script.status, headers, f"{payload}\n".encode())


def render_error_frame(script: Script, model: str) -> bytes:
    """An in-band `event: error` + `data: {"error": {...}}` event inside a 200 stream.

    OpenAI-compatible servers name the event (as Groq does) *and* put the error under an
    `"error"` key, so clients that look for either one see it.
    """
    return sse_event(dumps({"error": error_object(script)}), "error")
