"""The `LLMRequest` behind an `/api/chat` body: `OllamaCodec.build_request` inverted.

For `lint --drift` (see `cli/rebuild.py`): what `LLMRequest` has a field for is mapped back,
every other key goes to `extra_params`, which the codec merges back as it is.
"""

from __future__ import annotations

import json
from typing import Any

from llmring_replay.providers.base import other_keys
from llmring_replay.schemas import LLMRequest, Message

__all__ = ["rebuild"]

_KNOWN = {"model", "messages", "stream", "options", "format", "tools", "think"}


def _message(item: dict[str, Any]) -> Message:
    content: Any = item.get("content")
    if item.get("images"):
        # The codec sends the base64 of a data URL; the media type is not on the wire.
        urls = [f"data:image/png;base64,{image}" for image in item["images"]]
        images = [{"type": "image_url", "image_url": url} for url in urls]
        content = [{"type": "text", "text": content or ""}, *images]
    calls = [
        {
            # Ids tie a tool result to its call by name, which is what Ollama sends back.
            "id": f"rebuilt:{call['function']['name']}",
            "type": "function",
            "function": {
                "name": call["function"]["name"],
                "arguments": json.dumps(call["function"].get("arguments") or {}),
            },
        }
        for call in item.get("tool_calls") or []
    ]
    name = item.get("tool_name")
    return Message(
        role=item["role"],
        content=content,
        tool_calls=calls or None,
        tool_call_id=f"rebuilt:{name}" if name else None,
    )


def rebuild(body: dict[str, Any]) -> LLMRequest:
    """The request the codec turns into `body`."""
    extra = other_keys(body, _KNOWN)
    options = dict(body.get("options") or {})
    temperature, max_tokens = options.pop("temperature", None), options.pop("num_predict", None)
    if options:
        extra["options"] = options
    fmt, think = body.get("format"), body.get("think")
    json_schema = {"type": "json_schema", "json_schema": {"schema": fmt}}
    if fmt is not None and fmt != "json" and not isinstance(fmt, dict):
        extra["format"] = fmt
    if think is not None and not isinstance(think, bool):
        extra["think"] = think
    return LLMRequest(
        messages=[_message(item) for item in body.get("messages") or []],
        temperature=temperature,
        max_tokens=max_tokens,
        reasoning_tokens=int(think) if isinstance(think, bool) else None,
        json_response=True if fmt == "json" else None,
        response_format=json_schema if isinstance(fmt, dict) else None,
        tools=body.get("tools"),
        extra_params=extra,
    )
