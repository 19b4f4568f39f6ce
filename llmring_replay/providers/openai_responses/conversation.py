"""The conversation of a Responses API body (`instructions` and `input`), for the scenarios.

`input` is a string (one user message) or a list of items: messages (`system`, `developer`,
`user`, `assistant`), the calls an assistant made (`function_call`, `custom_tool_call`) and
the tool results (`function_call_output`, ...), which name their call by `call_id`.
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
_TEXT_PARTS = ("input_text", "output_text", "text")


def entries(body: dict[str, Any]) -> list[Entry]:
    """One entry per message and per tool result, tool results named after their call."""
    out: list[Entry] = []
    if isinstance(body.get("instructions"), str):
        out.append(Entry("system", body["instructions"]))
    items = body.get("input")
    if isinstance(items, str):
        return [*out, Entry("user", items)]
    names: dict[str, str] = {}  # call id -> tool name
    for item in items if isinstance(items, list) else ():
        if not isinstance(item, dict):
            continue
        kind = item.get("type", "message")
        if kind in ("function_call", "custom_tool_call"):
            # A call is the assistant's turn even without a message item beside it.
            out.append(Entry("assistant"))
            if isinstance(item.get("call_id"), str):
                names[item["call_id"]] = str(item.get("name") or "")
        elif kind in ("function_call_output", "custom_tool_call_output"):
            output = item.get("output")
            text = output if isinstance(output, str) else text_of(output, types=_TEXT_PARTS)
            out.append(Entry("tool", text, names.get(str(item.get("call_id")))))
        elif kind == "message" and item.get("role") in _ROLES:
            text = text_of(item.get("content"), types=_TEXT_PARTS)
            out.append(Entry(_ROLES[item["role"]], text))
    return out
