"""OpenAI Chat Completions (`POST {base}/chat/completions`), and the servers that copy it.

The base URL includes `/v1` (`https://api.openai.com/v1`), like the official SDK's
`OPENAI_BASE_URL`, so one environment variable points both at a simulator, Groq, or
Ollama's `/v1`.

What the wire does that surprises people (see WIRE.md):

- Events are bare `data: <json>` lines ending with `data: [DONE]`. The finish chunk
  (`finish_reason`, empty delta) is *not* the end: with `stream_options.include_usage` one
  more chunk follows with `choices: []` and the usage. So the finish reason is only
  remembered, and the one final chunk goes out at `[DONE]` (or at the end of the body).
- Only choice index 0 counts: an `n=2` stream interleaves two answers chunk by chunk.
- Tool calls arrive as fragments keyed by `index`: the first carries id and name, later ones
  only pieces of `arguments`. Compatible servers may send a whole call at once, repeat the id
  on every fragment, or omit `index` altogether.
- Compatible servers add `delta.reasoning` / `delta.reasoning_content` (thinking: exposed as
  `StreamChunk.reasoning`, never in `delta`), usage on the finish chunk itself (Groq), SSE
  comments and CRLF (handled by the framing), and in-band errors inside a 200 stream, either
  as `event: error` or as a data object with an `"error"` key.
- `delta.refusal` (structured-output refusals) is the model's visible answer, so it is
  delivered as text; unknown fields such as `obfuscation` padding are ignored.

Decisions: an unknown `finish_reason` normalizes to `error` (the raw value stays in
`provider_details`); `[DONE]` or the end of the body without any finish reason raises
`ProviderResponseError` (a cut stream must not pass for a whole answer); a frame that is not
a JSON object of the expected shape raises `ProviderResponseError` too (mapped in `base`).
"""

from __future__ import annotations

import json
import re
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
from llmring_replay.providers.errors import ErrorInfo, ErrorKind, error_body, to_exception
from llmring_replay.providers.openai_chat import FORMAT
from llmring_replay.schemas import LLMRequest, LLMResponse, Message, StreamChunk

__all__ = ["OpenAICodec", "OpenAIStreamDecoder", "normalize_finish_reason"]

#: Normalized finish reason -> the raw values meaning it. OpenAI sends the first of each;
#: the rest come from compatible servers (vLLM, TGI, Mistral, gateways).
_FINISH_ALIASES: dict[str, tuple[str, ...]] = {
    "stop": ("stop", "eos", "eos_token", "stop_sequence", "end_turn"),
    "length": ("length", "max_tokens", "model_length"),
    "tool_calls": ("tool_calls", "function_call", "tool_use"),
    "content_filter": ("content_filter", "refusal"),
    "error": ("error",),
}
_FINISH_REASON_MAP = {raw: norm for norm, raws in _FINISH_ALIASES.items() for raw in raws}

#: Error `code` / `type` values that say more than the HTTP status (and all there is to say
#: for an in-band error in a 200 stream). `insufficient_quota` is left to its status (429 ->
#: rate limit, as the official SDK does).
_ERROR_CODES: dict[ErrorKind, tuple[str, ...]] = {
    "auth": ("invalid_api_key", "authentication_error", "permission_denied"),
    "model_not_found": ("model_not_found",),
    "rate_limit": ("rate_limit_exceeded", "rate_limit_error"),
    "overloaded": ("server_error", "overloaded_error", "service_unavailable"),
    "timeout": ("timeout",),
}
_KIND_BY_CODE = {code: kind for kind, codes in _ERROR_CODES.items() for code in codes}
#: A status inside an in-band error body (Groq's `status_code`) that says more than its 200.
_KIND_BY_STATUS: dict[int, ErrorKind] = {
    401: "auth",
    403: "auth",
    429: "rate_limit",
    503: "overloaded",
}

# OpenAI puts the rate-limit wait only in its message: "Please try again in 1m6.5s" / "20ms".
_RETRY_HINT = re.compile(r"try again in ((?:\d+(?:\.\d+)?(?:ms|h|m|s))+)", re.IGNORECASE)
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_UNIT_SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}

# Reasoning models reject `max_tokens` and want `max_completion_tokens`.
_REASONING_MODEL_PREFIXES = ("o1", "o3", "o4", "gpt-5")


def normalize_finish_reason(raw: str) -> str:
    """The normalized finish reason; unknown values give `error`.

    An unknown reason is one we cannot vouch for as a clean end, so a caller testing for
    `"stop"` must not take it for one; the raw value stays in `provider_details`.
    """
    return _FINISH_REASON_MAP.get(raw, "error")


def _merge_usage(builder: StreamBuilder, usage: Any) -> None:
    """Merge an OpenAI usage object; only the token counts are read (Groq adds timings)."""
    if not isinstance(usage, dict):
        return
    prompt_details = usage.get("prompt_tokens_details") or {}
    completion_details = usage.get("completion_tokens_details") or {}
    builder.set_usage(
        prompt_tokens=usage.get("prompt_tokens"),
        completion_tokens=usage.get("completion_tokens"),
        total_tokens=usage.get("total_tokens"),
        cached_tokens=prompt_details.get("cached_tokens"),
        reasoning_tokens=completion_details.get("reasoning_tokens"),
    )


def _retry_hint(message: str) -> float | None:
    """Seconds from a "try again in 1m6.5s" message, `None` when there is no such hint."""
    match = _RETRY_HINT.search(message)
    if match is None:
        return None
    parts = _DURATION_PART.findall(match.group(1))
    return sum(float(number) * _UNIT_SECONDS[unit] for number, unit in parts)


def _error_kind(error: dict[str, Any]) -> ErrorKind | None:
    for field in ("code", "type"):
        kind = _KIND_BY_CODE.get(str(error.get(field)))
        if kind is not None:
            return kind
    status = error.get("status_code")
    return _KIND_BY_STATUS.get(status) if isinstance(status, int) else None


def error_info(status: int, body: Any) -> ErrorInfo:
    """Describe `{"error": {"message", "type", "param", "code"}}`, a bare string, or anything."""
    error = body.get("error", body) if isinstance(body, dict) else body
    if isinstance(error, str):
        message = error.strip() or f"HTTP {status}"
        return ErrorInfo(message, retry_after=_retry_hint(message))
    if not isinstance(error, dict):
        return ErrorInfo(json.dumps(error) if error is not None else f"HTTP {status}")
    message = str(error.get("message") or json.dumps(error))
    code = error.get("code") or error.get("type")
    return ErrorInfo(
        message,
        code=str(code) if code is not None else None,
        kind=_error_kind(error),
        retry_after=_retry_hint(message),
    )


class OpenAIStreamDecoder(StreamDecoder):
    """Chat Completions chunks -> `StreamChunk`s. The text path does one `json.loads`."""

    def __init__(self, builder: StreamBuilder, model: str) -> None:
        super().__init__(builder)
        self._model = model
        self._reported: str | None = None
        self._tool_keys: set[Any] = set()
        self._unindexed = 0
        self._unindexed_id: str | None = None

    def feed_data(self, raw: str, name: str | None) -> list[StreamChunk]:
        """Chunks for one SSE event; raises on in-band errors (malformed frames: see base)."""
        if name is not None or raw == "[DONE]" or self.builder.finished:
            return self._control(raw, name)
        data = parse_json(raw)
        choices = data.get("choices")
        # The hot path, a plain text delta: no other work than these few lookups.
        if (
            choices
            and data.get("model") == self._reported
            and data.get("usage") is None
            and "error" not in data
        ):
            choice = choices[0]
            delta = choice.get("delta")
            content = delta.get("content") if delta and len(delta) == 1 else None
            if (
                type(content) is str
                and content
                and choice.get("finish_reason") is None
                and choice.get("index", 0) == 0
            ):
                return [self.builder.text(content)]
        return self._general(data)

    def _control(self, raw: str, name: str | None) -> list[StreamChunk]:
        # The rare frames: after the end, named events, `[DONE]`.
        if self.builder.finished:
            return []
        if name == "error":
            raise self._in_band_error(raw)
        if raw == "[DONE]":
            return [self.builder.final()]
        # Any other event name: its data reads like an unnamed event's.
        return self.feed_data(raw, None)

    def _general(self, data: dict[str, Any]) -> list[StreamChunk]:
        if data.get("error") is not None:
            raise self._in_band_error(data)
        reported = data.get("model")
        if reported != self._reported:
            self._reported = reported
            self.builder.set_model(reported)
        chunks: list[StreamChunk] = []
        choices = data.get("choices")
        if choices:
            self._choice(choices, chunks)
        usage = data.get("usage")
        if usage:
            _merge_usage(self.builder, usage)
        return chunks

    def _choice(self, choices: list[Any], chunks: list[StreamChunk]) -> None:
        choice = choices[0]
        if choice.get("index", 0) != 0:
            # An `n > 1` stream: the other answers are not ours to deliver.
            choice = next((c for c in choices if c.get("index", 0) == 0), None)
            if choice is None:
                return
        delta = choice.get("delta")
        if delta:
            self._delta(delta, chunks)
        finish = choice.get("finish_reason")
        if finish is not None:
            self.builder.set_finish(finish, normalize_finish_reason(finish))

    def _delta(self, delta: dict[str, Any], chunks: list[StreamChunk]) -> None:
        # Wire order: a delta with both reasoning and content yields them as they were sent.
        for key, value in delta.items():
            handler = _DELTA_HANDLERS.get(key)
            if handler is not None and value:
                chunk = handler(self, value)
                if chunk is not None:
                    chunks.append(chunk)

    def _on_text(self, value: Any) -> StreamChunk | None:
        if isinstance(value, list):  # content parts, as some compatible servers stream them
            value = "".join(part.get("text") or "" for part in value if isinstance(part, dict))
        # Anything but text (a number, an object) is a malformed frame: the builder says so.
        return self.builder.text(value) if value else None

    def _on_reasoning(self, value: Any) -> StreamChunk | None:
        return self.builder.reasoning(value)

    def _on_tool_calls(self, fragments: Any) -> StreamChunk | None:
        # Several fragments in one delta make one chunk: the last carries the whole list.
        last = None
        for fragment in fragments:
            chunk = self._tool_fragment(fragment)
            if chunk is not None:
                last = chunk
        return last

    def _on_function_call(self, value: Any) -> StreamChunk | None:
        # The legacy single `function_call` delta: one call with no id.
        return self._tool_fragment({"index": "function_call", "function": value})

    def _tool_fragment(self, fragment: dict[str, Any]) -> StreamChunk | None:
        function = fragment.get("function") or {}
        call_id = fragment.get("id")
        name = function.get("name")
        arguments = function.get("arguments")
        if arguments is None:
            arguments = ""
        elif not isinstance(arguments, str):
            arguments = json.dumps(arguments)  # some servers send an object
        key = self._tool_key(fragment.get("index"), call_id, name)
        if key not in self._tool_keys:
            self._tool_keys.add(key)
            return self.builder.tool_start(key, call_id, name or "", arguments)
        if call_id or name:
            self.builder.tool_update(key, call_id, name)
        return self.builder.tool_arguments(key, arguments)

    def _tool_key(self, index: Any, call_id: str | None, name: str | None) -> Any:
        if index is not None:
            return index
        # No index (some compatible servers): a new id, or a name without an id, opens a new
        # call; anything else extends the last one.
        new_id = call_id is not None and call_id != self._unindexed_id
        if not self._unindexed or new_id or (call_id is None and name):
            self._unindexed += 1
            self._unindexed_id = call_id
        return ("unindexed", self._unindexed)

    def _in_band_error(self, payload: Any) -> LLMRingError:
        # A plain-text payload stays text: error_info reads it as the message.
        return to_exception("openai", 200, error_info(200, error_body(payload)), model=self._model)


_DeltaHandler = Callable[[OpenAIStreamDecoder, Any], StreamChunk | None]
_DELTA_HANDLERS: dict[str, _DeltaHandler] = {
    "content": OpenAIStreamDecoder._on_text,
    "refusal": OpenAIStreamDecoder._on_text,
    "reasoning": OpenAIStreamDecoder._on_reasoning,
    "reasoning_content": OpenAIStreamDecoder._on_reasoning,
    "tool_calls": OpenAIStreamDecoder._on_tool_calls,
    "function_call": OpenAIStreamDecoder._on_function_call,
}


def _wire_message(message: Message) -> dict[str, Any]:
    # `content` stays even when None: an assistant turn with only tool calls sends null.
    wire: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.tool_calls:
        wire["tool_calls"] = message.tool_calls
    if message.tool_call_id is not None:
        wire["tool_call_id"] = message.tool_call_id
    return wire


def _is_reasoning_model(model: str) -> bool:
    # Gateways prefix the vendor ("openai/o3-mini"); the family is in the last segment.
    return model.rsplit("/", 1)[-1].startswith(_REASONING_MODEL_PREFIXES)


def _response_format(request: LLMRequest) -> dict[str, Any] | None:
    if request.response_format is not None:
        return request.response_format
    return {"type": "json_object"} if request.json_response else None


def _tool_calls_from_message(message: dict[str, Any]) -> list[dict[str, Any]] | None:
    # Whole calls are one-fragment calls: the stream's logic normalizes them the same way
    # (object arguments serialized, `type` filled in, legacy `function_call` included).
    decoder = OpenAIStreamDecoder(StreamBuilder("openai", ""), "")
    calls = message.get("tool_calls") or []
    decoder._on_tool_calls([{**call, "index": index} for index, call in enumerate(calls)])
    if message.get("function_call"):
        decoder._on_function_call(message["function_call"])
    return decoder.builder.tool_calls()


class OpenAICodec(Codec):
    """OpenAI Chat Completions, also spoken by Groq, Ollama `/v1`, vLLM and gateways."""

    format = FORMAT

    def build_request(self, request: LLMRequest, model: str, *, stream: bool) -> httpx.Request:
        """`POST {base}/chat/completions`; the body is compact JSON, keys in a fixed order."""
        max_key = "max_completion_tokens" if _is_reasoning_model(model) else "max_tokens"
        tool_choice = request.tool_choice
        body = drop_none(
            {
                "model": model,
                "messages": [_wire_message(message) for message in request.messages],
                "stream": True if stream else None,
                "stream_options": {"include_usage": True} if stream else None,
                "temperature": request.temperature,
                max_key: request.max_tokens,
                "tools": request.tools,
                "tool_choice": "required" if tool_choice == "any" else tool_choice,
                "response_format": _response_format(request),
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
        return httpx.Request(
            "POST", self.url("/chat/completions"), headers=headers, content=content
        )

    def stream_decoder(self, model: str) -> OpenAIStreamDecoder:
        """A fresh decoder for one streamed answer from `model`."""
        return OpenAIStreamDecoder(StreamBuilder(self.name, model), model)

    def parse_response(self, data: Any, model: str) -> LLMResponse:
        """An `LLMResponse` from a `chat.completion` body (choice 0 only).

        `parsed` is filled whenever the content is a JSON object: the codec does not see the
        request, and a JSON answer is what `response_format` / `json_response` ask for.
        """
        choices = data.get("choices") or [{}]
        choice = next((c for c in choices if c.get("index", 0) == 0), choices[0])
        message = choice.get("message") or {}
        content = message.get("content") or message.get("refusal") or ""
        if isinstance(content, list):
            content = "".join(part.get("text", "") for part in content)
        builder = StreamBuilder(self.name, model)
        builder.set_model(data.get("model"))
        _merge_usage(builder, data.get("usage"))
        raw_finish = choice.get("finish_reason")
        return LLMResponse(
            content=content,
            model=builder.model,
            usage=builder.final_usage(),
            finish_reason=normalize_finish_reason(raw_finish) if raw_finish else None,
            tool_calls=_tool_calls_from_message(message),
            parsed=parse_json_object(content),
            reasoning=message.get("reasoning") or message.get("reasoning_content"),
            provider_details=drop_none({"finish_reason": raw_finish, "id": data.get("id")}),
        )

    def error_info(self, status: int, body: Any) -> ErrorInfo:
        """Describe an OpenAI error body; see the module-level `error_info`."""
        return error_info(status, body)
