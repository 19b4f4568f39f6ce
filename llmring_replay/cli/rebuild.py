"""The `LLMRequest` behind a recorded request body: the codec's `build_request`, inverted.

`lint --drift` re-encodes the result with today's codec and compares: a body our client
would no longer send the same way shows up as a difference. Each format's inverse lives in
its folder (`providers/<format>/rebuild.py`): it maps what `LLMRequest` has a field for
(messages, temperature, max tokens, tools, tool choice, thinking budget, JSON mode) and
hands every other key to `extra_params`, which the codecs merge back as they are, so only
what the client itself decides can differ. Provider-native content (Anthropic blocks, Gemini
parts) is passed through as content parts, which the codecs pass through too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from llmring_replay.providers import Format
from llmring_replay.schemas import LLMRequest

__all__ = ["Rebuilt", "rebuild_request"]


@dataclass(frozen=True)
class Rebuilt:
    """The request, the model it was sent to (no provider prefix) and whether it streamed."""

    request: LLMRequest
    model: str
    stream: bool


def rebuild_request(fmt: Format, body: dict[str, Any], model: str, uri: str) -> Rebuilt:
    """The `LLMRequest` that `fmt`'s codec would turn into `body` (sent to `uri`); `model`
    is used when the body names none (Gemini's is in the URL).

    Raises `ValueError` (pydantic's included) or `KeyError`/`TypeError` when the body holds
    something `LLMRequest` cannot express, such as a message role it does not know.
    """
    request = fmt.module("rebuild").rebuild(body)
    stream = fmt.request_streams(urlsplit(uri).path, body)
    named = body.get("model")
    return Rebuilt(request, named if isinstance(named, str) and named else model, bool(stream))
