"""The recording half of the core: tee the live body, time its frames, store the interaction.

The consumer gets each read the moment it arrives: the `Tee` notes the arrival time, cuts a
(decompressed) copy into frames, and hands the original bytes on at once, so recording adds
microseconds, never a buffer, to the live stream. The same `Tee` serves sync and async
bodies of httpx and httpx2 alike: it only iterates the library's stream.

When the body ends, or the consumer closes the response early (the rest is then read, so
the cassette holds the whole answer), the interaction is scrubbed of secrets and handed to
the cassette in one call (`Recorder.hand_off`: `Cassette.record`, durable before it counts;
closing the recorder folds the journal into the file, `Cassette.finish`). A response whose
connection fails mid-body is *not* stored (a cassette must not replay a cut the provider
never meant): the consumer gets the error, as it would live, and the cassette keeps what it
had.

gzip and deflate bodies are stored decompressed. Other codings (br, zstd) are stored as
received, with their `content-encoding` header and raw-read timing, so replay hands the
client the same encoded bytes it would have decoded live.
"""

from __future__ import annotations

import contextlib
import time
import zlib
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterable, Iterator
from datetime import datetime, timezone
from typing import Any, TypedDict

import anyio
from typing_extensions import Unpack

from llmring_replay.cassette import (
    Cassette,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    scrub_interaction,
)
from llmring_replay.cassette.normalize import guess_model, guess_provider, header_dict
from llmring_replay.framing import framing_for, splitter_for
from llmring_replay.loops import current_loop
from llmring_replay.transports.replay import FRAMING_HEADERS, RequestLike

__all__ = ["RecordOptions", "Recorder", "Recording", "Tee"]


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


def _headers(headers: Any, drop: Iterable[str] = ()) -> dict[str, list[str]]:
    stored = header_dict(headers.multi_items())
    for name in drop:
        stored.pop(name, None)
    return stored


class Recording:
    """One response being recorded: its body, frame offsets, and what to do when it ends."""

    def __init__(
        self,
        store: Callable[[Recording], None],
        request: RequestLike,
        response: Any,
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
        coding = (encoding or "").strip().lower()
        self.inflate = _Inflate(coding) if coding in ("gzip", "x-gzip", "deflate") else None
        #: True while the body is stored as received though it is encoded (br, zstd, ...).
        self.still_encoded = bool(coding and coding != "identity") and self.inflate is None
        framing = None if self.still_encoded else framing_for(response.headers.get("content-type"))
        self.splitter = splitter_for(framing)[0] if framing else None
        self.last_read = 0.0
        self.done = False
        #: The interaction's index in the cassette, once stored.
        self.index: int | None = None

    def feed(self, data: bytes) -> bytes:
        """Note `data` as arriving now; returns it unchanged."""
        # The arrival time is taken first; the bookkeeping after it costs microseconds
        # (benchmarks/recording_overhead.py).
        arrived = self.last_read = time.perf_counter() - self.started
        decoded = self.inflate(data) if self.inflate is not None else data
        self.body += decoded
        if self.splitter is None:
            if decoded:
                self.offsets.append(arrived)
                self.sizes.append(len(decoded))
        else:
            self.offsets.extend(arrived for _ in self.splitter.feed(decoded))
        return data

    @contextlib.contextmanager
    def reading(self) -> Iterator[None]:
        """Around reading the body: stored when the reads end, dropped if they fail."""
        try:
            yield
        except Exception:
            self.done = True  # the connection failed mid-body: not stored (module docstring)
            raise
        if not self.done:
            self.done = True
            if self.splitter is not None:
                # A last frame without its terminator completed with the last read.
                self.offsets.extend(self.last_read for _ in self.splitter.flush())
            self.store(self)


class Tee:
    """The body of a recorded response: the live stream's reads, each fed to the recording.

    One iterator over the live stream is kept, so `close` can read on where the consumer
    stopped; a second `for` would start over on a closed connection.
    """

    def __init__(
        self, live: Any, recording: Recording, open_tees: set[Tee], *, asynchronous: bool
    ) -> None:
        self.live = live
        self.recording = recording
        self.open_tees = open_tees
        open_tees.add(self)
        #: Whether the consumer is an async client (the tee is then closed with `aclose`), and
        #: the event loop its live stream belongs to (only there can the rest be read).
        self.asynchronous = asynchronous
        self.loop = current_loop() if asynchronous else None
        self.reads: Any = None
        self.tee_reads: AsyncGenerator[bytes, None] | None = None
        #: Set once `aclose` has finished; made by the first `aclose`.
        self._closed: anyio.Event | None = None

    def __iter__(self) -> Iterator[bytes]:
        self.reads = iter(self.live)
        with self.recording.reading():
            for data in self.reads:
                yield self.recording.feed(data)

    def __aiter__(self) -> AsyncIterator[bytes]:
        self.tee_reads = self._tee_async()  # closed in aclose, as `AsyncBody` does
        return self.tee_reads

    async def _tee_async(self) -> AsyncGenerator[bytes, None]:
        self.reads = aiter(self.live)
        with self.recording.reading():
            async for data in self.reads:
                yield self.recording.feed(data)

    def close(self) -> None:
        """Finish the recording (the consumer stopped early: read the rest), then close."""
        try:
            if not self.recording.done:
                with self.recording.reading():
                    for data in self.reads or iter(self.live):
                        self.recording.feed(data)
        finally:
            self.open_tees.discard(self)
            self.live.close()

    async def aclose(self) -> None:
        """`close` for async streams. Two closes can overlap on one loop (an abandoned
        generator is closed by the loop in a task of its own while the transport closes):
        the second waits for the first, which reads the rest, instead of reading too."""
        if self._closed is not None:
            await self._closed.wait()
            return
        self._closed = anyio.Event()
        try:
            if self.tee_reads is not None:
                await self.tee_reads.aclose()
            if not self.recording.done:
                with self.recording.reading():
                    async for data in self.reads or aiter(self.live):
                        self.recording.feed(data)
        finally:
            self.open_tees.discard(self)
            try:
                await self.live.aclose()
            finally:
                self._closed.set()


class RecordOptions(TypedDict, total=False):
    """How recorded interactions are kept (keyword arguments).

    `save` (default True) stores each recorded interaction durably as it finishes when the
    cassette has a path (`Cassette.record`), so an interrupted run keeps everything recorded
    so far, and closing writes them into the file (`Cassette.finish`). `secrets`
    are extra strings to redact wherever they appear, beside the known key variables.
    `on_recorded` is called with the index of each interaction stored.
    """

    save: bool
    secrets: Iterable[str]
    on_recorded: Callable[[int], None] | None


class Recorder:
    """Records responses into `cassette`; `options` are `RecordOptions`."""

    def __init__(self, cassette: Cassette, **options: Unpack[RecordOptions]) -> None:
        self.cassette = cassette
        self.save = options.get("save", True)
        self.secrets = tuple(options.get("secrets", ()))
        self.on_recorded = options.get("on_recorded")
        # Responses still being read: an app that abandons a stream without closing it
        # (a plain `break` out of an async generator) still gets its recording on close.
        self.open_tees: set[Tee] = set()

    def tee(
        self, request: RequestLike, response: Any, started: float, *, asynchronous: bool
    ) -> Tee:
        """The body to hand the consumer for `response` (to `request`, sent at `started`)."""
        recording = Recording(self._store, request, response, started)
        return Tee(response.stream, recording, self.open_tees, asynchronous=asynchronous)

    def _store(self, recording: Recording) -> None:
        request, response = recording.request, recording.response
        dropped = FRAMING_HEADERS | (set() if recording.still_encoded else {"content-encoding"})
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
            body=bytes(recording.body),
            offsets=recording.offsets,
            sizes=recording.sizes if recording.splitter is None else None,
        )
        interaction = Interaction(
            request=recorded_request,
            response=recorded_response,
            provider=guess_provider(recorded_request.uri),
            model=guess_model(recorded_request.uri, recorded_request.body),
            recorded_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        )
        recording.index = self.hand_off(scrub_interaction(interaction, secrets=self.secrets))
        if self.on_recorded is not None:
            self.on_recorded(recording.index)

    def hand_off(self, interaction: Interaction) -> int:
        """Give a finished, scrubbed interaction to the cassette; returns its index.

        The one place recording writes: `Cassette.record` stores it durably (a journal
        beside the file, fsync'd under the cassette's file lock) before it counts, so an
        interrupted run keeps every interaction it recorded; closing folds them into the
        file (`Cassette.finish`).
        """
        if not self.save:
            return self.cassette.append(interaction)
        return self.cassette.record(interaction, secrets=self.secrets)

    def close(self) -> None:
        """Finish the recordings of sync responses nobody closed, then write them in."""
        for tee in [tee for tee in self.open_tees if not tee.asynchronous]:
            tee.close()
        self._finish()

    async def aclose(self) -> None:
        """Finish the recordings of async responses nobody closed, read on this event loop
        (a stream of another loop cannot be read here: those stay open), then write them in."""
        here = current_loop()
        for tee in [tee for tee in self.open_tees if tee.asynchronous and tee.loop is here]:
            await tee.aclose()
        self._finish()

    def _finish(self) -> None:
        if self.save:
            self.cassette.finish()
