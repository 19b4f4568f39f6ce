"""A virtual clock for tests: recorded timing in `loop.time()`, at almost no wall time.

Replay waits with `asyncio.sleep` on the running loop's clock, so under a loop whose time is
virtual a 5-second recorded stream plays in milliseconds while the app still sees every
recorded gap in `loop.time()`. This wraps the `looptime` library (which does the clock
work; install it with `pip install 'llmring-replay[clock]'`) for the loop already running a
test:

```python
async def test_ui_updates_every_50ms():
    with virtual_clock() as loop:
        ...  # replay at timing="recorded"; loop.time() is the virtual now
```

Where time starts and what happens after the block:

- Inside the block, `loop.time()` goes on from where the loop's clock stood on entry (it
  never jumps back, in a second block neither), then moves only virtually.
- After the block the loop runs on its real clock again. Virtual time ran ahead of it, so
  `loop.time()` then reads *earlier* than it did at the block's end: measure durations
  inside one block, and do not carry a deadline taken inside it out of it.

looptime's own pytest plugin is not needed (and is kept off by llmring-replay's plugin
unless a run asks for it with `-p looptime_plugin`).

Recording needs the real clock: waiting on a live server looks idle to a virtual clock,
which then jumps straight to the client's read timeout. So a request that would go to the
network while the clock is virtual (`is_virtual`) is refused with a `ConfigurationError`
saying so; record on the real clock, replay under the virtual one:

```python
with contextlib.nullcontext() if llm_cassette.recording else virtual_clock():
    ...
```
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Iterator
from typing import Any, cast

from llmring_replay.exceptions import ConfigurationError

__all__ = ["is_virtual", "loop_is_virtual", "refuse_live_request", "virtual_clock"]


@contextlib.contextmanager
def virtual_clock() -> Iterator[asyncio.AbstractEventLoop]:
    """Make the running loop's clock virtual inside the block; yields the loop.

    Time only moves when every task is waiting, and then jumps to the next timer, so
    timing-dependent code becomes deterministic. Real I/O still works (loopback servers),
    but its real duration does not advance the virtual time. See the module docstring for
    where the virtual time starts and what the loop's clock reads after the block.
    """
    try:
        import looptime
    except ImportError:
        raise ConfigurationError(
            "virtual_clock() needs looptime: pip install 'llmring-replay[clock]'"
        ) from None
    loop = asyncio.get_running_loop()
    real_now = loop.time()
    patched = looptime.patch_event_loop(cast(Any, loop), _enabled=False)
    with patched.looptime_enabled():
        virtual_now = loop.time()
    if virtual_now < real_now:
        # Start from the loop's real time (looptime's would be 0, or the end of an earlier
        # block): forward only, so looptime sees no backward move.
        patched.setup_looptime(start=real_now, _enabled=False)
    with patched.looptime_enabled():
        yield loop


def is_virtual() -> bool:
    """Whether the running event loop's clock is virtual now: inside `virtual_clock()` (or
    any looptime-enabled loop), or trio under a `MockClock`. `False` outside async code."""
    clock = _trio_clock()
    if clock is not None:
        import trio.testing

        return isinstance(clock, trio.testing.MockClock)
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return False
    return loop_is_virtual(loop)


def loop_is_virtual(loop: asyncio.AbstractEventLoop) -> bool:
    """Whether asyncio `loop`'s clock is virtual now (looptime enabled on it)."""
    return bool(getattr(loop, "looptime_on", False))


def _trio_clock() -> object | None:
    """The clock of the trio run this code is in, else `None` (trio is optional: only a
    trio run imported it)."""
    trio = sys.modules.get("trio")
    if trio is None:
        return None
    try:
        clock: object = trio.lowlevel.current_clock()
    except RuntimeError:  # not inside trio.run
        return None
    return clock


def refuse_live_request(method: str, url: str) -> None:
    """Raise `ConfigurationError` if a request to the network (`method url`, to be
    recorded) would be made while the running loop's clock is virtual (see the module
    docstring: it would wait for the client's timeout instead of the server)."""
    if is_virtual():
        raise ConfigurationError(
            f"cannot record {method} {url} under a virtual clock (virtual_clock(), looptime, "
            "trio's MockClock): waiting for a live server looks idle to it, so its time "
            "would jump to the client's timeout. Record on the real clock and replay under "
            "the virtual one, e.g. `with contextlib.nullcontext() if llm_cassette.recording "
            "else virtual_clock():`"
        )
