"""The cassette model: recorded requests and responses, with the timing of every frame.

A response body is held once, decompressed, exactly as the server sent it. Its timing is a
list of *frame* arrival offsets in seconds from the moment the request was sent: one per SSE
event or NDJSON line (cut with `llmring_replay.framing`), or, for other content types, one
per raw read, whose byte counts are kept in `sizes`. TTFT is the first offset.

Offsets are kept at 0.01 ms resolution (they are rounded to it on construction, which is
also what the file stores), so `Cassette.load(c.save())` equals `c`.

When a response has no offsets (imported from another recorder, or written by hand) the
timing is synthesized, deterministically: the first frame at `SYNTHESIZED_TTFT` (0.25 s), then
one frame every `SYNTHESIZED_INTERVAL` (0.02 s); the interaction says so with
`timing_synthesized`, and the file with `timing: synthesized`.
"""

from __future__ import annotations

import os
from array import array
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from llmring_replay.cassette.frames import FrameView, frame_ends
from llmring_replay.framing import framing_for, splitter_for

__all__ = [
    "Cassette",
    "FORMAT_VERSION",
    "Interaction",
    "InteractionSummary",
    "Provenance",
    "RecordedRequest",
    "RecordedResponse",
    "SYNTHESIZED_INTERVAL",
    "SYNTHESIZED_TTFT",
    "library_version",
    "offset_text",
    "quantize",
]

FORMAT_VERSION = 1
SYNTHESIZED_TTFT = 0.25
SYNTHESIZED_INTERVAL = 0.02
_STEPS = 100_000  # per second: 0.01 ms


def quantize(seconds: float) -> float:
    """An offset rounded to the stored resolution (0.01 ms): a whole number of steps / 1e5.

    The loader computes the same `steps / 100_000`, so saved offsets load back equal, and
    the floats print short (`0.33333`, not `0.33332999999999996`).
    """
    return round(seconds * _STEPS) / _STEPS


def offset_text(seconds: float) -> str:
    """An offset as stored: milliseconds with at most two decimals (`212.5`, `250`)."""
    steps = round(seconds * _STEPS)
    whole, hundredths = divmod(abs(steps), 100)
    sign = "-" if steps < 0 else ""
    return f"{sign}{whole}.{hundredths:02d}".rstrip("0").rstrip(".")


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class RecordedRequest:
    """A request as sent: method, URL (secrets removed), lowercased headers, raw body."""

    method: str
    uri: str
    headers: dict[str, list[str]] = field(default_factory=dict)
    body: bytes | None = None


@dataclass
class RecordedResponse:
    """A response: status, reason, lowercased headers, decompressed body, frame timing."""

    status: int
    reason: str = ""
    headers: dict[str, list[str]] = field(default_factory=dict)
    body: bytes = b""
    offsets: list[float] | None = None
    sizes: list[int] | None = None
    # The frame ends of `body` under a framing, kept while both are unchanged: 20 replays
    # of a 1,000-frame answer starting at once split it once, not 20 times (0.6 ms each).
    _ends: tuple[bytes, str, array[int]] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        if self.offsets is not None:
            self.offsets = [quantize(offset) for offset in self.offsets]

    @property
    def content_type(self) -> str | None:
        """The first `content-type` value, if any."""
        values = self.headers.get("content-type")
        return values[0] if values else None

    @property
    def framing(self) -> str | None:
        """`sse`, `ndjson`, or None for raw bodies (cut by `sizes`).

        A body still carrying a `content-encoding` (br, zstd: stored as received) is raw:
        its frames can only be found after decoding, which is the client's job.
        """
        if self.headers.get("content-encoding"):
            return None
        return framing_for(self.content_type)

    def pieces(self) -> list[bytes]:
        """The body cut into frames; joined they give the body back exactly."""
        if not self.body:
            return []
        framing = self.framing
        if framing is None:
            return _cut_by_sizes(self.body, self.sizes)
        splitter, _parse = splitter_for(framing)
        pieces = splitter.feed(self.body) + splitter.flush()
        consumed = sum(len(piece) for piece in pieces)
        if consumed < len(self.body):
            # The splitters drop a whitespace-only tail; replay must still send it.
            tail = self.body[consumed:]
            pieces = [*pieces[:-1], pieces[-1] + tail] if pieces else [tail]
        return pieces

    def frames(self) -> list[tuple[float, bytes]]:
        """(offset in seconds, frame bytes) for every frame, synthesizing missing offsets."""
        pieces = self.pieces()
        return list(zip(_offsets_for(self.offsets, len(pieces)), pieces, strict=True))

    def frame_view(self, serve: Callable[[Sequence[float]], Sequence[float]] = list) -> FrameView:
        """`frames()` as a view of the body, each frame cut out when read (replay memory
        O(largest frame)); `serve` maps the offsets to serve times (a timing policy)."""
        ends = self._frame_ends()
        return FrameView(self.body, ends, serve(_offset_array(self.offsets, len(ends))))

    def _frame_ends(self) -> array[int]:
        framing = self.framing
        cached = self._ends
        if cached is not None and cached[0] is self.body and cached[1] == framing:
            return cached[2]
        ends = frame_ends(self)
        if framing is not None:  # raw reads are cut by `sizes`, cheaply, and may change
            self._ends = (self.body, framing, ends)
        return ends

    @property
    def ttft(self) -> float | None:
        """Time to first frame in seconds (synthesized when not recorded)."""
        frames = self.frames()
        return frames[0][0] if frames else None

    @property
    def duration(self) -> float | None:
        """Offset of the last frame in seconds (synthesized when not recorded)."""
        frames = self.frames()
        return frames[-1][0] if frames else None


def _cut_by_sizes(body: bytes, sizes: list[int] | None) -> list[bytes]:
    if not sizes:
        return [body]
    pieces: list[bytes] = []
    position = 0
    for size in sizes:
        if position >= len(body):
            break
        pieces.append(body[position : position + size])
        position += size
    if position < len(body):
        pieces.append(body[position:])
    return [piece for piece in pieces if piece]


def _offsets_for(offsets: list[float] | None, count: int) -> list[float]:
    """`count` offsets: the recorded ones, continued (or made up) at the synthetic pace."""
    return list(_offset_array(offsets, count))


def _offset_array(offsets: list[float] | None, count: int) -> array[float]:
    """`_offsets_for` at 8 bytes an offset (a replay's peak held a million synthesized
    offsets as float objects in a list: 32 MB)."""
    if offsets is None:
        return array(
            "d", (quantize(SYNTHESIZED_TTFT + SYNTHESIZED_INTERVAL * i) for i in range(count))
        )
    result = array("d", offsets[:count])
    last = result[-1] if result else SYNTHESIZED_TTFT - SYNTHESIZED_INTERVAL
    missing = count - len(result)
    result.extend(quantize(last + SYNTHESIZED_INTERVAL * (i + 1)) for i in range(missing))
    return result


@dataclass(frozen=True)
class InteractionSummary:
    """What `llmring-replay show` prints for one interaction."""

    index: int
    method: str
    uri: str
    status: int
    provider: str | None
    model: str | None
    frames: int
    ttft: float | None
    duration: float | None
    timing_synthesized: bool


@dataclass
class Interaction:
    """One request/response exchange with its provenance."""

    request: RecordedRequest
    response: RecordedResponse
    provider: str | None = None
    model: str | None = None
    recorded_at: str | None = None
    timing_synthesized: bool = False

    def __post_init__(self) -> None:
        if self.response.offsets is None:
            self.timing_synthesized = True  # nothing recorded: frames() makes timing up

    def summary(self, index: int) -> InteractionSummary:
        """This interaction's summary, numbered `index`."""
        frames = self.response.frames()
        return InteractionSummary(
            index=index,
            method=self.request.method,
            uri=self.request.uri,
            status=self.response.status,
            provider=self.provider,
            model=self.model,
            frames=len(frames),
            ttft=frames[0][0] if frames else None,
            duration=frames[-1][0] if frames else None,
            timing_synthesized=self.timing_synthesized,
        )


@dataclass
class Provenance:
    """Who wrote the cassette and when; `imported_from` names a foreign recorder's format."""

    format: int = FORMAT_VERSION
    library_version: str | None = None
    recorded_at: str | None = None
    imported_from: str | None = None


def library_version() -> str:
    """The installed llmring-replay version."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("llmring-replay")
    except PackageNotFoundError:
        return "0+unknown"


@dataclass
class Cassette:
    """A list of interactions bound to a YAML file.

    `load` reads our format and the foreign ones in `importers`, with what a recording's
    journal holds. `record` stores one finished interaction durably as it comes, `finish`
    folds those into the file when the recording closes, `save` writes the whole cassette;
    every write scrubs credentials, refuses anything still shaped like an API key, takes the
    cassette's file lock and replaces the file atomically (see `store`).

    `rerecord=True` is record mode `all`: `record` keeps the new interactions in memory and
    `finish` replaces the file with them, so the old cassette stays whole until then.
    """

    path: Path | None = None
    interactions: list[Interaction] = field(default_factory=list)
    provenance: Provenance = field(default_factory=Provenance)
    rerecord: bool = field(default=False, compare=False)
    # What was on disk when this cassette last read or wrote it (see `store.save`), and
    # whether `record` stored interactions that `finish` has not folded into the file yet.
    _disk: object = field(default=None, init=False, repr=False, compare=False)
    _unfinished: bool = field(default=False, init=False, repr=False, compare=False)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Cassette:
        """Read a cassette (ours, vcrpy, pydantic-ai, go-vcr, Ruby VCR or httprr).

        Interactions an unfinished or killed recording left in the journal beside the file
        are included. Raises `CassetteNotFoundError` for a missing or empty file,
        `CassetteFormatError` naming the file and the place for anything malformed, and
        `CassetteWriteError` for a journal that no longer matches its file. Parsed cassettes
        are cached in-process while the file is unchanged (see `cache`); each call returns a
        fresh copy.
        """
        from llmring_replay.cassette import store

        return store.load(path)

    def save(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        secrets: Iterable[str] = (),
        replace: bool = False,
    ) -> Path:
        """Scrub, guard and atomically write the cassette; returns the path written.

        The interactions are scrubbed in place (see `scrub.scrub_interaction`; `secrets` are
        extra values to redact), so what stays in memory is what is on disk. If another writer
        changed the file since this cassette was loaded or saved, what it wrote is merged in
        (kept after ours, without repeating ours) unless `replace=True`. A symlink is followed
        and kept. Raises `CassetteSecretError` and writes nothing if a key-shaped string
        remains; `CassetteWriteError` if the file on disk cannot be read to merge, or the
        write fails.
        """
        from llmring_replay.cassette import store

        chosen = path if path is not None else self.path
        if chosen is None:
            raise ValueError("Cassette.save() needs a path: the cassette has none")
        target = store.save(self, chosen, tuple(secrets), replace)
        self.path = target
        return target

    def record(self, interaction: Interaction, *, secrets: Iterable[str] = ()) -> int:
        """Store one finished interaction; returns its index. The one call a recorder makes.

        Scrubbed and guarded like `save`, then (with a path) appended to the journal beside
        the file and fsync'd under the file lock, in O(1), before it is added here: when
        this returns the interaction survives a kill. Safe from several threads and
        processes at once. With `rerecord`, kept in memory until `finish`.
        """
        from llmring_replay.cassette import store

        return store.record(self, interaction, tuple(secrets))

    def finish(self) -> None:
        """Fold what `record` stored into the file (mode `all`: replace the file with it).

        Call it when the recording closes; nothing happens if nothing was recorded.
        """
        from llmring_replay.cassette import store

        store.finish(self)

    def append(self, interaction: Interaction) -> int:
        """Add an interaction at the end; returns its index."""
        if interaction.recorded_at is None:
            interaction.recorded_at = _now()
        self.interactions.append(interaction)
        return len(self.interactions) - 1

    def summaries(self) -> list[InteractionSummary]:
        """One summary per interaction, in order."""
        return [item.summary(index) for index, item in enumerate(self.interactions)]
