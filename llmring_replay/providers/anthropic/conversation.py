"""The conversation of a Messages body (`system`, `messages`), for the simulator's scenarios.

Tool results are `tool_result` blocks inside a *user* message, naming their call by
`tool_use_id`; the tool's name is the one the earlier `tool_use` block gave that id. A user
message holding both results and text yields the results first, then the text.
"""

from __future__ import annotations

from typing import Any

from llmring_replay.providers.conversation import Entry, text_of

__all__ = ["entries"]


def _blocks(content: Any) -> list[dict[str, Any]]:
    return (
        [block for block in content if isinstance(block, dict)] if isinstance(content, list) else []
    )


def _user(content: Any, names: dict[str, str]) -> list[Entry]:
    """A user message: its tool results (named by their `tool_use` ids), then its text."""
    out = []
    for block in _blocks(content):
        if block.get("type") == "tool_result":
            use_id = block.get("tool_use_id")
            name = names.get(use_id) if isinstance(use_id, str) else None
            out.append(Entry("tool", text_of(block.get("content")), name))
    text = text_of(content)
    if text or not out:
        out.append(Entry("user", text))
    return out


def entries(body: dict[str, Any]) -> list[Entry]:
    """The system prompt, then one entry per message and per tool result."""
    out: list[Entry] = []
    system = text_of(body.get("system"))
    if system:
        out.append(Entry("system", system))
    names: dict[str, str] = {}  # tool_use id -> tool name
    for message in body.get("messages") or ():
        if not isinstance(message, dict):
            continue
        content = message.get("content")
        if message.get("role") == "assistant":
            for block in _blocks(content):
                if block.get("type") == "tool_use" and isinstance(block.get("id"), str):
                    names[block["id"]] = str(block.get("name") or "")
            out.append(Entry("assistant", text_of(content)))
        elif message.get("role") == "user":
            out.extend(_user(content, names))
    return out
