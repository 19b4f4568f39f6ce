"""Chunked bodies encoded once per frame list: the same bytes as chunk by chunk, bounded."""

from __future__ import annotations

from llmring_replay.simulator.chunked import ChunkedBodies, chunk


def test_a_list_is_encoded_as_its_chunks_once() -> None:
    bodies = ChunkedBodies(1 << 20)
    frames = [b"data: 1\n\n", b"", b"data: 2\n\n"]
    body = bodies(frames)
    assert body == b"".join(chunk(frame) for frame in frames)
    assert body == b"9\r\ndata: 1\n\n\r\n9\r\ndata: 2\n\n\r\n"  # no empty (ending) chunk
    assert bodies(frames) is body  # served again: the same encoding
    assert bodies(list(frames)) is not body  # another list is encoded on its own


def test_it_starts_over_past_its_limit_and_keeps_nothing_bigger() -> None:
    bodies = ChunkedBodies(100)
    first, second = [b"x" * 40], [b"y" * 40]
    kept = bodies(first)
    assert bodies(first) is kept
    bodies(second)  # 2 x 46 bytes: within the limit, both kept
    assert bodies(first) is kept
    bodies([b"z" * 40])  # over the limit: starts over with the new one
    assert bodies(first) is not kept
    huge = [b"h" * 200]
    assert bodies(huge) is not bodies(huge)  # bigger than the whole limit: never kept
