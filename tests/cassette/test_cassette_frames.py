"""`frame_view()` is `frames()` without the copy: the same frames, cut from the body on read."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llmring_replay.cassette import RecordedResponse, frames

CONTENT_TYPES = ["text/event-stream", "application/x-ndjson", "application/json"]
pieces = st.lists(
    st.sampled_from([b"data: x", b"\n", b"\r\n", b"\r", b"\n\n", b"{}", b" ", b"\xc3\xa9", b":"]),
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(
    pieces,
    st.sampled_from(CONTENT_TYPES),
    st.none() | st.lists(st.integers(0, 9), max_size=8),
    st.none() | st.lists(st.floats(0, 5), max_size=6),
    st.integers(1, 7),
)
def test_frame_view_equals_frames(
    parts: list[bytes],
    content_type: str,
    sizes: list[int] | None,
    offsets: list[float] | None,
    step: int,
) -> None:
    response = RecordedResponse(
        200, "OK", {"content-type": [content_type]}, b"".join(parts), offsets, sizes
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(frames, "_STEP", step)  # cut across every kind of boundary
        view = response.frame_view()
    expected = response.frames()
    assert list(view) == expected
    assert len(view) == len(expected)
    assert [view[i] for i in range(-len(view), len(view))] == expected + expected
    assert view[1:3] == expected[1:3]
    assert view == expected


def test_frame_view_applies_the_serve_times_and_checks_their_count() -> None:
    response = RecordedResponse(
        200, "OK", {"content-type": ["application/x-ndjson"]}, b"a\nb\n", [0.1, 0.2]
    )
    view = response.frame_view(lambda offsets: [2 * at for at in offsets])
    assert list(view) == [(0.2, b"a\n"), (0.4, b"b\n")]
    with pytest.raises(IndexError):
        view[2]
    with pytest.raises(ValueError, match="3 serve times for 2 frames"):
        response.frame_view(lambda offsets: [*offsets, 1.0])


def test_frame_ends_are_split_once_per_body_and_framing(monkeypatch: pytest.MonkeyPatch) -> None:
    splits: list[bytes] = []
    real = frames.frame_ends

    def counting(response: RecordedResponse) -> object:
        splits.append(response.body)
        return real(response)

    monkeypatch.setattr("llmring_replay.cassette.model.frame_ends", counting)
    sse = {"content-type": ["text/event-stream"]}
    response = RecordedResponse(200, headers=sse, body=b"data: 1\n\ndata: 2\n\n")
    assert list(response.frame_view()) == list(response.frame_view()) == response.frames()
    assert len(splits) == 1  # the second replay reuses the ends
    response.body = b"data: 3\n\n"  # a new body (scrubbed, edited) is split again
    assert [frame for _, frame in response.frame_view()] == [b"data: 3\n\n"]
    response.body = b'{"a": 1}\n\n{"a": 2}\n\n'
    assert len(list(response.frame_view())) == 2
    response.headers = {"content-type": ["application/x-ndjson"]}  # so is a new framing
    assert list(response.frame_view()) == response.frames()
    assert len(response.frames()) == 4  # NDJSON cuts at each newline
    assert len(splits) == 4
