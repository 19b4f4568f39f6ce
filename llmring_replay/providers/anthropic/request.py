"""The body of an Anthropic Messages request, built from an `LLMRequest`.

Where the Messages API differs from the OpenAI-shaped `LLMRequest`:

- `system` is a top-level field, not a message: system messages are joined (blank line
  between them). It becomes a list of text blocks only when one of them asks for
  `cache_control` (via `Message.metadata`), since only blocks can carry it.
- Tool results are `tool_result` blocks inside a *user* message; consecutive `tool` messages
  become one user message, as the API wants all results of one turn together.
- An assistant's `tool_calls` become `tool_use` blocks whose `input` is the parsed
  arguments object, not a JSON string.
- `max_tokens` is required: 4096 answer tokens by default, on top of the thinking budget when
  `reasoning_tokens` asks for extended thinking (the API wants the budget below `max_tokens`).
- There is no JSON mode. For `json_response` / `response_format` we append an instruction to
  the system prompt (with the schema, for `json_schema`), the approach Anthropic's docs
  recommend for plain JSON output; it is a request, not a guarantee.

Content parts in OpenAI's shape (`text`, `image_url`) are translated; any other part
(Anthropic-native `image`, `document`, `thinking` with its signature, ...) passes through, so
a caller can always speak the native format. Tools work the same way.
"""

from __future__ import annotations

import json
from typing import Any

from llmring_replay.exceptions import ConfigurationError
from llmring_replay.providers.base import call_arguments, drop_none
from llmring_replay.schemas import LLMRequest, Message

__all__ = ["DEFAULT_MAX_TOKENS", "JSON_INSTRUCTION", "build_body"]

#: Answer tokens asked for when the request gives no `max_tokens` (the API requires one).
DEFAULT_MAX_TOKENS = 4096

#: Appended to the system prompt when JSON output is requested (Anthropic has no JSON mode).
JSON_INSTRUCTION = "Respond with a single valid JSON object and nothing else."

_TOOL_CHOICES: dict[str, str] = {"auto": "auto", "required": "any", "any": "any", "none": "none"}


def build_body(request: LLMRequest, model: str, *, stream: bool) -> dict[str, Any]:
    """The JSON body of a `POST /v1/messages` for `request` sent to `model`."""
    budget = request.reasoning_tokens if request.reasoning_tokens else None
    max_tokens = request.max_tokens
    if max_tokens is None:
        max_tokens = DEFAULT_MAX_TOKENS + (budget or 0)
    body = drop_none(
        {
            "model": model,
            "max_tokens": max_tokens,
            "system": _system(request),
            "messages": _messages(request.messages),
            "stream": True if stream else None,
            "temperature": request.temperature,
            "tools": [_tool(tool) for tool in request.tools] if request.tools else None,
            "tool_choice": _tool_choice(request.tool_choice),
            "thinking": {"type": "enabled", "budget_tokens": budget} if budget else None,
        }
    )
    body.update(request.extra_params)
    return body


# -- system -----------------------------------------------------------------------------


def _system(request: LLMRequest) -> str | list[dict[str, Any]] | None:
    blocks: list[dict[str, Any]] = []
    for message in request.messages:
        if message.role == "system":
            block = {"type": "text", "text": _plain_text(message.content)}
            blocks.append(_with_cache_control(block, message))
    instruction = _json_instruction(request)
    if instruction is not None:
        blocks.append({"type": "text", "text": instruction})
    if not blocks:
        return None
    if any("cache_control" in block for block in blocks):
        return blocks
    return "\n\n".join(block["text"] for block in blocks)


def _json_instruction(request: LLMRequest) -> str | None:
    response_format = request.response_format or {}
    kind = response_format.get("type")
    if kind == "json_schema":
        spec = response_format.get("json_schema") or {}
        schema = spec.get("schema", spec)
        return (
            f"{JSON_INSTRUCTION} The object must match this JSON schema: "
            f"{json.dumps(schema, sort_keys=True, separators=(',', ':'))}"
        )
    if kind == "json_object" or request.json_response:
        return JSON_INSTRUCTION
    return None


def _plain_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            part if isinstance(part, str) else str(part.get("text", ""))
            for part in content
            if isinstance(part, str) or part.get("type") == "text"
        )
    return "" if content is None else str(content)


# -- messages ---------------------------------------------------------------------------


def _messages(messages: list[Message]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    # The content list of the user message collecting the current run of tool results.
    results: list[dict[str, Any]] | None = None
    for message in messages:
        if message.role == "system":
            continue
        if message.role == "tool":
            if results is None:
                results = []
                out.append({"role": "user", "content": results})
            block = {
                "type": "tool_result",
                "tool_use_id": message.tool_call_id,
                "content": _tool_result_content(message.content),
            }
            results.append(_with_cache_control(block, message))
            continue
        results = None
        out.append({"role": message.role, "content": _content(message)})
    return out


def _content(message: Message) -> str | list[dict[str, Any]]:
    content = message.content
    wants_blocks = message.tool_calls or _cache_control(message) is not None
    if isinstance(content, str) and not wants_blocks:
        return content
    blocks = _parts(content)
    for call in message.tool_calls or ():
        blocks.append(_tool_use(call))
    if blocks:
        blocks[-1] = _with_cache_control(blocks[-1], message)
    return blocks


def _parts(content: Any) -> list[dict[str, Any]]:
    if content is None or content == "":
        # The API rejects empty text blocks (an assistant turn that only calls tools).
        return []
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    if isinstance(content, list):
        return [_part(part) for part in content]
    return [{"type": "text", "text": json.dumps(content)}]


def _part(part: Any) -> dict[str, Any]:
    if isinstance(part, str):
        return {"type": "text", "text": part}
    if part.get("type") == "image_url":
        image = part["image_url"]
        url = image if isinstance(image, str) else image["url"]
        if url.startswith("data:"):
            # data:image/png;base64,AAAA
            header, _, data = url.partition(",")
            media_type = header[5:].split(";", 1)[0]
            source = {"type": "base64", "media_type": media_type, "data": data}
            return {"type": "image", "source": source}
        return {"type": "image", "source": {"type": "url", "url": url}}
    # OpenAI's text part has Anthropic's shape already; native parts pass through.
    return dict(part)


def _tool_result_content(content: Any) -> str | list[dict[str, Any]]:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return [_part(part) for part in content]
    return json.dumps(content)


def _tool_use(call: dict[str, Any]) -> dict[str, Any]:
    function = call.get("function") or {}
    return {
        "type": "tool_use",
        "id": call.get("id"),
        "name": function.get("name"),
        "input": call_arguments(call, "anthropic"),
    }


def _cache_control(message: Message) -> Any:
    return (message.metadata or {}).get("cache_control")


def _with_cache_control(block: dict[str, Any], message: Message) -> dict[str, Any]:
    cache_control = _cache_control(message)
    if cache_control is None:
        return block
    return {**block, "cache_control": cache_control}


# -- tools ------------------------------------------------------------------------------


def _tool(tool: dict[str, Any]) -> dict[str, Any]:
    function = tool.get("function")
    if tool.get("type") != "function" or not isinstance(function, dict):
        # Already Anthropic's shape (a custom tool, or a server tool like web search).
        return tool
    return drop_none(
        {
            "name": function.get("name"),
            "description": function.get("description"),
            "input_schema": function.get("parameters") or {"type": "object", "properties": {}},
        }
    )


def _tool_choice(choice: str | dict[str, Any] | None) -> dict[str, Any] | None:
    if choice is None:
        return None
    if isinstance(choice, str):
        kind = _TOOL_CHOICES.get(choice)
        if kind is None:
            known = ", ".join(sorted(_TOOL_CHOICES))
            raise ConfigurationError(f"unknown tool_choice {choice!r} (known: {known})")
        return {"type": kind}
    if choice.get("type") == "function":
        return {"type": "tool", "name": choice["function"]["name"]}
    # Already Anthropic's shape: {"type": "tool", "name": ...}, {"type": "any"}, ...
    return choice
