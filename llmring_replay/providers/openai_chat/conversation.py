"""The conversation of a Chat Completions body (`messages`), for the simulator's scenarios.

A `tool` message names its call by `tool_call_id`; the tool's name is the one the earlier
assistant message gave that call. `developer` is the newer name of `system`.
"""

from __future__ import annotations

from typing import Any

from llmring_replay.providers.conversation import Entry, Role, text_of

__all__ = ["entries"]

_ROLES: dict[str, Role] = {
    "system": "system",
    "developer": "system",
    "user": "user",
    "assistant": "assistant",
}


def entries(body: dict[str, Any]) -> list[Entry]:
    """One entry per message, tool results named after the call they answer."""
    names: dict[str, str] = {}  # call id -> function name
    out: list[Entry] = []
    for message in body.get("messages") or ():
        if not isinstance(message, dict):
            continue
        role = message.get("role")
        if role == "tool":
            call_id = message.get("tool_call_id")
            name = names.get(call_id) if isinstance(call_id, str) else message.get("name")
            text = text_of(message.get("content"))
            out.append(Entry("tool", text, name if isinstance(name, str) else None))
            continue
        for call in message.get("tool_calls") or ():
            if isinstance(call, dict) and isinstance(call.get("id"), str):
                names[call["id"]] = str((call.get("function") or {}).get("name") or "")
        if role in _ROLES:
            out.append(Entry(_ROLES[role], text_of(message.get("content"))))
    return out
