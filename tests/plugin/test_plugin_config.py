"""The small pure parts: file names for test names, loopback detection, the network guard."""

from __future__ import annotations

import socket

import pytest
from pytest_llmring_replay.config import safe_name
from pytest_llmring_replay.network import NetworkBlockedError, NetworkGuard, is_local, is_loopback


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("test_hi", "test_hi"),
        ("TestChat.test_hi", "TestChat.test_hi"),
        ("test_hi[openai]", "test_hi-openai"),
        ("test_hi[openai-0.5-True]", "test_hi-openai-0.5-True"),
    ],
)
def test_safe_names_stay_readable(name: str, expected: str) -> None:
    assert safe_name(name) == expected


def test_unsafe_names_get_a_hash_so_they_never_collide() -> None:
    slash, colon = safe_name("test_x[a/b]"), safe_name("test_x[a:b]")
    assert slash.startswith("test_x-a_b-") and colon.startswith("test_x-a_b-")
    assert slash != colon
    assert not safe_name("test_x[..]").endswith(".")  # Windows drops trailing dots
    assert len(safe_name("test_" + "x" * 300)) <= 120


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "127.8.9.1", "::1", "[::1]", "localhost", "api.localhost", b"::1"]
)
def test_loopback_hosts(host: str | bytes) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize(
    "host", ["192.0.2.1", "10.0.0.1", "api.openai.com", "::2", "0.0.0.0", None, ""]
)
def test_other_hosts(host: str | None) -> None:
    assert not is_loopback(host)


def test_guard_blocks_and_restores() -> None:
    attempts: list[str] = []
    guard = NetworkGuard(attempts.append, "testing")
    original = socket.socket.connect, socket.getaddrinfo
    guard.install()
    try:
        with pytest.raises(NetworkBlockedError, match=r"192\.0\.2\.1:80"):
            socket.create_connection(("192.0.2.1", 80), timeout=1)
        with pytest.raises(NetworkBlockedError, match=r"'api\.openai\.com'"):
            socket.getaddrinfo("api.openai.com", 443)
        assert socket.getaddrinfo("localhost", 443)
        assert socket.getaddrinfo("192.0.2.1", 443)  # an address literal is no lookup
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
            server.bind(("127.0.0.1", 0))
            server.listen()
            socket.create_connection(server.getsockname(), timeout=1).close()
    finally:
        guard.uninstall()
    assert (socket.socket.connect, socket.getaddrinfo) == original
    assert attempts == ["a connection to 192.0.2.1:80", "a DNS lookup of 'api.openai.com'"]


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "[::]", "127.0.0.1", "localhost"])
def test_local_hosts(host: str) -> None:
    assert is_local(host)
    assert not is_local("192.0.2.1")


def test_guard_lets_a_connection_to_all_interfaces_through() -> None:
    # Servers bind 0.0.0.0 and tests reach them there: that address is this machine.
    attempts: list[str] = []
    guard = NetworkGuard(attempts.append, "testing")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("0.0.0.0", 0))
        server.listen()
        guard.install()
        try:
            socket.create_connection(("0.0.0.0", server.getsockname()[1]), timeout=1).close()
        finally:
            guard.uninstall()
    assert attempts == []
