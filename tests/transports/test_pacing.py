"""Pacing waits with one loop sleep per frame: never a busy-wait (what it waits is the clock's
business, and is not asserted here: tests make no claims about wall-clock time)."""

from __future__ import annotations

import anyio
import pytest

from llmring_replay.transports import pacing


@pytest.mark.parametrize("ahead", [0.0002, 0.003, 0.25])
async def test_sleep_until_sleeps_once_and_never_spins(
    ahead: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    sleeps: list[float] = []
    real_sleep = anyio.sleep

    async def counting(seconds: float) -> None:
        sleeps.append(seconds)
        await real_sleep(seconds)

    monkeypatch.setattr(anyio, "sleep", counting)
    await pacing.sleep_until(anyio.current_time() + ahead)
    if ahead <= 0.0005:  # within the selector's rounding: handed out now, no sleep at all
        assert sleeps == []
    else:  # one sleep, half a millisecond short (the selector rounds it up)
        assert len(sleeps) == 1
        assert ahead - 0.0005 - 0.01 < sleeps[0] <= ahead - 0.0005
    assert 0 not in sleeps


async def test_a_due_frame_does_not_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(anyio, "sleep", pytest.fail)
    await pacing.sleep_until(anyio.current_time() - 1)
