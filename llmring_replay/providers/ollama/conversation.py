"""The conversation of an Ollama `/api/chat` body (`messages`), for the simulator's scenarios.

A `tool` message names its tool directly (`tool_name`; older clients send `name`).
"""

from __future__ import annotations

from typing import Any

from llmring_replay.providers.conversation import Entry, Role, text_of

__all__ = ["entries"]

_ROLES: dict[str, Role] = {"system": "system", "user": "user", "assistant": "assistant"}


def entries(body: dict[str, Any]) -> list[Entry]:
    """One entry per message."""
    out: list[Entry] = []
    for message in body.get("messages") or ():
        if not isinstance(message, dict):
            continue
        role = message.get("role")
        text = text_of(message.get("content"))
        if role == "tool":
            name = message.get("tool_name") or message.get("name")
            out.append(Entry("tool", text, name if isinstance(name, str) else None))
        elif role in _ROLES:
            out.append(Entry(_ROLES[role], text))
    return out
