"""Normalized transcripts of streamed answers: what the snapshot extensions store.

A transcript keeps what an app's behaviour depends on and drops what changes from one
recording to the next:

- kept: the model (`provider:model`, once at the top), text, reasoning, tool calls (name and
  arguments, the arguments parsed from JSON), the finish reason, usage, provider details;
- dropped: ids, timestamps, fingerprints and signatures (`VOLATILE_KEYS`, at any depth of the
  provider details); tool call ids become `call_1`, `call_2`, ... in order of appearance.

Two shapes:

- `coalesced` (the default): the stream as *segments*: consecutive text deltas are joined,
  as are reasoning deltas, and consecutive tool call updates keep the last (complete) list. A
  re-recording that cuts the same answer at other chunk boundaries gives the same transcript.
- `exact`: one entry per chunk, for tests about chunking itself.

An `LLMResponse` (from `chat()`) gives the coalesced shape too.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import yaml

from llmring_replay.schemas import LLMResponse, StreamChunk

__all__ = ["VOLATILE_KEYS", "coalesced", "dump", "exact", "from_response"]

#: Keys removed from provider details (and tool calls) at any depth.
VOLATILE_KEYS = frozenset(
    {
        "id",
        "created",
        "created_at",
        "createTime",
        "fingerprint",
        "request_id",
        "response_id",
        "responseId",
        "signature",
        "system_fingerprint",
        "thoughtSignature",
        "thought_signature",
        "timestamp",
    }
)


class _CallIds:
    """Tool call ids as `call_1`, `call_2`, ... in order of first appearance."""

    def __init__(self) -> None:
        self._names: dict[str, str] = {}

    def __call__(self, raw: object, position: int) -> str:
        key = str(raw) if raw else f"<no id #{position}>"
        return self._names.setdefault(key, f"call_{len(self._names) + 1}")


def _scrub(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _scrub(v) for k, v in value.items() if k not in VOLATILE_KEYS}
    if isinstance(value, list):
        return [_scrub(item) for item in value]
    return value


def _tool_call(call: dict[str, Any], ids: _CallIds, position: int) -> dict[str, Any]:
    function = call.get("function") or {}
    shown: dict[str, Any] = {"id": ids(call.get("id"), position), "name": function.get("name")}
    if call.get("type") not in (None, "function"):
        shown["type"] = call["type"]
    arguments = function.get("arguments")
    try:
        shown["arguments"] = json.loads(arguments) if isinstance(arguments, str) else arguments
    except ValueError:
        shown["arguments_text"] = arguments  # not (yet) valid JSON: a fragment mid-stream
    extra = _scrub({k: v for k, v in call.items() if k not in ("id", "type", "function")})
    shown.update(extra)
    return shown


def _tool_calls(calls: list[dict[str, Any]], ids: _CallIds) -> list[dict[str, Any]]:
    return [_tool_call(call, ids, position) for position, call in enumerate(calls)]


def _models(chunks: list[StreamChunk]) -> dict[str, Any]:
    models = list(dict.fromkeys(chunk.model for chunk in chunks if chunk.model))
    if len(models) == 1:
        return {"model": models[0]}
    return {"models": models} if models else {}


def _ending(chunks: Iterable[StreamChunk]) -> dict[str, Any]:
    """Finish reason, usage and provider details: the last chunk that carried each."""
    ending: dict[str, Any] = {}
    for chunk in chunks:
        if chunk.finish_reason is not None:
            ending["finish_reason"] = chunk.finish_reason
        if chunk.usage is not None:
            ending["usage"] = dict(chunk.usage)
        details = _scrub(chunk.provider_details or {})
        if details:
            ending["provider_details"] = details
    return ending


class _Segments:
    """The stream as a list of `{kind: value}` segments, consecutive same kinds merged."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []
        self._calls: list[dict[str, Any]] | None = None

    def text(self, kind: str, value: str | None) -> None:
        if not value:
            return
        if self.items and kind in self.items[-1]:
            self.items[-1][kind] += value
        else:
            self.items.append({kind: value})

    def calls(self, calls: list[dict[str, Any]]) -> None:
        if calls == self._calls:
            return  # the cumulative list repeated (e.g. on the final chunk): no news
        self._calls = calls
        if self.items and "tool_calls" in self.items[-1]:
            self.items[-1]["tool_calls"] = calls
        else:
            self.items.append({"tool_calls": calls})


def coalesced(chunks: Iterable[StreamChunk]) -> dict[str, Any]:
    """The transcript with deltas joined: stable across different chunk boundaries."""
    chunks = _checked(chunks)
    ids = _CallIds()
    segments = _Segments()
    for chunk in chunks:
        segments.text("reasoning", chunk.reasoning)
        segments.text("text", chunk.delta)
        if chunk.tool_calls:
            segments.calls(_tool_calls(chunk.tool_calls, ids))
    return {**_models(chunks), "stream": segments.items, **_ending(chunks)}


def _entry(chunk: StreamChunk, ids: _CallIds, model: str | None) -> dict[str, Any]:
    entry: dict[str, Any] = {"delta": chunk.delta}
    if chunk.model != model:
        entry["model"] = chunk.model
    if chunk.reasoning is not None:
        entry["reasoning"] = chunk.reasoning
    if chunk.tool_calls is not None:
        entry["tool_calls"] = _tool_calls(chunk.tool_calls, ids)
    entry.update(_ending([chunk]))
    return entry


def exact(chunks: Iterable[StreamChunk]) -> dict[str, Any]:
    """The transcript with one entry per chunk."""
    chunks = _checked(chunks)
    ids = _CallIds()
    header = _models(chunks)
    model = header.get("model")
    return {**header, "chunks": [_entry(chunk, ids, model) for chunk in chunks]}


def from_response(response: LLMResponse) -> dict[str, Any]:
    """A whole (non-streaming) answer in the coalesced shape."""
    ids = _CallIds()
    segments = _Segments()
    segments.text("reasoning", response.reasoning)
    segments.text("text", response.content)
    if response.tool_calls:
        segments.calls(_tool_calls(response.tool_calls, ids))
    ending: dict[str, Any] = {}
    if response.finish_reason is not None:
        ending["finish_reason"] = response.finish_reason
    if response.usage is not None:
        ending["usage"] = dict(response.usage)
    details = _scrub(response.provider_details or {})
    if details:
        ending["provider_details"] = details
    return {"model": response.model, "stream": segments.items, **ending}


def _checked(chunks: Iterable[StreamChunk]) -> list[StreamChunk]:
    items = list(chunks)
    for item in items:
        if not isinstance(item, StreamChunk):
            raise TypeError(
                "a stream snapshot compares a list of StreamChunk (or an LLMResponse), "
                f"not a list holding {type(item).__name__}"
            )
    return items


class _Dumper(yaml.SafeDumper):
    """Block-style YAML without anchors; multi-line strings as `|` blocks."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def dump(transcript: dict[str, Any]) -> str:
    """The transcript as YAML, as it appears in the snapshot file."""
    text = yaml.dump(
        transcript,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=1_000_000,  # never fold a long line: a diff shows the change, not a rewrap
    )
    return text.rstrip("\n")
