"""The client kinds every transport serves, driven the same way: httpx / httpx2, sync / async.

`Kind.stream(transport, url, body)` sends one streaming POST through a fresh client of that
kind and returns what the client saw: the status and each raw read with its arrival time
(seconds after the request started, on the clock the transport paces by). Async kinds run
under `anyio.run`, on asyncio or trio.
"""

from __future__ import annotations

import contextlib
import importlib
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import anyio
import pytest

__all__ = ["KINDS", "Kind", "Seen", "python"]


@dataclass
class Seen:
    """What a client saw of one response."""

    status: int
    reads: list[bytes] = field(default_factory=list)
    arrivals: list[float] = field(default_factory=list)
    #: The exception that ended the body, if one did.
    error: BaseException | None = None

    @property
    def body(self) -> bytes:
        return b"".join(self.reads)

    def take(self, data: bytes, arrived: float, stop: int) -> bool:
        """Note a read; whether to stop reading (after `stop` reads, when not 0)."""
        self.reads.append(data)
        self.arrivals.append(arrived)
        return len(self.reads) == stop

    @contextlib.contextmanager
    def reading(self, module: ModuleType) -> Iterator[None]:
        """Keep a transport error that ends the body instead of raising it."""
        try:
            yield
        except module.TransportError as exc:
            self.error = exc


@dataclass(frozen=True)
class Call:
    """One streaming POST: through what, to where, with what."""

    module: ModuleType
    transport: Any
    url: str
    body: bytes
    timeout: float | None
    stop: int


@dataclass(frozen=True)
class Kind:
    """One kind of client: its library, sync or async, and (async) the event loop library."""

    library: str
    asynchronous: bool
    backend: str = "asyncio"

    @property
    def id(self) -> str:
        mode = f"async-{self.backend}" if self.asynchronous else "sync"
        return f"{self.library}-{mode}"

    @property
    def module(self) -> ModuleType:
        if self.library == "httpx2":
            return pytest.importorskip("httpx2")
        return importlib.import_module(self.library)

    def typed(self, transport: Any) -> Any:
        """`transport` as this kind's client takes it (httpx2: the `for_httpx2()` view)."""
        return transport.for_httpx2() if self.library == "httpx2" else transport

    def stream(
        self, transport: Any, url: str, body: bytes, *, timeout: float | None = None, stop: int = 0
    ) -> Seen:
        """POST `body` to `url` through `transport` (None: the client's own); `stop`: close
        after that many reads."""
        call = Call(self.module, transport, url, body, timeout, stop)
        if self.asynchronous:
            return anyio.run(_stream_async, call, backend=self.backend)
        return _stream_sync(call)


def _stream_sync(call: Call) -> Seen:
    with call.module.Client(transport=call.transport, timeout=call.timeout) as client:
        start = time.perf_counter()
        with client.stream("POST", call.url, content=call.body) as response:
            seen = Seen(response.status_code)
            with seen.reading(call.module):
                for data in response.iter_raw():
                    if seen.take(data, time.perf_counter() - start, call.stop):
                        break
    return seen


async def _stream_async(call: Call) -> Seen:
    async with call.module.AsyncClient(transport=call.transport, timeout=call.timeout) as client:
        start = anyio.current_time()
        async with client.stream("POST", call.url, content=call.body) as response:
            seen = Seen(response.status_code)
            with seen.reading(call.module):
                async with contextlib.aclosing(response.aiter_raw()) as reads:
                    async for data in reads:
                        if seen.take(data, anyio.current_time() - start, call.stop):
                            break
    return seen


KINDS = [
    Kind("httpx", False),
    Kind("httpx", True),
    Kind("httpx", True, "trio"),
    Kind("httpx2", False),
    Kind("httpx2", True),
    Kind("httpx2", True, "trio"),
]


def python(script: str) -> str:
    """Run `script` (dedented) in a fresh interpreter, as a process whose imports are its
    own (a library hidden, or imported late); what it printed. It must exit 0."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout
