"""Matching: strict by default, in order, with a helpful miss and unplayed detection."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from llmring_replay.cassette import (
    Cassette,
    Interaction,
    Matcher,
    RecordedRequest,
    RecordedResponse,
    canonical_body,
)
from llmring_replay.exceptions import CassetteMatchError, CassetteUnplayedError

URL = "https://api.openai.com/v1/chat/completions"


def _body(content: str, **extra: Any) -> bytes:
    request = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": content}]}
    return json.dumps({**request, **extra}, separators=(",", ":")).encode()


def _cassette(*requests: tuple[str, str, bytes | None]) -> Cassette:
    cassette = Cassette(Path("cassettes/chat.yaml"))
    for index, (method, url, body) in enumerate(requests):
        response = RecordedResponse(200, "OK", {}, f"answer {index}".encode(), [0.1])
        cassette.interactions.append(Interaction(RecordedRequest(method, url, {}, body), response))
    return cassette


def test_identical_request_matches() -> None:
    matcher = Matcher(_cassette(("POST", URL, _body("Hi"))))
    assert matcher.match("POST", URL, _body("Hi")) == 0
    assert matcher.played == [0]
    assert matcher.unplayed() == []


def test_json_is_compared_parsed_not_as_bytes() -> None:
    matcher = Matcher(_cassette(("POST", URL, _body("Hi"))))
    reordered = json.dumps(dict(reversed(json.loads(_body("Hi")).items())), indent=4).encode()
    assert matcher.match("post", URL, reordered) == 0


def test_query_order_scheme_case_and_secret_params_do_not_matter() -> None:
    recorded = "https://api.example.com/v1/x?alt=sse&b=2&key=RECORDING-KEY"
    matcher = Matcher(_cassette(("GET", recorded, None)))
    assert matcher.match("GET", "HTTPS://API.example.com/v1/x?b=2&alt=sse&key=other", b"") == 0


def test_a_different_body_is_a_miss_naming_the_closest_with_a_diff() -> None:
    cassette = _cassette(
        ("GET", "https://api.openai.com/v1/models", None),
        ("POST", URL, _body("What is the capital of France?")),
        ("POST", URL, _body("Something else entirely", temperature=1)),
    )
    matcher = Matcher(cassette)
    with pytest.raises(CassetteMatchError) as info:
        matcher.match("POST", URL, _body("What is the capital of Spain?"))
    error = info.value
    message = str(error)
    assert error.closest == 1
    assert error.request == f"POST {URL}"
    assert error.path == "cassettes/chat.yaml"
    assert message.startswith(f"cassettes/chat.yaml: no recorded interaction matches POST {URL}")
    assert "closest: interaction 1" in message
    assert '-      "content": "What is the capital of France?",' in message
    assert '+      "content": "What is the capital of Spain?",' in message
    assert "--- recorded (interaction 1)" in message
    assert matcher.unplayed() == [0, 1, 2]  # a miss plays nothing


def test_the_diff_is_limited_in_length() -> None:
    big = {f"k{i}": i for i in range(200)}
    matcher = Matcher(_cassette(("POST", URL, json.dumps(big).encode())))
    other = json.dumps({key: -value for key, value in big.items()}).encode()
    with pytest.raises(CassetteMatchError) as info:
        matcher.match("POST", URL, other)
    assert "more diff lines)" in str(info.value)
    assert len(str(info.value).splitlines()) < 60


def test_url_differences_are_explained() -> None:
    matcher = Matcher(_cassette(("POST", URL, _body("Hi"))))
    with pytest.raises(CassetteMatchError) as info:
        matcher.match("POST", "https://api.openai.com/v1/responses", _body("Hi"))
    assert "URL differs" in str(info.value)
    assert "body differs" not in str(info.value)


def test_ignore_paths_take_volatile_parts_out() -> None:
    cassette = _cassette(("POST", URL, _body("Hi", metadata={"run": 1}, user="a")))
    matcher = Matcher(cassette, ignore_paths=["metadata", "messages.0.content", "user"])
    assert matcher.match("POST", URL, _body("Hello", metadata={"run": 2})) == 0


def test_wildcard_ignore_paths() -> None:
    recorded = json.dumps({"messages": [{"id": "a", "text": "x"}, {"id": "b", "text": "y"}]})
    incoming = json.dumps({"messages": [{"id": "c", "text": "x"}, {"id": "d", "text": "y"}]})
    cassette = _cassette(("POST", URL, recorded.encode()))
    assert (
        Matcher(cassette, ignore_paths=["messages.*.id"]).match("POST", URL, incoming.encode()) == 0
    )
    with pytest.raises(CassetteMatchError):
        Matcher(cassette).match("POST", URL, incoming.encode())


def test_the_same_request_recorded_twice_plays_twice_in_order() -> None:
    body = _body("Hi")
    cassette = _cassette(("POST", URL, body), ("POST", URL, _body("Other")), ("POST", URL, body))
    matcher = Matcher(cassette)
    assert matcher.match("POST", URL, body) == 0
    assert matcher.match("POST", URL, body) == 2
    with pytest.raises(CassetteMatchError) as info:
        matcher.match("POST", URL, body)
    assert "already played" in str(info.value)
    assert info.value.closest == 0


def test_allow_repeats_serves_the_last_match_again() -> None:
    body = _body("Hi")
    matcher = Matcher(_cassette(("POST", URL, body), ("POST", URL, body)), allow_repeats=True)
    assert [matcher.match("POST", URL, body) for _ in range(4)] == [0, 1, 1, 1]


def test_unplayed_interactions_are_reported() -> None:
    cassette = _cassette(("POST", URL, _body("a")), ("POST", URL + "?x=1", _body("b")))
    matcher = Matcher(cassette)
    matcher.match("POST", URL, _body("a"))
    assert matcher.unplayed() == [1]
    with pytest.raises(CassetteUnplayedError) as info:
        matcher.assert_all_played()
    assert info.value.unplayed == [1]
    assert f"[1] POST {URL}?x=1" in str(info.value)
    matcher.match("POST", URL + "?x=1", _body("b"))
    matcher.assert_all_played()


def test_non_json_bodies_compare_as_bytes() -> None:
    cassette = _cassette(("POST", URL, b"a=1&b=2"), ("POST", URL, b"\xff\x00"))
    matcher = Matcher(cassette)
    assert matcher.match("POST", URL, b"\xff\x00") == 1
    with pytest.raises(CassetteMatchError) as info:
        matcher.match("POST", URL, b"a=1&b=3")
    assert "-a=1&b=2" in str(info.value)
    assert "+a=1&b=3" in str(info.value)
    assert matcher.match("POST", URL, b"a=1&b=2") == 0


def test_no_body_and_empty_body_are_the_same() -> None:
    matcher = Matcher(_cassette(("GET", URL, None), ("GET", URL, b"")))
    assert matcher.match("GET", URL, b"") == 0
    assert matcher.match("GET", URL, None) == 1


def test_match_on_can_leave_out_the_body() -> None:
    matcher = Matcher(_cassette(("POST", URL, _body("a"))), match_on=("method", "uri"))
    assert matcher.match("POST", URL, _body("anything")) == 0
    with pytest.raises(ValueError, match="unknown match_on"):
        Matcher(_cassette(), match_on=("method", "headers"))


def test_an_empty_cassette_says_so() -> None:
    with pytest.raises(CassetteMatchError, match="the cassette is empty"):
        Matcher(_cassette()).match("GET", URL, None)


def test_interactions_recorded_later_can_be_added() -> None:
    cassette = _cassette(("POST", URL, _body("a")))
    matcher = Matcher(cassette)
    cassette.interactions.extend(_cassette(("POST", URL, _body("b"))).interactions)
    matcher.add(1)  # just recorded, so already played
    assert matcher.played == [1]
    assert matcher.match("POST", URL, _body("a")) == 0
    matcher.assert_all_played()


def test_error_messages_never_show_url_secrets() -> None:
    matcher = Matcher(_cassette(("GET", URL, None)))
    with pytest.raises(CassetteMatchError) as info:
        matcher.match("GET", "https://g.example/v1?key=TOPSECRETVALUE", None)
    assert "TOPSECRETVALUE" not in str(info.value)


def test_canonical_body_sorts_keys_and_applies_ignore_paths() -> None:
    assert canonical_body(b'{"b":1,"a":{"c":2,"d":3}}', ["a.d"]) == ("json", '{"a":{"c":2},"b":1}')
    assert canonical_body(b"plain") == ("raw", b"plain")
