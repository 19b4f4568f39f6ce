"""The conversation of a `generateContent` body (`systemInstruction`, `contents`), for the
simulator's scenarios.

Roles are `user` and `model`; tool results are `functionResponse` parts (naming their
function) in a `user` (or legacy `function`) content. Thought parts are the model's, never
text a rule matches.
"""

from __future__ import annotations

from typing import Any

from llmring_replay.providers.conversation import Entry, text_of

__all__ = ["entries"]


def _text(parts: list[dict[str, Any]]) -> str:
    return text_of([part for part in parts if not part.get("thought")])


def entries(body: dict[str, Any]) -> list[Entry]:
    """The system instruction, then one entry per content and per function response."""
    out: list[Entry] = []
    system = body.get("systemInstruction")
    if isinstance(system, dict):
        text = _text([part for part in system.get("parts") or () if isinstance(part, dict)])
        if text:
            out.append(Entry("system", text))
    for content in body.get("contents") or ():
        if not isinstance(content, dict):
            continue
        parts = [part for part in content.get("parts") or () if isinstance(part, dict)]
        if content.get("role") == "model":
            out.append(Entry("assistant", _text(parts)))
            continue
        results = [part["functionResponse"] for part in parts if "functionResponse" in part]
        for result in results:
            name = result.get("name") if isinstance(result, dict) else None
            out.append(Entry("tool", "", name if isinstance(name, str) else None))
        text = _text(parts)
        if text or not results:
            out.append(Entry("user", text))
    return out
