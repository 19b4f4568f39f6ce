"""Stream faults: the recorded 200 stream is kept up to a frame, then stalls, breaks or errs.

Frames are numbered from 1, as a reader counts them: `after=N` means after the Nth frame
(frames 1..N are delivered; `after=0` is before the first), `at=N` means the Nth frame. A
frame is one SSE event or one NDJSON line as the provider sent it, so `[DONE]`, Anthropic's
`ping` and `message_start` count: the same N cuts different providers at different chunks.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace

from llmring_replay.faults.base import BaseFault, content_type, format_of, model_of
from llmring_replay.faults.shapes import KINDS, error_frame, shape_for
from llmring_replay.framing import framing_for
from llmring_replay.transports.replay import Fault, ReplayContext, ReplayPlan, StreamCut

__all__ = [
    "Disconnect",
    "FailFirst",
    "InBandError",
    "MalformedFrame",
    "StallBeforeFirstByte",
    "StallBetween",
]

# What httpcore says when a server closes the connection in the middle of a body.
_CUT = "peer closed connection without sending complete message body (incomplete chunked read)"


@dataclass(frozen=True, repr=False)
class StallBeforeFirstByte(BaseFault):
    """The response headers (and so everything after them) arrive `seconds` later.

    Longer than the client's read timeout, it raises the HTTP library's `ReadTimeout` in
    replay, which the client reports as `ProviderTimeoutError`.
    """

    seconds: float

    def __post_init__(self) -> None:
        super().__post_init__()
        self.require(self.seconds >= 0, "seconds must not be negative")

    def rewrite(self, plan: ReplayPlan, context: ReplayContext) -> ReplayPlan:
        frames = [(at + self.seconds, data) for at, data in plan.frames]
        return replace(plan, frames=frames, headers_delay=plan.headers_delay + self.seconds)


@dataclass(frozen=True, repr=False)
class StallBetween(BaseFault):
    """An extra gap of `seconds` between frame `after` and the next (`after=0`: before frame 1)."""

    after: int
    seconds: float

    def __post_init__(self) -> None:
        super().__post_init__()
        self.require(self.after >= 0, "after must not be negative")
        self.require(self.seconds >= 0, "seconds must not be negative")

    def rewrite(self, plan: ReplayPlan, context: ReplayContext) -> ReplayPlan:
        # A stall after the last frame would have nothing left to delay.
        self.check_frame("after", self.after, 0, len(plan.frames) - 1, plan)
        frames = [
            (at + self.seconds if number > self.after else at, data)
            for number, (at, data) in enumerate(plan.frames, 1)
        ]
        return replace(plan, frames=frames)


@dataclass(frozen=True, repr=False)
class Disconnect(BaseFault):
    """Frames 1..`after` arrive, then the connection drops (the client library's
    `RemoteProtocolError`, as from a real cut).

    `after` may equal the frame count: the whole body came but the connection was cut before
    the response ended, which a client that reads to the end still sees.
    """

    after: int

    def __post_init__(self) -> None:
        super().__post_init__()
        self.require(self.after >= 0, "after must not be negative")

    def rewrite(self, plan: ReplayPlan, context: ReplayContext) -> ReplayPlan:
        self.check_frame("after", self.after, 0, len(plan.frames), plan)
        return replace(plan, frames=plan.frames[: self.after], error=StreamCut(_CUT))


def _cut(payload: str) -> str:
    # Half of a JSON object or array never parses; anything that still does (a short number)
    # gets an unclosed brace. Never empty: an SSE event without data is not even dispatched.
    cut = payload[: len(payload) // 2] or "{"
    try:
        json.loads(cut)
    except ValueError:
        return cut
    return cut + "{"


def _ending(line: str) -> str:
    return line[len(line.rstrip("\r\n")) :]


def _break_sse(text: str) -> str:
    lines = text.splitlines(keepends=True)
    for index, line in enumerate(lines):
        if line.startswith("data:"):
            lines[index] = f"data: {_cut(line[5:].strip())}{_ending(line)}"
            return "".join(lines)
    # No data line (a comment, a bare `event:`): the frame becomes a broken data event,
    # with the line ends the frame used.
    end = (_ending(lines[0]) if lines else "") or "\n"
    return f"data: {{{end}{end}"


def _break_line(text: str) -> str:
    body = text.rstrip("\r\n")
    return _cut(body) + text[len(body) :]


# framing -> how to break one frame of it while keeping its terminator.
_BREAKERS: dict[str | None, Callable[[str], str]] = {
    "sse": _break_sse,
    "ndjson": _break_line,
    None: _break_line,
}


@dataclass(frozen=True, repr=False)
class MalformedFrame(BaseFault):
    """Frame `at` is replaced by its own JSON cut in half, framing intact (a mangling proxy).

    SSE keeps its `event:` line and blank-line terminator; NDJSON keeps the newline. The
    framing comes from the response's content type, as the transport decides it.
    """

    at: int

    def __post_init__(self) -> None:
        super().__post_init__()
        self.require(self.at >= 1, "at counts frames from 1")

    def rewrite(self, plan: ReplayPlan, context: ReplayContext) -> ReplayPlan:
        self.check_frame("at", self.at, 1, len(plan.frames), plan)
        frames = list(plan.frames)
        at, data = frames[self.at - 1]
        breaker = _BREAKERS[framing_for(content_type(plan))]
        frames[self.at - 1] = (at, breaker(data.decode("utf-8", "replace")).encode())
        return replace(plan, frames=frames)


@dataclass(frozen=True, repr=False)
class InBandError(BaseFault):
    """Frames 1..`at`-1 arrive, then the provider's in-band error event ends the 200 stream.

    `kind` is one of `faults.shapes.KINDS` (`overloaded`, `rate_limit`, `server_error`, ...):
    OpenAI-compatible `event: error` + `{"error": {...}}`, Anthropic `event: error` (e.g.
    `overloaded_error`), Gemini `data: {"error": {...}}`, Ollama an `{"error": "..."}` line.
    """

    at: int
    kind: str = "overloaded"
    #: Seconds to wait, for `kind="rate_limit"`, where the provider's error body holds it.
    retry_after: float | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        self.require(self.at >= 1, "at counts frames from 1")
        self.require(self.kind in KINDS, f"kind must be one of {', '.join(KINDS)}")
        self.require(
            self.retry_after is None or (self.kind == "rate_limit" and self.retry_after >= 0),
            "retry_after is for kind='rate_limit', in seconds >= 0",
        )

    def rewrite(self, plan: ReplayPlan, context: ReplayContext) -> ReplayPlan:
        self.check_frame("at", self.at, 1, len(plan.frames), plan)
        wire_format = format_of(self, context)
        shape = shape_for(wire_format, self.kind)
        frame = error_frame(wire_format, shape, model_of(context), retry_after=self.retry_after)
        served_at = plan.frames[self.at - 1][0]
        return replace(plan, frames=[*plan.frames[: self.at - 1], (served_at, frame)])


@dataclass(frozen=True, repr=False)
class FailFirst(BaseFault):
    """`fault` on the first `k` requests of an interaction, then the recording as it is.

    Attempts are counted per recorded interaction (`ReplayContext.attempt`), so a retried
    request must reach the same interaction again: replay with `allow_repeats=True`.
    """

    k: int
    fault: Fault

    def __post_init__(self) -> None:
        super().__post_init__()
        self.require(self.k >= 1, "k must be at least 1")
        self.require(callable(getattr(self.fault, "apply", None)), "fault must be a Fault")

    def rewrite(self, plan: ReplayPlan, context: ReplayContext) -> ReplayPlan:
        return self.fault.apply(plan, context) if context.attempt < self.k else plan
