"""`RecordingTransport`: forward to the real transport, tee every frame, record its timing.

The consumer gets each read the moment it arrives: the recorder notes the arrival time,
cuts a (decompressed) copy into frames, and hands the original bytes on at once, so
recording adds microseconds, never a buffer, to the live stream.
When the body ends (or the consumer closes the response early, in which case the rest is
read so the cassette holds the whole answer) the interaction is scrubbed of secrets,
appended to the cassette, and the cassette is saved atomically.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import AsyncIterator, Iterable
from datetime import datetime, timezone

import httpx

from llmring_replay.cassette import (
    Cassette,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    scrub_interaction,
)
from llmring_replay.cassette.normalize import guess_model, guess_provider
from llmring_replay.framing import framing_for, splitter_for

__all__ = ["RecordingTransport"]

# Headers that describe the bytes on the wire, not the (decompressed) body we store.
_WIRE_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding"})


def _decompressor(encoding: str | None) -> zlib._Decompress | None:
    encoding = (encoding or "").strip().lower()
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return zlib.decompressobj()
    return None


def _headers(headers: httpx.Headers, drop: Iterable[str] = ()) -> dict[str, list[str]]:
    skipped = set(drop)
    stored: dict[str, list[str]] = {}
    for name, value in headers.multi_items():
        key = name.lower()
        if key not in skipped:
            stored.setdefault(key, []).append(value)
    return stored


class _Recorder:
    """The state of one response being recorded."""

    def __init__(
        self,
        transport: RecordingTransport,
        request: httpx.Request,
        response: httpx.Response,
        started: float,
    ) -> None:
        self.transport = transport
        self.request = request
        self.response = response
        self.started = started
        self.body = bytearray()
        self.offsets: list[float] = []
        self.sizes: list[int] = []
        self.framing = framing_for(response.headers.get("content-type"))
        self.splitter = splitter_for(self.framing)[0] if self.framing else None
        self.decompress = _decompressor(response.headers.get("content-encoding"))
        self.finished = False

    def feed(self, data: bytes, arrived: float) -> None:
        if self.decompress is not None:
            data = self.decompress.decompress(data)
        self.body += data
        if self.splitter is None:
            if data:
                self.offsets.append(arrived)
                self.sizes.append(len(data))
            return
        self.offsets.extend(arrived for _ in self.splitter.feed(data))

    def finish(self) -> None:
        if self.finished:
            return
        self.finished = True
        ended = time.perf_counter() - self.started
        if self.decompress is not None:
            tail = self.decompress.flush()
            if tail:
                self.feed(tail, ended)
        if self.splitter is not None:
            last = self.offsets[-1] if self.offsets else ended
            self.offsets.extend(last for _ in self.splitter.flush())
        self.transport._store(self)


class _TeeStream(httpx.AsyncByteStream):
    def __init__(self, inner: httpx.AsyncByteStream, recorder: _Recorder) -> None:
        self.inner = inner
        self.recorder = recorder

    async def __aiter__(self) -> AsyncIterator[bytes]:
        recorder = self.recorder
        started = recorder.started
        async for data in self.inner:
            # The arrival time is taken first; the bookkeeping after it costs microseconds
            # (benchmarks/recording_overhead.py) and keeps the recorder's state simple.
            recorder.feed(data, time.perf_counter() - started)
            yield data
        recorder.finish()

    async def aclose(self) -> None:
        recorder = self.recorder
        try:
            if not recorder.finished:
                # The consumer stopped early; read the rest so the cassette is whole.
                async for data in self.inner:
                    recorder.feed(data, time.perf_counter() - recorder.started)
                recorder.finish()
        finally:
            await self.inner.aclose()


class RecordingTransport(httpx.AsyncBaseTransport):
    """Record every exchange through `inner` (the live network by default) into `cassette`.

    `save=True` writes the cassette (atomically) after each recorded interaction when it has
    a path, so an interrupted run keeps everything recorded so far. `secrets` are extra
    strings to redact wherever they appear, beside the known key variables.
    """

    def __init__(
        self,
        cassette: Cassette,
        inner: httpx.AsyncBaseTransport | None = None,
        *,
        save: bool = True,
        secrets: Iterable[str] = (),
    ) -> None:
        self.cassette = cassette
        self.inner = inner if inner is not None else httpx.AsyncHTTPTransport()
        self.save = save
        self.secrets = tuple(secrets)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        started = time.perf_counter()
        response = await self.inner.handle_async_request(request)
        recorder = _Recorder(self, request, response, started)
        assert isinstance(response.stream, httpx.AsyncByteStream)
        return httpx.Response(
            status_code=response.status_code,
            headers=response.headers,
            stream=_TeeStream(response.stream, recorder),
            extensions=response.extensions,
            request=request,
        )

    def _store(self, recorder: _Recorder) -> None:
        request, response = recorder.request, recorder.response
        recorded_request = RecordedRequest(
            method=request.method,
            uri=str(request.url),
            headers=_headers(request.headers),
            body=request.content or None,
        )
        recorded_response = RecordedResponse(
            status=response.status_code,
            reason=response.reason_phrase,
            headers=_headers(response.headers, _WIRE_HEADERS),
            body=bytes(recorder.body),
            offsets=recorder.offsets,
            sizes=recorder.sizes if recorder.splitter is None else None,
        )
        interaction = Interaction(
            request=recorded_request,
            response=recorded_response,
            provider=guess_provider(recorded_request.uri),
            model=guess_model(recorded_request.uri, recorded_request.body),
            recorded_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        )
        self.cassette.append(scrub_interaction(interaction, secrets=self.secrets))
        if self.save and self.cassette.path is not None:
            self.cassette.save()

    async def aclose(self) -> None:
        await self.inner.aclose()
