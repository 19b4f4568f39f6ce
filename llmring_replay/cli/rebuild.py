"""The `LLMRequest` behind a recorded request body: each codec's `build_request`, inverted.

`lint --drift` re-encodes the result with today's codec and compares: a body our client
would no longer send the same way shows up as a difference. Each inverse maps what
`LLMRequest` has a field for (messages, temperature, max tokens, tools, tool choice,
thinking budget, JSON mode) and hands every other key to `extra_params`, which the codecs
merge back as they are, so only what the client itself decides can differ. Provider-native
content (Anthropic blocks, Gemini parts) is passed through as content parts, which the
codecs pass through too.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from llmring_replay.schemas import LLMRequest, Message

__all__ = ["Rebuilt", "rebuild_request"]


@dataclass(frozen=True)
class Rebuilt:
    """The request, the model it was sent to (no provider prefix) and whether it streamed."""

    request: LLMRequest
    model: str
    stream: bool


def _rest(body: dict[str, Any], known: set[str]) -> dict[str, Any]:
    return {key: value for key, value in body.items() if key not in known}


# -- OpenAI ---------------------------------------------------------------------------------

_OPENAI = {"model", "messages", "stream", "stream_options", "temperature", "max_tokens"}
_OPENAI |= {"max_completion_tokens", "tools", "tool_choice", "response_format"}


def _openai(body: dict[str, Any], model: str) -> Rebuilt:
    messages = [
        Message(
            role=item["role"],
            content=item.get("content"),
            tool_calls=item.get("tool_calls"),
            tool_call_id=item.get("tool_call_id"),
        )
        for item in body.get("messages") or []
    ]
    request = LLMRequest(
        messages=messages,
        temperature=body.get("temperature"),
        max_tokens=body.get("max_tokens", body.get("max_completion_tokens")),
        tools=body.get("tools"),
        tool_choice=body.get("tool_choice"),
        response_format=body.get("response_format"),
        extra_params=_rest(body, _OPENAI),
    )
    return Rebuilt(request, body.get("model") or model, body.get("stream") is True)


# -- Anthropic ------------------------------------------------------------------------------

_ANTHROPIC = {"model", "max_tokens", "system", "messages", "stream", "temperature", "tools"}
_ANTHROPIC |= {"tool_choice", "thinking"}


def _anthropic_system(system: Any) -> list[Message]:
    if isinstance(system, str):
        return [Message(role="system", content=system)]
    messages = []
    for block in system or []:
        cache = {"cache_control": block["cache_control"]} if "cache_control" in block else None
        messages.append(Message(role="system", content=block.get("text", ""), metadata=cache))
    return messages


def _anthropic(body: dict[str, Any], model: str) -> Rebuilt:
    messages = _anthropic_system(body.get("system"))
    messages += [Message(role=m["role"], content=m["content"]) for m in body.get("messages", [])]
    thinking = body.get("thinking")
    budget = None
    extra = _rest(body, _ANTHROPIC)
    if isinstance(thinking, dict) and set(thinking) == {"type", "budget_tokens"}:
        budget = thinking["budget_tokens"]
    elif thinking is not None:
        extra["thinking"] = thinking
    request = LLMRequest(
        messages=messages,
        temperature=body.get("temperature"),
        max_tokens=body.get("max_tokens"),
        reasoning_tokens=budget,
        tools=body.get("tools"),
        tool_choice=body.get("tool_choice"),
        extra_params=extra,
    )
    return Rebuilt(request, body.get("model") or model, body.get("stream") is True)


# -- Google ---------------------------------------------------------------------------------

_TOOL_MODES = {"AUTO": "auto", "NONE": "none", "ANY": "required"}


def _google_tools(body: dict[str, Any], extra: dict[str, Any]) -> list[dict[str, Any]] | None:
    tools = body.get("tools")
    if tools is None:
        return None
    if len(tools) == 1 and set(tools[0]) == {"functionDeclarations"}:
        return [{"type": "function", "function": d} for d in tools[0]["functionDeclarations"]]
    extra["tools"] = tools  # search, code execution...: not LLMRequest's to express
    return None


def _google_tool_choice(body: dict[str, Any], extra: dict[str, Any]) -> Any:
    config = (body.get("toolConfig") or {}).get("functionCallingConfig") or {}
    names = config.get("allowedFunctionNames")
    if config.get("mode") == "ANY" and isinstance(names, list) and len(names) == 1:
        return {"type": "function", "function": {"name": names[0]}}
    if "toolConfig" in body and (set(config) != {"mode"} or config["mode"] not in _TOOL_MODES):
        extra["toolConfig"] = body["toolConfig"]
        return None
    return _TOOL_MODES.get(config.get("mode", ""))


def _google(body: dict[str, Any], model: str, stream: bool) -> Rebuilt:
    extra = _rest(body, {"contents", "systemInstruction", "generationConfig", "tools"})
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
    request = LLMRequest(
        messages=messages,
        temperature=temperature,
        max_tokens=max_tokens,
        reasoning_tokens=budget,
        tools=_google_tools(body, extra),
        tool_choice=_google_tool_choice(body, extra),
        extra_params=extra,
    )
    return Rebuilt(request, model, stream)


# -- Ollama ---------------------------------------------------------------------------------

_OLLAMA = {"model", "messages", "stream", "options", "format", "tools", "think"}


def _ollama_message(item: dict[str, Any]) -> Message:
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


def _ollama(body: dict[str, Any], model: str) -> Rebuilt:
    extra = _rest(body, _OLLAMA)
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
    request = LLMRequest(
        messages=[_ollama_message(item) for item in body.get("messages") or []],
        temperature=temperature,
        max_tokens=max_tokens,
        reasoning_tokens=int(think) if isinstance(think, bool) else None,
        json_response=True if fmt == "json" else None,
        response_format=json_schema if isinstance(fmt, dict) else None,
        tools=body.get("tools"),
        extra_params=extra,
    )
    return Rebuilt(request, body.get("model") or model, body.get("stream") is not False)


_INVERSES: dict[str, Callable[[dict[str, Any], str], Rebuilt]] = {
    "openai": _openai,
    "anthropic": _anthropic,
    "ollama": _ollama,
}


def rebuild_request(provider: str, body: dict[str, Any], model: str, uri: str) -> Rebuilt:
    """The `LLMRequest` that `provider`'s codec would turn into `body` (sent to `uri`).

    Raises `ValueError` (pydantic's included) or `KeyError`/`TypeError` when the body holds
    something `LLMRequest` cannot express, such as a message role it does not know.
    """
    if provider == "google":
        return _google(body, model, ":streamGenerateContent" in uri)
    return _INVERSES[provider](body, model)
