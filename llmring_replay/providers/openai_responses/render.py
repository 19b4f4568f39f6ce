"""OpenAI Responses API (`POST /v1/responses`) as the real API sends it.

Stream: named events (`event: <type>` + `data: {"type": <type>, ..., "sequence_number"}`):
`response.created` and `response.in_progress` with the response object (no output, no
usage yet), then one output item after the other, each opened by
`response.output_item.added` and closed by `response.output_item.done` with the finished
item: a `reasoning` item streaming its summary (`response.reasoning_summary_text.delta`),
a `message` item streaming `response.output_text.delta`s inside a content part, one
`function_call` item per call with `response.function_call_arguments.delta` fragments;
and a terminal `response.completed` (or `response.incomplete` with
`incomplete_details.reason` `max_output_tokens` for a `length` finish, `content_filter` for
a filtered one) carrying the whole response with its `usage`. No end marker.

Errors before the stream are Chat Completions' (`openai_chat.render`), except that an unknown
model is a 400 `model_not_found`; inside a stream a failure is `event: error`.
"""

from __future__ import annotations

from typing import Any

from llmring_replay.providers.openai_chat import render as chat
from llmring_replay.simulator.script import Script, TokenCounts
from llmring_replay.simulator.wire import EPOCH, ErrorResponse, Shape, dumps, sse_event

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
# The API pretty-prints a whole (non-streaming) answer.
JSON_INDENT: int | None = 2

#: As Chat Completions words them, but an unknown model is a 400 here, not a 404.
FAULT_SHAPES = {
    **chat.FAULT_SHAPES,
    "model_not_found": Shape(
        400, "The requested model '{model}' does not exist.", "model_not_found"
    ),
}

#: A finish the Responses API reports as `incomplete`, with its reason.
_INCOMPLETE = {"length": "max_output_tokens", "content_filter": "content_filter"}

_Event = tuple[str, dict[str, Any]]


def _usage(counts: TokenCounts) -> dict[str, Any]:
    return {
        "input_tokens": counts.prompt,
        "input_tokens_details": {"cached_tokens": counts.cached},
        "output_tokens": counts.completion,
        "output_tokens_details": {"reasoning_tokens": counts.reasoning},
        "total_tokens": counts.total,
    }


def _reasoning(script: Script, index: int, seq: int) -> tuple[dict[str, Any], list[_Event]]:
    text = script.reasoning or ""
    item_id = f"rs_sim{seq:06d}_{index}"
    where = {"item_id": item_id, "output_index": index, "summary_index": 0}
    part = {"type": "summary_text", "text": text}
    done = {"id": item_id, "type": "reasoning", "summary": [part]}
    events: list[_Event] = [
        ("response.output_item.added", {"output_index": index, "item": {**done, "summary": []}}),
        ("response.reasoning_summary_part.added", {**where, "part": {**part, "text": ""}}),
        *(
            ("response.reasoning_summary_text.delta", {**where, "delta": piece})
            for piece in script.reasoning_chunks()
        ),
        ("response.reasoning_summary_text.done", {**where, "text": text}),
        ("response.reasoning_summary_part.done", {**where, "part": part}),
        ("response.output_item.done", {"output_index": index, "item": done}),
    ]
    return done, events


def _message(script: Script, index: int, seq: int) -> tuple[dict[str, Any], list[_Event]]:
    item_id = f"msg_sim{seq:06d}_{index}"
    where = {"item_id": item_id, "output_index": index, "content_index": 0}
    part = {"type": "output_text", "annotations": [], "text": script.text}
    done = {
        "id": item_id,
        "type": "message",
        "status": "completed",
        "content": [part],
        "role": "assistant",
    }
    opened = {**done, "status": "in_progress", "content": []}
    events: list[_Event] = [
        ("response.output_item.added", {"output_index": index, "item": opened}),
        ("response.content_part.added", {**where, "part": {**part, "text": ""}}),
        *(
            ("response.output_text.delta", {**where, "delta": piece, "logprobs": []})
            for piece in script.text_chunks()
        ),
        ("response.output_text.done", {**where, "text": script.text, "logprobs": []}),
        ("response.content_part.done", {**where, "part": part}),
        ("response.output_item.done", {"output_index": index, "item": done}),
    ]
    return done, events


def _call(script: Script, n: int, index: int, seq: int) -> tuple[dict[str, Any], list[_Event]]:
    call = script.tool_calls[n]
    item_id = f"fc_sim{seq:06d}_{n}"
    arguments = call.arguments_json()
    done = {
        "id": item_id,
        "type": "function_call",
        "status": "completed",
        "arguments": arguments,
        "call_id": script.call_id(n, "call_", seq),
        "name": call.name,
    }
    where = {"item_id": item_id, "output_index": index}
    opened = {**done, "status": "in_progress", "arguments": ""}
    events: list[_Event] = [
        ("response.output_item.added", {"output_index": index, "item": opened}),
        *(
            ("response.function_call_arguments.delta", {**where, "delta": piece})
            for piece in call.argument_fragments()
        ),
        ("response.function_call_arguments.done", {**where, "arguments": arguments}),
        ("response.output_item.done", {"output_index": index, "item": done}),
    ]
    return done, events


def _items(script: Script, seq: int) -> list[tuple[dict[str, Any], list[_Event]]]:
    """Each output item, finished, with the events that stream it."""
    items: list[tuple[dict[str, Any], list[_Event]]] = []
    if script.reasoning:
        items.append(_reasoning(script, len(items), seq))
    if script.text or not script.tool_calls:
        items.append(_message(script, len(items), seq))
    for n in range(len(script.tool_calls)):
        items.append(_call(script, n, len(items), seq))
    return items


def _response(
    script: Script, model: str, body: Any, seq: int, output: list[dict[str, Any]] | None
) -> dict[str, Any]:
    """The response object: in progress (`output` None) or finished."""
    finish = script.finish_reason()
    reason = _INCOMPLETE.get(finish) if output is not None else None
    status = "in_progress" if output is None else ("incomplete" if reason else "completed")
    return {
        "id": f"resp_sim{seq:06d}",
        "object": "response",
        "created_at": EPOCH,
        "status": status,
        "error": None,
        "incomplete_details": {"reason": reason} if reason else None,
        "model": script.reported_model(model),
        "output": output or [],
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "usage": _usage(script.token_counts(body)) if output is not None else None,
    }


def render_stream(script: Script, model: str, body: Any, *, seq: int = 1) -> list[bytes]:
    """The streamed answer: one named event per frame, the terminal one last."""
    items = _items(script, seq)
    started = _response(script, model, body, seq, None)
    finished = _response(script, model, body, seq, [done for done, _ in items])
    terminal = "response.completed" if finished["status"] == "completed" else "response.incomplete"
    events: list[_Event] = [
        ("response.created", {"response": started}),
        ("response.in_progress", {"response": started}),
        *(event for _, item_events in items for event in item_events),
        (terminal, {"response": finished}),
    ]
    return [
        sse_event(dumps({"type": kind, **payload, "sequence_number": number}), kind)
        for number, (kind, payload) in enumerate(events)
    ]


def render_json(script: Script, model: str, body: Any, *, seq: int = 1) -> dict[str, Any]:
    """The non-streaming response object."""
    return _response(script, model, body, seq, [done for done, _ in _items(script, seq)])


def render_error(script: Script, model: str, body: Any, *, stream: bool = False) -> ErrorResponse:
    """`{"error": {message, type, param, code}}`, as Chat Completions answers."""
    return chat.render_error(script, model, body, stream=stream)


def render_error_frame(script: Script, model: str) -> bytes:
    """An in-band `event: error` inside a 200 stream."""
    return sse_event(dumps({"type": "error", "error": chat.error_object(script)}), "error")
