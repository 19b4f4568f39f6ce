"""Google Gemini (`/v1beta/models/{model}:streamGenerateContent`, `:generateContent`).

Stream (`alt=sse`): `data: {json}` events separated by `\\r\\n\\r\\n`, no end marker; each a
`GenerateContentResponse` with `candidates[0].content.parts` (thought parts carry
`"thought": true`, function calls arrive whole in one chunk), a cumulative `usageMetadata` on
every chunk, `finishReason` on the last one only, `modelVersion` and `responseId`. Without
`alt=sse` the same objects arrive as one JSON array (`render_array`). The API writes its JSON
with `", "`-less separators but a space after each colon: we copy that.
"""

from __future__ import annotations

import json
from typing import Any

from llmring_replay.simulator.script import Script, TokenCounts
from llmring_replay.simulator.wire import ErrorResponse, Shape, dumps, sse_event

__all__ = [
    "FAULT_SHAPES",
    "ARRAY_CONTENT_TYPE",
    "JSON_CONTENT_TYPE",
    "JSON_INDENT",
    "STREAM_CONTENT_TYPE",
    "render_array",
    "render_error",
    "render_error_frame",
    "render_json",
    "render_responses",
    "render_stream",
]

STREAM_CONTENT_TYPE = "text/event-stream"
JSON_CONTENT_TYPE = "application/json; charset=UTF-8"
# The API pretty-prints a whole (non-streaming) answer.
JSON_INDENT: int | None = 2
ARRAY_CONTENT_TYPE = JSON_CONTENT_TYPE

_SEPARATORS = (",", ": ")

_FINISH_REASONS = {
    "stop": "STOP",
    "tool_calls": "STOP",  # Gemini ends a function-call turn with STOP too
    "length": "MAX_TOKENS",
    "content_filter": "SAFETY",
}

# status -> (status string, default message)
_ERRORS: dict[int, tuple[str, str]] = {
    400: ("INVALID_ARGUMENT", "API key not valid. Please pass a valid API key."),
    401: ("UNAUTHENTICATED", "API key not valid. Please pass a valid API key."),
    403: ("PERMISSION_DENIED", "Method doesn't allow unregistered callers."),
    404: ("NOT_FOUND", "models/{model} is not found for API version v1beta."),
    429: ("RESOURCE_EXHAUSTED", "You exceeded your current quota."),
    500: ("INTERNAL", "An internal error has occurred."),
    503: ("UNAVAILABLE", "The model is overloaded. Please try again later."),
    504: ("DEADLINE_EXCEEDED", "The request timed out."),
}


#: Failures worded as the API words them.
FAULT_SHAPES = {
    # A plain bad request (the renderer's default 400 is a bad API key, Gemini's usual 400).
    "invalid_request": Shape(400, code="INVALID_ARGUMENT"),
    # A bad OAuth token; a bad *API key* is Gemini's 400 INVALID_ARGUMENT + API_KEY_INVALID
    # (`StatusError(400)` renders that one). The explicit code keeps API_KEY_INVALID out.
    "unauthorized": Shape(
        401,
        "Request had invalid authentication credentials. Expected OAuth 2 access token, "
        "login cookie or other valid authentication credential.",
        "UNAUTHENTICATED",
    ),
    "model_not_found": Shape(
        404,
        "models/{model} is not found for API version v1beta, or is not supported for "
        "generateContent. Call ListModels to see the list of available models and their "
        "supported methods.",
    ),
}


def _usage(counts: TokenCounts, thoughts: int, candidates: int) -> dict[str, Any]:
    usage: dict[str, Any] = {"promptTokenCount": counts.prompt}
    if candidates:
        usage["candidatesTokenCount"] = candidates
    usage["totalTokenCount"] = counts.prompt + candidates + thoughts
    if counts.cached:
        usage["cachedContentTokenCount"] = counts.cached
    usage["promptTokensDetails"] = [{"modality": "TEXT", "tokenCount": counts.prompt}]
    if thoughts:
        usage["thoughtsTokenCount"] = thoughts
    return usage


def _function_calls(script: Script) -> list[dict[str, Any]]:
    parts = []
    for call in script.tool_calls:
        function: dict[str, Any] = {"name": call.name, "args": call.arguments}
        if call.id is not None:
            function["id"] = call.id
        parts.append({"functionCall": function})
    return parts


def _progress(total: int, done: int, count: int) -> int:
    """Tokens counted after `done` of `count` pieces (ceiling, so it only grows)."""
    return -(-total * done // count) if count else total


def render_responses(
    script: Script, model: str, body: Any, *, seq: int = 1
) -> list[dict[str, Any]]:
    """The stream's `GenerateContentResponse` objects, before any framing."""
    counts = script.token_counts(body)
    visible = counts.completion - counts.reasoning
    thoughts = script.reasoning_chunks()
    texts = script.text_chunks()
    steps: list[tuple[list[dict[str, Any]], int, int]] = []  # parts, thoughts, candidates
    for done, piece in enumerate(thoughts, 1):
        used = _progress(counts.reasoning, done, len(thoughts))
        steps.append(([{"text": piece, "thought": True}], used, 0))
    for done, piece in enumerate(texts, 1):
        steps.append(([{"text": piece}], counts.reasoning, _progress(visible, done, len(texts))))
    if script.tool_calls or not steps:
        steps.append((_function_calls(script) or [{"text": ""}], counts.reasoning, visible))
    # The last chunk carries the finish reason and the final counts.
    steps[-1] = (steps[-1][0], counts.reasoning, visible)
    last = len(steps) - 1
    finish = _FINISH_REASONS[script.finish_reason()]
    responses = []
    for index, (parts, used, candidates) in enumerate(steps):
        candidate: dict[str, Any] = {"content": {"parts": parts, "role": "model"}}
        if index == last:
            candidate["finishReason"] = finish
        candidate["index"] = 0
        responses.append(
            {
                "candidates": [candidate],
                "usageMetadata": _usage(counts, used, candidates),
                "modelVersion": script.reported_model(model),
                "responseId": f"sim{seq:06d}",
            }
        )
    return responses


def render_stream(script: Script, model: str, body: Any, *, seq: int = 1) -> list[bytes]:
    """The `alt=sse` stream: one `data:` event per response, CRLF line ends."""
    return [
        sse_event(dumps(response, separators=_SEPARATORS), end="\r\n")
        for response in render_responses(script, model, body, seq=seq)
    ]


def render_array(script: Script, model: str, body: Any, *, seq: int = 1) -> list[bytes]:
    """The stream without `alt=sse`: one JSON array, written element by element."""
    responses = render_responses(script, model, body, seq=seq)
    frames = [
        (b"[" if index == 0 else b",\r\n")
        + json.dumps(response, indent=2, ensure_ascii=False).encode()
        for index, response in enumerate(responses)
    ]
    frames[-1] += b"]"
    return frames


def render_json(script: Script, model: str, body: Any, *, seq: int = 1) -> dict[str, Any]:
    """The `generateContent` answer: all parts in one response."""
    parts: list[dict[str, Any]] = []
    if script.reasoning:
        parts.append({"text": script.reasoning, "thought": True})
    if script.text or not script.tool_calls:
        parts.append({"text": script.text})
    parts += _function_calls(script)
    counts = script.token_counts(body)
    candidate = {
        "content": {"parts": parts, "role": "model"},
        "finishReason": _FINISH_REASONS[script.finish_reason()],
        "index": 0,
    }
    return {
        "candidates": [candidate],
        "usageMetadata": _usage(counts, counts.reasoning, counts.completion - counts.reasoning),
        "modelVersion": script.reported_model(model),
        "responseId": f"sim{seq:06d}",
    }


def _error_object(script: Script, model: str) -> dict[str, Any]:
    default = ("INTERNAL", "An internal error has occurred.")
    status, message = _ERRORS.get(script.status, default if script.status >= 500 else _ERRORS[400])
    error: dict[str, Any] = {
        "code": script.status,
        "message": script.error_message or message.format(model=model),
        "status": script.error_code or status,
    }
    details: list[dict[str, Any]] = []
    if script.status in (400, 401) and script.error_code is None:
        details.append(
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "API_KEY_INVALID",
                "domain": "googleapis.com",
                "metadata": {"service": "generativelanguage.googleapis.com"},
            }
        )
    if script.retry_after is not None:
        delay = f"{script.retry_after:g}s"
        details.append({"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": delay})
    if details:
        error["details"] = details
    return error


def render_error(script: Script, model: str, body: Any, *, stream: bool = False) -> ErrorResponse:
    """`{"error": {code, message, status, details}}`, pretty-printed like the API.

    On the streaming endpoint the API keeps `text/event-stream` even for an error body; so do
    we, since clients must cope with exactly that.
    """
    content_type = STREAM_CONTENT_TYPE if stream else JSON_CONTENT_TYPE
    payload = json.dumps({"error": _error_object(script, model)}, indent=2, ensure_ascii=False)
    return ErrorResponse(script.status, {"content-type": content_type}, f"{payload}\n".encode())


def render_error_frame(script: Script, model: str) -> bytes:
    """An in-band `data: {"error": {...}}` event inside a 200 stream."""
    return sse_event(
        dumps({"error": _error_object(script, model)}, separators=_SEPARATORS), end="\r\n"
    )
