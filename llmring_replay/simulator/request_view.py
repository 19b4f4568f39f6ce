"""What a scenario rule can see of a request: provider, format, model, path, conversation.

`RequestView.read` asks the request's wire format (the route's, or the one its path calls,
from `providers.registry`) to read the body's conversation (`providers/<format>/conversation.py`),
and keeps what rules match on:

- `last_user`: the text of the last user message (tool results are not user text);
- `tool_results`: the tools answered in the newest turn, i.e. the tool results after the
  last assistant message (`None` for a result whose tool the body does not name);
- `turn`: which answer of the conversation this is, from 1: one more than the number of
  assistant turns in the request (consecutive assistant items count once).

Everything here is a function of the request alone, so any number of clients, in any order,
get the same view of the same request.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from typing import Any

from llmring_replay.providers.conversation import Entry
from llmring_replay.providers.registry import format_for, lookup

__all__ = ["RequestView", "request_number"]

#: Request numbers (in ids such as `chatcmpl-sim042917`) stay below this.
_NUMBERS = 1_000_000


def request_number(path: str, body: Any) -> int:
    """A number from 1 to 999999 that depends on the request alone (path and JSON body).

    Scenarios render ids and seed jitter with it instead of a running count, so an answer's
    bytes do not depend on which requests came first.
    """
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return zlib.crc32(f"{path}\n{canonical}".encode()) % (_NUMBERS - 1) + 1


def _turn(entries: list[Entry]) -> int:
    turns, previous = 1, None
    for entry in entries:
        if entry.role == "assistant" and previous != "assistant":
            turns += 1
        previous = entry.role
    return turns


@dataclass(frozen=True)
class RequestView:
    """A request as scenario rules see it."""

    provider: str
    #: The wire format's name (`openai_chat`, `anthropic`, ...: `providers.registry`).
    format: str
    #: The requested model, without a provider prefix.
    model: str
    path: str
    last_user: str | None
    tool_results: tuple[str | None, ...]
    turn: int

    @classmethod
    def read(
        cls, provider: str, model: str, path: str, body: Any, wire_format: str | None = None
    ) -> RequestView:
        """The view of a request to `path` (no query) with this parsed JSON `body`, in
        `wire_format` (a format's name; by default the one `path` calls)."""
        fmt = lookup(wire_format) if wire_format else format_for(provider, path)
        fmt = fmt or lookup(provider)
        entries: list[Entry] = []
        if isinstance(body, dict):
            entries = fmt.module("conversation").entries(body)
        last_user = next((e.text for e in reversed(entries) if e.role == "user"), None)
        assistants = [i for i, entry in enumerate(entries) if entry.role == "assistant"]
        newest = entries[assistants[-1] + 1 :] if assistants else entries
        results = tuple(entry.tool for entry in newest if entry.role == "tool")
        return cls(provider, fmt.name, model, path, last_user, results, _turn(entries))

    def describe(self) -> str:
        """One line for error messages: who was asked what."""
        said = "no user message" if self.last_user is None else f"user {_clip(self.last_user)!r}"
        if self.tool_results:
            tools = ", ".join(name or "?" for name in self.tool_results)
            results = f"tool results for {tools}"
        else:
            results = "no tool results"
        return (
            f"{self.provider} ({self.format}) model {self.model!r} at {self.path}, "
            f"turn {self.turn}, {said}, {results}"
        )


def _clip(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
