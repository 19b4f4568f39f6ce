"""The string form of faults (`rate_limit:retry_after=2`), as the CLI and the plugin read it."""

from __future__ import annotations

import pytest

from llmring_replay.faults import (
    FAULT_NAMES,
    Disconnect,
    FailFirst,
    Forbidden,
    InBandError,
    MalformedFrame,
    ModelNotFound,
    Overloaded,
    RateLimit,
    ServerError,
    StallBeforeFirstByte,
    StallBetween,
    StatusError,
    Unauthorized,
    Unavailable,
    parse_fault,
    parse_faults,
)
from llmring_replay.transports import Fault

VALID: list[tuple[str, Fault]] = [
    ("unauthorized", Unauthorized()),
    ("forbidden", Forbidden()),
    ("model_not_found", ModelNotFound()),
    ("rate_limit", RateLimit()),
    ("rate_limit:retry_after=2", RateLimit(retry_after=2)),
    ("rate_limit:retry_after=1.5s", RateLimit(retry_after=1.5)),
    ("rate_limit:retry_after=250ms", RateLimit(retry_after=0.25)),
    ("server_error", ServerError()),
    ("unavailable", Unavailable()),
    ("overloaded", Overloaded()),
    ("status_error:status=400", StatusError(400)),
    (
        "status_error:status=429,code=rate_limit_error,retry_after=3",
        StatusError(429, None, "rate_limit_error", 3),
    ),
    ("stall:before=5s", StallBeforeFirstByte(5)),
    ("stall:after=3,seconds=30", StallBetween(after=3, seconds=30)),
    ("stall:after=0,seconds=500ms", StallBetween(after=0, seconds=0.5)),
    ("disconnect:after=3", Disconnect(after=3)),
    ("malformed:at=2", MalformedFrame(at=2)),
    ("inband_error:at=2", InBandError(at=2)),
    ("inband_error:at=2,kind=overloaded", InBandError(at=2, kind="overloaded")),
    (
        "inband_error:at=4,kind=rate_limit,retry_after=2",
        InBandError(at=4, kind="rate_limit", retry_after=2),
    ),
    ("fail_first:k=2,fault=rate_limit", FailFirst(2, RateLimit())),
    (
        "fail_first:k=1,fault=rate_limit:retry_after=2,only=1",
        FailFirst(1, RateLimit(retry_after=2, only=1)),
    ),
    ("rate_limit:only=0", RateLimit(only=0)),
    ("disconnect:after=2,only=gpt-4o", Disconnect(after=2, only="gpt-4o")),
    ("overloaded:only=anthropic:claude-3-5-haiku", Overloaded(only="anthropic:claude-3-5-haiku")),
    # Forgiving about case, dashes and spaces, as people type on a command line.
    ("  Rate-Limit : retry_after = 2 ", RateLimit(retry_after=2)),
    ("model-not-found", ModelNotFound()),
]


@pytest.mark.parametrize(("spec", "fault"), VALID, ids=[spec for spec, _ in VALID])
def test_valid_specs(spec: str, fault: Fault) -> None:
    assert parse_fault(spec) == fault


def test_every_name_parses() -> None:
    minimal = {
        "status_error": "status=500",
        "stall": "before=1",
        "disconnect": "after=1",
        "malformed": "at=1",
        "inband_error": "at=1",
        "fail_first": "k=1,fault=server_error",
    }
    for name in FAULT_NAMES:
        extra = minimal.get(name)
        fault = parse_fault(f"{name}:{extra}" if extra else name)
        assert callable(fault.apply), name


def test_parse_faults_mixes_specs_and_objects_in_order() -> None:
    disconnect = Disconnect(after=1)
    assert parse_faults(["rate_limit:retry_after=2", disconnect, "overloaded"]) == [
        RateLimit(retry_after=2),
        disconnect,
        Overloaded(),
    ]
    assert parse_faults(("stall:before=1",)) == [StallBeforeFirstByte(1)]


def test_parse_faults_takes_one_spec_one_fault_or_nothing() -> None:
    # A lone string is one spec, not a sequence of one-letter specs.
    assert parse_faults("server_error") == [ServerError()]
    assert parse_faults(Overloaded()) == [Overloaded()]
    assert parse_faults(None) == []
    assert parse_faults([]) == []


def test_parse_faults_refuses_other_things() -> None:
    with pytest.raises(TypeError, match="not 42"):
        parse_faults(["rate_limit", 42])  # type: ignore[list-item]


INVALID = [
    ("", "unknown fault ''"),
    ("teapot", "unknown fault 'teapot'; valid faults: disconnect, fail_first, forbidden"),
    (
        "rate_limit:retry=2",
        "unknown parameter 'retry' for rate_limit \\(valid: only, retry_after\\)",
    ),
    ("unauthorized:after=2", "unknown parameter 'after' for unauthorized \\(valid: only\\)"),
    ("rate_limit:retry_after=soon", "bad retry_after='soon': expected seconds like 2"),
    ("rate_limit:retry_after=-1", "bad retry_after='-1'"),
    ("disconnect", "disconnect needs after="),
    ("disconnect:after=three", "bad after='three': expected a whole number"),
    ("disconnect:after=-1", "bad after='-1'"),
    ("disconnect:after=1,after=2", "'after' is given twice"),
    ("disconnect:after", "expected key=value, got 'after'"),
    ("disconnect:=3", "expected key=value"),
    ("malformed:at=0", "at counts frames from 1"),
    ("inband_error:at=2,kind=teapot", "bad kind='teapot': expected one of forbidden"),
    ("inband_error:at=2,retry_after=1", "retry_after is for kind='rate_limit'"),
    ("status_error:status=abc", "bad status='abc'"),
    ("status_error:status=200", "400-599"),
    ("stall", "give before=SECONDS, or after=N with seconds=SECONDS"),
    ("stall:before=1,after=2", "give before=SECONDS"),
    ("stall:after=2", "give before=SECONDS, or after=N with seconds=SECONDS"),
    ("stall:seconds=2", "give before=SECONDS"),
    ("fail_first:k=2", "fail_first needs fault="),
    ("fail_first:k=0,fault=rate_limit", "k must be at least 1"),
    ("fail_first:fault=rate_limit,k=2", "unknown fault 'rate_limit,k=2'.*put it last"),
    ("fail_first:k=1,fault=teapot", "unknown fault 'teapot'.*put it last"),
]


@pytest.mark.parametrize(("spec", "message"), INVALID, ids=[spec or "empty" for spec, _ in INVALID])
def test_invalid_specs_name_the_bad_part(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as info:
        parse_fault(spec)
    # Every message quotes the whole spec, so a user sees which of several is wrong.
    assert repr(spec) in str(info.value)


def test_unknown_name_lists_every_valid_name_and_the_syntax() -> None:
    with pytest.raises(ValueError) as info:
        parse_fault("rate_limt:retry_after=2")
    message = str(info.value)
    for name in FAULT_NAMES:
        assert name in message
    assert "name[:key=value[,key=value...]]" in message


def test_parse_faults_reports_the_bad_spec_among_several() -> None:
    with pytest.raises(ValueError, match=r"'disconnect:at=3'.*unknown parameter 'at'"):
        parse_faults(["rate_limit", "disconnect:at=3"])
