"""What every wire format's renderer offers, and the helpers they share.

Each format's `providers/<format>/render.py` is a set of pure functions (no I/O, no clock,
no randomness): the same script, model, body and request number `seq` always give the same
bytes. The server writes their frames to a socket; fault simulation can splice, cut or
corrupt them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol, cast

from llmring_replay.providers.registry import lookup, provider_names
from llmring_replay.simulator.script import Script

__all__ = [
    "EPOCH",
    "PROVIDERS",
    "ErrorResponse",
    "Shape",
    "WireFormat",
    "dumps",
    "sse_event",
    "wire_for",
]

#: The providers the simulator speaks, in display order.
PROVIDERS = provider_names()

#: A fixed clock for every rendered timestamp (2025-01-01T00:00:00Z), so output is stable.
EPOCH = 1735689600


class ErrorResponse(NamedTuple):
    """An HTTP error response: status, headers (lowercase names) and body bytes."""

    status: int
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class Shape:
    """How a provider answers one kind of failure (`faults.shapes`): the status, and any
    wording where the renderer's default for that status is not what the provider says."""

    status: int
    #: The message; `{model}` is replaced by the model, `{retry}` by OpenAI's "Please try
    #: again in 2s." (or nothing). `None`: the renderer's default.
    message: str | None = None
    #: The provider's own code (OpenAI `code`, Anthropic `error.type`, Gemini `status`).
    code: str | None = None
    #: Whether the provider tells the client when to retry (headers or body).
    retry_hint: bool = True


class WireFormat(Protocol):
    """The interface of a format's `render` module."""

    #: Content type of a streamed response.
    STREAM_CONTENT_TYPE: str
    #: Content type of a non-streaming (JSON) response.
    JSON_CONTENT_TYPE: str
    #: Indentation of a non-streaming JSON body; `None` for compact JSON.
    JSON_INDENT: int | None

    def render_stream(self, script: Script, model: str, body: Any, *, seq: int = 1) -> list[bytes]:
        """The streamed answer, one element per frame, exactly as sent."""
        ...

    def render_json(self, script: Script, model: str, body: Any, *, seq: int = 1) -> dict[str, Any]:
        """The non-streaming answer as a JSON object."""
        ...

    def render_error(
        self, script: Script, model: str, body: Any, *, stream: bool = False
    ) -> ErrorResponse:
        """The error response for `script.status`, shaped like the provider's."""
        ...

    def render_error_frame(self, script: Script, model: str) -> bytes:
        """An in-band error frame for a failure in the middle of a 200 stream."""
        ...

    #: Failure kind (`faults.shapes.KINDS`) -> how this format answers it, where that is not
    #: the kind's usual status with the renderer's default wording.
    FAULT_SHAPES: dict[str, Shape]


def dumps(value: Any, *, separators: tuple[str, str] = (",", ":")) -> str:
    """JSON text without ASCII escaping (providers send UTF-8 as is)."""
    return json.dumps(value, ensure_ascii=False, separators=separators)


def sse_event(data: str, event: str | None = None, *, end: str = "\n") -> bytes:
    """One SSE event: an optional `event:` line, one `data:` line and the blank line."""
    head = f"event: {event}{end}" if event is not None else ""
    return f"{head}data: {data}{end}{end}".encode()


def wire_for(name: str) -> WireFormat:
    """The renderer module of a wire format (`openai_chat`, ...) or of a provider's default
    format (`openai`, `anthropic`, `google`, `ollama`); `ValueError` for anything else."""
    return cast(WireFormat, lookup(name).module("render"))
