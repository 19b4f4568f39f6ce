"""Google Gemini (`generativelanguage.googleapis.com/v1beta`): requests, streams, errors.

The wire format's surprises, each handled here:

- `:streamGenerateContent` streams SSE only when asked (`?alt=sse`); otherwise it answers one
  JSON array at the end. We always ask. Events end with CRLF blank lines and there is no end
  marker: the answer is over at EOF, so the final chunk comes from `end()`.
- Each event is a whole `GenerateContentResponse`. `usageMetadata` rides on every one,
  cumulative, yet not monotonic (`promptTokenCount` was seen going 15 then 13): only the
  last counts. `thoughtsTokenCount` is outside `candidatesTokenCount`.
- Thinking arrives as text parts flagged `"thought": true` (given as `reasoning`, never in
  `delta`). `thoughtSignature` is an opaque sibling on any part, even an empty text part.
- Function calls arrive whole (`args` an object), usually without an id (a stable one is
  derived: `base.derived_call_id`), and end with a plain `STOP`: `tool_calls` is inferred
  from the calls seen.
- A candidate may lack `content` (safety stops); a blocked prompt has no candidate at all,
  only `promptFeedback.blockReason`.
- Errors are google.rpc Status JSON even under `text/event-stream`; an invalid key is a 400
  whose reason (`API_KEY_INVALID`) hides in `details`, and a 429's delay in a `RetryInfo`.
- Roles are `user` and `model`. Tool results are `user` content with `functionResponse` parts
  keyed by function *name*, which OpenAI-shaped tool messages lack: we look it up by call id.
  A call Gemini gave an id keeps it: the replayed `functionCall` and its `functionResponse`
  carry it back (the API matches them by it when present); a derived id is never sent.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from llmring_replay.exceptions import ConfigurationError
from llmring_replay.providers.base import (
    Codec,
    StreamBuilder,
    StreamDecoder,
    call_arguments,
    drop_none,
    is_derived_call_id,
    parse_json,
    token_count,
)
from llmring_replay.providers.errors import (
    ErrorInfo,
    ErrorKind,
    error_body,
    parse_duration,
    to_exception,
)
from llmring_replay.providers.gemini import FORMAT
from llmring_replay.schemas import LLMRequest, LLMResponse, Message, StreamChunk

__all__ = ["GoogleCodec", "GoogleStreamDecoder"]

#: `finishReason` -> normalized. Anything else (MALFORMED_FUNCTION_CALL, OTHER, ...) is
#: `error`; `STOP` becomes `tool_calls` when the answer holds a function call.
_FINISH_REASONS: dict[str, str] = {
    "STOP": "stop",
    "MAX_TOKENS": "length",
    "SAFETY": "content_filter",
    "RECITATION": "content_filter",
    "BLOCKLIST": "content_filter",
    "PROHIBITED_CONTENT": "content_filter",
    "SPII": "content_filter",
    "IMAGE_SAFETY": "content_filter",
}

#: google.rpc status strings the HTTP status alone can miss (an in-band error has a 200).
_STATUS_KINDS: dict[str, ErrorKind] = {
    "UNAUTHENTICATED": "auth",
    "PERMISSION_DENIED": "auth",
    "NOT_FOUND": "not_found",
    "RESOURCE_EXHAUSTED": "rate_limit",
    "DEADLINE_EXCEEDED": "timeout",
    "UNAVAILABLE": "overloaded",
    "INTERNAL": "overloaded",
}

_TOOL_MODES = {"auto": "AUTO", "none": "NONE", "required": "ANY", "any": "ANY"}


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _model_name(model: str) -> str:
    return model.removeprefix("models/")


# -- requests -----------------------------------------------------------------------------


def _part(part: Any) -> dict[str, Any]:
    """One OpenAI-style content part as a Gemini part; Gemini-shaped parts pass through."""
    if isinstance(part, str):
        return {"text": part}
    if part.get("type") == "text":
        return {"text": part.get("text", "")}
    if part.get("type") == "image_url":
        image = part["image_url"]
        url: str = image if isinstance(image, str) else image["url"]
        if url.startswith("data:"):
            header, _, data = url.partition(",")
            return {"inlineData": {"mimeType": header[5:].split(";")[0], "data": data}}
        return {"fileData": {"fileUri": url}}
    return dict(part)


def _parts(content: Any) -> list[dict[str, Any]]:
    if content is None or content == "":
        return []
    return [_part(part) for part in ([content] if isinstance(content, (str, dict)) else content)]


def _tool_response(content: Any) -> dict[str, Any]:
    """A tool message's content as `functionResponse.response`, which must be an object."""
    if isinstance(content, dict):
        return content
    if not isinstance(content, str):
        content = "".join(part.get("text", "") for part in _parts(content))
    try:
        value = json.loads(content)
    except (ValueError, RecursionError):
        value = None
    return value if isinstance(value, dict) else {"result": content}


class _Conversation:
    """Messages -> `contents` and `systemInstruction` parts, one method per role."""

    def __init__(self) -> None:
        self.system_parts: list[dict[str, Any]] = []
        self.contents: list[dict[str, Any]] = []
        self._names: dict[str, str] = {}  # tool call id -> function name
        self._sent_ids: set[str] = set()  # ids Gemini gave its calls (never derived ones)
        self._results: list[dict[str, Any]] | None = None  # the open run of tool results

    def add(self, message: Message) -> None:
        if message.role != "tool":
            self._results = None
        getattr(self, message.role)(message)

    def _append(self, role: str, parts: list[dict[str, Any]]) -> None:
        if parts:  # Gemini rejects a content without parts (an empty assistant turn, say)
            self.contents.append({"role": role, "parts": parts})

    def system(self, message: Message) -> None:
        self.system_parts.extend(_parts(message.content))

    def user(self, message: Message) -> None:
        self._append("user", _parts(message.content))

    def assistant(self, message: Message) -> None:
        parts = _parts(message.content)
        for call in message.tool_calls or ():
            function = call.get("function") or {}
            name = function.get("name", "")
            function_call: dict[str, Any] = {"name": name, "args": call_arguments(call, "Gemini")}
            call_id = call.get("id")
            if call_id:
                self._names[call_id] = name
                if not is_derived_call_id(call_id):
                    self._sent_ids.add(call_id)
                    function_call["id"] = call_id
            part: dict[str, Any] = {"functionCall": function_call}
            # Gemini 3 refuses a replayed call without its signature; we take it where
            # Google's OpenAI-compatible API puts it.
            signature = ((call.get("extra_content") or {}).get("google") or {}).get(
                "thought_signature"
            )
            if signature:
                part["thoughtSignature"] = signature
            parts.append(part)
        self._append("model", parts)

    def tool(self, message: Message) -> None:
        name = self._names.get(message.tool_call_id or "")
        if name is None:
            raise ConfigurationError(
                f"tool message answers call {message.tool_call_id!r}, which no earlier "
                "assistant message made: Gemini needs the function's name"
            )
        if self._results is None:
            # Results of one model turn go together in one content, as Gemini expects.
            self._results = []
            self.contents.append({"role": "user", "parts": self._results})
        result = {"name": name, "response": _tool_response(message.content)}
        if message.tool_call_id in self._sent_ids:
            result = {"id": message.tool_call_id, **result}
        self._results.append({"functionResponse": result})


def _generation_config(request: LLMRequest) -> dict[str, Any]:
    config = drop_none({"temperature": request.temperature, "maxOutputTokens": request.max_tokens})
    if request.reasoning_tokens is not None:
        config["thinkingConfig"] = {"thinkingBudget": request.reasoning_tokens}
    fmt = request.response_format or {}
    if fmt.get("type") in ("json_object", "json_schema") or request.json_response:
        config["responseMimeType"] = "application/json"
    schema = (fmt.get("json_schema") or {}).get("schema")
    if fmt.get("type") == "json_schema" and schema is not None:
        config["responseSchema"] = schema
    return config


def _declaration(tool: dict[str, Any]) -> dict[str, Any]:
    function = tool.get("function", tool)
    return drop_none({key: function.get(key) for key in ("name", "description", "parameters")})


def _tool_config(choice: str | dict[str, Any]) -> dict[str, Any]:
    if isinstance(choice, dict):
        name = (choice.get("function") or {}).get("name") or choice.get("name")
        if name:
            return {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": [name]}}
        choice = str(choice.get("type", ""))
    mode = _TOOL_MODES.get(choice.lower())
    if mode is None:
        raise ConfigurationError(f"unknown tool_choice for Gemini: {choice!r}")
    return {"functionCallingConfig": {"mode": mode}}


def _merge(target: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """`extra` merged into `target` key by key, so `generationConfig` extras add up."""
    for key, value in extra.items():
        current = target.get(key)
        if isinstance(current, dict) and isinstance(value, dict):
            target[key] = _merge(dict(current), value)
        else:
            target[key] = value
    return target


def _request_body(request: LLMRequest) -> dict[str, Any]:
    conversation = _Conversation()
    for message in request.messages:
        conversation.add(message)
    body: dict[str, Any] = {"contents": conversation.contents}
    if conversation.system_parts:
        body["systemInstruction"] = {"parts": conversation.system_parts}
    config = _generation_config(request)
    if config:
        body["generationConfig"] = config
    if request.tools:
        body["tools"] = [{"functionDeclarations": [_declaration(t) for t in request.tools]}]
    if request.tool_choice is not None:
        body["toolConfig"] = _tool_config(request.tool_choice)
    return _merge(body, request.extra_params)


# -- responses ----------------------------------------------------------------------------


def _part_chunk(builder: StreamBuilder, part: dict[str, Any]) -> StreamChunk | None:
    """The chunk for one response part; `None` for parts that carry nothing for us."""
    text = part.get("text")
    if text is not None:
        if not text:
            return None  # an empty part that only holds a thoughtSignature
        return builder.reasoning(text) if part.get("thought") else builder.text(text)
    call = part.get("functionCall")
    if call is not None:
        args = _dumps(call.get("args") or {})
        return builder.tool_whole(call.get("id") or None, call.get("name", ""), args)
    return None  # inlineData, executableCode, ...: outside the chunk vocabulary


def _parts_chunks(builder: StreamBuilder, parts: list[dict[str, Any]] | None) -> list[StreamChunk]:
    chunks = []
    for part in parts or ():
        chunk = _part_chunk(builder, part)
        if chunk is not None:
            chunks.append(chunk)
    return chunks


def _usage(meta: dict[str, Any]) -> dict[str, int | None]:
    # Counts checked before the sum: `true + 0` would pass for a count of 1.
    counts = {key: _count(meta, key) for key in _USAGE_KEYS}
    thoughts = counts["thoughtsTokenCount"]
    return {
        "prompt_tokens": counts["promptTokenCount"] or 0,
        "completion_tokens": (counts["candidatesTokenCount"] or 0) + (thoughts or 0),
        "total_tokens": counts["totalTokenCount"],
        "cached_tokens": counts["cachedContentTokenCount"],
        "reasoning_tokens": thoughts,
    }


_USAGE_KEYS = (
    "promptTokenCount",
    "candidatesTokenCount",
    "thoughtsTokenCount",
    "totalTokenCount",
    "cachedContentTokenCount",
)


def _count(meta: dict[str, Any], key: str) -> int | None:
    value = meta.get(key)
    if value is None:
        return None
    try:
        return token_count(value)
    except ValueError as exc:
        raise ValueError(f"usageMetadata.{key}: {exc}") from None


def _status_error(body: Any) -> dict[str, Any] | None:
    """The `error` object of a parsed body: a dict, or a list wrapping one (`alt=json`)."""
    if isinstance(body, list) and body:
        body = body[0]
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else None


def _error_info(body: Any) -> ErrorInfo:
    body = error_body(body)
    error = _status_error(body)
    if error is None:
        return ErrorInfo(message=str(body).strip()[:500] or "no error body")
    status = error.get("status") if isinstance(error.get("status"), str) else None
    kind = _STATUS_KINDS.get(status or "")
    retry_after = None
    for detail in error.get("details") or ():
        if not isinstance(detail, dict):
            continue
        if detail.get("reason") == "API_KEY_INVALID":
            kind = "auth"
        if str(detail.get("@type", "")).endswith("google.rpc.RetryInfo"):
            retry_after = parse_duration(detail.get("retryDelay"))
    message = str(error.get("message") or status or "unknown error")
    return ErrorInfo(message=message, code=status, kind=kind, retry_after=retry_after)


class GoogleStreamDecoder(StreamDecoder):
    """Decodes `streamGenerateContent?alt=sse` events; each is a whole response object."""

    def __init__(self, builder: StreamBuilder, model: str) -> None:
        super().__init__(builder)
        self._model = model
        self._version: str | None = None
        #: The last `usageMetadata`: replaced on every event, read once at the end.
        self._usage: dict[str, Any] | None = None

    def feed_data(self, raw: str, name: str | None) -> list[StreamChunk]:
        """Chunks for one SSE event."""
        return self.feed_json(parse_json(raw))

    def feed_json(self, data: Any) -> list[StreamChunk]:
        """Chunks for one parsed `GenerateContentResponse`; raises on an in-band error."""
        if type(data) is not dict or "error" in data:
            raise self._error(data)
        version = data.get("modelVersion")
        if version != self._version:
            self._version = version
            self.builder.set_model(version)
        self._usage = data.get("usageMetadata", self._usage)
        candidates = data.get("candidates")
        if not candidates:
            self._prompt_blocked(data.get("promptFeedback"))
            return []
        candidate = candidates[0]
        content = candidate.get("content")
        parts = content.get("parts") if content else None
        part = parts[0] if parts.__class__ is list and len(parts) == 1 else None
        if part.__class__ is dict and len(part) == 1 and "text" in part:
            # The hot path, one part of plain text: `_part_chunk` written out.
            text = part["text"]
            chunks = [self.builder.text(text)] if text else []
        else:
            chunks = _parts_chunks(self.builder, parts)
        if "finishReason" in candidate:
            self._finish(candidate["finishReason"])
        return chunks

    def _finish(self, reason: str) -> None:
        normalized = _FINISH_REASONS.get(reason, "error")
        if normalized == "stop" and self.builder.has_tool_calls:
            normalized = "tool_calls"
        self.builder.set_finish(reason, normalized)

    def _prompt_blocked(self, feedback: dict[str, Any] | None) -> None:
        reason = (feedback or {}).get("blockReason")
        if reason:
            self.builder.set_finish(reason, "content_filter")

    def _error(self, data: Any) -> Exception:
        if isinstance(data, dict):
            return to_exception("google", 200, _error_info(data), model=self._model)
        # Not an in-band error but a malformed event: base maps it, naming the frame.
        return TypeError(f"expected a JSON object, got {type(data).__name__}")

    def apply_usage(self) -> None:
        """Put the last `usageMetadata` on the builder, replacing anything earlier."""
        if self._usage is not None:
            self.builder.usage = None
            self.builder.set_usage(**_usage(self._usage))

    def end(self) -> list[StreamChunk]:
        """The final chunk, with the last usage reported (Gemini has no end event)."""
        if not self.builder.finished:
            self.apply_usage()
        return super().end()


class GoogleCodec(Codec):
    """The Gemini API: `generateContent` and `streamGenerateContent?alt=sse`."""

    format = FORMAT

    def build_request(self, request: LLMRequest, model: str, *, stream: bool) -> httpx.Request:
        """A POST to `models/{model}:streamGenerateContent?alt=sse` or `:generateContent`."""
        action = "streamGenerateContent?alt=sse" if stream else "generateContent"
        headers = {"content-type": "application/json"}
        if self.config.api_key:
            # The header, never `?key=`: query strings end up in logs and cassette URLs.
            headers["x-goog-api-key"] = self.config.api_key
        url = self.url(f"/v1beta/models/{_model_name(model)}:{action}")
        content = _dumps(_request_body(request)).encode()
        return httpx.Request("POST", url, headers=headers, content=content)

    def stream_decoder(self, model: str) -> GoogleStreamDecoder:
        """A fresh decoder for one streamed answer from `model` (`models/` prefix optional)."""
        name = _model_name(model)
        return GoogleStreamDecoder(StreamBuilder("google", name), name)

    def parse_response(self, data: Any, model: str) -> LLMResponse:
        """An `LLMResponse` from `generateContent` JSON, by the stream's own rules."""
        decoder = self.stream_decoder(model)
        chunks: list[StreamChunk] = []
        # A list is what `streamGenerateContent` without `alt=sse` answers: chunks in a row.
        for item in data if isinstance(data, list) else [data]:
            chunks.extend(decoder.feed_json(item))
        decoder.apply_usage()
        builder = decoder.builder
        reasoning = "".join(chunk.reasoning or "" for chunk in chunks)
        return LLMResponse(
            content="".join(chunk.delta for chunk in chunks),
            model=builder.model,
            usage=builder.final_usage(),
            finish_reason=builder.finish_reason,
            tool_calls=builder.tool_calls(),
            reasoning=reasoning or None,
            provider_details={"finish_reason": builder.finish_raw},
        )

    def error_info(self, status: int, body: Any) -> ErrorInfo:
        """Describe a google.rpc Status body (a dict, a list wrapping one, JSON text, text)."""
        return _error_info(body)
