"""The `LLMRequest` behind a Messages body: `build_body` (`request.py`) inverted.

For `lint --drift` (see `cli/rebuild.py`): what `LLMRequest` has a field for is mapped back,
every other key goes to `extra_params`, which the codec merges back as it is. Content blocks
are passed through as content parts, as the codec passes them.
"""

from __future__ import annotations

from typing import Any

from llmring_replay.providers.base import other_keys
from llmring_replay.schemas import LLMRequest, Message

__all__ = ["rebuild"]

_KNOWN = {"model", "max_tokens", "system", "messages", "stream", "temperature", "tools"}
_KNOWN |= {"tool_choice", "thinking"}


def _system(system: Any) -> list[Message]:
    if isinstance(system, str):
        return [Message(role="system", content=system)]
    messages = []
    for block in system or []:
        cache = {"cache_control": block["cache_control"]} if "cache_control" in block else None
        messages.append(Message(role="system", content=block.get("text", ""), metadata=cache))
    return messages


def rebuild(body: dict[str, Any]) -> LLMRequest:
    """The request the codec turns into `body`."""
    messages = _system(body.get("system"))
    messages += [Message(role=m["role"], content=m["content"]) for m in body.get("messages", [])]
    thinking = body.get("thinking")
    budget = None
    extra = other_keys(body, _KNOWN)
    if isinstance(thinking, dict) and set(thinking) == {"type", "budget_tokens"}:
        budget = thinking["budget_tokens"]
    elif thinking is not None:
        extra["thinking"] = thinking
    return LLMRequest(
        messages=messages,
        temperature=body.get("temperature"),
        max_tokens=body.get("max_tokens"),
        reasoning_tokens=budget,
        tools=body.get("tools"),
        tool_choice=body.get("tool_choice"),
        extra_params=extra,
    )
