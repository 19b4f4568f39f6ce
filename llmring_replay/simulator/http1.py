"""HTTP/1.1 for the simulator: requests parsed by httptools, response heads written here.

httptools wraps llhttp, the parser of Node.js (and uvicorn's): it finds each request's method,
target, headers and body (content-length or chunked), and rejects what is not HTTP. What it
leaves to a server is the response head, which is short enough to write by hand, and cheap:
building a head through h11 was a third of `serve`'s time per answer.

`response_head` follows RFC 9112 as h11 did: a body without a length is chunked for an
HTTP/1.1 client and ends with the connection for an HTTP/1.0 one; a response to HEAD has
the headers a GET would have had; `connection: close` is said whenever the connection will
close after the response.
"""

from __future__ import annotations

import http
import re
from collections import deque
from collections.abc import Callable
from typing import NamedTuple

import httptools

__all__ = [
    "CONTINUE",
    "Framing",
    "InvalidReply",
    "Request",
    "RequestParser",
    "response_head",
]

#: The interim answer to `expect: 100-continue`: send the body.
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
#: Bytes of a request's target and headers, at most (h11's limit was 16 KiB).
MAX_HEAD = 64 * 1024

_TOKEN = r"[-!#$%&'*+.^_`|~0-9A-Za-z]+"
# A header block as we write it: name, colon, space, a value with no CR, LF or NUL.
_FIELDS = re.compile(rf"(?:{_TOKEN}: [^\r\n\0]*\r\n)*")
_FIELD = re.compile(rf"{_TOKEN}: [^\r\n\0]*\r\n")
# Headers a response's framing decides, never copied from a reply.
_FRAMING = frozenset({"content-length", "transfer-encoding"})


class Request(NamedTuple):
    """One whole request as received: method, target, HTTP version, headers (names as sent),
    body, and whether the client may send another on this connection."""

    method: bytes
    target: bytes
    version: str
    headers: list[tuple[bytes, bytes]]
    body: bytes
    keep_alive: bool


class _HeadTooLarge(ValueError):
    """Raised in a callback when a request's target and headers exceed `MAX_HEAD`."""


class RequestParser:
    """Feeds bytes to httptools and collects each whole request in `ready`, in order.

    Once the bytes stop being HTTP (`error`, the status and message to answer with) or the
    client switches protocols (`upgraded`), nothing after the requests in `ready` is read.
    `interim` is called with `CONTINUE` when a client waits for it before sending a body.
    """

    def __init__(self, interim: Callable[[bytes], object]) -> None:
        self.ready: deque[Request] = deque()
        self.error: tuple[int, str] | None = None
        self.upgraded = False
        self._interim = interim
        self._parser = httptools.HttpRequestParser(self)
        self._target: list[bytes] = []
        self._headers: list[tuple[bytes, bytes]] = []
        self._body: list[bytes] = []
        self._head_size = 0
        # A request to switch protocols, still reading its body (`_upgrade`).
        self._unfinished: tuple[Request, int, bytearray] | None = None

    @property
    def stopped(self) -> bool:
        """Whether no request can follow the ones in `ready`."""
        return self.error is not None or (self.upgraded and self._unfinished is None)

    def feed(self, data: bytes) -> None:
        """Parse `data`, the next bytes from the client."""
        if self._unfinished is not None:
            self._finish(data)
            return
        if self.stopped:
            return  # what follows a switch of protocols or bytes that are not HTTP
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade as exc:
            self.upgraded = True
            self._upgrade(data[exc.args[0] :])
        except httptools.HttpParserCallbackError as exc:
            if not isinstance(exc.__context__, _HeadTooLarge):
                raise
            self.error = (431, str(exc.__context__))
        except httptools.HttpParserError as exc:
            self.error = (400, f"malformed HTTP request: {exc}")

    def _upgrade(self, rest: bytes) -> None:
        """The request asking to switch protocols is complete to llhttp without its body,
        which comes in `rest` and what follows: we answer in HTTP/1.1 (as a server may,
        RFC 9110 7.8), so it is read here, as much as its content-length says."""
        request = self.ready[-1]
        lengths = [value for name, value in request.headers if name.lower() == b"content-length"]
        chunked = any(name.lower() == b"transfer-encoding" for name, _ in request.headers)
        if chunked:
            self.ready.pop()
            self.error = (400, "a request to switch protocols with a chunked body is not served")
        elif lengths and int(lengths[0]) > 0:  # llhttp checked it is a number
            self.ready.pop()
            self._unfinished = (request, int(lengths[0]), bytearray())
            self._finish(rest)

    def _finish(self, data: bytes) -> None:
        assert self._unfinished is not None
        request, length, body = self._unfinished
        body += data
        if len(body) >= length:
            self.ready.append(request._replace(body=bytes(body[:length])))
            self._unfinished = None

    # -- httptools callbacks ----------------------------------------------------------------

    def on_message_begin(self) -> None:
        self._target, self._headers, self._body = [], [], []
        self._head_size = 0

    def on_url(self, url: bytes) -> None:
        self._target.append(url)  # a target split across reads comes in pieces
        self._grow(len(url))

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name, value.strip()))  # llhttp keeps trailing whitespace
        self._grow(len(name) + len(value))

    def on_headers_complete(self) -> None:
        # Only when no earlier request waits for its answer: a 100 before it would
        # be read as that answer.
        if not self.ready and self._parser.get_http_version() == "1.1":
            for name, value in self._headers:
                if name.lower() == b"expect" and value.lower() == b"100-continue":
                    self._interim(CONTINUE)

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        parser = self._parser
        version = parser.get_http_version()
        self.ready.append(
            Request(
                parser.get_method(),
                b"".join(self._target),
                version,
                self._headers,
                b"".join(self._body),
                # Like h11: keep-alive is HTTP/1.1's, not HTTP/1.0's opt-in extension. A
                # request to switch protocols (`curl --http2`: h2c) is answered in HTTP/1.1,
                # then the connection closes: what would follow is not HTTP/1.1.
                version == "1.1" and parser.should_keep_alive() and not parser.should_upgrade(),
            )
        )

    def _grow(self, size: int) -> None:
        self._head_size += size
        if self._head_size > MAX_HEAD:
            raise _HeadTooLarge(f"request head larger than {MAX_HEAD // 1024} KiB")


class InvalidReply(ValueError):
    """A reply's status or headers cannot be written as HTTP."""


class Framing(NamedTuple):
    """How a response goes out: its head, whether its body is written at all and as chunks,
    and whether the connection stays open after it."""

    head: bytes
    body: bool
    chunked: bool
    keep_alive: bool


_REASONS: dict[int, bytes] = {status.value: status.phrase.encode() for status in http.HTTPStatus}


def response_head(
    status: int,
    headers: dict[str, str],
    request: Request,
    *,
    length: int | None,
    close: bool = False,
) -> Framing:
    """The head answering `request` with `status` and `headers`, and its framing.

    `length` is the body's size when it is known before it is sent; without it the body is
    chunked (HTTP/1.1) or ends with the connection (HTTP/1.0). `close`: the connection
    closes after this response whatever the client asked.
    """
    if not 200 <= status <= 999:
        raise InvalidReply(f"status {status} is not a final HTTP status")
    fields = [f"{name}: {value}\r\n" for name, value in headers.items()]
    names = {name.lower() for name in headers}
    keep_alive = request.keep_alive and not close
    if "connection" in names:
        keep_alive = keep_alive and "close" not in _value(headers, "connection").lower()
        fields = _without(fields, {"connection"})
    # 204 and 304 never have a body (RFC 9112 6.3); a HEAD answer says what GET would send.
    body = status not in (204, 304) and request.method != b"HEAD"
    chunked = False
    own_length = "content-length" in names and "transfer-encoding" not in names
    if status not in (204, 304) and not (own_length and length is None):
        # We frame the body (a reply's own length frames it only when we know none).
        if names & _FRAMING:
            fields = _without(fields, _FRAMING)
        if length is not None:
            fields.append(f"content-length: {length}\r\n")
        elif request.version == "1.1":
            fields.append("transfer-encoding: chunked\r\n")
            chunked = body
        elif request.method != b"HEAD":
            keep_alive = False  # HTTP/1.0 has no chunks: the body ends with the connection
    if not keep_alive:
        fields.append("connection: close\r\n")
    block = "".join(fields)
    # One match for the block; a value with CR LF in it would pass as two fields, which
    # the count of lines gives away.
    valid = _FIELDS.fullmatch(block) and block.count("\n") == len(fields)
    if not valid or (not block.isascii() and not _latin1(block)):
        raise InvalidReply(_invalid_field(fields))
    reason = _REASONS.get(status, b"")  # none for e.g. Anthropic's 529
    head = b"HTTP/1.1 %d %b\r\n%b\r\n" % (status, reason, block.encode("latin-1"))
    return Framing(head, body, chunked, keep_alive)


def _value(headers: dict[str, str], name: str) -> str:
    return next(value for key, value in headers.items() if key.lower() == name)


def _without(fields: list[str], names: set[str] | frozenset[str]) -> list[str]:
    return [field for field in fields if field.split(":", 1)[0].lower() not in names]


def _latin1(text: str) -> bool:
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


def _invalid_field(fields: list[str]) -> str:
    bad = next(field for field in fields if not (_FIELD.fullmatch(field) and _latin1(field)))
    return f"reply header {bad.rstrip()!r} is not a valid HTTP header"
