"""When replayed bytes are handed out: one schedule, a sync and an async way to wait for it.

`schedule` turns a plan into (due, frame) steps toward absolute targets on a clock, so
errors never accumulate. It honours the read timeout as a socket would: the timeout runs
from when the consumer asks for more (time the app spends on a chunk does not count), and a
frame further away than the timeout becomes a wait of exactly the timeout, then `ReadStall`.

Async waiting goes through anyio, so it works on asyncio and trio; on asyncio the clock is
the running loop's (`loop.time()`), which a virtual clock (`llmring_replay.clock`,
looptime) makes replay hours in milliseconds; on trio it is trio's clock (a `MockClock`
virtualizes it). Sync waiting is real `time.sleep` toward `time.perf_counter()` targets.
"""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator, Callable, Generator, Iterator

import anyio

from llmring_replay.transports.replay import ReadStall, ReplayPlan

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
async_now = anyio.current_time

# The selector rounds timeouts up to whole milliseconds, so a plain sleep lands up to 1 ms
# late. We sleep to just short of the target and yield to the loop for the rest.
_SPIN = 0.0015


def schedule(
    plan: ReplayPlan, start: float, read_timeout: float | None, now: Callable[[], float]
) -> Steps:
    """The steps of `plan` for a request made at `start` on the clock `now`."""
    for at, data in plan.frames:
        due = start + at
        asked = now()  # a generator: this runs when the consumer asks for the next frame
        if read_timeout is not None and due - asked > read_timeout:
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


async def sleep_until(due: float) -> None:
    """Wait until `async_now()` reaches `due`."""
    wait = due - anyio.current_time()
    if wait <= 0:
        return
    if wait > _SPIN:
        await anyio.sleep(wait - _SPIN)
    # Bounded by real time as well: under a virtual clock the loop's time only moves while
    # the loop idles, so the final sleep below is what advances it.
    real_deadline = time.perf_counter() + _SPIN
    while anyio.current_time() < due and time.perf_counter() < real_deadline:
        await anyio.sleep(0)
    left = due - anyio.current_time()
    if left > 0:
        await anyio.sleep(left)


async def paced_async(steps: Steps) -> AsyncGenerator[bytes, None]:
    """The frames of `steps`, each at its due time on the event loop's clock."""
    for due, frame in steps:
        await sleep_until(due)
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
