"""Automatic interception: every HTTP client in the process served by one transport.

While an `Interception` is installed, the HTTP libraries' own client layers
(`httpx.HTTPTransport.handle_request`, `httpx.AsyncHTTPTransport.handle_async_request`, their
httpx2 twins, and `aiohttp.ClientSession._request`) hand each provider API request to our
transport instead of the network: any client, sync or async, made before or during the
interception, by the app, an SDK or upstream llmring, with no `http_client` argument. This
is how respx and vcrpy reach clients a test cannot touch; patching the HTTP library, not the
SDKs, keeps every byte as a live run would see it. aiohttp (google-genai's async client uses
it whenever it is installed) is patched once something imports it (`on_import`), and its
requests are answered by `aiohttp_adapter`; neither is imported before.

Which requests: those the provider registry recognizes (`providers.registry.recognize`: a
known provider host, or a provider API path on any host). So an app recording from the
simulator on loopback is recorded, while a test's own local server (other paths) is left
alone. When our transport records, it goes live through the client's own transport method
(its connection pool, proxies and TLS settings). Our transports' own sends to the network
are never intercepted again.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
from collections.abc import Callable, Iterator
from typing import Any

from llmring_replay.providers.registry import recognize
from llmring_replay.transports.adapter import CoreTransport, going_live, respond_async, respond_sync
from llmring_replay.transports.on_import import Waiting, when_imported

__all__ = ["Interception", "intercept", "is_provider_request"]


def is_provider_request(request: Any) -> bool:
    """Whether `request` goes to a provider API (by host or by path)."""
    return recognize(str(request.url)) is not None


def _libraries() -> list[Any]:
    modules = []
    for name in ("httpx", "httpx2"):
        # httpx2 is optional; when installed it is imported now, so that its clients made
        # later in the interception are covered too.
        with contextlib.suppress(ImportError):
            modules.append(importlib.import_module(name))
    return modules


class Interception:
    """Serves matching requests of every httpx / httpx2 / aiohttp client with `transport`.

    `when(request)` chooses the requests (default: provider API requests). `install` and
    `uninstall` patch and restore the libraries; installs nest (the last one wins).
    """

    def __init__(
        self, transport: CoreTransport, when: Callable[[Any], bool] = is_provider_request
    ) -> None:
        self.transport = transport
        self.when = when
        self._saved: list[tuple[type, str, Any]] = []
        self._aiohttp: Waiting | None = None

    def _target(self, request: Any) -> CoreTransport | None:
        # Our own sends to the network (recording through a transport we built) pass.
        if going_live() or not self.when(request):
            return None
        return self.transport

    def _sync(self, original: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
        @functools.wraps(original)
        def handle_request(transport: Any, request: Any) -> Any:
            target = self._target(request)
            if target is None:
                return original(transport, request)
            return respond_sync(target, request, functools.partial(original, transport))

        return handle_request

    def _async(self, original: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
        @functools.wraps(original)
        async def handle_async_request(transport: Any, request: Any) -> Any:
            target = self._target(request)
            if target is None:
                return await original(transport, request)
            return await respond_async(target, request, functools.partial(original, transport))

        return handle_async_request

    def _session(self, original: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(original)
        async def _request(session: Any, method: str, url: Any, **options: Any) -> Any:
            from llmring_replay.transports import aiohttp_adapter, aiohttp_call

            send = functools.partial(original, session, method, url, **options)
            call = aiohttp_call.call_of(session, method, url, options, send)
            target = None if call is None else self._target(call.request)
            if call is None or target is None:
                return await send()
            return await aiohttp_adapter.respond(target, call)

        return _request

    def _patch(self, cls: type, name: str, wrap: Callable[[Any], Any]) -> None:
        original = cls.__dict__[name]
        self._saved.append((cls, name, original))
        setattr(cls, name, wrap(original))

    def install(self) -> None:
        """Patch the libraries (idempotent); aiohttp once it is imported."""
        if self._saved or self._aiohttp is not None:
            return
        for module in _libraries():
            self._patch(module.HTTPTransport, "handle_request", self._sync)
            self._patch(module.AsyncHTTPTransport, "handle_async_request", self._async)
        self._aiohttp = when_imported(
            "aiohttp", lambda aiohttp: self._patch(aiohttp.ClientSession, "_request", self._session)
        )

    def uninstall(self) -> None:
        """Restore the libraries."""
        if self._aiohttp is not None:
            self._aiohttp.cancel()
            self._aiohttp = None
        while self._saved:
            cls, name, original = self._saved.pop()
            setattr(cls, name, original)


@contextlib.contextmanager
def intercept(
    transport: CoreTransport, when: Callable[[Any], bool] = is_provider_request
) -> Iterator[Interception]:
    """Inside the block, every httpx / httpx2 client's provider requests go to `transport`."""
    interception = Interception(transport, when)
    interception.install()
    try:
        yield interception
    finally:
        interception.uninstall()
