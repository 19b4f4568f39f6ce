"""A virtual clock for tests: recorded timing in `loop.time()`, at almost no wall time.

Replay waits with `asyncio.sleep` on the running loop's clock, so under a loop whose time is
virtual a 5-second recorded stream plays in milliseconds while the app still sees every
recorded gap in `loop.time()`. This wraps the `looptime` library (which does the clock
work; install it with `pip install 'llmring-replay[clock]'`) for the loop already running a
test:

```python
async def test_ui_updates_every_50ms():
    with virtual_clock() as clock:
        ...  # replay at timing="recorded"; clock.time() is the virtual now
```
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import Any, cast

from llmring_replay.exceptions import ConfigurationError

__all__ = ["virtual_clock"]


@contextlib.contextmanager
def virtual_clock() -> Iterator[asyncio.AbstractEventLoop]:
    """Make the running loop's clock virtual inside the block; yields the loop.

    Time only moves when every task is waiting, and then jumps to the next timer, so
    timing-dependent code becomes deterministic. Real I/O still works (loopback servers),
    but its real duration does not advance the virtual time.
    """
    try:
        import looptime
    except ImportError:
        raise ConfigurationError(
            "virtual_clock() needs looptime: pip install 'llmring-replay[clock]'"
        ) from None
    loop = asyncio.get_running_loop()
    patched = looptime.patch_event_loop(cast(Any, loop), _enabled=False)
    with patched.looptime_enabled():
        yield loop
