"""An aiohttp body fed frame by frame: what `response.content` reads, replayed or recorded.

aiohttp hands a body out through its own `StreamReader` (`response.content`: `read`,
`readline`, `readany`, `iter_chunked`, `iter_any`, ...), whose every read waits in one
place (`_wait`) for the connection to feed more. `PacedContent` is such a reader that, when
a read waits, pulls the next piece from its source instead: the paced replay
(`pacing.paced_async`) or the recorder's tee of the live body. So each read gets what has
arrived by then, as from a socket, never the whole body at once, and every reading method
keeps aiohttp's own behaviour. The source's errors become aiohttp's in one place
(`aiohttp_error`), as the library's own connection would raise them.

Importing this module imports aiohttp: only the aiohttp adapter does, once aiohttp is in use.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp

from llmring_replay.transports.replay import ReadStall, StreamCut

__all__ = ["PacedContent", "aiohttp_error"]


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
