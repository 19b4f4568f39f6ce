"""`RecordingTransport`: forward to the real transport, tee every frame, record its timing.

The consumer gets each read the moment it arrives: the recorder notes the arrival time,
cuts a (decompressed) copy into frames, and hands the original bytes on at once, so
recording adds microseconds, never a buffer, to the live stream.

When the body ends, or the consumer closes the response early (the rest is then read, so
the cassette holds the whole answer), the interaction is scrubbed of secrets, appended to
the cassette, and the cassette is saved atomically. A response whose connection fails
mid-body is *not* stored (a cassette must not replay a cut the provider never meant): the
consumer gets the error, as it would live, and the cassette keeps what it had.

gzip and deflate bodies are stored decompressed. Other codings (br, zstd) are stored as
received, with their `content-encoding` header and raw-read timing, so replay hands the
client the same encoded bytes it would have decoded live.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import AsyncIterator, Callable, Iterable
from datetime import datetime, timezone

import httpx

from llmring_replay.cassette import (
    Cassette,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    scrub_interaction,
)
from llmring_replay.cassette.normalize import guess_model, guess_provider, header_dict
from llmring_replay.framing import framing_for, splitter_for

__all__ = ["FRAMING_HEADERS", "RecordingTransport"]

#: Headers about how the bytes were framed on the connection, which replay re-does itself.
FRAMING_HEADERS = frozenset({"content-length", "transfer-encoding"})


class _Inflate:
    """Incremental gzip / deflate decoding; deflate may come zlib-wrapped or raw."""

    def __init__(self, encoding: str) -> None:
        self.raw_fallback = encoding == "deflate"
        bits = 16 + zlib.MAX_WBITS if encoding in ("gzip", "x-gzip") else zlib.MAX_WBITS
        self.state = zlib.decompressobj(bits)

    def __call__(self, data: bytes) -> bytes:
        try:
            return self.state.decompress(data)
        except zlib.error:
            if not self.raw_fallback:
                raise
            # Some servers send raw DEFLATE under `deflate` (httpx accepts it too).
            self.raw_fallback = False
            self.state = zlib.decompressobj(-zlib.MAX_WBITS)
            return self.state.decompress(data)


def _inflater(encoding: str | None) -> _Inflate | None:
    coding = (encoding or "").strip().lower()
    return _Inflate(coding) if coding in ("gzip", "x-gzip", "deflate") else None


def _headers(headers: httpx.Headers, drop: Iterable[str] = ()) -> dict[str, list[str]]:
    stored = header_dict(headers.multi_items())
    for name in drop:
        stored.pop(name, None)
    return stored


class _Recorder:
    """The state of one response being recorded."""

    def __init__(
        self,
        store: Callable[[_Recorder], None],
        request: httpx.Request,
        response: httpx.Response,
        started: float,
    ) -> None:
        self.store = store
        self.request = request
        self.response = response
        self.started = started
        self.body = bytearray()
        self.offsets: list[float] = []
        self.sizes: list[int] = []
        encoding = response.headers.get("content-encoding")
        self.inflate = _inflater(encoding)
        #: True while the body is stored as received though it is encoded (br, zstd, ...).
        self.still_encoded = bool(encoding and encoding.strip().lower() != "identity") and (
            self.inflate is None
        )
        framing = None if self.still_encoded else framing_for(response.headers.get("content-type"))
        self.splitter = splitter_for(framing)[0] if framing else None
        self.last_read = 0.0
        self.done = False

    def feed(self, data: bytes, arrived: float) -> None:
        self.last_read = arrived
        if self.inflate is not None:
            data = self.inflate(data)
        self.body += data
        if self.splitter is None:
            if data:
                self.offsets.append(arrived)
                self.sizes.append(len(data))
            return
        self.offsets.extend(arrived for _ in self.splitter.feed(data))

    def finish(self) -> None:
        if self.done:
            return
        self.done = True
        if self.splitter is not None:
            # A last frame without its terminator completed with the last read.
            self.offsets.extend(self.last_read for _ in self.splitter.flush())
        self.store(self)

    def fail(self) -> None:
        """The connection failed mid-body: nothing is stored (see the module docstring)."""
        self.done = True


class _TeeStream(httpx.AsyncByteStream):
    def __init__(
        self, inner: httpx.AsyncByteStream, recorder: _Recorder, open_streams: set[_TeeStream]
    ) -> None:
        self.inner = inner
        self.recorder = recorder
        self.open_streams = open_streams
        open_streams.add(self)
        # One iterator over the inner stream, kept here so `aclose` can read on where the
        # consumer stopped; a second `async for` would start over on a closed connection.
        self.reads: AsyncIterator[bytes] | None = None

    async def __aiter__(self) -> AsyncIterator[bytes]:
        recorder = self.recorder
        self.reads = self.inner.__aiter__()
        try:
            async for data in self.reads:
                # The arrival time is taken first; the bookkeeping after it costs
                # microseconds (benchmarks/recording_overhead.py).
                recorder.feed(data, time.perf_counter() - recorder.started)
                yield data
        except Exception:
            recorder.fail()
            raise
        recorder.finish()

    async def aclose(self) -> None:
        recorder = self.recorder
        try:
            if not recorder.done:
                # The consumer stopped early; read the rest so the cassette is whole.
                reads = self.reads if self.reads is not None else self.inner.__aiter__()
                try:
                    async for data in reads:
                        recorder.feed(data, time.perf_counter() - recorder.started)
                except Exception:
                    recorder.fail()
                    raise
                recorder.finish()
        finally:
            self.open_streams.discard(self)
            await self.inner.aclose()


class RecordingTransport(httpx.AsyncBaseTransport):
    """Record every exchange through `inner` (the live network by default) into `cassette`.

    `save=True` writes the cassette (atomically) after each recorded interaction when it has
    a path, so an interrupted run keeps everything recorded so far. `secrets` are extra
    strings to redact wherever they appear, beside the known key variables. `on_recorded`
    is called with the index of each interaction appended.
    """

    def __init__(
        self,
        cassette: Cassette,
        inner: httpx.AsyncBaseTransport | None = None,
        *,
        save: bool = True,
        secrets: Iterable[str] = (),
        on_recorded: Callable[[int], None] | None = None,
    ) -> None:
        self.cassette = cassette
        self.inner = inner if inner is not None else httpx.AsyncHTTPTransport()
        self.save = save
        self.secrets = tuple(secrets)
        self.on_recorded = on_recorded
        # Responses still being read: an app that abandons a stream without closing it
        # (a plain `break` out of an async generator) still gets its recording on `aclose`.
        self._open: set[_TeeStream] = set()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        started = time.perf_counter()
        response = await self.inner.handle_async_request(request)
        recorder = _Recorder(self._store, request, response, started)
        assert isinstance(response.stream, httpx.AsyncByteStream)
        return httpx.Response(
            status_code=response.status_code,
            headers=response.headers,
            stream=_TeeStream(response.stream, recorder, self._open),
            extensions=response.extensions,
            request=request,
        )

    def _store(self, recorder: _Recorder) -> None:
        request, response = recorder.request, recorder.response
        dropped = (
            FRAMING_HEADERS if recorder.still_encoded else FRAMING_HEADERS | {"content-encoding"}
        )
        recorded_request = RecordedRequest(
            method=request.method,
            uri=str(request.url),
            headers=_headers(request.headers),
            body=request.content or None,
        )
        recorded_response = RecordedResponse(
            status=response.status_code,
            reason=response.reason_phrase,
            headers=_headers(response.headers, dropped),
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
        index = self.cassette.append(scrub_interaction(interaction, secrets=self.secrets))
        if self.save and self.cassette.path is not None:
            self.cassette.save()
        if self.on_recorded is not None:
            self.on_recorded(index)

    async def aclose(self) -> None:
        """Finish the recordings of responses nobody closed, then close the inner transport."""
        try:
            for stream in list(self._open):
                await stream.aclose()
        finally:
            await self.inner.aclose()
