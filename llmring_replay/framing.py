"""Stream framing: bytes in, frames and events out. Pure, incremental, no provider knowledge.

Two steps, kept apart because the transports need the first and the codecs the second:

1. A *splitter* cuts the byte stream into raw frames exactly as received (terminators
   included): an SSE event ends at a blank line, an NDJSON record at a newline. Reads may end
   anywhere, even inside a multi-byte UTF-8 character; a frame is only handed out once its
   terminator arrived, so nothing is ever decoded half. The recorder stores these frames with
   their arrival times; replay serves them one by one.
2. `parse_sse` / `parse_ndjson` turn one raw frame into an `Event` (SSE per the WHATWG spec:
   LF, CR and CRLF line ends, `:` comments, multi-line `data`, the optional space after the
   colon). `[DONE]` and in-band error payloads are the codecs' business, not this module's.

Spec: https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import NamedTuple

__all__ = [
    "Event",
    "Splitter",
    "NDJSONSplitter",
    "SSESplitter",
    "framing_for",
    "parse_ndjson",
    "parse_sse",
    "parse_sse_text",
    "splitter_for",
]


class Event(NamedTuple):
    """One parsed frame: an SSE event, or an NDJSON line (`event` is then `None`)."""

    data: str
    event: str | None = None
    id: str | None = None


# A line end is CRLF, a lone CR or LF. A lone CR must not be followed by LF, else "\r\n"
# would read as two line ends; a blank line is two line ends in a row.
_SSE_BOUNDARY = re.compile(rb"(?:\r\n|\r(?!\n)|\n)(?:\r\n|\r(?!\n)|\n)")
_LINE_END = re.compile(r"\r\n|\r|\n")
_LONE_CR = re.compile(r"\r(?!\n)")


class SSESplitter:
    """Cut an SSE byte stream into raw events, each ending with its blank line.

    `feed` gives the raw frames (what a recording stores); `feed_text` gives the same
    frames decoded, for a decoder that only reads them (see `feed_text`). Use one or the
    other on a splitter, not both.
    """

    __slots__ = ("_buffer", "_more")

    def __init__(self) -> None:
        self._buffer = b""
        # Reads that could not end an event, joined only when one can: a large event
        # arriving in small reads costs linear time, not quadratic.
        self._more: list[bytes] = []

    def _gather(self, data: bytes) -> bytes | None:
        """The bytes to cut with `data` added, or `None` when no event can end in them."""
        if self._buffer or self._more:
            last = (self._more[-1] if self._more else self._buffer)[-1:]
            # Without a CR, an event can only end on "\n\n", here or across the seam.
            if b"\r" not in data and last != b"\r" and b"\n\n" not in last + data:
                self._more.append(data)
                return None
            if self._more:
                self._buffer = b"".join([self._buffer, *self._more])
                self._more.clear()
        return self._buffer + data if self._buffer else data

    @staticmethod
    def _separator(buffer: bytes) -> bytes | None:
        """The one blank-line separator the buffer uses, or `None` when the regex must cut it."""
        if b"\r" not in buffer:
            # The common case (LF only) is a plain split, several times faster than the regex.
            return b"\n\n"
        # We always hold a trailing "\r" back: the next read may start with the "\n" that
        # turns it into one CRLF line end rather than a CR line end.
        if not buffer.endswith(b"\r"):
            crlf = buffer.count(b"\r\n")
            if crlf == buffer.count(b"\r") == buffer.count(b"\n"):
                return b"\r\n\r\n"  # CRLF only (Gemini sends this): a plain split again
        return None

    def _cut(self, buffer: bytes) -> list[bytes]:
        # Mixed line ends: the regex, keeping a trailing "\r" back (see `_separator`).
        end = len(buffer) - 1 if buffer.endswith(b"\r") else len(buffer)
        frames: list[bytes] = []
        start = 0
        for match in _SSE_BOUNDARY.finditer(buffer, 0, end):
            if match.start() < start:
                continue
            frames.append(buffer[start : match.end()])
            start = match.end()
        self._buffer = buffer[start:]
        return frames

    def feed(self, data: bytes) -> list[bytes]:
        """Add bytes from one read; return the frames completed by them."""
        buffer = self._gather(data)
        if buffer is None:
            return []
        separator = self._separator(buffer)
        if separator is None:
            return self._cut(buffer)
        parts = buffer.split(separator)
        self._buffer = parts.pop()
        return [part + separator for part in parts]

    def feed_text(self, data: bytes) -> list[str]:
        """Add bytes from one read; return the events completed by them as text, each
        without its blank line, the same events `feed` would return.

        For decoders: the complete events of a read are decoded in one call (invalid UTF-8
        replaced, as `parse_sse` does) and cut as text, so a frame costs no copy of its own.
        A text has a line end inside only when the event has several lines; every line end
        in it is "\n" or "\r\n" (a lone CR is rewritten as "\n").
        """
        buffer = self._gather(data)
        if buffer is None:
            return []
        separator = self._separator(buffer)
        if separator is None:
            return [_normalized(frame) for frame in self._cut(buffer)]
        end = buffer.rfind(separator)
        if end < 0:
            self._buffer = buffer
            return []
        end += len(separator)
        texts = buffer[:end].decode("utf-8", "replace").split(separator.decode())
        # Split cuts from the left, so in a run of line ends ("\n\n\n") the last separator
        # found may end before `end`: what follows it starts the next event, as in `feed`.
        tail = texts.pop()
        self._buffer = tail.encode() + buffer[end:] if tail else buffer[end:]
        return texts

    def flush(self) -> list[bytes]:
        """End of stream: return what is left (an event missing its final blank line)."""
        rest, self._buffer = b"".join([self._buffer, *self._more]), b""
        self._more.clear()
        return [rest] if rest.strip() else []

    def flush_text(self) -> list[str]:
        """`flush` as `feed_text` gives events."""
        return [_normalized(frame) for frame in self.flush()]


def _normalized(frame: bytes) -> str:
    """A raw SSE frame as `SSESplitter.feed_text` gives it: decoded, no lone CR, no blank
    line at the end (empty lines inside an event dispatch nothing, so none is lost)."""
    text = frame.decode("utf-8", "replace")
    if "\r" in text:
        text = _LONE_CR.sub("\n", text)
    return text.rstrip("\r\n")


class NDJSONSplitter:
    """Cut an NDJSON byte stream into raw lines, each ending with its newline."""

    __slots__ = ("_buffer", "_more")

    def __init__(self) -> None:
        self._buffer = b""
        self._more: list[bytes] = []  # reads without a newline, joined when one comes

    def _gather(self, data: bytes) -> bytes | None:
        if b"\n" not in data:
            if data:
                self._more.append(data)
            return None
        if self._more:
            self._buffer = b"".join([self._buffer, *self._more])
            self._more.clear()
        return self._buffer + data if self._buffer else data

    def feed(self, data: bytes) -> list[bytes]:
        """Add bytes from one read; return the lines completed by them."""
        buffer = self._gather(data)
        if buffer is None:
            return []
        parts = buffer.split(b"\n")
        self._buffer = parts.pop()
        return [part + b"\n" for part in parts]

    def feed_text(self, data: bytes) -> list[str]:
        """Add bytes from one read; return the lines completed by them as text, without
        their newline: the lines `feed` would return, decoded in one call (see
        `SSESplitter.feed_text`)."""
        buffer = self._gather(data)
        if buffer is None:
            return []
        end = buffer.rfind(b"\n") + 1
        self._buffer = buffer[end:]
        return buffer[: end - 1].decode("utf-8", "replace").split("\n")

    def flush(self) -> list[bytes]:
        """End of stream: return the last line when it lacks a trailing newline."""
        rest, self._buffer = b"".join([self._buffer, *self._more]), b""
        self._more.clear()
        return [rest] if rest.strip() else []

    def flush_text(self) -> list[str]:
        """`flush` as `feed_text` gives lines."""
        return [frame.decode("utf-8", "replace") for frame in self.flush()]


def _parse_simple(frame: bytes) -> Event | None:
    """The usual frames, without the general parser: one `data:` line, or Anthropic's
    `event:` + `data:` pair; `None` when the frame is anything else."""
    if frame[:6] == b"data: ":
        body = frame[6:].rstrip(b"\r\n")
        if b"\n" not in body and b"\r" not in body:
            return Event(body.decode("utf-8", "replace"))
    elif frame[:7] == b"event: " and frame.count(b"\n") == 3 and b"\r" not in frame:
        end = frame.find(b"\n")
        if frame[end + 1 : end + 7] == b"data: " and frame[-2:] == b"\n\n":
            name = frame[7:end].decode("utf-8", "replace") or None
            return Event(frame[end + 7 : -2].decode("utf-8", "replace"), name)
    return None


def parse_sse(frame: bytes) -> Event | None:
    """Parse one raw SSE event; `None` when it dispatches nothing (comments, no data)."""
    simple = _parse_simple(frame)
    if simple is not None:
        return simple
    return parse_sse_text(frame.decode("utf-8", "replace"))


def parse_sse_text(text: str) -> Event | None:
    """`parse_sse` for an event that is text already (`SSESplitter.feed_text`)."""
    data: list[str] = []
    event: str | None = None
    event_id: str | None = None
    for line in _LINE_END.split(text):
        if not line or line[0] == ":":
            continue
        name, colon, value = line.partition(":")
        if colon and value[:1] == " ":
            value = value[1:]
        if name == "data":
            data.append(value)
        elif name == "event":
            event = value
        elif name == "id" and "\0" not in value:
            event_id = value
    if not data:
        return None
    return Event("\n".join(data), event or None, event_id)


def parse_ndjson(frame: bytes) -> Event | None:
    """Parse one NDJSON line; `None` for a blank line."""
    text = frame.decode("utf-8", "replace").strip()
    return Event(text) if text else None


Splitter = SSESplitter | NDJSONSplitter

_FRAMINGS: dict[str, tuple[Callable[[], Splitter], Callable[[bytes], Event | None]]] = {
    "sse": (SSESplitter, parse_sse),
    "ndjson": (NDJSONSplitter, parse_ndjson),
}


def framing_for(content_type: str | None) -> str | None:
    """The framing a response's content type implies: `sse`, `ndjson`, or `None` (raw)."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media == "text/event-stream":
        return "sse"
    if media in ("application/x-ndjson", "application/ndjson", "application/jsonl"):
        return "ndjson"
    return None


def splitter_for(framing: str) -> tuple[Splitter, Callable[[bytes], Event | None]]:
    """A fresh splitter and the matching frame parser for `sse` or `ndjson`."""
    make_splitter, parse = _FRAMINGS[framing]
    return make_splitter(), parse
