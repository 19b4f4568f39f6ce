"""Fuzzing the framing: any bytes, read in any pieces, are cut into the same frames as in one
read, the frames are the stream as received (only a blank tail is dropped), and parsing a frame
never raises.

Bounded in `make test` (the `bounded` profile, tests/conftest.py); `make fuzz` runs the
`fuzz` profile.
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from llmring_replay.framing import Event, splitter_for

pytestmark = pytest.mark.fuzz
FRAMING = pytest.mark.parametrize("framing", ["sse", "ndjson"])

#: The pieces that matter to a splitter and a parser, among any other bytes.
_TOKENS = [
    b"data:",
    b"data: ",
    b"event: ",
    b"id: ",
    b"retry: ",
    b":",
    b"\n",
    b"\r",
    b"\r\n",
    b"\n\n",
    b"{}",
    b'{"a":',
    b"[DONE]",
    b"\xc3",
    b"\xa9",
    b"\xff",
    b"\x00",
    b" ",
]
_STREAMS = st.lists(st.one_of(st.sampled_from(_TOKENS), st.binary(max_size=8)), max_size=40).map(
    b"".join
)


def _read(framing: str, stream: bytes, cuts: list[int]) -> list[bytes]:
    splitter, _ = splitter_for(framing)
    bounds = sorted({0, len(stream), *(min(cut, len(stream)) for cut in cuts)})
    frames: list[bytes] = []
    for start, end in itertools.pairwise(bounds):
        frames += splitter.feed(stream[start:end])
    return frames + splitter.flush()


@FRAMING
@given(stream=_STREAMS, cuts=st.lists(st.integers(0, 400), max_size=12))
def test_any_bytes_in_any_pieces(framing: str, stream: bytes, cuts: list[int]) -> None:
    whole = _read(framing, stream, [])
    assert _read(framing, stream, cuts) == whole
    joined = b"".join(whole)
    assert stream.startswith(joined)
    assert not stream[len(joined) :].strip()  # only a blank tail is left out
    _, parse = splitter_for(framing)
    for frame in whole:
        event = parse(frame)
        assert event is None or (isinstance(event, Event) and isinstance(event.data, str))
