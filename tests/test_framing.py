"""SSE and NDJSON framing: incremental, exact, indifferent to where reads end."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llmring_replay.framing import (
    Event,
    NDJSONSplitter,
    SSESplitter,
    framing_for,
    parse_ndjson,
    parse_sse,
    parse_sse_text,
    splitter_for,
)
from llmring_replay.providers.base import StreamBuilder, StreamDecoder
from llmring_replay.schemas import StreamChunk


def _split_all(
    splitter: SSESplitter | NDJSONSplitter, data: bytes, sizes: list[int]
) -> list[bytes]:
    frames: list[bytes] = []
    position = 0
    for size in sizes:
        frames += splitter.feed(data[position : position + size])
        position += size
    frames += splitter.feed(data[position:])
    return frames + splitter.flush()


SSE_MIXED = (
    b": keep-alive comment\r\n\r\n"
    b'event: message_start\r\ndata: {"a": 1}\r\n\r\n'
    b"data: line one\ndata: line two\n\n"
    b"data: cr only\r\r"
    b"id: 7\nevent: done\ndata:no-space\n\n"
)


def test_sse_splits_every_line_ending_style() -> None:
    frames = _split_all(SSESplitter(), SSE_MIXED, [])
    assert b"".join(frames) == SSE_MIXED, "frames are the exact bytes received"
    events = [parse_sse(frame) for frame in frames]
    assert events == [
        None,
        Event('{"a": 1}', "message_start"),
        Event("line one\nline two"),
        Event("cr only"),
        Event("no-space", "done", "7"),
    ]


@pytest.mark.parametrize("seed", range(20))
def test_sse_same_frames_whatever_the_read_sizes(seed: int) -> None:
    rng = random.Random(seed)
    sizes = [rng.randint(1, 7) for _ in range(len(SSE_MIXED))]
    assert _split_all(SSESplitter(), SSE_MIXED, sizes) == _split_all(SSESplitter(), SSE_MIXED, [])


def test_crlf_split_between_reads_is_one_line_end() -> None:
    splitter = SSESplitter()
    assert splitter.feed(b"data: a\r\n\r") == []  # the trailing CR is held back
    assert splitter.feed(b"\ndata: b\r\n\r\n") == [b"data: a\r\n\r\n", b"data: b\r\n\r\n"]


def test_multibyte_utf8_split_across_reads() -> None:
    text = 'data: {"t": "caf\u00e9 \u2603 \U0001f600"}\n\n'.encode()
    for cut in range(1, len(text)):
        splitter = SSESplitter()
        frames = splitter.feed(text[:cut]) + splitter.feed(text[cut:])
        assert len(frames) == 1
        event = parse_sse(frames[0])
        assert event is not None and "caf\u00e9 \u2603 \U0001f600" in event.data


def test_ndjson_lines_and_missing_final_newline() -> None:
    body = '{"a": 1}\n\n{"b": "\u00e9"}\n{"done": true}'.encode()
    for cut in range(1, len(body)):
        splitter = NDJSONSplitter()
        frames = splitter.feed(body[:cut]) + splitter.feed(body[cut:]) + splitter.flush()
        assert b"".join(frames) == body
        events = [event for event in map(parse_ndjson, frames) if event is not None]
        assert [event.data for event in events] == ['{"a": 1}', '{"b": "\u00e9"}', '{"done": true}']


def test_sse_event_without_final_blank_line_is_flushed() -> None:
    splitter = SSESplitter()
    assert splitter.feed(b"data: last") == []
    assert splitter.flush() == [b"data: last"]
    assert parse_sse(b"data: last") == Event("last")
    assert splitter.flush() == []


def test_sse_field_rules() -> None:
    # No data field: nothing is dispatched. An empty data line dispatches "".
    assert parse_sse(b"event: ping\n\n") is None
    assert parse_sse(b"data\n\n") == Event("")
    assert parse_sse(b"data:  two spaces\n\n") == Event(" two spaces")
    assert parse_sse(b"retry: 10\ndata: x\n\n") == Event("x")


@pytest.mark.parametrize(
    ("content_type", "framing"),
    [
        ("text/event-stream; charset=utf-8", "sse"),
        ("application/x-ndjson", "ndjson"),
        ("application/json", None),
        (None, None),
    ],
)
def test_framing_for_content_type(content_type: str | None, framing: str | None) -> None:
    assert framing_for(content_type) == framing


def test_splitter_for_gives_fresh_state() -> None:
    first, parse = splitter_for("sse")
    second, _ = splitter_for("sse")
    first.feed(b"data: half")
    assert second.feed(b"data: x\n\n") == [b"data: x\n\n"]
    assert parse is parse_sse


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from([b"data: x", b"\n", b"\r", b"\r\n", b"yz", b":"]), max_size=30),
    st.lists(st.integers(1, 9), min_size=1, max_size=10),
    st.sampled_from(["sse", "ndjson"]),
)
def test_any_read_sizes_give_the_frames_of_one_read(
    parts: list[bytes], sizes: list[int], framing: str
) -> None:
    stream = b"".join(parts)
    whole, _ = splitter_for(framing)
    expected = whole.feed(stream) + whole.flush()
    splitter, _ = splitter_for(framing)
    frames: list[bytes] = []
    position = 0
    for index in range(len(stream)):
        if position >= len(stream):
            break
        size = sizes[index % len(sizes)]
        frames += splitter.feed(stream[position : position + size])
        position += size
    assert frames + splitter.flush() == expected


@pytest.mark.parametrize("framing", ["sse", "ndjson"])
def test_a_large_frame_in_tiny_reads_is_one_frame(framing: str) -> None:
    end = b"\n\n" if framing == "sse" else b"\n"
    frame = b"data: " + b"x" * 200_000 + end
    splitter, _ = splitter_for(framing)
    frames: list[bytes] = []
    for start in range(0, len(frame), 7):  # linear: the reads are joined once, at the end
        frames += splitter.feed(frame[start : start + 7])
    assert frames == [frame]
    assert splitter.flush() == []


def _texts_of(framing: str, stream: bytes, sizes: list[int]) -> list[str]:
    splitter, _ = splitter_for(framing)
    texts: list[str] = []
    position = 0
    for size in sizes:
        texts += splitter.feed_text(stream[position : position + size])
        position += size
    return texts + splitter.feed_text(stream[position:]) + splitter.flush_text()


def _fields(framing: str, text: str) -> tuple[str, str | None] | None:
    """What the decoders' reading of a text frame gives (`StreamDecoder.take`)."""
    decoder = _Recorder(StreamBuilder("p", "m"))
    decoder.take([text], framing, [])
    return decoder.seen[0] if decoder.seen else None


class _Recorder(StreamDecoder):
    def __init__(self, builder: StreamBuilder) -> None:
        super().__init__(builder)
        self.seen: list[tuple[str, str | None]] = []

    def feed_data(self, data: str, name: str | None) -> list[StreamChunk]:
        self.seen.append((data, name))
        return []


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                *(b"data: x", b"data:", b"event: e", b"event: ", b"id: 1", b"\n", b"\r"),
                *(b"\r\n", b"yz", b":", b" ", "\u00e9".encode(), b"\xc3", b"\xff", b"\n\n"),
                b"\r\n\r\n",
            ]
        ),
        max_size=30,
    ),
    st.lists(st.integers(1, 9), max_size=10),
    st.sampled_from(["sse", "ndjson"]),
)
def test_text_frames_read_as_the_raw_frames_do(
    parts: list[bytes], sizes: list[int], framing: str
) -> None:
    # The decoding path (feed_text + StreamDecoder.take's reading of each text) must see
    # exactly the events the raw path (feed + parse) sees, frame for frame, whatever the
    # line ends, bytes and read sizes: frame positions in error messages depend on it.
    stream = b"".join(parts)
    splitter, parse = splitter_for(framing)
    frames = splitter.feed(stream) + splitter.flush()
    texts = _texts_of(framing, stream, sizes)
    assert len(texts) == len(frames)
    for frame, text in zip(frames, texts, strict=True):
        event = parse(frame)
        assert _fields(framing, text) == (None if event is None else (event.data, event.event))
        if framing == "sse":
            assert parse_sse_text(text) == event


def test_text_frames_of_the_usual_shapes() -> None:
    splitter = SSESplitter()
    body = 'data: {"a": "\u00e9"}\n\nevent: ping\ndata: {}\n\ndata: [DO'.encode()
    assert splitter.feed_text(body) == ['data: {"a": "\u00e9"}', "event: ping\ndata: {}"]
    assert splitter.feed_text(b"NE]\n\n") == ["data: [DONE]"]
    crlf = SSESplitter()
    assert crlf.feed_text(b"data: 1\r\n\r\ndata: 2\r\n\r") == ["data: 1"]
    assert crlf.feed_text(b"\n") == ["data: 2"]
    lines = NDJSONSplitter()
    assert lines.feed_text(b'{"a": 1}\n{"b"') == ['{"a": 1}']
    assert lines.feed_text(b": 2}") == []
    assert lines.flush_text() == ['{"b": 2}']
