"""What every provider's wire renderer offers, and the helpers they share.

Each `wire_<provider>` module is a set of pure functions (no I/O, no clock, no randomness):
the same script, model, body and request number `seq` always give the same bytes. The server
writes their frames to a socket; fault simulation can splice, cut or corrupt them.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple, Protocol

from llmring_replay.simulator.script import Script

__all__ = [
    "EPOCH",
    "ErrorResponse",
    "PROVIDERS",
    "WireFormat",
    "dumps",
    "sse_event",
    "wire_for",
]

#: The providers the simulator speaks.
PROVIDERS = ("anthropic", "google", "ollama", "openai")

#: A fixed clock for every rendered timestamp (2025-01-01T00:00:00Z), so output is stable.
EPOCH = 1735689600


class ErrorResponse(NamedTuple):
    """An HTTP error response: status, headers (lowercase names) and body bytes."""

    status: int
    headers: dict[str, str]
    body: bytes


class WireFormat(Protocol):
    """The interface of a `wire_<provider>` module."""

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


def dumps(value: Any, *, separators: tuple[str, str] = (",", ":")) -> str:
    """JSON text without ASCII escaping (providers send UTF-8 as is)."""
    return json.dumps(value, ensure_ascii=False, separators=separators)


def sse_event(data: str, event: str | None = None, *, end: str = "\n") -> bytes:
    """One SSE event: an optional `event:` line, one `data:` line and the blank line."""
    head = f"event: {event}{end}" if event is not None else ""
    return f"{head}data: {data}{end}{end}".encode()


def wire_for(provider: str) -> WireFormat:
    """The renderer module of `provider` (`openai`, `anthropic`, `google`, `ollama`)."""
    # Imported here: the wire modules import this one for its helpers.
    from llmring_replay.providers.anthropic import render as wire_anthropic
    from llmring_replay.providers.gemini import render as wire_google
    from llmring_replay.providers.ollama import render as wire_ollama
    from llmring_replay.providers.openai_chat import render as wire_openai

    wires: dict[str, WireFormat] = {
        "anthropic": wire_anthropic,
        "google": wire_google,
        "ollama": wire_ollama,
        "openai": wire_openai,
    }
    try:
        return wires[provider]
    except KeyError:
        raise ValueError(f"unknown provider {provider!r} (known: {', '.join(PROVIDERS)})") from None
