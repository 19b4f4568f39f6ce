"""The conversation a request body carries, in neutral terms, for request-aware simulators.

Each format folder has a `conversation` module whose `entries(body)` reads its own request
shape into a flat list of `Entry`: who spoke (`system`, `user`, `assistant`, `tool`), the
plain text they said, and for a tool result the tool's name. The simulator's scenarios match
rules on that list (the last user message, the tool results of the newest turn, the turn
number), so a rule written once matches every format.

Readers are lenient: anything they do not understand is skipped, never an error, since a
simulator must answer (or explain its refusal of) whatever a client sends.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["Entry", "Role", "text_of"]

Role = Literal["system", "user", "assistant", "tool"]


@dataclass(frozen=True)
class Entry:
    """One message (or one tool result) of a request's conversation."""

    role: Role
    #: The plain text said (text parts joined with newlines); "" when there is none.
    text: str = ""
    #: For a tool result: the name of the tool it answers (`None` when the body does not say).
    tool: str | None = None


def text_of(content: Any, *, types: tuple[str, ...] = ("text",)) -> str:
    """The plain text of a message's content: a string, or the text parts of a list.

    A part counts when it is a string, or a mapping with a string `text` whose `type` (when
    it has one) is in `types`; other parts (images, tool blocks) add nothing.
    """
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return ""
    texts = []
    for part in content:
        if isinstance(part, str):
            texts.append(part)
        elif (
            isinstance(part, dict)
            and isinstance(part.get("text"), str)
            and part.get("type", types[0]) in types
        ):
            texts.append(part["text"])
    return "\n".join(texts)
