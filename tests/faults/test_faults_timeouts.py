"""Stalls against the client's timeout, on a virtual clock: seconds of stall, no wall time."""

from __future__ import annotations

import time

import pytest

from llmring_replay import ProviderRateLimitError, ProviderTimeoutError
from llmring_replay.clock import virtual_clock
from llmring_replay.faults import RateLimit, StallBeforeFirstByte, StallBetween
from llmring_replay.transports import Fault
from tests.faults.recordings import (
    INTERVAL,
    MODELS,
    PROVIDERS,
    TEXT,
    Outcome,
    interaction,
    replaying,
    stream_outcome,
)

TIMEOUT = 10.0


async def replay(provider: str, faults: list[Fault]) -> tuple[Outcome, float]:
    """The outcome of one stream under a virtual clock, and the wall time it took."""
    ring, _ = replaying([interaction(provider)], faults, timeout=TIMEOUT)
    wall = time.perf_counter()
    with virtual_clock():
        outcome = await stream_outcome(ring, f"{provider}:{MODELS[provider]}")
    wall = time.perf_counter() - wall
    await ring.aclose()
    return outcome, wall


def cost_no_wall_time(outcome: Outcome, wall: float) -> None:
    """The seconds the stream took on the virtual clock took less wall time than that.

    Measured against the virtual time, never a fixed bound: a replay on the real clock takes
    at least as long as the virtual time, while a loaded machine may need a second for a
    virtual one (a 0.5 s bound failed under load)."""
    assert outcome.elapsed > 2  # seconds of stall: the margin for a busy machine
    assert wall < outcome.elapsed


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_stall_before_first_byte_longer_than_timeout_raises(provider: str) -> None:
    outcome, wall = await replay(provider, [StallBeforeFirstByte(60)])
    assert isinstance(outcome.error, ProviderTimeoutError)
    assert outcome.error.provider == provider
    assert "timed out" in str(outcome.error)
    assert outcome.text == ""
    assert outcome.elapsed == pytest.approx(TIMEOUT, abs=1e-3)  # the timeout, not the stall
    cost_no_wall_time(outcome, wall)


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_stall_between_frames_longer_than_timeout_raises_after_the_chunks(
    provider: str,
) -> None:
    outcome, wall = await replay(provider, [StallBetween(after=5, seconds=45)])
    assert isinstance(outcome.error, ProviderTimeoutError)
    assert outcome.text and TEXT.startswith(outcome.text)
    assert not outcome.finished
    # The read timeout counts from frame 5, which arrived at 5 intervals.
    assert outcome.elapsed == pytest.approx(5 * INTERVAL + TIMEOUT, abs=1e-3)
    cost_no_wall_time(outcome, wall)


async def test_stall_shorter_than_timeout_only_delays() -> None:
    outcome, wall = await replay("ollama", [StallBeforeFirstByte(4), StallBetween(2, 9)])
    assert outcome.error is None
    assert outcome.text == TEXT
    # Ollama: one chunk per frame; frame n was recorded at n intervals.
    expected = [4 + n * INTERVAL + (9 if n > 2 else 0) for n in range(1, 8)]
    assert outcome.times == pytest.approx(expected, abs=1e-3)
    cost_no_wall_time(outcome, wall)


async def test_a_stalled_rate_limit_arrives_late() -> None:
    outcome, wall = await replay("anthropic", [StallBeforeFirstByte(3), RateLimit(retry_after=1)])
    assert isinstance(outcome.error, ProviderRateLimitError)
    assert outcome.error.retry_after == 1
    assert outcome.elapsed == pytest.approx(3, abs=1e-3)
    cost_no_wall_time(outcome, wall)
