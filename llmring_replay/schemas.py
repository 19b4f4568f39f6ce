"""The public data types, field for field compatible with upstream llmring 1.4.

`Message`, `LLMRequest`, `LLMResponse` and `StreamChunk` keep upstream's names, fields and
defaults, so code written against `llmring` runs unchanged against `llmring_replay`.
`StreamChunk` adds two optional fields that upstream lacks (both default to `None`, so an
upstream consumer never sees them):

- `reasoning`: thinking text (Anthropic thinking blocks, Gemini thought parts, OpenAI-compatible
  `delta.reasoning`). It is never part of `delta`.
- `provider_details`: provider facts a normalized field would lose, such as the raw finish
  reason (`{"finish_reason": "end_turn"}`) on the final chunk.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

__all__ = [
    "FINISH_REASONS",
    "LLMRequest",
    "LLMResponse",
    "Message",
    "StreamChunk",
]

#: The normalized finish reasons every provider's stream is mapped onto.
FINISH_REASONS = ("stop", "length", "tool_calls", "content_filter", "error")


class Message(BaseModel):
    """A message in a conversation."""

    role: Literal["system", "user", "assistant", "tool"]
    #: A string, or a list of content parts (`{"type": "text", "text": ...}`, images, ...).
    content: Any
    #: Tool calls an assistant message made, in OpenAI's shape.
    tool_calls: list[dict[str, Any]] | None = None
    #: On a `tool` message: the id of the call this message answers.
    tool_call_id: str | None = None
    timestamp: datetime | None = None
    #: Provider-specific metadata (e.g. `cache_control`).
    metadata: dict[str, Any] | None = None


class LLMRequest(BaseModel):
    """A request to an LLM provider."""

    messages: list[Message]
    #: `provider:model` or an alias from `llmring.lock`.
    model: str | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    #: Token budget for reasoning models' thinking; ignored by other models.
    reasoning_tokens: int | None = None
    #: `{"type": "json_object"}` or `{"type": "json_schema", "json_schema": {...}}`.
    response_format: dict[str, Any] | None = None
    #: Tool definitions in OpenAI's shape (`{"type": "function", "function": {...}}`).
    tools: list[dict[str, Any]] | None = None
    #: `"auto"`, `"none"`, `"required"`/`"any"`, or `{"type": "function", "function": {"name"}}`.
    tool_choice: str | dict[str, Any] | None = None
    cache: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None
    json_response: bool | None = None
    files: list[str] | None = None
    #: Per-request timeout in seconds; overrides the `LLMRing`'s.
    timeout: float | None = None
    #: Provider-specific parameters merged into the request body as they are.
    extra_params: dict[str, Any] = Field(default_factory=dict)


class LLMResponse(BaseModel):
    """A complete (non-streaming) response from an LLM provider."""

    content: str
    model: str
    usage: dict[str, Any] | None = None
    finish_reason: str | None = None
    tool_calls: list[dict[str, Any]] | None = None
    #: Parsed JSON when a JSON response format was requested and the content parsed.
    parsed: dict[str, Any] | None = None
    #: Thinking text, kept out of `content` (see `StreamChunk.reasoning`).
    reasoning: str | None = None
    provider_details: dict[str, Any] | None = None

    @property
    def total_tokens(self) -> int | None:
        """Total tokens used, or `None` when the provider reported no usage."""
        if not self.usage:
            return None
        total = self.usage.get("total_tokens")
        if total:
            return int(total)
        return int(self.usage.get("prompt_tokens", 0)) + int(self.usage.get("completion_tokens", 0))


class StreamChunk(BaseModel):
    """One chunk of a streaming response.

    The stream rules (README.md, "The client") hold on every provider: `delta` is
    always a string; `model` is `provider:model`; exactly one chunk, the last, carries
    `finish_reason` and (when reported) `usage`; `tool_calls` is cumulative.
    """

    delta: str
    model: str | None = None
    finish_reason: str | None = None
    #: Only on the final chunk.
    usage: dict[str, Any] | None = None
    #: The calls being built, complete so far, in OpenAI's shape.
    tool_calls: list[dict[str, Any]] | None = None
    #: Thinking text that arrived with this chunk; never part of `delta`.
    reasoning: str | None = None
    #: Raw provider facts, e.g. `{"finish_reason": "end_turn"}` on the final chunk.
    provider_details: dict[str, Any] | None = None
