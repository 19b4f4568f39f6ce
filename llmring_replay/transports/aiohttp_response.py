"""aiohttp responses made by the adapter, and the live one as the recorder reads it.

`client_response` makes the `aiohttp.ClientResponse` around a `PacedContent` body
(`aiohttp_body`), as if aiohttp had started it off a connection. `LiveResponse` shows a live
one to the `Recorder` the way it sees every library's response (status, headers, an async
byte stream that can be closed).

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

from llmring_replay.transports.aiohttp_body import PacedContent

__all__ = ["LiveResponse", "client_response"]


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
