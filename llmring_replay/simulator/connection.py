"""One HTTP/1.1 connection of the simulator: read requests, write replies on schedule.

`h11` does all of HTTP/1.1 (parsing, keep-alive, chunked transfer encoding); this module only
moves bytes between it and an asyncio stream, so nothing here parses HTTP by hand. A streamed
reply sends its headers at once, then each frame after its delay, written and drained before
the next one is even due: the client can see frame 1 while frame 2 does not exist yet.
"""

from __future__ import annotations

import asyncio
import http
import json
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from contextlib import aclosing, suppress
from functools import partial
from itertools import repeat
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, unquote

import h11

from llmring_replay.simulator.chunked import chunk, chunked_bodies
from llmring_replay.simulator.routes import ReceivedRequest, Reply, json_reply

__all__ = ["SERVER_HEADER", "SentFrame", "serve_connection"]

SERVER_HEADER = "llmring-replay-simulator"
_READ_SIZE = 65536
_BATCH = 65536  # bytes of frames already due written at once, at most


class SentFrame(NamedTuple):
    """A body frame and the `time.perf_counter()` just before it was written."""

    at: float
    data: bytes


def _reason(status: int) -> bytes:
    try:
        return http.HTTPStatus(status).phrase.encode()
    except ValueError:  # e.g. Anthropic's 529
        return b""


def _encode(conn: h11.Connection, event: Any) -> bytes:
    """The bytes h11 has for `event` (only a ConnectionClosed event has none)."""
    return conn.send(event) or b""


async def _next_event(conn: h11.Connection, reader: asyncio.StreamReader) -> Any:
    """The next h11 event, reading from the socket as h11 asks for data."""
    while True:
        event = conn.next_event()
        if event is not h11.NEED_DATA:
            return event
        # An empty read is EOF, which h11 turns into ConnectionClosed (or an error mid-message).
        conn.receive_data(await reader.read(_READ_SIZE))


async def _receive(
    conn: h11.Connection, reader: asyncio.StreamReader
) -> tuple[h11.Request, bytes] | None:
    """One whole request and its body; `None` when the client closed the connection."""
    request = await _next_event(conn, reader)
    if not isinstance(request, h11.Request):
        return None
    body = bytearray()
    while True:
        event = await _next_event(conn, reader)
        if isinstance(event, h11.EndOfMessage):
            return request, bytes(body)
        if not isinstance(event, h11.Data):
            return None
        body += event.data


def _parse(request: h11.Request, content: bytes) -> ReceivedRequest:
    target = request.target.decode("latin-1")
    path, _, query = target.partition("?")
    try:
        body = json.loads(content) if content else None
    except (ValueError, RecursionError):
        body = None
    return ReceivedRequest(
        method=request.method.decode("latin-1"),
        path=unquote(path),
        query=dict(parse_qsl(query, keep_blank_values=True)),
        headers={
            name.decode("latin-1"): value.decode("latin-1") for name, value in request.headers
        },
        body=body,
        content=content,
        target=target,
    )


def _chunked(conn: h11.Connection, reply: Reply, head: bool) -> bool:
    """Whether we frame this reply's body as HTTP/1.1 chunks ourselves instead of one h11
    call per frame (a third of the server's time per frame). It is exactly when h11 would
    chunk it: a streamed body (no length) with a body at all, to an HTTP/1.1 client."""
    names = {name.lower() for name in reply.headers}
    return (
        reply.streamed
        and not head
        and conn.their_http_version == b"1.1"
        and reply.status not in (204, 304)
        and not names & {"content-length", "transfer-encoding"}
    )


async def _send(
    conn: h11.Connection,
    writer: asyncio.StreamWriter,
    reply: Reply,
    sent: list[SentFrame] | None,
    *,
    head: bool = False,
) -> None:
    """Write `reply` on schedule; a response to HEAD has headers only."""
    headers = [*reply.headers.items(), ("server", SERVER_HEADER)]
    if reply.headers_delay:
        await asyncio.sleep(reply.headers_delay)
    if not reply.streamed and not reply.cut:
        # A whole body goes out after its delay, headers and all, with a length.
        await asyncio.sleep(reply.delays[0])
        headers.append(("content-length", str(sum(map(len, reply.frames)))))
    # Without a length, h11 frames the body with chunked transfer encoding.
    response = h11.Response(status_code=reply.status, headers=headers, reason=_reason(reply.status))
    frame = chunk if _chunked(conn, reply, head) else partial(_encode_data, conn)
    # What is due goes out in one write: the head, the frames due at once, the end of the
    # body (at instant timing a whole answer is one socket send, not three).
    due = [_encode(conn, response)]
    if reply.live is not None:
        await _flush(writer, due)
        await _relay(writer, reply.live, sent, frame, head=head)
    elif not head:
        await _write_frames(writer, reply, sent, frame, due)
    if not reply.cut:  # a cut body has no end: the caller closes the connection mid-response
        due.append(_encode(conn, h11.EndOfMessage()))
    await _flush(writer, due)


def _encode_data(conn: h11.Connection, data: bytes) -> bytes:
    return _encode(conn, h11.Data(data=data))


async def _write_frames(
    writer: asyncio.StreamWriter,
    reply: Reply,
    sent: list[SentFrame] | None,
    frame: Callable[[bytes], bytes],
    due: list[bytes],
) -> None:
    """Each frame after its delay, added to `due` (what is written next). One not yet due
    waits (what is due before it is written and drained first); frames already due go out
    together, in writes of about `_BATCH` bytes: at instant timing a socket send per frame
    was most of the server's time, and a client cannot tell the frames of one write from
    back-to-back ones. The last frames are left in `due` for the caller to write."""
    if reply.reused and frame is chunk and sent is None and not any(reply.delays):
        # All due at once (instant timing), and served before: written as encoded then.
        await _write_encoded(writer, chunked_bodies(reply.frames), due)
        return
    # A whole body waited before its headers; a cut one is paced like a stream.
    delays = reply.delays if reply.streamed or reply.cut else repeat(0.0)
    size = 0
    for data, delay in zip(reply.frames, delays, strict=False):
        if delay > 0:
            await _flush(writer, due)
            size = 0
            await asyncio.sleep(delay)
        if sent is not None:
            # Stamped just before it is queued: "sent at" can only be early, never late.
            sent.append(SentFrame(time.perf_counter(), data))
        piece = frame(data)
        due.append(piece)
        size += len(piece)
        if size >= _BATCH:
            await _flush(writer, due)
            size = 0


async def _write_encoded(writer: asyncio.StreamWriter, body: bytes, due: list[bytes]) -> None:
    """`body` after what is in `due`, in writes of `_BATCH` bytes at most (so the transport
    copies no more than that of it into its buffer when the client is behind)."""
    if len(body) <= _BATCH:
        due.append(body)
        return
    await _flush(writer, due)
    view = memoryview(body)
    for start in range(0, len(body), _BATCH):
        writer.write(view[start : start + _BATCH])
        await writer.drain()


async def _flush(writer: asyncio.StreamWriter, due: list[bytes]) -> None:
    """Write the pieces in `due` at once (if any) and empty it."""
    if due:
        writer.write(b"".join(due))
        due.clear()
    await writer.drain()  # returns at once unless the client is behind


async def _relay(
    writer: asyncio.StreamWriter,
    live: AsyncGenerator[bytes, None],
    sent: list[SentFrame] | None,
    frame: Callable[[bytes], bytes],
    *,
    head: bool,
) -> None:
    """Write each piece of a live body the moment it arrives (a proxy never buffers)."""
    async with aclosing(live):
        async for piece in live:
            if piece and not head:
                if sent is not None:
                    sent.append(SentFrame(time.perf_counter(), piece))
                writer.write(frame(piece))
                await writer.drain()


async def _reject(conn: h11.Connection, writer: asyncio.StreamWriter) -> None:
    """Answer a malformed request with 400 when HTTP still allows a response."""
    if conn.our_state not in (h11.IDLE, h11.SEND_RESPONSE):
        return
    reply = json_reply(400, {"error": {"message": "malformed HTTP request"}})
    with suppress(ConnectionError, h11.LocalProtocolError):
        await _send(conn, writer, reply, None)


async def serve_connection(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    answer: Callable[[ReceivedRequest], Awaitable[Reply]],
    sent: list[SentFrame] | None,
) -> None:
    """Serve requests on one connection until either side closes it; always closes it.

    Every body frame written is appended to `sent` (unless None) with its time."""
    conn = h11.Connection(h11.SERVER)
    try:
        while True:
            received = await _receive(conn, reader)
            if received is None:
                break
            request = _parse(*received)
            reply = await answer(request)
            await _send(conn, writer, reply, sent, head=request.method == "HEAD")
            if conn.our_state is not h11.DONE or conn.their_state is not h11.DONE:
                break  # `connection: close` (or HTTP/1.0): no next request on this one
            conn.start_next_cycle()
    except h11.RemoteProtocolError:
        await _reject(conn, writer)
    except ConnectionError:
        pass  # the client went away mid-response: nothing to report
    finally:
        writer.close()
        with suppress(ConnectionError):
            await writer.wait_closed()
