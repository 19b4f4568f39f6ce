"""The `LLMRequest` behind a Responses API body: `OpenAIResponsesCodec.build_request` inverted.

For `lint --drift` (see `cli/rebuild.py`): input items become messages again (calls join the
assistant message before them, outputs become `tool` messages), flattened tools and
`text.format` take Chat Completions' shape back, and every other key goes to
`extra_params`, which the codec merges back as it is.
"""

from __future__ import annotations

import json
from typing import Any

from llmring_replay.providers.base import other_keys
from llmring_replay.schemas import LLMRequest, Message

__all__ = ["rebuild"]

_KNOWN = {"model", "input", "stream", "temperature", "max_output_tokens", "tools"}
_KNOWN |= {"tool_choice", "text"}

_PART_TYPES = {"input_text": "text", "output_text": "text"}


def _part(part: Any) -> Any:
    if not isinstance(part, dict):
        return part
    if part.get("type") in _PART_TYPES:
        return {"type": "text", "text": part.get("text", "")}
    if part.get("type") == "input_image" and isinstance(part.get("image_url"), str):
        detail = part.get("detail")
        url = {"url": part["image_url"], **({"detail": detail} if detail else {})}
        return {"type": "image_url", "image_url": url}
    return part


def _content(content: Any) -> Any:
    return [_part(part) for part in content] if isinstance(content, list) else content


def _call(item: dict[str, Any]) -> dict[str, Any]:
    custom = item.get("type") == "custom_tool_call"
    arguments = item.get("input") if custom else item.get("arguments")
    function = {"name": item.get("name"), "arguments": arguments}
    return {"id": item.get("call_id"), "type": "function", "function": function}


def _messages(items: Any) -> list[Message]:
    if isinstance(items, str):
        return [Message(role="user", content=items)]
    messages: list[Message] = []
    for item in items or ():
        kind = item.get("type", "message")
        if kind in ("function_call", "custom_tool_call"):
            # A call belongs to the assistant message just before it, else to one of its own.
            last = messages[-1] if messages else None
            if last is None or last.role != "assistant":
                last = Message(role="assistant", content=None)
                messages.append(last)
            last.tool_calls = [*(last.tool_calls or ()), _call(item)]
        elif kind in ("function_call_output", "custom_tool_call_output"):
            output = item.get("output")
            text = output if isinstance(output, str) else json.dumps(output)
            messages.append(Message(role="tool", content=text, tool_call_id=item.get("call_id")))
        elif kind == "message":
            messages.append(Message(role=item["role"], content=_content(item.get("content"))))
        else:
            raise ValueError(f"input item of type {kind!r}: no LLMRequest message gives it")
    return messages


def _tool(tool: dict[str, Any]) -> dict[str, Any]:
    if tool.get("type") != "function" or "function" in tool:
        return tool
    return {"type": "function", "function": {k: v for k, v in tool.items() if k != "type"}}


def _tool_choice(choice: Any) -> Any:
    if isinstance(choice, dict) and choice.get("type") == "function" and "name" in choice:
        return {"type": "function", "function": {"name": choice["name"]}}
    return choice


def _response_format(body: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any] | None:
    text = body.get("text")
    if not isinstance(text, dict) or set(text) != {"format"}:
        if text is not None:
            extra["text"] = text  # verbosity and the like: not LLMRequest's to say
        return None
    wanted = dict(text["format"])
    if wanted.get("type") == "json_schema":
        del wanted["type"]
        return {"type": "json_schema", "json_schema": wanted}
    return wanted


def rebuild(body: dict[str, Any]) -> LLMRequest:
    """The request the codec turns into `body`."""
    extra = other_keys(body, _KNOWN)
    tools = body.get("tools")
    return LLMRequest(
        messages=_messages(body.get("input")),
        temperature=body.get("temperature"),
        max_tokens=body.get("max_output_tokens"),
        tools=[_tool(tool) for tool in tools] if tools is not None else None,
        tool_choice=_tool_choice(body.get("tool_choice")),
        response_format=_response_format(body, extra),
        extra_params=extra,
    )
