"""Blocking the network while a test replays a cassette.

A replaying test must not reach the network, whatever code tries (the app's own httpx
client, an SDK, a raw socket). While a guard is installed, connecting an IPv4/IPv6 socket to
a non-loopback address and resolving a host name that is not a loopback name raise
`NetworkBlockedError` (a `RuntimeError`, so that httpx and the providers' error mapping do
not turn it into a retryable connection error). Every attempt is also reported to the guard's
callback, so that a test whose code swallowed the error still fails.

Loopback stays open: the simulator and other local test servers live there. So does the
"any" address (`0.0.0.0`, `::`): connecting to it reaches this machine, and tests use it for
servers that bind all interfaces. Unix sockets are untouched. The guard patches
`socket.socket.connect`/`connect_ex` and `socket.getaddrinfo`, which is what
`socket.create_connection`, asyncio and httpx go through. Not covered, so still open: UDP
datagrams sent with `sendto` on an unconnected socket, and lookups through the older
`gethostbyname` family (neither is how HTTP clients reach a provider).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from typing import Any

from llmring_replay.hosts import is_loopback

__all__ = ["NetworkBlockedError", "NetworkGuard", "is_local", "is_loopback"]

_INET = (socket.AF_INET, socket.AF_INET6)


class NetworkBlockedError(RuntimeError):
    """A replaying test tried to reach the network."""


def _address(host: object) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(str(host).strip("[]").split("%")[0])
    except ValueError:
        return None


def is_local(host: object) -> bool:
    """Whether connecting to `host` stays on this machine: loopback or the "any" address.

    Unlike `is_loopback`, true for `0.0.0.0` and `::`: a client connecting there reaches a
    server on this machine (one bound to all interfaces), although a server *binding* there
    is reachable from outside.
    """
    if is_loopback(host):
        return True
    address = _address(host) if isinstance(host, str) else None
    return address is not None and address.is_unspecified


class NetworkGuard:
    """Installs and removes the patches; `on_attempt` hears of every blocked attempt."""

    def __init__(self, on_attempt: Callable[[str], None], reason: str) -> None:
        self.on_attempt = on_attempt
        self.reason = reason
        self._saved: tuple[Any, Any, Any] | None = None

    def _blocked(self, what: str) -> NetworkBlockedError:
        self.on_attempt(what)
        return NetworkBlockedError(f"llmring-replay blocked {what}: {self.reason}")

    def install(self) -> None:
        """Patch the socket module (idempotent)."""
        if self._saved is not None:
            return
        connect, connect_ex = socket.socket.connect, socket.socket.connect_ex
        getaddrinfo = socket.getaddrinfo
        self._saved = (connect, connect_ex, getaddrinfo)
        guard = self

        def check(sock: Any, address: Any) -> None:
            if sock.family in _INET and not is_local(address[0]):
                # Callers close a socket on OSError only; ours is a RuntimeError, so the
                # socket is closed here lest it leak (a ResourceWarning, an error in CI).
                sock.close()
                raise guard._blocked(f"a connection to {address[0]}:{address[1]}")

        def guarded_connect(sock: Any, address: Any) -> None:
            check(sock, address)
            connect(sock, address)

        def guarded_connect_ex(sock: Any, address: Any) -> int:
            check(sock, address)
            return connect_ex(sock, address)

        def guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
            # Resolving a name is already traffic (DNS); an address literal is not, and
            # connecting to it is checked above.
            if host and not is_loopback(host) and _address(host) is None:
                name = host.decode("ascii", "replace") if isinstance(host, bytes) else host
                raise guard._blocked(f"a DNS lookup of {name!r}")
            return getaddrinfo(host, *args, **kwargs)

        socket.socket.connect = guarded_connect  # type: ignore[method-assign]
        socket.socket.connect_ex = guarded_connect_ex  # type: ignore[method-assign]
        socket.getaddrinfo = guarded_getaddrinfo

    def uninstall(self) -> None:
        """Restore the socket module."""
        if self._saved is None:
            return
        connect, connect_ex, getaddrinfo = self._saved
        socket.socket.connect = connect  # type: ignore[method-assign]
        socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]
        socket.getaddrinfo = getaddrinfo
        self._saved = None
