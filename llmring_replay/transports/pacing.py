"""When replayed bytes are handed out: one schedule, a sync and an async way to wait for it.

`schedule` turns a plan into (due, frame) steps toward absolute targets on a clock, so
errors never accumulate. It honours the read timeout as a socket would: the timeout runs
from when the consumer asks for more (time the app spends on a chunk does not count), and a
frame further away than the timeout becomes a wait of exactly the timeout, then `ReadStall`.

Async waiting works on asyncio and trio. On asyncio the clock is the running loop's
(`loop.time()`), which a virtual clock (`llmring_replay.clock`, looptime) makes replay
hours in milliseconds, and the waits of every stream on the loop share its `ticker`; on
trio it is trio's clock (a `MockClock` virtualizes it), waited on through anyio. Sync
waiting is real `time.sleep` toward `time.perf_counter()` targets.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator, Iterator

import anyio

from llmring_replay.clock import is_virtual, loop_is_virtual
from llmring_replay.transports.replay import ReadStall, ReplayPlan
from llmring_replay.transports.ticker import ticker

__all__ = [
    "Steps",
    "async_now",
    "headers_wait",
    "paced_async",
    "paced_sync",
    "schedule",
    "sleep_until",
    "sync_now",
]

#: (due on the clock, the frame to hand out then, or the error to raise then).
Steps = Iterator[tuple[float, bytes | BaseException]]

sync_now = time.perf_counter


def async_now() -> float:
    """The running event loop's clock: `loop.time()` on asyncio, trio's clock on trio."""
    try:
        # Directly, not through anyio: its backend lookup (sniffio) per call was a third of
        # the pacer's CPU at 20 streams x 1,000 frames/s.
        return asyncio.get_running_loop().time()
    except RuntimeError:
        return anyio.current_time()


# The selector rounds a timeout up to whole milliseconds, so a plain sleep lands 0-1 ms late.
# Asking for half a millisecond less centres that: the frame goes out within +-0.5 ms.
_HALF_GRAIN = 0.0005


def schedule(
    plan: ReplayPlan, start: float, read_timeout: float | None, now: Callable[[], float]
) -> Steps:
    """The steps of `plan` for a request made at `start` on the clock `now`."""
    asked = start  # when the consumer last asked for a frame, or earlier
    for at, data in plan.frames:
        due = start + at
        # The clock only moves on: a frame due within the timeout of an earlier ask is
        # within it of this one too, so the clock is read only when it could decide.
        if read_timeout is not None and due - asked > read_timeout:
            asked = now()  # a generator: this runs when the consumer asks for the frame
            if due - asked > read_timeout:
                stall = ReadStall(f"no data for {read_timeout:g}s (replayed stall)")
                yield asked + read_timeout, stall
                return
        yield due, data
    if plan.error is not None:
        yield start, plan.error


def headers_wait(plan: ReplayPlan, read_timeout: float | None) -> tuple[float, ReadStall | None]:
    """How long the response headers take, and the error to raise after that wait if any."""
    delay = plan.headers_delay
    if read_timeout is not None and delay > read_timeout:
        return read_timeout, ReadStall(f"no response for {read_timeout:g}s (replayed stall)")
    return delay, None


def _virtual_clock(loop: asyncio.AbstractEventLoop) -> bool:
    """Whether `loop`'s clock is virtual (looptime, or another virtual clock)."""
    if loop_is_virtual(loop):
        return True
    # Another virtual clock: asyncio's own is time.monotonic(), a virtual one is elsewhere.
    # (Not enough alone: virtual_clock() starts at the real time, and a loaded machine
    # lets the real clock catch up with the virtual one after a few gaps.)
    return abs(loop.time() - time.monotonic()) > 0.01


def _until(loop: asyncio.AbstractEventLoop, due: float) -> Awaitable[None] | None:
    """What to await to reach `due` on `loop`'s clock, or `None` when it is (about) now.

    A plain function, not a coroutine: at 20,000 frames/s a coroutine frame per wait is
    CPU. On a virtual clock the wait is exact, at no wall time; on a real one it ends
    within +-0.5 ms of `due`, on the loop's shared `ticker`, with no spinning (a
    busy-wait for the last millisecond cost a core at 1,000 frames/s and got worse, not
    better, under load).
    """
    wait = due - loop.time()
    if wait <= 0:
        return None
    if _virtual_clock(loop):
        return asyncio.sleep(wait)
    if wait > _HALF_GRAIN:
        return ticker(loop).at(due - _HALF_GRAIN)
    return None


async def sleep_until(due: float) -> None:
    """Wait until about `due` on the running loop's clock (see `_until`; on trio, through
    anyio, to the same +-0.5 ms)."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:  # trio
        await _trio_sleep_until(due)
        return
    pause = _until(loop, due)
    if pause is not None:
        await pause


async def _trio_sleep_until(due: float) -> None:
    wait = due - anyio.current_time()
    if wait <= 0:
        return
    if is_virtual():  # trio's MockClock
        await anyio.sleep(wait)
    elif wait > _HALF_GRAIN:
        await anyio.sleep(wait - _HALF_GRAIN)


async def paced_async(steps: Steps) -> AsyncGenerator[bytes, None]:
    """The frames of `steps`, each at its due time on the event loop's clock."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:  # trio
        loop = None
    for due, frame in steps:
        if loop is None:
            await _trio_sleep_until(due)
        else:  # inline, not `sleep_until`: a coroutine call less per frame
            pause = _until(loop, due)
            if pause is not None:
                await pause
        if isinstance(frame, BaseException):
            raise frame
        yield frame


def paced_sync(steps: Steps) -> Generator[bytes, None, None]:
    """The frames of `steps`, each at its due time, with real sleeps."""
    for due, frame in steps:
        wait = due - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
        if isinstance(frame, BaseException):
            raise frame
        yield frame
