"""The HTTP libraries the transports serve: httpx and httpx2, told apart by the request.

httpx2 is a drop-in fork of httpx under its own import name: same requests, responses,
byte streams and errors, but its own classes, which its clients check (a response body must
be an `httpx2.AsyncByteStream` for an `httpx2.AsyncClient`). A `Library` holds what differs:
the module, the body classes made for it, and the one place where the core's neutral errors
become the library's own. httpx2 stays optional: it is looked at only once a request of it
arrives, which means it is installed and imported.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Protocol, cast

from llmring_replay.transports.replay import ReadStall, StreamCut

__all__ = ["AsyncBody", "AsyncSource", "Library", "SyncBody", "SyncSource", "library_of"]


class SyncSource(Iterable[bytes], Protocol):
    """Where a sync body's bytes come from (a paced replay, a tee of the live stream)."""

    def close(self) -> None: ...


class AsyncSource(AsyncIterable[bytes], Protocol):
    """Where an async body's bytes come from."""

    async def aclose(self) -> None: ...


class SyncBody:
    """A response body for sync clients; `Library` makes it a subclass of its byte stream."""

    library: Library

    def __init__(self, source: SyncSource, request: Any) -> None:
        self.source = source
        self.request = request

    def __iter__(self) -> Iterator[bytes]:
        with self.library.errors(self.request):
            yield from self.source

    def close(self) -> None:
        self.source.close()


class AsyncBody:
    """A response body for async clients; `Library` makes it a subclass of its byte stream."""

    library: Library

    def __init__(self, source: AsyncSource, request: Any) -> None:
        self.source = source
        self.request = request
        self.reads: AsyncGenerator[bytes, None] | None = None

    def __aiter__(self) -> AsyncIterator[bytes]:
        # Kept, to be closed with the body: an async generator left to the garbage
        # collector is a warning under trio.
        self.reads = self._reads()
        return self.reads

    async def _reads(self) -> AsyncGenerator[bytes, None]:
        with self.library.errors(self.request):
            async for data in self.source:
                yield data

    async def aclose(self) -> None:
        if self.reads is not None:
            await self.reads.aclose()
        await self.source.aclose()


@dataclass(frozen=True)
class Library:
    """One HTTP library: its module and the body classes that are its byte streams."""

    module: ModuleType
    sync_body: type[SyncBody]
    async_body: type[AsyncBody]

    @classmethod
    def of(cls, module: ModuleType) -> Library:
        """The `Library` of `module` (httpx or httpx2)."""
        name = module.__name__
        sync_body = cast(
            type[SyncBody], type(f"{name}SyncBody", (SyncBody, module.SyncByteStream), {})
        )
        async_body = cast(
            type[AsyncBody], type(f"{name}AsyncBody", (AsyncBody, module.AsyncByteStream), {})
        )
        library = cls(module, sync_body, async_body)
        sync_body.library = async_body.library = library
        return library

    @contextlib.contextmanager
    def errors(self, request: Any) -> Iterator[None]:
        """Raise the core's neutral errors as this library's, as its own transport would."""
        try:
            yield
        except StreamCut as exc:
            raise self.module.RemoteProtocolError(str(exc), request=request) from exc
        except ReadStall as exc:
            raise self.module.ReadTimeout(str(exc), request=request) from exc

    def response(self, status: int, headers: Any, stream: Any, request: Any, **extra: Any) -> Any:
        """A response of this library."""
        return self.module.Response(
            status, headers=headers, stream=stream, request=request, **extra
        )


_LIBRARIES: dict[str, Library] = {}


def library_of(request: Any) -> Library:
    """The library whose request `request` is; `TypeError` for anything else."""
    for name in ("httpx", "httpx2"):
        # Only modules already imported: a request of httpx2 means httpx2 is there.
        module = sys.modules.get(name)
        if module is not None and isinstance(request, module.Request):
            library = _LIBRARIES.get(name)
            if library is None or library.module is not module:  # new, or imported anew
                library = _LIBRARIES[name] = Library.of(module)
            return library
    raise TypeError(f"llmring-replay transports serve httpx and httpx2 requests, not {request!r}")
