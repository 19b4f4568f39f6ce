"""Pacing waits once per frame and never busy-waits; on asyncio the waits of every stream
share the loop's ticker. What a wait costs in wall time is the clock's business and is not
asserted (tests make no claims about wall-clock time); that it never ends early is, since
a loaded machine only makes it later."""

from __future__ import annotations

import asyncio
import gc
import weakref

import anyio
import pytest
import trio

from llmring_replay.transports import pacing, ticker
from llmring_replay.transports.pacing import _HALF_GRAIN
from llmring_replay.transports.ticker import TICK


class Counting:
    """Counts what a wait asks of the event loop: timers, sleeps, ticker waits."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.timers: list[float] = []
        self.sleeps: list[float] = []
        self.waits: list[float] = []
        loop = asyncio.get_running_loop()
        call_at, sleep, at = loop.call_at, asyncio.sleep, ticker.Ticker.at

        def counting_call_at(when: float, *args: object) -> asyncio.TimerHandle:
            self.timers.append(when)
            return call_at(when, *args)  # type: ignore[arg-type]

        async def counting_sleep(seconds: float) -> None:
            self.sleeps.append(seconds)
            await sleep(seconds)

        def counting_at(self_: ticker.Ticker, when: float) -> asyncio.Future[None]:
            self.waits.append(when)
            return at(self_, when)

        monkeypatch.setattr(loop, "call_at", counting_call_at)
        monkeypatch.setattr(asyncio, "sleep", counting_sleep)
        monkeypatch.setattr(ticker.Ticker, "at", counting_at)


@pytest.mark.parametrize("ahead", [0.0002, 0.003, 0.25])
async def test_a_wait_is_one_ticker_wait_and_never_spins(
    ahead: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    counting = Counting(monkeypatch)
    loop = asyncio.get_running_loop()
    due = loop.time() + ahead
    await pacing.sleep_until(due)
    assert counting.sleeps == []  # no sleep(0) turns, no sleep at all
    if ahead <= _HALF_GRAIN:  # within the selector's rounding: handed out now
        assert counting.waits == []
    else:  # one wait, half a millisecond short (the selector rounds it up)
        assert counting.waits == [due - _HALF_GRAIN]
        assert len(counting.timers) == 1
        assert loop.time() >= due - _HALF_GRAIN - TICK / 2  # never early


async def test_a_due_frame_does_not_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    counting = Counting(monkeypatch)
    await pacing.sleep_until(asyncio.get_running_loop().time() - 1)
    assert (counting.waits, counting.timers, counting.sleeps) == ([], [], [])


async def test_streams_due_in_the_same_tick_share_one_loop_timer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    counting = Counting(monkeypatch)
    loop = asyncio.get_running_loop()
    # Waits start half a grain early; this puts that start on a tick, so the 20 waits
    # below cannot straddle the middle between two ticks (1 run in 13 did, off the grid).
    due = round((loop.time() + 0.02) / TICK) * TICK + _HALF_GRAIN
    woke: list[float] = []

    async def stream(offset: float) -> None:
        await pacing.sleep_until(due + offset)
        woke.append(loop.time())

    # 20 streams a few microseconds apart: one tick, one timer; a 21st 5 ms later: its own.
    await asyncio.gather(*(stream(i * 1e-6) for i in range(20)), stream(0.005))
    assert len(counting.waits) == 21
    assert len(counting.timers) == 2
    assert len(woke) == 21
    assert min(woke) >= due - _HALF_GRAIN - TICK / 2


async def test_a_cancelled_wait_leaves_the_others_of_its_tick_to_wake() -> None:
    loop = asyncio.get_running_loop()
    due = loop.time() + 0.01
    cancelled = asyncio.ensure_future(pacing.sleep_until(due))
    kept = asyncio.ensure_future(pacing.sleep_until(due))
    await asyncio.sleep(0)
    cancelled.cancel()
    await kept
    assert cancelled.cancelled()
    assert loop.time() >= due - _HALF_GRAIN - TICK / 2


async def test_paced_frames_come_in_order_and_an_error_ends_them() -> None:
    now = asyncio.get_running_loop().time()
    steps = iter([(now + 0.002, b"a"), (now + 0.001, b"b"), (now + 0.003, ValueError("cut"))])
    got = []
    with pytest.raises(ValueError, match="cut"):
        async for frame in pacing.paced_async(steps):
            got.append(frame)
    assert got == [b"a", b"b"]


def test_on_trio_a_wait_is_one_anyio_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    sleeps: list[float] = []
    real_sleep = anyio.sleep

    async def counting(seconds: float) -> None:
        sleeps.append(seconds)
        await real_sleep(seconds)

    monkeypatch.setattr(anyio, "sleep", counting)

    async def main() -> list[bytes]:
        now = anyio.current_time()
        steps = iter([(now + 0.003, b"a"), (now - 1, b"b"), (now + 0.0001, b"c")])
        return [frame async for frame in pacing.paced_async(steps)]

    assert trio.run(main) == [b"a", b"b", b"c"]
    assert len(sleeps) == 1  # the past frame and the one within the rounding do not wait
    assert 0 < sleeps[0] <= 0.003 - _HALF_GRAIN


def test_a_loop_paced_on_is_not_kept_alive() -> None:
    async def main() -> weakref.ref[asyncio.AbstractEventLoop]:
        loop = asyncio.get_running_loop()
        await pacing.sleep_until(loop.time() + 0.002)
        return weakref.ref(loop)

    for _ in range(3):  # several loops, one after another, as function-scoped test loops
        loop = asyncio.run(main())
        gc.collect()
        assert loop() is None


def test_a_loop_closed_with_waits_pending_is_not_kept_alive() -> None:
    async def main() -> weakref.ref[asyncio.AbstractEventLoop]:
        loop = asyncio.get_running_loop()
        waiting = asyncio.ensure_future(pacing.sleep_until(loop.time() + 60))
        await asyncio.sleep(0)
        assert not waiting.done()  # run() cancels it on the way out
        return weakref.ref(loop)

    loop = asyncio.run(main())
    gc.collect()
    assert loop() is None
