"""Anthropic Messages (`POST /v1/messages`): the codec and its stream decoder.

The stream is SSE with named events (`event: content_block_delta` + `data: {...}`); the data
JSON repeats the name in its `type`, and we dispatch on that. Surprises the decoder handles:

- Data JSON carries runs of padding spaces (`{"type":"message_stop"     }`): fine for
  `json.loads`, so never match on raw text. `ping` may arrive anywhere; unknown event and
  delta types are ignored, as Anthropic's versioning policy asks of clients.
- Content blocks are numbered by `index`. Tool calls are keyed by that index: a `tool_use`
  block opens with `id`, `name` and `input: {}` (a placeholder, not the input), then sends its
  arguments as `input_json_delta.partial_json` fragments. The first fragment is often `""`;
  a call with no parameters may send none at all, and then its arguments are `"{}"`.
  `server_tool_use` blocks (web search, code execution) run on Anthropic's side: they are not
  calls for the client to make, so they never appear in `tool_calls`.
- Thinking arrives as `thinking_delta`s and is exposed as `StreamChunk.reasoning`, never in
  `delta` (rule 6). Multi-turn tool use with thinking requires sending the thinking blocks back
  *with their signatures*, so the final chunk's `provider_details["thinking_blocks"]` holds
  them, ready to put into the next assistant message's content.
- Usage comes in halves: `message_start` has the input and cache counts and a tiny
  `output_tokens`, `message_delta` the real `output_tokens` (newer versions repeat the rest,
  sometimes as `null`). The last non-null value of each field wins, normalized at the end.
- The finish arrives in `message_delta.delta.stop_reason`, but the answer is only complete at
  `message_stop`: the finish is applied there (`stop` if no reason came), so a stream cut
  between the two still raises.
- Errors can arrive mid-stream as `event: error` inside the 200 response (e.g.
  `overloaded_error`): they raise with `status_code` 200.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx

from llmring_replay.providers.anthropic import FORMAT
from llmring_replay.providers.anthropic.request import build_body
from llmring_replay.providers.base import (
    Codec,
    StreamBuilder,
    StreamDecoder,
    parse_json,
    token_count,
)
from llmring_replay.providers.errors import ErrorInfo, ErrorKind, error_body, to_exception
from llmring_replay.schemas import LLMRequest, LLMResponse, StreamChunk

__all__ = ["ANTHROPIC_VERSION", "AnthropicCodec", "AnthropicStreamDecoder"]

#: The API version header every request carries.
ANTHROPIC_VERSION = "2023-06-01"

_PROVIDER = "anthropic"

#: `stop_reason` -> normalized finish reason; anything else (a newer value) reads as `stop`:
#: the message did end normally, and `provider_details` keeps the raw value.
_FINISH_REASON_MAP: dict[str, str] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}

#: Anthropic's error `type` -> the kind `to_exception` needs when the status alone would miss
#: it (an in-band error inside a 200 stream). `api_error` is Anthropic's 500, worth a retry.
_ERROR_KINDS: dict[str, ErrorKind] = {
    "authentication_error": "auth",
    "permission_error": "auth",
    "not_found_error": "not_found",
    "rate_limit_error": "rate_limit",
    "overloaded_error": "overloaded",
    "api_error": "overloaded",
    "timeout_error": "timeout",
}

_USAGE_FIELDS = (
    "input_tokens",
    "output_tokens",
    "cache_read_input_tokens",
    "cache_creation_input_tokens",
)

_Chunks = list[StreamChunk]


def _finish(raw: str | None) -> str:
    return _FINISH_REASON_MAP.get(raw or "", "stop")


def _usage(raw: dict[str, int]) -> dict[str, int]:
    """Normalized usage from Anthropic's counts (cache reads and writes are input, too)."""
    read = raw.get("cache_read_input_tokens")
    created = raw.get("cache_creation_input_tokens")
    prompt = raw.get("input_tokens", 0) + (read or 0) + (created or 0)
    completion = raw.get("output_tokens", 0)
    usage = {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }
    if read is not None:
        usage["cached_tokens"] = read
    if created is not None:
        usage["cache_creation_tokens"] = created
    return usage


def _merge_usage(into: dict[str, int], usage: dict[str, Any] | None) -> None:
    if usage:
        for key in _USAGE_FIELDS:
            value = usage.get(key)
            if value is not None:
                into[key] = token_count(value)


def _describe_error(body: Any, status: int) -> ErrorInfo:
    """`ErrorInfo` from `{"type": "error", "error": {"type", "message"}}`, or anything else."""
    body = error_body(body)
    if isinstance(body, str):
        # A proxy's HTML page or plain text: its beginning is the best message we have.
        return ErrorInfo(message=body.strip()[:500] or f"HTTP {status}")
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        code = error.get("type")
        code = code if isinstance(code, str) else None
        message = error.get("message") or code or f"HTTP {status}"
        return ErrorInfo(message=str(message), code=code, kind=_ERROR_KINDS.get(code or ""))
    if isinstance(error, str):
        return ErrorInfo(message=error)
    return ErrorInfo(message=json.dumps(body)[:500] if body else f"HTTP {status}")


class AnthropicStreamDecoder(StreamDecoder):
    """Turns one Messages stream's events into chunks; one small method per event type."""

    def __init__(self, builder: StreamBuilder, model: str) -> None:
        super().__init__(builder)
        self._model = model
        self._usage: dict[str, int] = {}
        self._stop_reason: str | None = None
        #: Open `tool_use` blocks by index -> the arguments to use if no fragment arrives.
        self._tools: dict[int, str] = {}
        #: Thinking blocks in order, to hand back with their signatures (see module doc).
        self._thinking: dict[int, dict[str, str]] = {}
        # Bound methods, looked up once: the dispatch is on every event of the stream.
        self._events: dict[str, Callable[[dict[str, Any]], _Chunks]] = {
            "message_start": self._message_start,
            "content_block_start": self._block_start,
            "content_block_delta": self._block_delta,
            "content_block_stop": self._block_stop,
            "message_delta": self._message_delta,
            "message_stop": self._message_stop,
            "error": self._error,
        }
        self._deltas: dict[str, Callable[[int, dict[str, Any]], _Chunks]] = {
            "text_delta": self._text,
            "input_json_delta": self._input_json,
            "thinking_delta": self._thinking_text,
            "signature_delta": self._signature,
        }

    def feed_data(self, raw: str, name: str | None) -> list[StreamChunk]:
        """Chunks for one SSE event; raises on an `error` event (malformed ones: see base).

        The event name is not read: the data repeats it as its `type`."""
        data = parse_json(raw)
        kind = data["type"]
        if kind == "content_block_delta":
            # The hot path, a piece of text: `_block_delta` and `_text` written out.
            delta = data["delta"]
            if delta["type"] == "text_delta" and "index" in data:
                text = delta.get("text")
                return [self.builder.text(text)] if text else []
        handler = self._events.get(kind)
        return handler(data) if handler is not None else []

    # -- events -------------------------------------------------------------------------

    def _message_start(self, data: dict[str, Any]) -> _Chunks:
        message = data["message"]
        self.builder.set_model(message.get("model"))
        _merge_usage(self._usage, message.get("usage"))
        return []

    def _block_start(self, data: dict[str, Any]) -> _Chunks:
        block, index = data["content_block"], data["index"]
        kind = block.get("type")
        if kind == "text":
            return self._text(index, block)
        if kind == "tool_use":
            tool_input = block.get("input")
            # `input` is `{}` while fragments follow; use it only if none do.
            self._tools[index] = json.dumps(tool_input) if tool_input else "{}"
            return [self.builder.tool_start(index, block.get("id"), block.get("name") or "")]
        if kind == "thinking":
            self._thinking[index] = {"type": "thinking", "thinking": "", "signature": ""}
            return self._thinking_text(index, block)
        if kind == "redacted_thinking":
            self._thinking[index] = {"type": "redacted_thinking", "data": block.get("data", "")}
        return []

    def _block_delta(self, data: dict[str, Any]) -> _Chunks:
        delta = data["delta"]
        handler = self._deltas.get(delta["type"])
        # Unknown deltas (`citations_delta`, newer ones) carry nothing for the chunk.
        return handler(data["index"], delta) if handler is not None else []

    def _block_stop(self, data: dict[str, Any]) -> _Chunks:
        return self._close_tool(data["index"])

    def _message_delta(self, data: dict[str, Any]) -> _Chunks:
        stop_reason = (data.get("delta") or {}).get("stop_reason")
        if stop_reason is not None:
            self._stop_reason = stop_reason
        _merge_usage(self._usage, data.get("usage"))
        return []

    def _message_stop(self, data: dict[str, Any]) -> _Chunks:
        chunks: _Chunks = []
        for index in list(self._tools):
            chunks += self._close_tool(index)
        builder = self.builder
        builder.set_finish(self._stop_reason, _finish(self._stop_reason))
        if self._usage:
            builder.set_usage(**_usage(self._usage))
        final = builder.final()
        if self._thinking and final.provider_details is not None:
            final.provider_details["thinking_blocks"] = list(self._thinking.values())
        chunks.append(final)
        return chunks

    def _error(self, data: dict[str, Any]) -> _Chunks:
        raise to_exception(_PROVIDER, 200, _describe_error(data, 200), model=self._model)

    # -- deltas -------------------------------------------------------------------------

    def _text(self, index: int, delta: dict[str, Any]) -> _Chunks:
        text = delta.get("text")
        return [self.builder.text(text)] if text else []

    def _input_json(self, index: int, delta: dict[str, Any]) -> _Chunks:
        piece = delta.get("partial_json")
        # Fragments of blocks we do not track (`server_tool_use`) are not client calls.
        if not piece or index not in self._tools:
            return []
        self._tools[index] = ""  # arguments arrived: no fallback needed at the block's end
        chunk = self.builder.tool_arguments(index, piece)
        return [chunk] if chunk is not None else []

    def _thinking_text(self, index: int, delta: dict[str, Any]) -> _Chunks:
        text = delta.get("thinking")
        if not text:
            return []
        block = self._thinking.get(index)
        if block is not None:
            block["thinking"] += text
        return [self.builder.reasoning(text)]

    def _signature(self, index: int, delta: dict[str, Any]) -> _Chunks:
        block = self._thinking.get(index)
        if block is not None:
            block["signature"] += delta.get("signature") or ""
        return []

    def _close_tool(self, index: int) -> _Chunks:
        fallback = self._tools.pop(index, None)
        if not fallback:
            return []
        chunk = self.builder.tool_arguments(index, fallback)
        return [chunk] if chunk is not None else []


class AnthropicCodec(Codec):
    """Anthropic's Messages API. Request details: `providers.anthropic_request`."""

    format = FORMAT

    def build_request(self, request: LLMRequest, model: str, *, stream: bool) -> httpx.Request:
        """`POST /v1/messages` with a compact JSON body; see `anthropic_request.build_body`."""
        headers = {"anthropic-version": ANTHROPIC_VERSION, "content-type": "application/json"}
        if self.config.api_key is not None:
            headers["x-api-key"] = self.config.api_key
        body = build_body(request, model, stream=stream)
        content = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
        return httpx.Request("POST", self.url("/v1/messages"), headers=headers, content=content)

    def stream_decoder(self, model: str) -> AnthropicStreamDecoder:
        """A fresh decoder for one streaming response to a request for `model`."""
        return AnthropicStreamDecoder(StreamBuilder(_PROVIDER, model), model)

    def parse_response(self, data: Any, model: str) -> LLMResponse:
        """An `LLMResponse` from a non-streaming Messages response."""
        texts: list[str] = []
        thoughts: list[str] = []
        thinking_blocks: list[dict[str, Any]] = []
        calls: list[dict[str, Any]] = []
        for block in data.get("content") or ():
            kind = block.get("type")
            if kind == "text":
                texts.append(block.get("text") or "")
            elif kind == "tool_use":
                arguments = json.dumps(block.get("input") or {})
                function = {"name": block.get("name") or "", "arguments": arguments}
                calls.append({"id": block.get("id"), "type": "function", "function": function})
            elif kind in ("thinking", "redacted_thinking"):
                thinking_blocks.append(block)
                if block.get("thinking"):
                    thoughts.append(block["thinking"])
        raw_usage: dict[str, int] = {}
        _merge_usage(raw_usage, data.get("usage"))
        stop_reason = data.get("stop_reason")
        details: dict[str, Any] = {"finish_reason": stop_reason, "id": data.get("id")}
        if thinking_blocks:
            details["thinking_blocks"] = thinking_blocks
        return LLMResponse(
            content="".join(texts),
            model=f"{_PROVIDER}:{data.get('model') or model}",
            usage=_usage(raw_usage) if raw_usage else None,
            finish_reason=_finish(stop_reason) if stop_reason is not None else None,
            tool_calls=calls or None,
            reasoning="".join(thoughts) or None,
            provider_details=details,
        )

    def error_info(self, status: int, body: Any) -> ErrorInfo:
        """Describe `{"type": "error", "error": {"type", "message"}}`; `code` is the type."""
        return _describe_error(body, status)
