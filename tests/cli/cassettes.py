"""Cassettes for the CLI tests, written by hand so each test shows what it is about."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from llmring_replay.cassette import Cassette, Interaction, RecordedRequest, RecordedResponse

__all__ = ["TEXT", "openai_chunk", "openai_interaction", "save", "sse", "text_stream"]

TEXT = "Hello from the simulator, word by word."

OPENAI_REQUEST: dict[str, Any] = {
    "model": "gpt-4o-mini",
    "messages": [{"role": "user", "content": "Hi"}],
    "stream": True,
    "stream_options": {"include_usage": True},
}


def sse(*payloads: object, done: bool = True) -> bytes:
    """An OpenAI-style SSE body of `payloads` (dicts as JSON, strings as they are)."""
    frames = [f"data: {p if isinstance(p, str) else json.dumps(p)}\n\n" for p in payloads]
    return ("".join(frames) + ("data: [DONE]\n\n" if done else "")).encode()


def openai_chunk(content: str | None = None, finish: str | None = None) -> dict[str, Any]:
    """One `chat.completion.chunk` with a text delta and/or a finish reason."""
    delta = {} if content is None else {"content": content}
    return {
        "model": "gpt-4o-mini",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


def text_stream(words: list[str], usage: bool = True) -> bytes:
    """A whole OpenAI text stream: the words, the finish, the usage chunk, `[DONE]`."""
    chunks: list[object] = [openai_chunk(word) for word in words]
    chunks.append(openai_chunk(finish="stop"))
    if usage:
        total = 5 + len(words)
        counts = {"prompt_tokens": 5, "completion_tokens": len(words), "total_tokens": total}
        chunks.append({"model": "gpt-4o-mini", "choices": [], "usage": counts})
    return sse(*chunks)


def openai_interaction(
    body: bytes,
    offsets: list[float] | None = None,
    status: int = 200,
    request: dict[str, Any] | None = None,
    content_type: str = "text/event-stream",
) -> Interaction:
    """An OpenAI chat completions exchange, the request as our client sends it by default."""
    sent = json.dumps(request or OPENAI_REQUEST, separators=(",", ":")).encode()
    return Interaction(
        request=RecordedRequest(
            "POST",
            "https://api.openai.com/v1/chat/completions",
            {"content-type": ["application/json"]},
            sent,
        ),
        response=RecordedResponse(
            status, "OK", {"content-type": [content_type]}, body, offsets=offsets
        ),
        provider="openai",
        model="gpt-4o-mini",
    )


def save(path: Path, *interactions: Interaction) -> Path:
    """Write a cassette of `interactions` to `path`."""
    Cassette(path=path, interactions=list(interactions)).save()
    return path
