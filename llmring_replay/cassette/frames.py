"""A response's frames as a view of its body: replay memory O(largest frame), not O(body).

`RecordedResponse.frames()` builds every frame as a bytes object beside the body (a second
copy of it, plus ~100 bytes of objects per frame): fine for a chat answer, 2x the memory for
a million-chunk stream. `FrameView` keeps only where each frame ends (8 bytes a frame) and
when it is served (8 more), and cuts a frame out of the body when it is read, so a replay
holds the body once and one frame at a time beside it.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, overload

from llmring_replay.framing import splitter_for

if TYPE_CHECKING:
    from llmring_replay.cassette.model import RecordedResponse

__all__ = ["FrameView", "frame_ends"]

_STEP = 1 << 16  # bytes fed to the splitter at a time: what the cut costs in memory


def frame_ends(response: RecordedResponse) -> array[int]:
    """Where each frame of `response` ends in its body, as `pieces()` cuts it."""
    body = response.body
    if not body:
        return array("Q")
    framing = response.framing
    ends = _read_ends(body, response.sizes) if framing is None else _split_ends(body, framing)
    if not ends or ends[-1] < len(body):
        # A raw body longer than its sizes, or a whitespace-only tail the splitters drop:
        # replay must still send it (a split body's tail goes with its last frame).
        if ends and framing is not None:
            ends[-1] = len(body)
        else:
            ends.append(len(body))
    return ends


def _read_ends(body: bytes, sizes: list[int] | None) -> array[int]:
    """Raw reads: one frame per recorded read size, empty ones left out."""
    ends, position = array("Q"), 0
    for size in sizes or ():
        if position >= len(body):
            break
        position = min(len(body), position + size)
        if size:
            ends.append(position)
    return ends


def _split_ends(body: bytes, framing: str) -> array[int]:
    """SSE events or NDJSON lines, cut by the same splitter, a step of the body at a time."""
    splitter, _parse = splitter_for(framing)
    ends, position = array("Q"), 0
    for start in range(0, len(body), _STEP):
        for piece in splitter.feed(body[start : start + _STEP]):
            position += len(piece)
            ends.append(position)
    for piece in splitter.flush():
        position += len(piece)
        ends.append(position)
    return ends


class FrameView(Sequence[tuple[float, bytes]]):
    """(serve time, frame bytes) per frame, each cut from `body` when read."""

    __slots__ = ("_body", "_ends", "_times")

    def __init__(self, body: bytes, ends: array[int], times: Sequence[float]) -> None:
        if len(times) != len(ends):
            raise ValueError(f"{len(times)} serve times for {len(ends)} frames")
        self._body = body
        self._ends = ends
        self._times = array("d", times)

    def __len__(self) -> int:
        return len(self._ends)

    @overload
    def __getitem__(self, index: int) -> tuple[float, bytes]: ...

    @overload
    def __getitem__(self, index: slice) -> list[tuple[float, bytes]]: ...

    def __getitem__(self, index: int | slice) -> tuple[float, bytes] | list[tuple[float, bytes]]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("frame index out of range")
        start = self._ends[index - 1] if index else 0
        return self._times[index], self._body[start : self._ends[index]]

    def __iter__(self) -> Iterator[tuple[float, bytes]]:
        body, start = self._body, 0
        for at, end in zip(self._times, self._ends, strict=True):
            yield at, body[start:end]
            start = end

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str | bytes):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable-looking sequence, like a list
