"""The model: frames cut by content type, timing recorded or synthesized, summaries."""

from __future__ import annotations

import llmring_replay.cassette as cassette_package
from llmring_replay.cassette import (
    SYNTHESIZED_INTERVAL,
    SYNTHESIZED_TTFT,
    Cassette,
    Interaction,
    RecordedRequest,
    RecordedResponse,
)
from llmring_replay.cassette.model import quantize

SSE = b'data: {"a":1}\n\ndata: {"a":2}\n\ndata: [DONE]\n\n'
NDJSON = b'{"done":false}\n{"done":true}'  # Ollama's last line may lack its newline


def _response(
    body: bytes,
    content_type: str,
    offsets: list[float] | None = None,
    sizes: list[int] | None = None,
) -> RecordedResponse:
    return RecordedResponse(200, "OK", {"content-type": [content_type]}, body, offsets, sizes)


def test_sse_frames_zip_recorded_offsets() -> None:
    response = _response(SSE, "text/event-stream; charset=utf-8", offsets=[0.3, 0.35, 0.4])
    assert response.frames() == [
        (0.3, b'data: {"a":1}\n\n'),
        (0.35, b'data: {"a":2}\n\n'),
        (0.4, b"data: [DONE]\n\n"),
    ]
    assert response.ttft == 0.3
    assert response.duration == 0.4


def test_crlf_sse_frames_keep_their_line_ends() -> None:
    body = b'data: {"x":1}\r\n\r\ndata: {"x":2}\r\n\r\n'
    frames = _response(body, "text/event-stream", offsets=[0.1, 0.2]).frames()
    assert [frame for _, frame in frames] == [b'data: {"x":1}\r\n\r\n', b'data: {"x":2}\r\n\r\n']


def test_ndjson_frames_include_a_last_line_without_newline() -> None:
    frames = _response(NDJSON, "application/x-ndjson", offsets=[0.5, 0.75]).frames()
    assert frames == [(0.5, b'{"done":false}\n'), (0.75, b'{"done":true}')]


def test_raw_bodies_are_cut_by_sizes() -> None:
    response = _response(b"0123456789", "application/json", offsets=[0.1, 0.2], sizes=[4, 6])
    assert response.frames() == [(0.1, b"0123"), (0.2, b"456789")]


def test_raw_body_without_sizes_is_one_frame() -> None:
    assert _response(b'{"error":{}}', "application/json", offsets=[0.2]).frames() == [
        (0.2, b'{"error":{}}')
    ]


def test_frames_join_back_to_the_body_even_with_a_blank_tail() -> None:
    body = SSE + b"\n  \n"
    pieces = _response(body, "text/event-stream").pieces()
    assert b"".join(pieces) == body
    assert len(pieces) == 3


def test_missing_offsets_are_synthesized_deterministically() -> None:
    interaction = Interaction(
        RecordedRequest("POST", "https://x/v1/chat/completions"),
        _response(SSE, "text/event-stream"),
    )
    assert interaction.timing_synthesized is True
    offsets = [offset for offset, _ in interaction.response.frames()]
    assert offsets == [
        quantize(SYNTHESIZED_TTFT),
        quantize(SYNTHESIZED_TTFT + SYNTHESIZED_INTERVAL),
        quantize(SYNTHESIZED_TTFT + 2 * SYNTHESIZED_INTERVAL),
    ]
    assert offsets == [0.25, 0.27, 0.29]


def test_too_few_offsets_are_continued_at_the_synthetic_pace() -> None:
    frames = _response(SSE, "text/event-stream", offsets=[1.0]).frames()
    assert [offset for offset, _ in frames] == [1.0, 1.02, 1.04]


def test_offsets_are_quantized_to_a_hundredth_of_a_millisecond() -> None:
    response = _response(SSE, "text/event-stream", offsets=[0.123456789, 1 / 3, 2.0])
    assert response.offsets == [0.12346, 0.33333, 2.0]


def test_empty_body_has_no_frames() -> None:
    response = _response(b"", "text/event-stream", offsets=[])
    assert response.frames() == []
    assert response.ttft is None


def test_summaries_report_provider_model_frames_and_timing() -> None:
    cassette = Cassette()
    index = cassette.append(
        Interaction(
            RecordedRequest("POST", "https://api.openai.com/v1/chat/completions"),
            _response(SSE, "text/event-stream", offsets=[0.3, 0.35, 0.4]),
            provider="openai",
            model="gpt-4o-mini",
        )
    )
    assert index == 0
    assert cassette.interactions[0].recorded_at is not None  # stamped by append
    (summary,) = cassette.summaries()
    assert (summary.provider, summary.model, summary.frames) == ("openai", "gpt-4o-mini", 3)
    assert (summary.ttft, summary.duration, summary.timing_synthesized) == (0.3, 0.4, False)
    assert (summary.method, summary.status) == ("POST", 200)


def test_public_names_are_sorted_and_importable() -> None:
    names = cassette_package.__all__
    assert names == sorted(names)
    for name in names:
        assert hasattr(cassette_package, name), name
