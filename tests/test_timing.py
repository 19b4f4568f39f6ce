"""Timing policies: schedules, string forms, and replay on a virtual clock."""

from __future__ import annotations

import pytest

from llmring_replay.timing import (
    Fixed,
    Instant,
    Jitter,
    Rate,
    Recorded,
    Speed,
    parse_timing,
)

OFFSETS = [0.5, 0.6, 0.8, 1.4]


def test_recorded_and_instant() -> None:
    assert Recorded().schedule(OFFSETS) == OFFSETS
    assert Instant().schedule(OFFSETS) == [0.0] * 4


def test_speed() -> None:
    assert Speed(2).schedule(OFFSETS) == [0.25, 0.3, 0.4, 0.7]
    assert Speed(0.5).schedule([1.0]) == [2.0]


def test_fixed_and_rate() -> None:
    assert Fixed(0.02, ttft=0.3).schedule(OFFSETS) == pytest.approx([0.3, 0.32, 0.34, 0.36])
    assert Rate(50, ttft=0.2).schedule(OFFSETS) == pytest.approx([0.2, 0.22, 0.24, 0.26])


def test_jitter_is_seeded_bounded_and_monotonic() -> None:
    first = Jitter(0.1, seed=1).schedule(OFFSETS)
    assert first == Jitter(0.1, seed=1).schedule(OFFSETS)
    assert first != Jitter(0.1, seed=2).schedule(OFFSETS)
    assert first == sorted(first)
    previous_recorded = previous_served = 0.0
    for recorded, served in zip(OFFSETS, first, strict=True):
        gap, served_gap = recorded - previous_recorded, served - previous_served
        assert 0.9 * gap - 1e-9 <= served_gap <= 1.1 * gap + 1e-9
        previous_recorded, previous_served = recorded, served


@pytest.mark.parametrize(
    ("spec", "policy"),
    [
        ("recorded", Recorded()),
        ("instant", Instant()),
        (None, Instant()),
        ("speed=2", Speed(2)),
        ("speed=0.5x", Speed(0.5)),
        ("fixed=20ms", Fixed(0.02)),
        ("fixed=20ms,ttft=300ms", Fixed(0.02, 0.3)),
        ("fixed=0.1s, ttft=1", Fixed(0.1, 1.0)),
        ("rate=50", Rate(50)),
        ("rate=50/s,ttft=200ms", Rate(50, 0.2)),
        ("jitter=10%", Jitter(0.1)),
        ("jitter=10%,seed=1", Jitter(0.1, 1)),
        ("jitter=0.25,seed=7", Jitter(0.25, 7)),
    ],
)
def test_parse(spec: str | None, policy: object) -> None:
    assert parse_timing(spec) == policy


def test_parse_passes_policies_through() -> None:
    policy = Speed(3)
    assert parse_timing(policy) is policy


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ("warp=9", "unknown timing"),
        ("speed=fast", "expected a number"),
        ("speed=0", "must be > 0"),
        ("fixed=20parsecs", "duration"),
        ("jitter=150%", "between 0% and 100%"),
        ("fixed=20ms,seed=1", "unknown option"),
        ("", "empty timing"),
    ],
)
def test_parse_errors_say_what_is_wrong(spec: str, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        parse_timing(spec)
