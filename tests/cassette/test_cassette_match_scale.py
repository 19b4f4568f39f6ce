"""Matching at scale: the same answers as the plain definitions, without their cost.

The canonical forms take shortcuts (the C JSON scanner and encoder called directly, a hash of
the canonical text); these tests hold them to `json.loads` / `json.dumps`. The index and the
miss explanation are bounded; these tests check what they look at, never how long it takes.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llmring_replay.cassette import (
    Cassette,
    Interaction,
    Matcher,
    RecordedRequest,
    RecordedResponse,
    canonical,
    closest,
)
from llmring_replay.exceptions import CassetteMatchError

URL = "https://api.openai.com/v1/chat/completions"

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=12,
)


def _reference(body: bytes) -> tuple[bool, Any]:
    try:
        return True, json.loads(body)
    except ValueError:
        return False, body


@pytest.mark.parametrize(
    "body",
    [
        b'{"a": 1}',
        b'{"a": 1}\n',
        b'{"a": 1} x',
        b'{"a": 1}{"b": 2}',
        b' {"a": 1}',
        b"\xef\xbb\xbf" + b'{"a": 1}',
        '{"a": "é"}'.encode("utf-16"),
        b'{"a": "\\ud800"}',
        b'{"a": NaN}',
        b'{"a": 1',
        b'{"a": "\xff"}',
        b"[1, 2]\r\n\t ",
        b'"text"',
        b"12",
        b"{}\x0b",
    ],
)
def test_comparable_parses_exactly_as_json_loads(body: bytes) -> None:
    is_json, value = canonical.comparable(body, ())
    assert (is_json, value if is_json else body) == _reference(body) or (
        is_json and json.dumps(value) == json.dumps(_reference(body)[1])  # NaN != NaN
    )


@settings(max_examples=100, deadline=None)
@given(json_values, st.sampled_from([(",", ":"), (", ", ": ")]), st.booleans())
def test_body_hash_is_equal_exactly_when_canonical_body_is(
    value: Any, separators: tuple[str, str], ascii_only: bool
) -> None:
    recorded = json.dumps(value, separators=(",", ":")).encode()
    other = json.dumps(value, separators=separators, ensure_ascii=ascii_only, indent=None)
    assert canonical.body_hash(recorded, ()) == canonical.body_hash(other.encode(), ())
    changed = json.dumps([value]).encode()
    assert canonical.canonical_body(changed) != canonical.canonical_body(recorded)
    assert canonical.body_hash(changed, ()) != canonical.body_hash(recorded, ())


@pytest.mark.parametrize(
    ("one", "two", "equal"),
    [
        (b'{"t": 1}', b'{"t": 1.0}', False),
        (b'{"t": true}', b'{"t": 1}', False),
        (b'{"t": "\\u00e9"}', '{"t": "é"}'.encode(), True),
        (b'{"b": 1, "a": [1, {"y": 2, "x": 3}]}', b'{"a":[1,{"x":3,"y":2}],"b":1}', True),
        (b"", b"", True),
        (b"plain", b"plain ", False),
    ],
)
def test_body_hash_follows_canonical_body(one: bytes, two: bytes, equal: bool) -> None:
    assert (canonical.canonical_body(one) == canonical.canonical_body(two)) is equal
    assert (canonical.body_hash(one, ()) == canonical.body_hash(two, ())) is equal


def _body(index: int, content: str | None = None, model: str = "m") -> bytes:
    text = content if content is not None else f"question {index}"
    request = {"model": model, "messages": [{"role": "user", "content": text}], "n": index % 3}
    return json.dumps(request, separators=(",", ":")).encode()


def _big_cassette(size: int) -> Cassette:
    cassette = Cassette()
    for index in range(size):
        cassette.interactions.append(
            Interaction(
                RecordedRequest("POST", URL, {}, _body(index)),
                RecordedResponse(200, "OK", {}, b"{}", [0.1]),
            )
        )
    return cassette


def test_recorded_bytes_are_never_canonicalized_again(monkeypatch: pytest.MonkeyPatch) -> None:
    cassette = _big_cassette(5000)  # more than any bounded cache would hold
    matcher = Matcher(cassette)
    calls: list[bytes | None] = []
    real = canonical.body_hash

    def counting(body: bytes | None, ignore: Any) -> bytes:
        calls.append(body)
        return real(body, ignore)

    monkeypatch.setattr("llmring_replay.cassette.match.body_hash", counting)
    for index in reversed(range(5000)):
        assert matcher.match("POST", URL, bytes(bytearray(_body(index)))) == index
    assert calls == []
    spaced = json.dumps(json.loads(_body(7)), indent=1).encode()
    with pytest.raises(CassetteMatchError):
        matcher.match("POST", URL, spaced)  # canonicalized once, then already played
    assert calls == [spaced]


def test_a_miss_in_a_big_cassette_scores_a_bounded_set(monkeypatch: pytest.MonkeyPatch) -> None:
    cassette = _big_cassette(3000)
    matcher = Matcher(cassette)
    for index in range(1200):
        matcher.match("POST", URL, _body(index))
    scored: list[int] = []
    real = closest.Candidates.recorded

    def counting(self: closest.Candidates, index: int) -> Any:
        scored.append(index)
        return real(self, index)

    monkeypatch.setattr(closest.Candidates, "recorded", counting)
    with pytest.raises(CassetteMatchError) as info:
        matcher.match("POST", URL, _body(1200, "question 1200, rephrased"))
    assert info.value.closest == 1200  # where the replay stands: the next interaction
    assert "closest: interaction 1200" in str(info.value)
    assert len(scored) <= closest.MAX_SCORED


def test_a_repeat_in_a_big_cassette_names_the_played_interaction() -> None:
    cassette = _big_cassette(3000)
    matcher = Matcher(cassette)
    for index in range(2000):
        matcher.match("POST", URL, _body(index))
    with pytest.raises(CassetteMatchError) as info:
        matcher.match("POST", URL, _body(5))  # far behind the window: found by its key
    assert info.value.closest == 5
    assert "already played" in str(info.value)


def test_a_small_cassette_is_scored_whole_for_the_closest() -> None:
    cassette = _big_cassette(closest.MAX_SCORED)
    cassette.interactions[-1].request.body = _body(0, "a particular question", "special")
    matcher = Matcher(cassette)
    with pytest.raises(CassetteMatchError) as info:
        matcher.match("POST", URL, _body(0, "a particular question!", "special"))
    assert info.value.closest == closest.MAX_SCORED - 1
