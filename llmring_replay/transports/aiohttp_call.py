"""An `aiohttp.ClientSession` call as the aiohttp adapter reads it: its request, its body,
its timeouts, its `raise_for_status`, each resolved as aiohttp itself resolves them.

Bodies other than bytes, str or `json=` (a stream, a file, form data) are not served: a
provider API takes JSON, and such a body is a `TypeError` naming its type.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import httpx
from aiohttp.helpers import sentinel

from llmring_replay.transports.aiohttp_body import PacedContent

__all__ = ["Call", "Send", "call_of"]

#: How a request goes live: the session's original `_request` with the call's arguments.
Send = Callable[..., Awaitable[aiohttp.ClientResponse]]


@dataclass
class Call:
    """One session call: the session, its keyword arguments (`options`), how it goes live,
    and its request as the core reads it (`httpx.Request`)."""

    session: aiohttp.ClientSession
    options: dict[str, Any]
    send: Send
    request: httpx.Request

    def body(self) -> bytes:
        """The bytes aiohttp sends for the call's `data` / `json`."""
        data, value = self.options.get("data"), self.options.get("json")
        if data is not None and value is not None:
            raise ValueError("data and json parameters can not be used at the same time")
        if value is not None:  # as aiohttp serializes it (`json_serialize_bytes`: 3.14 on)
            dumps = getattr(self.session, "_json_serialize_bytes", None)
            return bytes(dumps(value)) if dumps else self.session.json_serialize(value).encode()
        if data is None or isinstance(data, (bytes, bytearray, memoryview, str)):
            return data.encode() if isinstance(data, str) else bytes(data or b"")
        raise TypeError(
            "llmring-replay serves aiohttp requests whose body is bytes, str or json=; the one "
            f"to {self.request.url} has data of type {type(data).__name__}"
        )

    def timeouts(self) -> tuple[float | None, float | None]:
        """The read timeout (`sock_read`) and the total one, as aiohttp resolves them."""
        timeout = self.options.get("timeout", sentinel)
        if timeout is sentinel:
            timeout = self.session.timeout
        elif not isinstance(timeout, aiohttp.ClientTimeout):
            timeout = aiohttp.ClientTimeout(total=timeout)
        return timeout.sock_read, timeout.total

    def content(self, source: AsyncIterator[bytes]) -> PacedContent:
        """A body reading `source`, buffered as the session buffers its own."""
        limit = self.options.get("read_bufsize") or getattr(self.session, "_read_bufsize", 0)
        return PacedContent(source, int(limit or 2**16))

    async def checked(self, response: aiohttp.ClientResponse) -> aiohttp.ClientResponse:
        """`response`, after the call's or the session's `raise_for_status`, as aiohttp does."""
        check = self.options.get("raise_for_status")
        if check is None:
            check = self.session.raise_for_status
        if callable(check):
            await check(response)
        elif check:
            response.raise_for_status()
        return response


def call_of(
    session: aiohttp.ClientSession, method: str, url: Any, options: dict[str, Any], send: Send
) -> Call | None:
    """The session call, its request without a body yet (read only for a provider
    request); None when aiohttp itself would refuse it."""
    try:
        full = session._build_url(url)
        params = options.get("params")
        headers = session._prepare_headers(options.get("headers"))  # the session's merged in
        request = httpx.Request(
            method.upper(),
            str(full.extend_query(params) if params else full),
            headers=list(headers.items()),
        )
    except (ValueError, TypeError, httpx.InvalidURL):
        return None
    return Call(session, options, send, request)
