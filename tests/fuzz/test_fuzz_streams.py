"""Fuzzing every wire format's decoders: any body, read in any pieces, gives only project
exceptions, keeps the stream rules, and decodes the same whatever the read boundaries.

Bounded in `make test` (the `bounded` profile, tests/conftest.py); `make fuzz` runs the
`fuzz` profile.
"""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given
from hypothesis import strategies as st

from llmring_replay.exceptions import LLMRingError
from llmring_replay.providers.format import Format
from llmring_replay.providers.registry import FORMATS
from llmring_replay.schemas import LLMRequest, Message, StreamChunk
from llmring_replay.service import LLMRing
from tests.fuzz.streams import (
    MODEL,
    assert_stream_rules,
    bodies,
    codec_for,
    decode,
    replies,
    same,
    seed_frames,
)
from tests.support import StaticTransport

pytestmark = pytest.mark.fuzz
FORMAT = pytest.mark.parametrize("fmt", FORMATS, ids=[fmt.name for fmt in FORMATS])


@FORMAT
def test_the_seeds_decode_cleanly(fmt: Format) -> None:
    # The fuzzing starts from answers the decoder reads: otherwise it would only test errors.
    for frames in seed_frames(fmt):
        chunks, error = decode(fmt, b"".join(frames))
        assert error is None
        assert_stream_rules(chunks, error)


@FORMAT
@given(data=st.data())
def test_any_body_in_any_pieces(fmt: Format, data: st.DataObject) -> None:
    body = data.draw(bodies(fmt), "body")
    cuts = data.draw(st.lists(st.integers(0, len(body)), max_size=12), "cuts")
    whole = decode(fmt, body)
    assert_stream_rules(*whole)
    assert same(decode(fmt, body, cuts), whole)


@FORMAT
@given(data=st.data())
def test_any_reply(fmt: Format, data: st.DataObject) -> None:
    reply = data.draw(replies(fmt), "reply")
    try:
        response = codec_for(fmt).read_response(reply, MODEL)
    except LLMRingError:
        return
    assert type(response.content) is str


async def _through_llmring(fmt: Format, body: bytes, seed: int) -> None:
    media = "application/x-ndjson" if fmt.framing == "ndjson" else "text/event-stream"
    headers = {"content-type": media}
    transport = StaticTransport(body, headers=headers, seed=seed, max_piece=512)
    ring = LLMRing(transport=transport)
    ring.register_provider(
        fmt.provider, api_key="fuzz-key", base_url="http://fuzz.invalid", api=fmt.name
    )
    request = LLMRequest(
        model=f"{fmt.provider}:{MODEL}", messages=[Message(role="user", content="hi")]
    )
    chunks: list[StreamChunk] = []
    error: LLMRingError | None = None
    async with ring:
        try:
            async for chunk in ring.chat_stream(request):
                chunks.append(chunk)
        except LLMRingError as exc:
            error = exc
    assert_stream_rules(chunks, error)
    assert same((chunks, error), decode(fmt, body))


@FORMAT
@given(data=st.data())
def test_any_body_through_llmring(fmt: Format, data: st.DataObject) -> None:
    # chat_stream (text frames, any read sizes) must decode as the harness's raw path does.
    body = data.draw(bodies(fmt), "body")
    asyncio.run(_through_llmring(fmt, body, data.draw(st.integers(0, 1000), "seed")))
