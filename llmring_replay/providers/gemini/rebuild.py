"""The `LLMRequest` behind a `generateContent` body: `GoogleCodec.build_request` inverted.

For `lint --drift` (see `cli/rebuild.py`): what `LLMRequest` has a field for is mapped back,
every other key goes to `extra_params`, which the codec merges back as it is. Parts are
passed through as content parts, as the codec passes them.
"""

from __future__ import annotations

from typing import Any, Literal

from llmring_replay.providers.base import other_keys
from llmring_replay.schemas import LLMRequest, Message

__all__ = ["rebuild"]

_TOOL_MODES = {"AUTO": "auto", "NONE": "none", "ANY": "required"}


def _tools(body: dict[str, Any], extra: dict[str, Any]) -> list[dict[str, Any]] | None:
    tools = body.get("tools")
    if tools is None:
        return None
    if len(tools) == 1 and set(tools[0]) == {"functionDeclarations"}:
        return [{"type": "function", "function": d} for d in tools[0]["functionDeclarations"]]
    extra["tools"] = tools  # search, code execution...: not LLMRequest's to express
    return None


def _tool_choice(body: dict[str, Any], extra: dict[str, Any]) -> Any:
    config = (body.get("toolConfig") or {}).get("functionCallingConfig") or {}
    names = config.get("allowedFunctionNames")
    if config.get("mode") == "ANY" and isinstance(names, list) and len(names) == 1:
        return {"type": "function", "function": {"name": names[0]}}
    if "toolConfig" in body and (set(config) != {"mode"} or config["mode"] not in _TOOL_MODES):
        extra["toolConfig"] = body["toolConfig"]
        return None
    return _TOOL_MODES.get(config.get("mode", ""))


def rebuild(body: dict[str, Any]) -> LLMRequest:
    """The request the codec turns into `body` (the model is in the URL, not the body)."""
    extra = other_keys(body, {"contents", "systemInstruction", "generationConfig", "tools"})
    extra.pop("toolConfig", None)
    messages = []
    if "systemInstruction" in body:
        messages.append(Message(role="system", content=body["systemInstruction"].get("parts")))
    for content in body.get("contents") or []:
        role: Literal["assistant", "user"] = "user"
        if content.get("role") == "model":
            role = "assistant"
        messages.append(Message(role=role, content=content.get("parts")))
    config = dict(body.get("generationConfig") or {})
    temperature, max_tokens = config.pop("temperature", None), config.pop("maxOutputTokens", None)
    thinking, budget = config.get("thinkingConfig"), None
    if isinstance(thinking, dict) and set(thinking) == {"thinkingBudget"}:
        budget = config.pop("thinkingConfig")["thinkingBudget"]
    if config:
        extra["generationConfig"] = config
    return LLMRequest(
        messages=messages,
        temperature=temperature,
        max_tokens=max_tokens,
        reasoning_tokens=budget,
        tools=_tools(body, extra),
        tool_choice=_tool_choice(body, extra),
        extra_params=extra,
    )
