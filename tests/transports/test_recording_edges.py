"""RecordingTransport on the awkward paths: early exits, cut connections, encodings, URLs."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import zlib
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from llmring_replay import LLMRequest, Message, ProviderResponseError
from llmring_replay.cassette import Cassette
from llmring_replay.clock import virtual_clock
from llmring_replay.service import LLMRing
from llmring_replay.transports import CassetteTransport, RecordingTransport, ReplayTransport

LINES = [f'{{"model":"m","message":{{"content":"w{i} "}},"done":false}}\n' for i in range(20)]
DONE = '{"model":"m","message":{"content":""},"done":true,"done_reason":"stop"}'
BODY = ("".join(LINES) + DONE).encode()  # the last line lacks its newline, as Ollama's may


class Reads(httpx.AsyncByteStream):
    """A body in given reads, optionally pausing before some and failing after the last."""

    def __init__(
        self, reads: list[bytes], pauses: dict[int, float] | None = None, cut: bool = False
    ) -> None:
        self.reads = reads
        self.pauses = pauses or {}
        self.cut = cut

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for index, data in enumerate(self.reads):
            if index in self.pauses:
                await asyncio.sleep(self.pauses[index])
            yield data
        if self.cut:
            raise httpx.RemoteProtocolError("peer closed connection mid-body")


def server(reads: list[bytes], headers: dict[str, str], **options: object) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers=headers, stream=Reads(reads, **options))  # type: ignore[arg-type]

    return httpx.MockTransport(handle)


NDJSON = {"content-type": "application/x-ndjson"}
URL = "http://localhost:11434/api/chat"


async def test_consumer_breaking_early_still_records_the_whole_body(tmp_path: Path) -> None:
    cassette = Cassette(path=tmp_path / "c.yaml")
    transport = RecordingTransport(cassette, server([BODY[:100], BODY[100:]], NDJSON))
    async with (
        httpx.AsyncClient(transport=transport) as client,
        client.stream("POST", URL, json={"model": "m"}) as response,
    ):
        async for _ in response.aiter_lines():
            break  # the app only wanted the first line
    saved = Cassette.load(tmp_path / "c.yaml").interactions
    assert [interaction.response.body for interaction in saved] == [BODY]


async def test_chat_stream_abandoned_early_closes_its_response_now(tmp_path: Path) -> None:
    cassette = Cassette(path=tmp_path / "c.yaml")
    transport = RecordingTransport(cassette, server([BODY], NDJSON))
    ring = LLMRing(transport=transport)
    request = LLMRequest(model="ollama:m", messages=[Message(role="user", content="Hi")])
    async with ring:
        # Python closes an abandoned async generator only when it is collected; aclosing
        # is how a caller closes it at once, and then every response inside closes too.
        async with contextlib.aclosing(ring.chat_stream(request)) as chunks:
            async for chunk in chunks:
                assert chunk.delta == "w0 "
                break
        # Already recorded, before the client closes: the response was closed at the break.
        assert len(cassette.interactions) == 1


async def test_connection_cut_while_recording_shows_the_real_error(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    cassette = Cassette(path=path)
    good = RecordingTransport(cassette, server([BODY], NDJSON))
    async with httpx.AsyncClient(transport=good) as client:
        await client.post(URL, json={"model": "m"})
    cut = RecordingTransport(cassette, server([BODY[:150]], NDJSON, cut=True))
    ring = LLMRing(transport=cut)
    request = LLMRequest(model="ollama:m", messages=[Message(role="user", content="Hi")])
    deltas: list[str] = []
    async with ring:
        with pytest.raises(ProviderResponseError, match="peer closed connection mid-body"):
            async for chunk in ring.chat_stream(request):
                deltas.append(chunk.delta)
    assert deltas == ["w0 ", "w1 "]
    # The cut exchange is not stored; what was recorded before is intact.
    assert [i.response.body for i in Cassette.load(path).interactions] == [BODY]


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "raw-deflate"])
async def test_compressed_bodies_are_stored_decompressed(tmp_path: Path, encoding: str) -> None:
    if encoding == "gzip":
        wire = gzip.compress(BODY)
    else:
        packer = zlib.compressobj(wbits=-zlib.MAX_WBITS if encoding == "raw-deflate" else 15)
        wire = packer.compress(BODY) + packer.flush()
    header = "gzip" if encoding == "gzip" else "deflate"
    cassette = Cassette(path=tmp_path / "c.yaml")
    reads = [wire[i : i + 40] for i in range(0, len(wire), 40)]
    transport = RecordingTransport(cassette, server(reads, {**NDJSON, "content-encoding": header}))
    async with httpx.AsyncClient(transport=transport) as client:
        live = (await client.post(URL, json={"model": "m"})).content
    stored = Cassette.load(tmp_path / "c.yaml").interactions[0].response
    assert live == BODY
    assert stored.body == BODY
    assert "content-encoding" not in stored.headers
    assert len(stored.offsets or []) == len(LINES) + 1  # one per NDJSON line


async def test_unknown_encoding_is_stored_and_replayed_as_received(tmp_path: Path) -> None:
    wire = b"\x1b\x00\x01opaque-bytes"
    headers = {"content-type": "text/event-stream", "content-encoding": "x-custom"}
    cassette = Cassette(path=tmp_path / "c.yaml")
    transport = RecordingTransport(cassette, server([wire[:5], wire[5:]], headers))
    async with httpx.AsyncClient(transport=transport) as client:
        await client.post(URL, json={"model": "m"})
    loaded = Cassette.load(tmp_path / "c.yaml")
    stored = loaded.interactions[0].response
    assert (stored.body, stored.headers["content-encoding"], stored.sizes) == (
        wire,
        ["x-custom"],
        [5, len(wire) - 5],
    )
    async with httpx.AsyncClient(transport=ReplayTransport(loaded)) as client:
        replayed = await client.post(URL, json={"model": "m"})
    assert replayed.headers["content-encoding"] == "x-custom"
    assert replayed.content == wire


async def test_last_frame_without_terminator_gets_its_own_arrival_time(tmp_path: Path) -> None:
    cassette = Cassette()
    body = b'{"a": 1}\n{"b": 2}'
    transport = RecordingTransport(cassette, server([body[:9], body[9:]], NDJSON, pauses={1: 0.2}))
    async with httpx.AsyncClient(transport=transport) as client:
        await client.post(URL, json={})
    offsets = cassette.interactions[0].response.offsets or []
    assert len(offsets) == 2
    assert offsets[1] - offsets[0] >= 0.19


async def test_password_in_the_base_url_never_reaches_the_cassette(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    transport = RecordingTransport(Cassette(path=path), server([BODY], NDJSON))
    async with httpx.AsyncClient(transport=transport) as client:
        await client.post("http://admin:hunter2-s3cret@proxy.test/api/chat", json={})
    text = path.read_text()
    assert "hunter2" not in text
    assert "uri: http://proxy.test/api/chat" in text


async def test_new_episodes_records_each_new_request_once(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    calls: list[bytes] = []

    def handle(request: httpx.Request) -> httpx.Response:
        calls.append(request.content)
        return httpx.Response(200, headers=NDJSON, content=BODY)

    live = httpx.MockTransport(handle)
    async with httpx.AsyncClient(transport=CassetteTransport(path, "once", inner=live)) as client:
        await client.post(URL, json={"q": 1})
    transport = CassetteTransport(path, "new_episodes", inner=live)
    async with httpx.AsyncClient(transport=transport) as client:
        for question in (1, 2, 3, 2):
            response = await client.post(URL, json={"q": question})
            assert response.content == BODY
    # q=1 replayed; q=2 and q=3 recorded; the repeated q=2 replayed what was just recorded.
    assert len(calls) == 3
    assert len(Cassette.load(path).interactions) == 3


async def test_replay_read_timeout_runs_from_when_the_app_asks() -> None:
    cassette = Cassette()
    recorder = RecordingTransport(cassette, server([b'{"a":1}\n', b'{"b":2}\n'], NDJSON))
    async with httpx.AsyncClient(transport=recorder) as client:
        await client.post(URL, json={})
    cassette.interactions[0].response.offsets = [0.0, 3.5]
    transport = ReplayTransport(cassette, "recorded")
    async with httpx.AsyncClient(transport=transport, timeout=3.0) as client:
        with virtual_clock():
            async with client.stream("POST", URL, json={}) as response:
                lines = []
                async for line in response.aiter_lines():
                    lines.append(line)
                    await asyncio.sleep(2.0)  # the app works 2 s on each line
    # Live, the next read would start at 2.0 s and get data at 3.5 s: no timeout.
    assert lines == ['{"a":1}', '{"b":2}']


async def test_stream_abandoned_without_closing_is_recorded_when_the_transport_closes(
    tmp_path: Path,
) -> None:
    cassette = Cassette(path=tmp_path / "c.yaml")
    ring = LLMRing(transport=RecordingTransport(cassette, server([BODY[:60], BODY[60:]], NDJSON)))
    request = LLMRequest(model="ollama:m", messages=[Message(role="user", content="Hi")])
    stream = ring.chat_stream(request)
    async for _ in stream:
        break  # abandoned: nobody closes this generator
    await ring.aclose()
    assert [i.response.body for i in Cassette.load(tmp_path / "c.yaml").interactions] == [BODY]
    await stream.aclose()


async def test_faults_apply_on_the_recording_run_too(tmp_path: Path) -> None:
    from llmring_replay import ProviderRateLimitError
    from llmring_replay.faults import RateLimit

    path = tmp_path / "c.yaml"
    request = LLMRequest(model="ollama:m", messages=[Message(role="user", content="Hi")])
    for mode in ("once", "none"):  # the recording run, then a replay
        transport = CassetteTransport(
            path, mode, inner=server([BODY], NDJSON), faults=[RateLimit(retry_after=2)]
        )
        async with LLMRing(transport=transport) as ring:
            with pytest.raises(ProviderRateLimitError) as info:
                [chunk async for chunk in ring.chat_stream(request)]
        assert info.value.retry_after is None  # Ollama's 429 carries no retry hint
    # What was recorded is the real answer; the fault only shaped what the app received.
    assert Cassette.load(path).interactions[0].response.body == BODY


async def test_two_closes_of_an_unread_response_at_once_record_it_once(tmp_path: Path) -> None:
    # The loop closes an abandoned generator in a task of its own (once it is collected),
    # which may still be reading the rest when the transport closes too (the plugin, at the
    # end of a test whose app runs its loop in a thread): the second close waits.
    cassette = Cassette(path=tmp_path / "c.yaml")
    body = server([BODY[:60], BODY[60:]], NDJSON, pauses={1: 0.2})
    ring = LLMRing(transport=RecordingTransport(cassette, body))
    request = LLMRequest(model="ollama:m", messages=[Message(role="user", content="Hi")])
    stream = ring.chat_stream(request)
    async for _ in stream:
        break  # abandoned
    finalizing = asyncio.create_task(stream.aclose())
    await asyncio.sleep(0.01)  # it is reading the rest: paused before the last read
    assert not finalizing.done()
    await ring.aclose()
    await finalizing
    assert [i.response.body for i in Cassette.load(tmp_path / "c.yaml").interactions] == [BODY]
