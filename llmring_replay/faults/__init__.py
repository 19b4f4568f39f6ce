"""Fault simulation: realistic provider failures on top of a real recording, at replay.

The model: replay turns each matched interaction into a `ReplayPlan` (status, headers, the
frames with the offsets at which to serve them, a delay before the headers, an error to raise
after the last frame). A fault is plain, frozen data whose `apply(plan, context)` returns a
rewritten plan; `ReplayTransport(cassette, faults=[...])` applies them in order, so they
compose (`[StallBeforeFirstByte(2), RateLimit(retry_after=1)]` is a slow 429). Nothing is
monkeypatched: the client parses the faulty bytes exactly as it would parse them live.

```python
from llmring_replay.faults import Disconnect, RateLimit, parse_faults
from llmring_replay.transports import ReplayTransport

transport = ReplayTransport(cassette, faults=[RateLimit(retry_after=2)])
transport = ReplayTransport(cassette, faults=parse_faults(["disconnect:after=3"]))
```

- Status faults (`Unauthorized`, `Forbidden`, `ModelNotFound`, `RateLimit`, `ServerError`,
  `Unavailable`, `Overloaded`, `StatusError`) replace the response with the error the
  interaction's provider really sends (`shapes`), from the simulator's renderers.
- Stream faults (`StallBeforeFirstByte`, `StallBetween`, `Disconnect`, `MalformedFrame`,
  `InBandError`) keep the recorded stream up to a frame. Frames count from 1: `after=N`
  delivers frames 1..N, `at=N` is the Nth frame. A stall longer than the client's read
  timeout raises the HTTP library's `ReadTimeout` in replay (`ProviderTimeoutError`).
- `FailFirst(k, fault)` applies `fault` to the first `k` requests of an interaction.
- Every fault takes `only=`: an interaction index, a model name (`"gpt-4o"` or
  `"openai:gpt-4o"`) or a predicate on the `ReplayContext`, to fail one interaction of
  several (the first model of a fallback chain, say).
- `parse_fault` / `parse_faults` read the string form (`rate_limit:retry_after=2`).

A fault that cannot do what it says (a frame number past the end of the response, an
interaction whose provider is unknown) raises `ValueError` naming the fault, rather than
letting a test pass without its failure. `docs/faults.md` has what the client raises for each
fault on each provider.
"""

from __future__ import annotations

from llmring_replay.faults.base import BaseFault, Selector
from llmring_replay.faults.shapes import KINDS
from llmring_replay.faults.spec import FAULT_NAMES, parse_fault, parse_faults
from llmring_replay.faults.status import (
    Forbidden,
    ModelNotFound,
    Overloaded,
    RateLimit,
    ServerError,
    StatusError,
    Unauthorized,
    Unavailable,
)
from llmring_replay.faults.stream import (
    Disconnect,
    FailFirst,
    InBandError,
    MalformedFrame,
    StallBeforeFirstByte,
    StallBetween,
)
from llmring_replay.transports.replay import Fault, ReplayContext, ReplayPlan

__all__ = [
    "BaseFault",
    "Disconnect",
    "FAULT_NAMES",
    "FailFirst",
    "Fault",
    "Forbidden",
    "InBandError",
    "KINDS",
    "MalformedFrame",
    "ModelNotFound",
    "Overloaded",
    "RateLimit",
    "ReplayContext",
    "ReplayPlan",
    "Selector",
    "ServerError",
    "StallBeforeFirstByte",
    "StallBetween",
    "StatusError",
    "Unauthorized",
    "Unavailable",
    "parse_fault",
    "parse_faults",
]
