"""aiohttp responses made by the adapter: a body fed frame by frame, the live one recorded.

aiohttp hands a body out through its own `StreamReader` (`response.content`: `read`,
`readline`, `readany`, `iter_chunked`, `iter_any`, ...), whose every read waits in one
place (`_wait`) for the connection to feed more. `PacedContent` is such a reader that, when
a read waits, pulls the next piece from its source instead: the paced replay
(`pacing.paced_async`) or the recorder's tee of the live body. So each read gets what has
arrived by then, as from a socket, never the whole body at once, and every reading method
keeps aiohttp's own behaviour. The source's errors become aiohttp's in one place
(`aiohttp_error`), as the library's own connection would raise them.

`client_response` makes the `aiohttp.ClientResponse` around such a body, as if aiohttp had
started it off a connection. `LiveResponse` shows a live one to the `Recorder` the way it
sees every library's response (status, headers, an async byte stream that can be closed).

Importing this module imports aiohttp: only the aiohttp adapter does, once aiohttp is in use.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from http import HTTPStatus
from types import SimpleNamespace
from typing import Any

import aiohttp
import httpx
from multidict import CIMultiDict, CIMultiDictProxy

from llmring_replay.transports.replay import ReadStall, StreamCut

__all__ = ["LiveResponse", "PacedContent", "aiohttp_error", "client_response"]


def aiohttp_error(exc: BaseException) -> BaseException:
    """The core's neutral error as aiohttp's own connection raises it; others unchanged."""
    if isinstance(exc, StreamCut):  # the body's end never came: what aiohttp says of a cut
        return aiohttp.ClientPayloadError(f"Response payload is not completed: {exc}")
    if isinstance(exc, ReadStall):  # aiohttp's `ClientTimeout.sock_read` expiring
        return aiohttp.SocketTimeoutError(f"Timeout on reading data from socket ({exc})")
    return exc


class _NoConnection:
    """Stands in for the protocol a `StreamReader` pauses and resumes: there is no socket."""

    connected = True
    _reading_paused = False

    def pause_reading(self) -> None:
        """Nothing to pause: data comes when a read asks for it."""

    def resume_reading(self, resume_parser: bool = True) -> None:
        """Nothing to resume."""


class PacedContent(aiohttp.StreamReader):
    """An aiohttp body whose data comes from `source`, a piece each time a read waits.

    `limit` is aiohttp's read buffer size (a line may be twice as long), as the session
    gives its own readers.
    """

    def __init__(self, source: AsyncIterator[bytes], limit: int) -> None:
        super().__init__(_NoConnection(), limit, loop=asyncio.get_running_loop())  # type: ignore[arg-type]
        self._source = source

    async def _wait(self, func_name: str) -> None:
        # aiohttp's reads wait here for the connection to feed data; this one fetches it.
        try:
            data = await anext(self._source)
        except StopAsyncIteration:
            self.feed_eof()
        except Exception as exc:
            error = aiohttp_error(exc)
            self.set_exception(error)  # later reads raise it too, as aiohttp's do
            if error is exc:
                raise
            raise error from exc
        else:
            self.feed_data(data)

    async def wait_eof(self) -> None:
        # aiohttp's waits for the connection to end the body; here the source is read on.
        while not self.is_eof():
            await self._wait("wait_eof")


class LiveResponse:
    """A live aiohttp response as the recorder reads any library's: status, headers and a
    byte stream (`stream`, itself) closed with `aclose`.

    `decoded`: aiohttp decompresses the body itself (its `auto_decompress`), so the
    `content-encoding` header no longer describes the bytes read and is left out.
    """

    def __init__(self, response: aiohttp.ClientResponse, *, decoded: bool) -> None:
        self.response = response
        self.status_code = response.status
        self.reason_phrase = response.reason or ""
        self.headers = httpx.Headers(list(response.headers.items()))
        if decoded:
            self.headers.pop("content-encoding", None)
        self.stream = self

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self.response.content.iter_any().__aiter__()

    async def aclose(self) -> None:
        """Give the connection back (closed if the body was not read to its end)."""
        self.response.release()


# aiohttp 3.14 wants the writer of a request already sent (its size is all it reads).
_SENT: dict[str, Any] = (
    {"stream_writer": SimpleNamespace(output_size=0)}
    if "stream_writer" in inspect.signature(aiohttp.ClientResponse.__init__).parameters
    else {}
)


class _Response(aiohttp.ClientResponse):
    """A response of ours. Recording, closing it (leaving `async with`, `wait_for_close`)
    first reads the rest of the live body into the cassette, as httpx responses do."""

    finish: Callable[[], Awaitable[None]] | None = None

    async def wait_for_close(self) -> None:
        finish, self.finish = self.finish, None
        if finish is not None:
            await finish()
        await super().wait_for_close()


def client_response(
    session: aiohttp.ClientSession,
    info: aiohttp.RequestInfo,
    head: tuple[int, str | None, list[tuple[str, str]]],
    content: PacedContent,
    finish: Callable[[], Awaitable[None]] | None = None,
) -> aiohttp.ClientResponse:
    """An aiohttp response to the request `info`, with `head` (status, reason or None for
    the status's phrase, headers) and `content` as its body, as if started off a connection;
    `finish` is awaited when it is closed (a recording's end)."""
    status, reason, headers = head
    options: dict[str, Any] = {"writer": None, "continue100": None, "timer": None, "traces": []}
    loop = asyncio.get_running_loop()
    response = _Response(
        info.method, info.url, request_info=info, loop=loop, session=session, **options, **_SENT
    )
    response.finish = finish
    # What `ClientResponse.start` reads off the connection, given instead.
    response.version = aiohttp.HttpVersion11
    response.status = status
    response.reason = reason if reason is not None else _phrase(status)
    received = CIMultiDict(headers)
    response._headers = CIMultiDictProxy(received)
    response._raw_headers = tuple((k.encode("latin-1"), v.encode("latin-1")) for k, v in headers)
    response.content = content
    response._closed = False  # open until its body ends, as `start` leaves it
    content.on_eof(response._response_eof)
    cookies = tuple(received.getall("set-cookie", ()))
    if cookies:
        response._raw_cookie_headers = cookies
        session.cookie_jar.update_cookies(response.cookies, response.url)
    return response


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
