"""Ollama's native chat API (`POST /api/chat`): NDJSON, one whole JSON object per line.

The wire format's surprises, and what this codec does about them:

- The server streams unless the body says `"stream": false`: every request states it.
- Lines are `{model, created_at, message: {role, content[, thinking][, tool_calls]}, done}`;
  `content` and `thinking` are pieces. Thinking goes to `reasoning`, never to `delta`.
- Tool calls arrive whole, arguments a JSON *object*, several calls maybe on separate lines;
  chunks carry them in OpenAI's shape (arguments serialized). Sent back, arguments become an
  object again, and a tool result names its tool (`tool_name`, found by the call's id, else
  the next unanswered call): Ollama matches results by name. Older servers give no call
  ids: a stable one is derived (`base.derived_call_id`).
- `done_reason` is `stop` even after tool calls: that becomes `tool_calls`, as on OpenAI.
  `load`/`unload` (a bare load or eviction), unknown values and no reason at all (the
  runner's "connection closed") count as `stop`: the server did say `done`. The raw value
  is kept in `provider_details`.
- Usage is on the `done` line only (`prompt_eval_count`, `eval_count`), either may be absent.
- Errors are `{"error": "<text>"}`, a string: as an HTTP body or as a line in a 200 stream.
- No thinking budget: `reasoning_tokens > 0` sends `think: true`, `0` sends `think: false`.
  No `tool_choice`: `"none"` leaves the tools out, other choices are not sent.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

import httpx

from llmring_replay.exceptions import ConfigurationError, ProviderResponseError
from llmring_replay.providers.base import (
    Codec,
    StreamBuilder,
    StreamDecoder,
    call_arguments,
    drop_none,
    parse_json,
)
from llmring_replay.providers.errors import ErrorInfo, error_body, to_exception
from llmring_replay.providers.ollama import FORMAT
from llmring_replay.schemas import LLMRequest, LLMResponse, Message, StreamChunk

__all__ = ["OllamaCodec", "OllamaStreamDecoder"]

_PROVIDER = "ollama"


def _message_chunks(builder: StreamBuilder, message: dict[str, Any]) -> list[StreamChunk]:
    """Chunks for one line's `message`: thinking, then text, then any whole tool calls."""
    chunks = []
    if message.get("thinking"):
        chunks.append(builder.reasoning(message["thinking"]))
    if message.get("content"):
        chunks.append(builder.text(message["content"]))
    for call in message.get("tool_calls") or ():
        function = call.get("function") or {}
        name = function.get("name") or ""
        chunks.append(builder.tool_whole(call.get("id"), name, function.get("arguments")))
    return chunks


def _finish(builder: StreamBuilder, data: dict[str, Any]) -> StreamChunk:
    """The final chunk from the `done` line (or the whole non-streaming reply)."""
    prompt, completion = data.get("prompt_eval_count"), data.get("eval_count")
    # Only when counted: `set_usage` with nothing would report a usage of zeros.
    if prompt is not None or completion is not None:
        builder.set_usage(prompt_tokens=prompt, completion_tokens=completion)
    raw = data.get("done_reason")
    normalized = "length" if raw == "length" else "stop"
    if normalized == "stop" and builder.has_tool_calls:
        normalized = "tool_calls"
    builder.set_finish(raw, normalized)
    return builder.final()


def _error_message(body: Any) -> str:
    body = error_body(body)
    if isinstance(body, str):
        return body.strip() or "(empty error body)"
    error = body.get("error", body) if isinstance(body, dict) else body
    if isinstance(error, dict):  # OpenAI-shaped, from a gateway in front of Ollama
        error = error.get("message", error)
    return error if isinstance(error, str) else json.dumps(error)


def _error_info(status: int, body: Any) -> ErrorInfo:
    message = _error_message(body)
    lowered = message.lower()
    # `model "x" not found, try pulling it first`. Not inside a 200 stream: an in-band
    # error is a ProviderResponseError whatever it says.
    model_missing = status != 200 and "model" in lowered and "not found" in lowered
    return ErrorInfo(message=message, kind="model_not_found" if model_missing else None)


class OllamaStreamDecoder(StreamDecoder):
    """Decodes `/api/chat` NDJSON lines: one `json.loads` and a few lookups per line."""

    def __init__(self, builder: StreamBuilder, requested: str) -> None:
        super().__init__(builder)
        self._requested = requested
        self._reported: str | None = None
        self._text = builder.text  # bound once: nearly every line calls it

    def feed_data(self, raw: str, name: str | None) -> list[StreamChunk]:
        """Chunks for one line; the `done` line yields the final chunk at once."""
        data = parse_json(raw)
        message = data.get("message")
        model = data.get("model")
        if model != self._reported:  # a compare per line rather than a format
            self._reported = model
            self.builder.set_model(model)
        # The hot path, nearly every line: a piece of text and nothing else.
        plain = message and "thinking" not in message and "tool_calls" not in message
        if plain and not data.get("done"):
            content = message.get("content")
            return [self._text(content)] if content else []
        return self._other(data, message)

    def _other(self, data: dict[str, Any], message: dict[str, Any] | None) -> list[StreamChunk]:
        """Any other line: thinking, tool calls, the `done` line, an `error` line."""
        builder = self.builder
        chunks = _message_chunks(builder, message) if message else []
        if data.get("done"):
            if not builder.finished:
                chunks.append(_finish(builder, data))
        elif "error" in data:
            info = _error_info(200, data)
            raise to_exception(_PROVIDER, 200, info, model=self._requested)
        return chunks


# -- requests -----------------------------------------------------------------------------


def _text(content: Any) -> str:
    if content is None:
        return ""
    return content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)


def _image(part: dict[str, Any]) -> str:
    url = part.get("image_url")
    url = url.get("url") if isinstance(url, dict) else url
    if isinstance(url, str) and url.startswith("data:") and ";base64," in url:
        return url.split(",", 1)[1]
    raise ConfigurationError("ollama takes images inline: pass a base64 `data:` URL")


def _content(role: str, content: Any) -> dict[str, Any]:
    """An Ollama message: text parts joined by newlines, images as bare base64."""
    if not isinstance(content, list):
        return {"role": role, "content": _text(content)}
    texts: list[str] = []
    images: list[str] = []
    for part in content:
        kind = part.get("type") if isinstance(part, dict) else "str"
        if kind == "str":
            texts.append(str(part))
        elif kind == "text":
            texts.append(part.get("text") or "")
        elif kind == "image_url":
            images.append(_image(part))
        else:
            raise ConfigurationError(f"ollama cannot send a content part of type {kind!r}")
    entry: dict[str, Any] = {"role": role, "content": "\n".join(texts)}
    if images:
        entry["images"] = images
    return entry


def _call(call: dict[str, Any]) -> dict[str, Any]:
    """An OpenAI-shaped call as Ollama wants it back: arguments an object."""
    function = call.get("function") or {}
    arguments = call_arguments(call, "ollama")
    return {"function": {"name": function.get("name") or "", "arguments": arguments}}


def _tool_result(message: Message, names: dict[str, str], pending: list[str]) -> dict[str, Any]:
    """A tool result naming its tool: by the call's id, else the next unanswered call."""
    name = names.get(message.tool_call_id or "")
    if name is None and pending:
        name = pending.pop(0)
    elif name in pending:
        pending.remove(name)
    return drop_none({"role": "tool", "content": _text(message.content), "tool_name": name})


def _messages(messages: list[Message]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    names: dict[str, str] = {}  # call id -> tool name
    pending: list[str] = []  # the last assistant's calls not answered yet, in order
    for message in messages:
        if message.role == "tool":
            out.append(_tool_result(message, names, pending))
            continue
        entry = _content(message.role, message.content)
        if message.tool_calls:
            entry["tool_calls"] = [_call(call) for call in message.tool_calls]
            pending = [call["function"]["name"] for call in entry["tool_calls"]]
            for call, name in zip(message.tool_calls, pending, strict=True):
                if call.get("id"):
                    names[call["id"]] = name
        out.append(entry)
    return out


def _format(request: LLMRequest) -> Any:
    spec = request.response_format or {}
    if spec.get("type") == "json_schema":
        schema = (spec.get("json_schema") or {}).get("schema")
        return schema if schema is not None else "json"
    if spec.get("type") == "json_object" or request.json_response:
        return "json"
    return None


def _body(request: LLMRequest, model: str, stream: bool) -> dict[str, Any]:
    extra = dict(request.extra_params)
    options = drop_none({"temperature": request.temperature, "num_predict": request.max_tokens})
    if isinstance(extra.get("options"), dict):
        options.update(extra.pop("options"))
    reasoning = request.reasoning_tokens
    fields = {
        "options": options or None,
        "format": _format(request),
        # Ollama has no tool_choice: "none" is honoured by leaving the tools out.
        "tools": (request.tools or None) if request.tool_choice != "none" else None,
        "think": None if reasoning is None else reasoning > 0,
    }
    # `stream` always, explicitly: the server streams when it is left out.
    body = {"model": model, "messages": _messages(request.messages), "stream": stream}
    return {**body, **drop_none(fields), **extra}


class OllamaCodec(Codec):
    """Ollama `/api/chat`, local (no key) or cloud (bearer key)."""

    format = FORMAT
    path: ClassVar[str] = "/api/chat"

    def build_request(self, request: LLMRequest, model: str, *, stream: bool) -> httpx.Request:
        """POST `/api/chat`; compact JSON in a fixed key order, so cassettes match."""
        body = _body(request, model, stream)
        headers = {"content-type": "application/json"}
        if self.config.api_key:
            headers["authorization"] = f"Bearer {self.config.api_key}"
        content = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        return httpx.Request("POST", self.url(self.path), headers=headers, content=content)

    def stream_decoder(self, model: str) -> OllamaStreamDecoder:
        """A fresh decoder; chunks name `model` until the server reports its own."""
        return OllamaStreamDecoder(StreamBuilder(_PROVIDER, model), model)

    def parse_response(self, data: Any, model: str) -> LLMResponse:
        """The `stream: false` reply: one object shaped like a `done` line."""
        if not isinstance(data, dict):
            raise ProviderResponseError("ollama reply is not a JSON object", _PROVIDER, 200)
        if "error" in data and "message" not in data:
            raise to_exception(_PROVIDER, 200, _error_info(200, data), model=model)
        builder = StreamBuilder(_PROVIDER, model)
        builder.set_model(data.get("model"))
        message = data.get("message") or {}
        _message_chunks(builder, message)  # for the tool calls; the text is read whole
        # A non-streaming reply is complete by definition, even if `done` were missing.
        final = _finish(builder, data)
        return LLMResponse(
            content=message.get("content") or "",
            model=builder.model,
            usage=final.usage,
            finish_reason=final.finish_reason,
            tool_calls=final.tool_calls,
            reasoning=message.get("thinking") or None,
            provider_details=final.provider_details,
        )

    def error_info(self, status: int, body: Any) -> ErrorInfo:
        """`{"error": "<text>"}` (or any text); a missing model gives kind `model_not_found`."""
        return _error_info(status, body)
