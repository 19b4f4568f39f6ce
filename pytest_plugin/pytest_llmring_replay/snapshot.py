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
"""

from __future__ import annotations

import dataclasses
from typing import Any

from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.amber import AmberSnapshotExtension

from llmring_replay.schemas import LLMResponse
from pytest_llmring_replay import transcript

__all__ = [
    "StreamExactSnapshotExtension",
    "StreamSnapshotAssertion",
    "StreamSnapshotExtension",
    "stream_assertion",
]


def _serialize(data: Any, *, exact: bool) -> str:
    if isinstance(data, LLMResponse):
        return transcript.dump(transcript.from_response(data))
    shape = transcript.exact if exact else transcript.coalesced
    return transcript.dump(shape(data))


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
