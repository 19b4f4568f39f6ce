"""syrupy extensions that snapshot streamed answers as normalized, readable transcripts.

```python
async def test_hi(llmring, stream_snapshot):
    chunks = [chunk async for chunk in llmring.chat_stream(request)]
    assert chunks == stream_snapshot               # coalesced: stable across re-chunking
    assert chunks == stream_snapshot(exact=True)   # every chunk as it came

def test_plain_syrupy(snapshot):                   # or opt in with syrupy's own API
    assert chunks == snapshot.use_extension(StreamSnapshotExtension)
```

Both extensions are syrupy's amber format (many snapshots per file, one file per test
module), with the transcript written as YAML inside, so a review reads it like a config
file. They keep separate files, `__snapshots__/<test module>.stream` (coalesced) and
`.chunks` (exact), so the two never compete for a snapshot name, nor with plain `.ambr`
snapshots of the same test. `--snapshot-update` writes, updates and deletes them as it does
for any snapshot. See `transcript` for what is kept and what is normalized away.

Secrets never reach `__snapshots__/`, as they never reach a cassette: the key values in the
environment (`cassette.scrub.known_secrets`) are replaced by the same placeholders
(`<OPENAI_API_KEY>`), also where a server echoed one split across chunks; and a transcript
still holding a string shaped like a key is refused (`CassetteSecretError`, naming the
snapshot file), so neither the comparison nor `--snapshot-update` can store it.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.amber import AmberSnapshotExtension

from llmring_replay.cassette.scrub import (
    find_secret,
    known_secrets,
    redact,
    redact_cumulative,
    redact_pieces,
)
from llmring_replay.exceptions import CassetteSecretError
from llmring_replay.schemas import LLMResponse, StreamChunk
from pytest_llmring_replay import transcript

__all__ = [
    "StreamExactSnapshotExtension",
    "StreamSnapshotAssertion",
    "StreamSnapshotExtension",
    "stream_assertion",
]


def _serialize(data: Any, *, exact: bool) -> str:
    secrets = known_secrets()
    if isinstance(data, LLMResponse):
        text = transcript.dump(transcript.from_response(data))
    else:
        chunks = _redacted(list(data), secrets)
        shape = transcript.exact if exact else transcript.coalesced
        text = transcript.dump(shape(chunks))
        # A key split across chunks is whole only in the joined text (exact transcripts).
        _guard("".join(chunk.delta for chunk in chunks if isinstance(chunk, StreamChunk)))
    text = redact(text, secrets)
    _guard(text)
    return text


def _redacted(chunks: list[Any], secrets: dict[str, str]) -> list[Any]:
    """The chunks with known secrets redacted in the joined deltas, reasoning and tool call
    arguments (as the scrubbed cassette replays them)."""
    if not secrets or not all(isinstance(chunk, StreamChunk) for chunk in chunks):
        return chunks  # nothing to redact, or not chunks: `transcript` says what is wrong
    deltas = redact_pieces([chunk.delta for chunk in chunks], secrets)
    thoughts = redact_pieces([chunk.reasoning or "" for chunk in chunks], secrets)
    calls = _redacted_calls(chunks, secrets)
    redacted = []
    sent: Any = None  # the previous chunk's tool calls, as received
    shown: Any = None  # and as redacted
    for chunk, delta, thought, call in zip(chunks, deltas, thoughts, calls, strict=True):
        emptied = (chunk.delta and not delta) or (chunk.reasoning and not thought)
        emptied = emptied or (chunk.tool_calls != sent and call == shown)
        sent = chunk.tool_calls
        if emptied and not (delta or thought or chunk.finish_reason) and call in (None, shown):
            # Only a piece of a key: the scrubbed cassette's frame decodes to no chunk at all,
            # and the replayed stream must give the same chunk-exact transcript.
            continue
        shown = call
        reasoning = thought if chunk.reasoning is not None else None
        update = {"delta": delta, "reasoning": reasoning, "tool_calls": call}
        redacted.append(chunk.model_copy(update=update))
    return redacted


def _redacted_calls(
    chunks: list[StreamChunk], secrets: dict[str, str]
) -> list[list[dict[str, Any]] | None]:
    """Each chunk's (cumulative) tool calls, their arguments redacted across chunks."""
    count = max((len(chunk.tool_calls or ()) for chunk in chunks), default=0)
    found: list[list[dict[str, Any]] | None] = [
        None if chunk.tool_calls is None else [dict(call) for call in chunk.tool_calls]
        for chunk in chunks
    ]
    for index in range(count):
        values = [_arguments(calls, index) for calls in found]
        for calls, value in zip(found, redact_cumulative(values, secrets), strict=True):
            if calls is not None and value is not None:
                function = dict(calls[index]["function"])
                function["arguments"] = value
                calls[index]["function"] = function
    return found


def _arguments(calls: list[dict[str, Any]] | None, index: int) -> str | None:
    if calls is None or index >= len(calls):
        return None
    function = calls[index].get("function")
    arguments = function.get("arguments") if isinstance(function, dict) else None
    return arguments if isinstance(arguments, str) else None


def _guard(text: str) -> None:
    found = find_secret(text)
    if found is not None:
        raise CassetteSecretError(
            f"refusing to write a stream snapshot: a string shaped like an API key "
            f"({found.kind}) is in the transcript; set the key's environment variable so it "
            "is redacted, or keep it out of the answer"
        )


class StreamSnapshotExtension(AmberSnapshotExtension):
    """Coalesced transcripts: deltas joined, so other chunk boundaries change nothing."""

    file_extension = "stream"

    def serialize(self, data: Any, **kwargs: Any) -> str:
        """The coalesced transcript of a list of `StreamChunk`s (or an `LLMResponse`)."""
        return _serialize(data, exact=False)


class StreamExactSnapshotExtension(AmberSnapshotExtension):
    """Chunk-exact transcripts: one entry per chunk, boundaries included."""

    file_extension = "chunks"

    def serialize(self, data: Any, **kwargs: Any) -> str:
        """The chunk-by-chunk transcript of a list of `StreamChunk`s."""
        return _serialize(data, exact=True)


class StreamSnapshotAssertion(SnapshotAssertion):
    """syrupy's `snapshot` with the stream extension, plus `(exact=True)` for chunk-exact."""

    _llm_exact: SnapshotAssertion | None = None

    def _serialize(self, data: Any) -> Any:
        try:
            return super()._serialize(data)
        except CassetteSecretError as exc:
            # The extension cannot know its file; the assertion can, and names it.
            where = self.extension.get_location(test_location=self.test_location, index=self.index)
            message = exc.message.replace("a stream snapshot", f"the snapshot file {where}", 1)
            raise CassetteSecretError(message, where) from None

    def __call__(self, *, exact: bool = False, **options: Any) -> SnapshotAssertion:
        """syrupy's options; `exact=True` compares against the chunk-exact snapshot."""
        if exact:
            # One exact assertion per test, so its snapshots are numbered on their own.
            if self._llm_exact is None:
                self._llm_exact = self.use_extension(StreamExactSnapshotExtension)
            return self._llm_exact(**options)
        return super().__call__(**options)


def stream_assertion(snapshot: SnapshotAssertion) -> StreamSnapshotAssertion:
    """A `StreamSnapshotAssertion` sharing `snapshot`'s session, test and update mode."""
    options = {
        field.name: getattr(snapshot, field.name)
        for field in dataclasses.fields(snapshot)
        if field.init
    }
    options["extension_class"] = StreamSnapshotExtension
    return StreamSnapshotAssertion(**options)
