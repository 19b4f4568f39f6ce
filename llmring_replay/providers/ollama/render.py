"""Ollama chat (`POST /api/chat`) as a local Ollama server sends it.

Stream: NDJSON, one object per line: `{model, created_at, message: {role, content[, thinking]
[, tool_calls]}, done: false}`, thinking lines first (`content: ""`), then text, then one line
per tool call (arguments as a JSON object, not a string), and a last `done: true` line with
`done_reason` and the counters (`total_duration`, `load_duration`, `prompt_eval_count`,
`prompt_eval_duration`, `eval_count`, `eval_duration`; durations in nanoseconds, here derived
from the script's timing). `created_at` advances with the scripted delays.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from llmring_replay.simulator.script import Script
from llmring_replay.simulator.wire import EPOCH, ErrorResponse, Shape, dumps

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

STREAM_CONTENT_TYPE = "application/x-ndjson"
JSON_CONTENT_TYPE = "application/json; charset=utf-8"
# Ollama sends a whole (non-streaming) answer compact.
JSON_INDENT: int | None = None

# Ollama has no content filter or tool-call reason: both end as `stop`.
_DONE_REASONS = {"stop": "stop", "length": "length", "tool_calls": "stop", "content_filter": "stop"}

_ERRORS = {
    400: "invalid request",
    404: 'model "{model}" not found, try pulling it first',
    500: "an error was encountered while running the model",
}

_BUSY = "server busy, please try again.  maximum pending requests exceeded"

#: Ollama itself has no keys and no quotas: its 401 and 429 are ollama.com's
#: (`{"error": "unauthorized"}`, a usage-limit message), which carry no retry hint. Its
#: answer to `overloaded` is the 503 it sends when its queue is full.
FAULT_SHAPES = {
    "unauthorized": Shape(401, "unauthorized"),
    "forbidden": Shape(403, "forbidden"),
    "rate_limit": Shape(
        429,
        "you've reached your hourly usage limit, please wait or upgrade to continue",
        retry_hint=False,
    ),
    "unavailable": Shape(503, _BUSY),
    "overloaded": Shape(503, _BUSY),
}

_START = datetime.fromtimestamp(EPOCH, tz=timezone.utc)
_LOAD_NS = 1_000_000  # a warm model: 1 ms to "load"


def _timestamp(seconds: float) -> str:
    moment = _START + timedelta(seconds=seconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _tool_call(script: Script, index: int, seq: int) -> dict[str, Any]:
    call = script.tool_calls[index]
    function = {"index": index, "name": call.name, "arguments": call.arguments}
    return {"id": script.call_id(index, "call_", seq), "function": function}


def _messages(script: Script, seq: int) -> list[dict[str, Any]]:
    """The `message` of every `done: false` line, in order."""
    messages: list[dict[str, Any]] = [
        {"role": "assistant", "content": "", "thinking": piece}
        for piece in script.reasoning_chunks()
    ]
    messages += [{"role": "assistant", "content": piece} for piece in script.text_chunks()]
    messages += [
        {"role": "assistant", "content": "", "tool_calls": [_tool_call(script, index, seq)]}
        for index in range(len(script.tool_calls))
    ]
    return messages


def _final(script: Script, body: Any, delays: list[float]) -> dict[str, Any]:
    """The `done: true` fields, with durations that agree with the scripted timing."""
    counts = script.token_counts(body)
    prompt_ns = round(delays[0] * 1e9) if delays else 0
    total_ns = round(sum(delays) * 1e9) + _LOAD_NS
    return {
        "done_reason": _DONE_REASONS[script.finish_reason()],
        "done": True,
        "total_duration": total_ns,
        "load_duration": _LOAD_NS,
        "prompt_eval_count": counts.prompt,
        "prompt_eval_duration": prompt_ns,
        "eval_count": counts.completion,
        "eval_duration": max(0, total_ns - _LOAD_NS - prompt_ns),
    }


def render_stream(script: Script, model: str, body: Any, *, seq: int = 1) -> list[bytes]:
    """The NDJSON stream: one line per piece, then the `done: true` line."""
    messages = _messages(script, seq)
    delays = script.delays(len(messages) + 1)
    name = script.reported_model(model)
    frames = []
    elapsed = 0.0
    for message, delay in zip(messages, delays[:-1], strict=True):
        elapsed += delay
        line = {"model": name, "created_at": _timestamp(elapsed), "message": message, "done": False}
        frames.append(f"{dumps(line)}\n".encode())
    elapsed += delays[-1]
    last = {
        "model": name,
        "created_at": _timestamp(elapsed),
        "message": {"role": "assistant", "content": ""},
        **_final(script, body, delays),
    }
    frames.append(f"{dumps(last)}\n".encode())
    return frames


def render_json(script: Script, model: str, body: Any, *, seq: int = 1) -> dict[str, Any]:
    """The non-streaming answer: one object, the whole message and the counters."""
    message: dict[str, Any] = {"role": "assistant", "content": script.text}
    if script.reasoning:
        message["thinking"] = script.reasoning
    if script.tool_calls:
        message["tool_calls"] = [_tool_call(script, i, seq) for i in range(len(script.tool_calls))]
    delays = script.delays(len(_messages(script, seq)) + 1)
    return {
        "model": script.reported_model(model),
        "created_at": _timestamp(sum(delays)),
        "message": message,
        **_final(script, body, delays),
    }


def _message(script: Script, model: str) -> str:
    if script.error_message:
        return script.error_message
    default = _ERRORS[500] if script.status >= 500 else _ERRORS[400]
    return _ERRORS.get(script.status, default).format(model=model)


def render_error(script: Script, model: str, body: Any, *, stream: bool = False) -> ErrorResponse:
    """`{"error": "..."}` with the status."""
    body_bytes = dumps({"error": _message(script, model)}).encode()
    return ErrorResponse(script.status, {"content-type": JSON_CONTENT_TYPE}, body_bytes)


def render_error_frame(script: Script, model: str) -> bytes:
    """An in-band `{"error": "..."}` line inside a 200 stream."""
    return f"{dumps({'error': _message(script, model)})}\n".encode()
