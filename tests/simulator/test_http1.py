"""The simulator's HTTP/1.1 layer: requests parsed from any bytes, heads framed as RFC 9112 says."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from llmring_replay.simulator.http1 import (
    CONTINUE,
    MAX_HEAD,
    InvalidReply,
    Request,
    RequestParser,
    response_head,
)

POST = b"POST /v1/messages?beta=true HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}"
GET_11 = Request(b"GET", b"/", "1.1", [], b"", keep_alive=True)
HEAD_11 = GET_11._replace(method=b"HEAD")
GET_10 = Request(b"GET", b"/", "1.0", [], b"", keep_alive=False)


def parse(*pieces: bytes, interim: list[bytes] | None = None) -> RequestParser:
    parser = RequestParser((interim if interim is not None else []).append)
    for piece in pieces:
        parser.feed(piece)
    return parser


def interim_answers(data: bytes) -> list[bytes]:
    sent: list[bytes] = []
    parse(data, interim=sent)
    return sent


def test_a_request_split_anywhere_parses_the_same() -> None:
    whole = parse(POST).ready[0]
    for cut in range(1, len(POST)):
        assert list(parse(POST[:cut], POST[cut:]).ready) == [whole]
    assert whole.method == b"POST"
    assert whole.target == b"/v1/messages?beta=true"
    assert whole.headers == [(b"Host", b"x"), (b"Content-Length", b"2")]
    assert (whole.body, whole.version, whole.keep_alive) == (b"{}", "1.1", True)


def test_pipelined_requests_queue_in_order() -> None:
    parser = parse(POST + POST.replace(b"{}", b"[]") + b"GET / HTTP/1.1\r\n\r\n")
    assert [request.body for request in parser.ready] == [b"{}", b"[]", b""]


def test_chunked_bodies_and_header_whitespace() -> None:
    body = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nX-Pad:  v  \r\n\r\n"
    parser = parse(body + b"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n")
    (request,) = parser.ready
    assert request.body == b"abcde"
    assert (b"X-Pad", b"v") in request.headers


@pytest.mark.parametrize(
    ("head", "keep_alive"),
    [
        (b"GET / HTTP/1.1\r\n\r\n", True),
        (b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n", False),
        (b"GET / HTTP/1.0\r\n\r\n", False),
        # HTTP/1.0's keep-alive extension is not offered (as h11 did not).
        (b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", False),
    ],
)
def test_keep_alive_is_http_11s(head: bytes, keep_alive: bool) -> None:
    assert parse(head).ready[0].keep_alive is keep_alive


def test_bytes_that_are_not_http_stop_the_parser_after_the_good_requests() -> None:
    parser = parse(POST + b"NOT HTTP AT ALL\r\n\r\n" + POST)
    assert len(parser.ready) == 1
    assert parser.stopped
    assert parser.error is not None
    assert parser.error[0] == 400
    assert parser.error[1].startswith("malformed HTTP request: ")


def test_a_head_over_the_limit_is_a_431() -> None:
    parser = parse(b"GET / HTTP/1.1\r\n", b"X-Big: " + b"a" * MAX_HEAD + b"\r\n\r\n")
    assert not parser.ready
    assert parser.error == (431, f"request head larger than {MAX_HEAD // 1024} KiB")


def test_an_upgrade_ends_the_requests_after_the_one_that_asked() -> None:
    h2c = b"Upgrade: h2c\r\nConnection: Upgrade, HTTP2-Settings\r\n"
    asks = POST.replace(b"Host: x\r\n", h2c)
    for cut in (len(asks) - 2, len(asks) - 1, len(asks)):  # its body read whole, in any reads
        parser = parse(asks[:cut], asks[cut:] + POST)
        (request,) = parser.ready
        assert request.body == b"{}"
        assert not request.keep_alive  # answered in HTTP/1.1, then the connection closes
        assert parser.upgraded and parser.stopped and parser.error is None
    waiting = parse(asks[:-1])
    assert not waiting.ready and not waiting.stopped  # the last byte of the body is to come
    chunked = asks.replace(b"Content-Length: 2\r\n", b"Transfer-Encoding: chunked\r\n")
    refused = parse(chunked.replace(b"{}", b"2\r\n{}\r\n0\r\n\r\n"))
    assert not refused.ready
    assert refused.error == (400, "a request to switch protocols with a chunked body is not served")


def test_expect_100_continue_gets_an_interim_answer_only_when_nothing_waits() -> None:
    asks = b"POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n"
    assert interim_answers(asks) == [CONTINUE]
    assert interim_answers(POST + asks) == []  # POST's answer is due first: no 100 before it
    assert interim_answers(asks.replace(b"HTTP/1.1", b"HTTP/1.0")) == []


@given(st.lists(st.binary(max_size=64), max_size=8))
def test_no_bytes_make_the_parser_raise(pieces: list[bytes]) -> None:
    parser = parse(*pieces)
    for request in parser.ready:
        assert isinstance(request.method, bytes) and isinstance(request.body, bytes)
    if parser.error is not None:
        assert parser.error[0] in (400, 431)


@given(st.lists(st.binary(max_size=32), max_size=6))
def test_no_bytes_after_a_good_request_lose_it(pieces: list[bytes]) -> None:
    assert parse(POST, *pieces).ready[0].body == b"{}"


# -- response heads -----------------------------------------------------------------------


def head_of(
    status: int, headers: dict[str, str], request: Request = GET_11, **options: object
) -> tuple[int, dict[str, str], bool, bool, bool]:
    framing = response_head(status, headers, request, **options)  # type: ignore[arg-type]
    text = framing.head.decode("latin-1")
    assert text.endswith("\r\n\r\n")
    status_line, *lines = text[:-4].split("\r\n")
    assert status_line.startswith(f"HTTP/1.1 {status} ")
    fields = dict(line.split(": ", 1) for line in lines)
    assert len(fields) == len(lines)  # no header twice
    return status, fields, framing.body, framing.chunked, framing.keep_alive


def test_a_known_length_is_sent_and_replaces_the_replys_framing() -> None:
    headers = {"content-type": "a/b", "Content-Length": "9", "transfer-encoding": "gzip"}
    _, fields, body, chunked, keep = head_of(200, headers, length=3)
    assert fields == {"content-type": "a/b", "content-length": "3"}
    assert (body, chunked, keep) == (True, False, True)


def test_a_stream_is_chunked_for_http_11_and_closes_for_http_10() -> None:
    _, fields, body, chunked, keep = head_of(200, {"content-type": "a/b"}, length=None)
    assert fields["transfer-encoding"] == "chunked"
    assert (body, chunked, keep) == (True, True, True)
    _, fields, body, chunked, keep = head_of(200, {}, GET_10, length=None)
    assert fields == {"connection": "close"}
    assert (body, chunked, keep) == (True, False, False)


def test_a_replys_own_length_frames_a_stream() -> None:
    _, fields, _, chunked, keep = head_of(200, {"content-length": "5"}, length=None)
    assert fields == {"content-length": "5"}
    assert (chunked, keep) == (False, True)


def test_head_answers_carry_gets_headers_and_no_body() -> None:
    _, fields, body, chunked, keep = head_of(200, {}, HEAD_11, length=None)
    assert fields == {"transfer-encoding": "chunked"}
    assert (body, chunked, keep) == (False, False, True)
    head_10 = HEAD_11._replace(version="1.0", keep_alive=False)
    _, fields, body, _, keep = head_of(405, {}, head_10, length=12)
    assert fields == {"content-length": "12", "connection": "close"}
    assert not body


@pytest.mark.parametrize("status", [204, 304])
def test_no_body_statuses_get_no_framing(status: int) -> None:
    _, fields, body, chunked, keep = head_of(status, {"x": "1"}, length=0)
    assert fields == {"x": "1"}
    assert (body, chunked, keep) == (False, False, True)


@pytest.mark.parametrize(
    ("headers", "options"),
    [({"connection": "Close"}, {}), ({}, {"close": True})],
)
def test_connection_close_is_said_once_and_kept(
    headers: dict[str, str], options: dict[str, bool]
) -> None:
    _, fields, _, _, keep = head_of(200, headers, length=0, **options)
    assert fields == {"content-length": "0", "connection": "close"}
    assert not keep


def test_reason_phrases_and_unknown_statuses() -> None:
    assert response_head(529, {}, GET_11, length=0).head.startswith(b"HTTP/1.1 529 \r\n")
    assert response_head(429, {}, GET_11, length=0).head.startswith(b"HTTP/1.1 429 Too Many")


@pytest.mark.parametrize(
    ("status", "headers", "message"),
    [
        (200, {"x-bad": "a\r\nset-cookie: injected"}, "reply header 'x-bad: a"),
        (200, {"bad name": "v"}, "reply header 'bad name: v'"),
        (200, {"x-emoji": "🙂"}, "reply header 'x-emoji: 🙂'"),
        (101, {}, "status 101 is not a final HTTP status"),
        (1000, {}, "status 1000"),
    ],
)
def test_a_reply_that_is_not_http_is_refused_with_what_is_wrong(
    status: int, headers: dict[str, str], message: str
) -> None:
    with pytest.raises(InvalidReply, match="^" + message.replace("(", r"\(")):
        response_head(status, headers, GET_11, length=0)


def test_latin_1_header_values_are_sent_as_is() -> None:
    framing = response_head(200, {"x-name": "café"}, GET_11, length=0)
    assert b"x-name: caf\xe9\r\n" in framing.head
