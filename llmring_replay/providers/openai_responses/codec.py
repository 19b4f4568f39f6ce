"""OpenAI Responses API (`POST {base}/responses`): requests, typed event streams, errors.

The base URL includes `/v1`, as for Chat Completions (one `OPENAI_BASE_URL` serves both).

What the wire does that surprises people (see WIRE.md):

- Every event carries its name in the JSON `type` (and, from OpenAI, also as the SSE
  `event:`); compatible servers (OpenRouter) send `data:` lines only and a final
  `data: [DONE]`, OpenAI sends no end marker. So the decoder dispatches on `type`, one small
  function per event type, and the terminal event (`response.completed`,
  `response.incomplete`) is the end: the final chunk goes out there.
- The stream is a list of typed output items. Text is `response.output_text.delta`;
  reasoning is `response.reasoning_summary_text.delta` (OpenAI) or
  `response.reasoning_text.delta` (gpt-oss behind OpenRouter), exposed as
  `StreamChunk.reasoning`; refusals (`response.refusal.delta`) are not text and are left
  out, as the conformance rules say.
- A function call is an item (`function_call`) whose arguments stream as
  `response.function_call_arguments.delta`; it has two ids, and the one a tool result must
  quote is `call_id`, so that is the call's `id` here. A `custom_tool_call` is a call too:
  its arguments are its free-form `input`. Calls are keyed by `output_index` (parallel calls
  are consecutive items and may name the same function). Built-in tools OpenAI runs itself
  (`web_search_call`, `file_search_call`, `code_interpreter_call`, `mcp_call`, ...) are
  never calls, even though an `mcp_call` has a name and streams arguments of its own.
- Usage has its own names (`input_tokens`, `output_tokens`, `*_details`) and is only in the
  terminal response object.
- A failure inside a 200 stream is an `error` event (then `response.failed`); either one
  raises `ProviderResponseError` (or the class its code names) after the text before it.
  Errors before the stream are Chat Completions' `{"error": {...}}` (described by the same
  `error_info`), except that an unknown model is a 400 `model_not_found`.

Decisions: `[DONE]` or the end of the body before a terminal event raises (a cut stream must
not pass for a whole answer); `response.incomplete` for a reason other than
`max_output_tokens` / `content_filter` finishes with `error` (the raw reason stays in
`provider_details`); a frame that is not a JSON object of the expected shape raises
`ProviderResponseError` (mapped in `base`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx

from llmring_replay.exceptions import LLMRingError
from llmring_replay.providers.base import (
    Codec,
    StreamBuilder,
    StreamDecoder,
    drop_none,
    parse_json,
    parse_json_object,
)
from llmring_replay.providers.errors import ErrorInfo, to_exception
from llmring_replay.providers.openai_chat.codec import error_info
from llmring_replay.providers.openai_responses import FORMAT
from llmring_replay.schemas import LLMRequest, LLMResponse, Message, StreamChunk

__all__ = ["OpenAIResponsesCodec", "ResponsesStreamDecoder"]

_PROVIDER = FORMAT.provider

#: The output items that are the model's calls for the client to answer.
_CALL_ITEMS = frozenset({"function_call", "custom_tool_call"})

#: `incomplete_details.reason` -> the normalized finish reason.
_INCOMPLETE = {"max_output_tokens": "length", "content_filter": "content_filter"}


# -- shared by the stream and the whole response -----------------------------------------


def _merge_usage(builder: StreamBuilder, usage: Any) -> None:
    if not isinstance(usage, dict):
        return
    input_details = usage.get("input_tokens_details") or {}
    output_details = usage.get("output_tokens_details") or {}
    builder.set_usage(
        prompt_tokens=usage.get("input_tokens"),
        completion_tokens=usage.get("output_tokens"),
        total_tokens=usage.get("total_tokens"),
        cached_tokens=input_details.get("cached_tokens"),
        reasoning_tokens=output_details.get("reasoning_tokens"),
    )


def _call_arguments(item: dict[str, Any]) -> str:
    """A call item's arguments as text: a function's JSON text, a custom tool's `input`."""
    value = item.get("arguments") if item.get("type") == "function_call" else item.get("input")
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value)


def _finish_call(builder: StreamBuilder, key: Any, item: dict[str, Any]) -> StreamChunk | None:
    return builder.tool_finish(
        key, item.get("call_id"), item.get("name") or "", _call_arguments(item)
    )


def _settle(builder: StreamBuilder, response: dict[str, Any]) -> list[StreamChunk]:
    """Read a terminal response object: model, usage, calls the events did not carry, and
    the finish reason. Returns the chunks of calls that only the output held."""
    builder.set_model(response.get("model"))
    _merge_usage(builder, response.get("usage"))
    chunks = []
    for index, item in enumerate(response.get("output") or ()):
        if isinstance(item, dict) and item.get("type") in _CALL_ITEMS:
            chunk = _finish_call(builder, index, item)
            if chunk is not None:
                chunks.append(chunk)
    status = response.get("status")
    if status == "incomplete":
        reason = (response.get("incomplete_details") or {}).get("reason")
        builder.set_finish(reason or status, _INCOMPLETE.get(reason or "", "error"))
    else:
        builder.set_finish(status, "tool_calls" if builder.has_tool_calls else "stop")
    return chunks


def _failure(error: Any, model: str) -> LLMRingError:
    """The exception for an in-band `error` event or a failed response's `error` object."""
    if not isinstance(error, dict):
        error = {"message": str(error) if error else "the response failed"}
    return to_exception(_PROVIDER, 200, error_info(200, {"error": error}), model=model)


# -- the stream ------------------------------------------------------------------------------


class ResponsesStreamDecoder(StreamDecoder):
    """Responses API events -> `StreamChunk`s. A text delta costs one `json.loads`."""

    def __init__(self, builder: StreamBuilder, model: str) -> None:
        super().__init__(builder)
        self._model = model

    def feed_data(self, raw: str, name: str | None) -> list[StreamChunk]:
        """Chunks for one SSE event; raises on in-band errors (malformed frames: see base)."""
        if self.builder.finished:
            return []
        try:
            data = parse_json(raw)
        except ValueError:
            if raw == "[DONE]":
                # The data-only variant's end marker; before a terminal event: cut short.
                return [self.builder.final()]
            raise
        kind = data.get("type")
        if kind == "response.output_text.delta":
            # The hot path: nothing else to look at.
            delta = data["delta"]
            return [self.builder.text(delta)] if delta else []
        handler = _HANDLERS.get(kind if kind is not None else name or "")
        return handler(self, data) if handler is not None else []

    def _on_created(self, data: dict[str, Any]) -> list[StreamChunk]:
        self.builder.set_model(data["response"].get("model"))
        return []

    def _on_reasoning(self, data: dict[str, Any]) -> list[StreamChunk]:
        delta = data["delta"]
        return [self.builder.reasoning(delta)] if delta else []

    def _on_item_added(self, data: dict[str, Any]) -> list[StreamChunk]:
        item = data["item"]
        if item.get("type") not in _CALL_ITEMS:
            return []
        key = data.get("output_index", item.get("id"))
        name = item.get("name") or ""
        return [self.builder.tool_start(key, item.get("call_id"), name, _call_arguments(item))]

    def _on_arguments(self, data: dict[str, Any]) -> list[StreamChunk]:
        key = data.get("output_index", data.get("item_id"))
        chunk = self.builder.tool_arguments(key, data["delta"])
        return [chunk] if chunk is not None else []

    def _on_item_done(self, data: dict[str, Any]) -> list[StreamChunk]:
        item = data["item"]
        if item.get("type") not in _CALL_ITEMS:
            return []
        chunk = _finish_call(self.builder, data.get("output_index", item.get("id")), item)
        return [chunk] if chunk is not None else []

    def _on_end(self, data: dict[str, Any]) -> list[StreamChunk]:
        return [*_settle(self.builder, data["response"]), self.builder.final()]

    def _on_failed(self, data: dict[str, Any]) -> list[StreamChunk]:
        response = data.get("response") or {}
        raise _failure(response.get("error"), self._model)

    def _on_error(self, data: dict[str, Any]) -> list[StreamChunk]:
        # `{"type": "error", "error": {...}}`; older streams put code and message on top.
        error = data.get("error")
        raise _failure(error if isinstance(error, dict) else data, self._model)


_Handler = Callable[[ResponsesStreamDecoder, dict[str, Any]], list[StreamChunk]]
#: Event type -> handler. Every other event (content parts, annotations, `.done` repeats,
#: refusals, built-in tools' progress, `mcp_call_arguments`) changes nothing a client sees.
_HANDLERS: dict[str, _Handler] = {
    "response.created": ResponsesStreamDecoder._on_created,
    "response.in_progress": ResponsesStreamDecoder._on_created,
    "response.reasoning_summary_text.delta": ResponsesStreamDecoder._on_reasoning,
    "response.reasoning_text.delta": ResponsesStreamDecoder._on_reasoning,
    "response.output_item.added": ResponsesStreamDecoder._on_item_added,
    "response.function_call_arguments.delta": ResponsesStreamDecoder._on_arguments,
    "response.custom_tool_call_input.delta": ResponsesStreamDecoder._on_arguments,
    "response.output_item.done": ResponsesStreamDecoder._on_item_done,
    "response.completed": ResponsesStreamDecoder._on_end,
    "response.incomplete": ResponsesStreamDecoder._on_end,
    "response.failed": ResponsesStreamDecoder._on_failed,
    "error": ResponsesStreamDecoder._on_error,
}


# -- requests --------------------------------------------------------------------------------


def _part(part: Any, text_type: str) -> Any:
    """An OpenAI-style content part as a Responses input part; native parts pass through."""
    if isinstance(part, str):
        return {"type": text_type, "text": part}
    if not isinstance(part, dict):
        return part
    if part.get("type") == "text":
        return {"type": text_type, "text": part.get("text", "")}
    if part.get("type") == "image_url":
        image = part.get("image_url")
        url = image.get("url") if isinstance(image, dict) else image
        detail = image.get("detail") if isinstance(image, dict) else None
        return drop_none({"type": "input_image", "image_url": url, "detail": detail})
    return part


def _content(content: Any, role: str) -> Any:
    if not isinstance(content, list):
        return content
    text_type = "output_text" if role == "assistant" else "input_text"
    return [_part(part, text_type) for part in content]


def _output_text(content: Any) -> str:
    """A tool result as the text `function_call_output.output` takes."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            part.get("text", "") if isinstance(part, dict) else str(part) for part in content
        )
    return json.dumps(content)


def _call_item(call: dict[str, Any], custom: set[str]) -> dict[str, Any]:
    function = call.get("function") or {}
    name = function.get("name")
    arguments = function.get("arguments")
    if not isinstance(arguments, str):
        arguments = json.dumps(arguments if arguments is not None else {})
    if name in custom:
        return {
            "type": "custom_tool_call",
            "call_id": call.get("id"),
            "name": name,
            "input": arguments,
        }
    return {
        "type": "function_call",
        "call_id": call.get("id"),
        "name": name,
        "arguments": arguments,
    }


def _input(messages: list[Message], custom: set[str]) -> list[dict[str, Any]]:
    """The conversation as input items: messages, the calls they made, the tool results."""
    items: list[dict[str, Any]] = []
    custom_calls: set[str] = set()
    for message in messages:
        if message.role == "tool":
            kind = "custom_tool_call_output" if message.tool_call_id in custom_calls else None
            items.append(
                {
                    "type": kind or "function_call_output",
                    "call_id": message.tool_call_id,
                    "output": _output_text(message.content),
                }
            )
            continue
        if message.content not in (None, "", []) or not message.tool_calls:
            items.append({"role": message.role, "content": _content(message.content, message.role)})
        for call in message.tool_calls or ():
            item = _call_item(call, custom)
            if item["type"] == "custom_tool_call":
                custom_calls.add(str(call.get("id")))
            items.append(item)
    return items


def _tool(tool: dict[str, Any]) -> dict[str, Any]:
    """Chat Completions' `{"type": "function", "function": {...}}` flattened; tools already
    in the Responses shape (custom, built-in) pass through."""
    function = tool.get("function")
    if tool.get("type") != "function" or not isinstance(function, dict):
        return tool
    return {"type": "function", **function}


def _tool_choice(choice: Any) -> Any:
    if choice == "any":
        return "required"
    if isinstance(choice, dict) and isinstance(choice.get("function"), dict):
        return {"type": "function", "name": choice["function"].get("name")}
    return choice


def _text_format(request: LLMRequest) -> dict[str, Any] | None:
    """`response_format` / `json_response` as the Responses API's `text.format`."""
    wanted = request.response_format
    if wanted is None:
        return {"format": {"type": "json_object"}} if request.json_response else None
    if wanted.get("type") == "json_schema" and isinstance(wanted.get("json_schema"), dict):
        return {"format": {"type": "json_schema", **wanted["json_schema"]}}
    return {"format": wanted}


class OpenAIResponsesCodec(Codec):
    """OpenAI's Responses API, also spoken by OpenRouter and other gateways."""

    format = FORMAT

    def build_request(self, request: LLMRequest, model: str, *, stream: bool) -> httpx.Request:
        """`POST {base}/responses`; compact JSON, keys in a fixed order, so cassettes match."""
        tools = [_tool(tool) for tool in request.tools] if request.tools else None
        custom = {tool.get("name") for tool in tools or () if tool.get("type") == "custom"}
        body = drop_none(
            {
                "model": model,
                "input": _input(request.messages, {name for name in custom if name}),
                "stream": True if stream else None,
                "temperature": request.temperature,
                "max_output_tokens": request.max_tokens,
                "tools": tools,
                "tool_choice": _tool_choice(request.tool_choice),
                "text": _text_format(request),
            }
        )
        body.update(request.extra_params)
        headers = {
            "content-type": "application/json",
            "accept": "text/event-stream" if stream else "application/json",
        }
        if self.config.api_key is not None:
            headers["authorization"] = f"Bearer {self.config.api_key}"
        content = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
        return httpx.Request("POST", self.url("/responses"), headers=headers, content=content)

    def stream_decoder(self, model: str) -> ResponsesStreamDecoder:
        """A fresh decoder for one streamed answer from `model`."""
        return ResponsesStreamDecoder(StreamBuilder(self.name, model), model)

    def parse_response(self, data: Any, model: str) -> LLMResponse:
        """An `LLMResponse` from a response object (`object: "response"`).

        A `failed` response (or one whose `error` is set) raises like the stream's
        `response.failed`; `parsed` is filled whenever the text is a JSON object. A body of
        another shape raises what Python raises on it (`read_response` maps that).
        """
        if data.get("status") == "failed" or data.get("error"):
            raise _failure(data.get("error"), model)
        builder = StreamBuilder(self.name, model)
        texts: list[str] = []
        reasoning: list[str] = []
        for item in data.get("output") or ():
            kind = item.get("type")
            if kind == "message":
                parts = item.get("content") or ()
                texts += [p["text"] for p in parts if p.get("type") == "output_text"]
            elif kind == "reasoning":
                parts = [*(item.get("summary") or ()), *(item.get("content") or ())]
                reasoning += [p["text"] for p in parts]
        _settle(builder, data)
        content = "".join(texts)
        return LLMResponse(
            content=content,
            model=builder.model,
            usage=builder.final_usage(),
            finish_reason=builder.finish_reason,
            tool_calls=builder.tool_calls(),
            parsed=parse_json_object(content),
            reasoning="".join(reasoning) or None,
            provider_details=drop_none({"finish_reason": builder.finish_raw, "id": data.get("id")}),
        )

    def error_info(self, status: int, body: Any) -> ErrorInfo:
        """Describe an error body: Chat Completions' shape (`openai_chat.codec.error_info`)."""
        return error_info(status, body)
