"""The simulator server: an HTTP/1.1 server on loopback speaking the four providers' APIs.

Routing and rendering live in `routes.py`, HTTP/1.1 in `http1.py` and `connection.py`; this
module runs the listening socket. The latest requests are kept in `.requests` and the latest
body frames in `.sent` with the time each was written, so a test can prove a client saw
frame 1 before frame 2 was sent. Both are bounded (`keep_requests`, `keep_frames`), so a
server that runs for days holds constant memory.

Scripts answer by default; a `responder` (a callable from `ReceivedRequest` to a `Reply`,
or to an awaitable of one) answers instead when given: the hook `llmring-replay serve` uses
to answer from cassettes, or to proxy, while reusing this server's HTTP and recording.

Three ways to run it:

- `with SimulatorServer(script) as sim:` runs it in a background thread with its own event
  loop (tests, sync code);
- `async with SimulatorServer(script) as sim:` runs it in the current event loop;
- `SimulatorServer(script).serve_forever()` blocks until Ctrl-C (the CLI).
"""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import itertools
import logging
import threading
from collections.abc import Callable, Sequence
from contextlib import suppress
from types import TracebackType
from typing import TypeVar

from llmring_replay.providers.registry import lookup
from llmring_replay.simulator.connection import SERVER_HEADER, SentFrame, serve_connection
from llmring_replay.simulator.routes import (
    ReceivedRequest,
    Reply,
    Responder,
    find_route,
    json_reply,
    plan_reply,
    unknown_route_reply,
)
from llmring_replay.simulator.scenario import Scenario
from llmring_replay.simulator.script import Script
from llmring_replay.simulator.simulation import ScriptFactory, Simulator

__all__ = ["SentFrame", "SimulatorServer"]

logger = logging.getLogger(__name__)

T = TypeVar("T")


class _Recent(list[T]):
    """A list that keeps at least its latest `limit` appends and never more than twice
    that: the oldest half goes in one cut, so an append stays O(1) on average. `None`:
    keep everything."""

    def __init__(self, limit: int | None) -> None:
        super().__init__()
        self.limit = limit

    def append(self, item: T) -> None:
        super().append(item)
        if self.limit is not None and len(self) > 2 * self.limit:
            del self[: len(self) - self.limit]


class SimulatorServer:
    """A local server answering provider API calls from scripts.

    `source` is a `Scenario` (rules on the request), a `Script` (answers everything), a
    list of scripts (in order, the last one repeats), a callable
    `(provider, model, body) -> Script`, or a `Simulator`. Give a
    `responder` instead to answer every request yourself: it gets the request (its
    `provider` filled in when the path is a known endpoint) and returns the `Reply` to write.

    `requests` keeps at least the latest `keep_requests` requests and `sent` the latest
    `keep_frames` frames (never more than twice as many; `None`: all, `0`: none, which also
    spares stamping each frame).
    """

    def __init__(
        self,
        source: Simulator | Scenario | Script | Sequence[Script] | ScriptFactory | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        responder: Responder | None = None,
        keep_requests: int | None = 1_000,
        keep_frames: int | None = 10_000,
    ) -> None:
        if (source is None) == (responder is None):
            raise TypeError("SimulatorServer needs a script source or a responder (one of them)")
        self.simulator = Simulator.coerce(source) if source is not None else None
        self.responder = responder
        self.host = host
        self.port = port
        #: The latest requests received (see `keep_requests`), in order.
        self.requests: list[ReceivedRequest] = _Recent(keep_requests)
        #: The latest body frames written (see `keep_frames`), in order, with the time each
        #: was written.
        self.sent: list[SentFrame] = _Recent(keep_frames)
        self._keep_requests = keep_requests != 0
        self._keep_frames = keep_frames != 0
        self._seq = itertools.count(1)
        self._server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task[None]] = set()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None

    @property
    def base_url(self) -> str:
        """`http://HOST:PORT` (the real port once started)."""
        host = f"[{self.host}]" if ":" in self.host else self.host  # an IPv6 literal
        return f"http://{host}:{self.port}"

    def base_url_for(self, provider: str) -> str:
        """The base URL a client of `provider` (or of a wire format) needs: OpenAI's
        includes `/v1`, as usual (`Format.base_url_suffix`)."""
        return self.base_url + lookup(provider).base_url_suffix

    # -- running in the current event loop -------------------------------------------------

    async def start(self) -> None:
        """Bind and start accepting connections in the running loop."""
        self._server = await asyncio.start_server(self._handle, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def aclose(self) -> None:
        """Stop accepting, end open connections and release the socket."""
        if self._server is None:
            return
        self._server.close()
        # One turn of the loop lets handlers of connections accepted just now register, so
        # none is left behind (from 3.12 on, `wait_closed` waits for every connection).
        await asyncio.sleep(0)
        while self._handlers:
            handlers = list(self._handlers)
            for task in handlers:
                task.cancel()
            await asyncio.gather(*handlers, return_exceptions=True)
        await self._server.wait_closed()
        self._server = None
        # A responder holding connections of its own (the recording proxy) closes them too.
        closing = getattr(self.responder, "aclose", None)
        if closing is not None:
            await closing()

    async def __aenter__(self) -> SimulatorServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    # -- running in a background thread ----------------------------------------------------

    def __enter__(self) -> SimulatorServer:
        ready = threading.Event()
        failure: list[BaseException] = []
        self._thread = threading.Thread(
            target=asyncio.run,
            args=(self._run_in_thread(ready, failure),),
            name=f"{SERVER_HEADER}-{id(self):x}",
            daemon=True,
        )
        self._thread.start()
        ready.wait()
        if failure:
            self._thread.join()
            raise failure[0]
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join()
        self._thread = self._loop = self._stop = None

    async def _run_in_thread(self, ready: threading.Event, failure: list[BaseException]) -> None:
        try:
            await self.start()
        except BaseException as exc:  # reported to the thread that waits for us
            failure.append(exc)
            ready.set()
            return
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        ready.set()
        try:
            await self._stop.wait()
        finally:
            await self.aclose()

    def serve_forever(self, on_ready: Callable[[SimulatorServer], None] | None = None) -> None:
        """Serve in this thread until Ctrl-C; `on_ready` is called once the port is bound."""

        async def main() -> None:
            async with self:
                if on_ready is not None:
                    on_ready(self)
                await asyncio.Event().wait()

        with suppress(KeyboardInterrupt):
            asyncio.run(main())

    # -- one connection --------------------------------------------------------------------

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # Tracked so that closing the server can end connections that are still open.
        task = asyncio.current_task()
        if task is not None:
            self._handlers.add(task)
        try:
            sent = self.sent if self._keep_frames else None
            await serve_connection(reader, writer, self._reply_to, sent)
        except asyncio.CancelledError:
            # Only `aclose` cancels a connection. Ending normally matters: asyncio (3.11)
            # calls `task.exception()` on a finished handler, which logs a cancelled one.
            pass
        finally:
            if task is not None:
                self._handlers.discard(task)

    async def _reply_to(self, request: ReceivedRequest) -> Reply:
        route = find_route(request.path, request.query, request.body)
        provider = route.provider if route is not None else None
        request = dataclasses.replace(request, provider=provider)
        if self._keep_requests:
            self.requests.append(request)
        if self.responder is None and route is None:
            return unknown_route_reply(request.method, request.path, request.body)
        if self.responder is None and request.method != "POST":
            return json_reply(405, {"error": {"message": "use POST", "code": 405}})
        try:
            if self.responder is not None:
                reply = self.responder(request)
                return await reply if inspect.isawaitable(reply) else reply
            assert route is not None and self.simulator is not None  # checked above / in init
            return plan_reply(route, self.simulator, request.body, next(self._seq))
        except Exception as exc:  # a script or responder failed: answer, don't hang the client
            logger.exception("simulator reply failed")
            return json_reply(500, {"error": {"message": f"simulator reply failed: {exc}"}})
