"""One HTTP/1.1 connection of the simulator: read requests, write replies on schedule.

`http1` parses requests (httptools) and writes response heads; this module moves bytes
between it and an asyncio stream. A streamed reply sends its headers at once, then each
frame after its delay, written and drained before the next one is even due: the client can
see frame 1 while frame 2 does not exist yet.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from contextlib import aclosing, suppress
from itertools import repeat
from typing import NamedTuple
from urllib.parse import parse_qsl, unquote

from llmring_replay.simulator.chunked import chunk, chunked_bodies
from llmring_replay.simulator.http1 import InvalidReply, Request, RequestParser, response_head
from llmring_replay.simulator.routes import ReceivedRequest, Reply, json_reply

__all__ = ["SERVER_HEADER", "SentFrame", "serve_connection"]

logger = logging.getLogger(__name__)

SERVER_HEADER = "llmring-replay-simulator"
_READ_SIZE = 65536
_BATCH = 65536  # bytes of frames already due written at once, at most
_LAST_CHUNK = b"0\r\n\r\n"
# What answers a request that never got parsed (bad bytes): HTTP/1.1, then close.
_UNPARSED = Request(b"", b"", "1.1", [], b"", keep_alive=False)


class SentFrame(NamedTuple):
    """A body frame and the `time.perf_counter()` just before it was written."""

    at: float
    data: bytes


async def _receive(parser: RequestParser, reader: asyncio.StreamReader) -> Request | None:
    """The next whole request; `None` when no other will come (the client closed the
    connection, or what it sent next is not HTTP: `parser.error` says)."""
    while not parser.ready:
        if parser.stopped:
            return None
        data = await reader.read(_READ_SIZE)
        if not data:
            return None  # EOF; a request cut short by it is not one to answer
        parser.feed(data)
    return parser.ready.popleft()


def _parse(request: Request) -> ReceivedRequest:
    target = request.target.decode("latin-1")
    path, _, query = target.partition("?")
    content = request.body
    try:
        body = json.loads(content) if content else None
    except (ValueError, RecursionError):
        body = None
    return ReceivedRequest(
        method=request.method.decode("latin-1"),
        path=unquote(path),
        query=dict(parse_qsl(query, keep_blank_values=True)),
        headers={
            name.decode("latin-1").lower(): value.decode("latin-1")
            for name, value in request.headers
        },
        body=body,
        content=content,
        target=target,
    )


def _identity(data: bytes) -> bytes:
    return data


async def _send(
    writer: asyncio.StreamWriter,
    reply: Reply,
    request: Request,
    sent: list[SentFrame] | None,
) -> bool:
    """Write `reply` to `request` on schedule; whether the connection stays open."""
    if reply.headers_delay:
        await asyncio.sleep(reply.headers_delay)
    length = None
    if not reply.streamed and not reply.cut:
        # A whole body goes out after its delay, headers and all, with a length.
        await asyncio.sleep(reply.delays[0])
        length = sum(map(len, reply.frames))
    headers = {**reply.headers, "server": SERVER_HEADER}
    framing = response_head(reply.status, headers, request, length=length, close=reply.cut)
    frame = chunk if framing.chunked else _identity
    # What is due goes out in one write: the head, the frames due at once, the end of the
    # body (at instant timing a whole answer is one socket send, not three).
    due = [framing.head]
    if reply.live is not None:
        await _flush(writer, due)
        await _relay(writer, reply.live, sent, frame, head=not framing.body)
    elif framing.body:
        await _write_frames(writer, reply, sent, frame, due)
    if framing.chunked and not reply.cut:  # a cut body has no end: the connection closes
        due.append(_LAST_CHUNK)
    await _flush(writer, due)
    return framing.keep_alive


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


async def _answer(
    writer: asyncio.StreamWriter,
    request: Request,
    answer: Callable[[ReceivedRequest], Awaitable[Reply]],
    sent: list[SentFrame] | None,
) -> bool:
    """Answer one request; whether the connection stays open for the next."""
    received = _parse(request)
    reply = await answer(received)
    try:
        return await _send(writer, reply, request, sent)
    except InvalidReply as exc:
        # Nothing was written yet: the head is checked before it is.
        if reply.live is not None:
            await reply.live.aclose()
        logger.error("cannot send the reply to %s %s: %s", received.method, received.path, exc)
        message = f"simulator reply failed: {exc}"
        failed = json_reply(500, {"error": {"message": message}})
        return await _send(writer, failed, request, None)


async def serve_connection(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    answer: Callable[[ReceivedRequest], Awaitable[Reply]],
    sent: list[SentFrame] | None,
) -> None:
    """Serve requests on one connection until either side closes it; always closes it.

    Every body frame written is appended to `sent` (unless None) with its time. Bytes that
    are not HTTP get a 400 (431 for a head over `http1.MAX_HEAD`) once the requests before
    them are answered."""
    parser = RequestParser(writer.write)
    try:
        while (request := await _receive(parser, reader)) is not None:
            if not await _answer(writer, request, answer, sent):
                return  # `connection: close`, HTTP/1.0 or a cut reply: no next request
        if parser.error is not None:
            status, message = parser.error
            reply = json_reply(status, {"error": {"message": message}})
            await _send(writer, reply, _UNPARSED, None)
    except ConnectionError:
        pass  # the client went away mid-response: nothing to report
    finally:
        writer.close()
        with suppress(ConnectionError):
            await writer.wait_closed()
