"""Printing a stream as it arrives, and the summary line after it (`record`, `replay`).

Times are taken on the event loop's clock from the moment the request is made. TTFT has one
meaning everywhere (`show`, `ls`, `record`, `replay`): the arrival of the response's first
frame (SSE event, NDJSON line), and the duration the arrival of the last, which the caller
fills in as `first_frame` and `last_frame` (the recorder's offsets, the replayed body's
reads); without them, the first and the last chunk's arrivals.

What is printed is scrubbed as a cassette is: the key values in the environment become their
placeholders (`<OPENAI_API_KEY>`), also when a server streamed one in pieces, and a `--json`
line holding a string shaped like a key is refused (`CassetteSecretError`): output that a CI
log or `> chunks.jsonl` keeps is written as much as a cassette is.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import click

from llmring_replay.cassette.scrub import StreamRedactor, find_secret, known_secrets, redact
from llmring_replay.cli.summary import format_seconds
from llmring_replay.exceptions import CassetteSecretError
from llmring_replay.schemas import StreamChunk

__all__ = ["StreamStats", "print_stream", "summary_lines"]


@dataclass
class StreamStats:
    """What the summary line reports about one stream."""

    started: float
    offsets: list[float] = field(default_factory=list)
    final: StreamChunk | None = None
    #: Seconds from the request to the first and the last frame of the body, when measured.
    first_frame: float | None = None
    last_frame: float | None = None

    @property
    def ttft(self) -> float | None:
        """Seconds to the first frame (to the first chunk when that was not measured)."""
        if self.first_frame is not None:
            return self.first_frame
        return self.offsets[0] if self.offsets else None

    @property
    def duration(self) -> float | None:
        """Seconds to the last frame (to the last chunk when that was not measured)."""
        if self.last_frame is not None:
            return self.last_frame
        return self.offsets[-1] if self.offsets else None


async def print_stream(
    chunks: AsyncIterator[StreamChunk],
    *,
    as_json: bool = False,
    extra: dict[str, Any] | None = None,
    stats: StreamStats | None = None,
) -> StreamStats:
    """Echo each chunk as it arrives: its text, or (`as_json`) one JSON object per line with
    `offset_ms` and the `extra` keys. Errors propagate; what arrived before them is printed.
    """
    loop = asyncio.get_running_loop()
    stats = stats if stats is not None else StreamStats(loop.time())
    scrub = _Scrub(known_secrets())
    open_line = False
    try:
        async for raw in chunks:
            offset = loop.time() - stats.started
            stats.offsets.append(offset)
            chunk = scrub.chunk(raw)
            if chunk.finish_reason is not None:
                stats.final = chunk
            if as_json:
                line = {"offset_ms": round(offset * 1000, 2), **(extra or {})}
                line.update(chunk.model_dump(mode="json", exclude_none=True))
                click.echo(scrub.line(json.dumps(line, ensure_ascii=False)))
            elif chunk.delta:
                click.echo(chunk.delta, nl=False)  # click.echo flushes: text shows at once
                open_line = not chunk.delta.endswith("\n")
    finally:
        if open_line:
            click.echo()  # so what follows (the summary, an error) starts on its own line
    return stats


class _Scrub:
    """Known secrets out of each chunk's text (held back while one may be arriving)."""

    def __init__(self, secrets: dict[str, str]) -> None:
        self.secrets = secrets
        self.text = StreamRedactor(secrets)
        self.reasoning = StreamRedactor(secrets)

    def chunk(self, chunk: StreamChunk) -> StreamChunk:
        if not self.secrets:
            return chunk
        delta = self.text.feed(chunk.delta)
        reasoning = self.reasoning.feed(chunk.reasoning or "")
        if chunk.finish_reason is not None:  # the last chunk: nothing more can complete
            delta += self.text.flush()
            reasoning += self.reasoning.flush()
        update = {"delta": delta, "reasoning": reasoning or None}
        if chunk.tool_calls is not None:
            update["tool_calls"] = json.loads(redact(json.dumps(chunk.tool_calls), self.secrets))
        return chunk.model_copy(update=update)

    def line(self, text: str) -> str:
        text = redact(text, self.secrets)
        found = find_secret(text)
        if found is not None:
            raise CassetteSecretError(
                f"refusing to print a chunk: a string shaped like an API key ({found.kind}) is "
                "in it; set the key's environment variable so it is redacted"
            )
        return text


def _usage_text(usage: dict[str, Any] | None) -> str:
    if not usage:
        return "usage: not reported"
    prompt, completion = usage.get("prompt_tokens", 0), usage.get("completion_tokens", 0)
    return f"usage: {prompt} in + {completion} out = {usage.get('total_tokens', 0)} tokens"


def summary_lines(stats: StreamStats) -> list[str]:
    """The tool calls made (one line each), then `finish: stop · usage ... · TTFT · duration`."""
    final = stats.final
    lines = []
    for call in (final.tool_calls or []) if final is not None else []:
        function = call.get("function") or {}
        lines.append(f"tool call {function.get('name')}({function.get('arguments')})")
    finish = final.finish_reason if final is not None else "none"
    parts = [
        f"finish: {finish}",
        _usage_text(final.usage if final is not None else None),
        f"TTFT {format_seconds(stats.ttft)}",
        f"duration {format_seconds(stats.duration)}",
    ]
    lines.append(" · ".join(parts))
    return lines
