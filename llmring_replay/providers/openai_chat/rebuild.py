"""The `LLMRequest` behind a Chat Completions body: `OpenAICodec.build_request` inverted.

For `lint --drift` (see `cli/rebuild.py`): what `LLMRequest` has a field for is mapped back,
every other key goes to `extra_params`, which the codec merges back as it is.
"""

from __future__ import annotations

from typing import Any

from llmring_replay.providers.base import other_keys
from llmring_replay.schemas import LLMRequest, Message

__all__ = ["rebuild"]

_KNOWN = {"model", "messages", "stream", "stream_options", "temperature", "max_tokens"}
_KNOWN |= {"max_completion_tokens", "tools", "tool_choice", "response_format"}


def rebuild(body: dict[str, Any]) -> LLMRequest:
    """The request the codec turns into `body`."""
    messages = [
        Message(
            role=item["role"],
            content=item.get("content"),
            tool_calls=item.get("tool_calls"),
            tool_call_id=item.get("tool_call_id"),
        )
        for item in body.get("messages") or []
    ]
    return LLMRequest(
        messages=messages,
        temperature=body.get("temperature"),
        max_tokens=body.get("max_tokens", body.get("max_completion_tokens")),
        tools=body.get("tools"),
        tool_choice=body.get("tool_choice"),
        response_format=body.get("response_format"),
        extra_params=other_keys(body, _KNOWN),
    )
