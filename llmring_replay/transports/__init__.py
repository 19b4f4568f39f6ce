"""Transports that record and replay provider traffic for any httpx or httpx2 client.

Three transports, for the three things a test does with a cassette:

- `ReplayTransport(cassette, timing)`: serves recorded responses frame by frame at a timing
  policy, with faults; never touches the network.
- `RecordingTransport(cassette)`: forwards to the network, tees frames as they arrive,
  records their timing, scrubs secrets, saves the cassette atomically.
- `CassetteTransport(path, record_mode)`: one of the two per request, by record mode
  (`none`, `once`, `new_episodes`, `all`; see `modes`).

Each serves every client kind: pass it as `transport=` to `httpx.AsyncClient`,
`httpx.Client`, `httpx2.AsyncClient` or `httpx2.Client` (and so to any SDK that takes such a
client). It is an `httpx.AsyncBaseTransport` and an `httpx.BaseTransport` at once, like
`httpx.MockTransport`; `transport.for_httpx2()` is the same transport (same cassette, same
played state) typed as httpx2's, for type checkers. httpx2 is optional.

How it is built: one core, thin adapters.

- The core knows neither the HTTP library nor sync/async. `replay.Replayer` matches a
  request and plans its answer (a `ReplayPlan`: status, headers, frames with their serve
  times by the timing policy, then rewritten by faults); `recording.Recorder` tees a live
  body, times its frames, scrubs the finished interaction and hands it to the cassette in
  one call (`Recorder.hand_off`); `modes.Core` decides per request, by record mode, which
  of the two answers; `pacing.schedule` turns a plan into due times toward absolute
  targets, honouring the read timeout.
- The adapters (`adapter.respond_sync` / `respond_async`) only convert: they read the
  request body, ask the core, and wrap the answer in the client library's response and
  byte stream (`libraries`); waiting is `time.sleep` for sync clients and anyio for async
  ones, so replay runs on asyncio and trio, on the event loop's clock (which a virtual
  clock, `llmring_replay.clock`, virtualizes). Neutral errors (`StreamCut`, `ReadStall`)
  become the library's `RemoteProtocolError` / `ReadTimeout` in one place.
- Automatic interception (`intercept(transport)`, `intercept.Interception`; the pytest
  plugin installs it for each test using a cassette) patches the HTTP libraries' own
  transports so that every client's provider API requests reach the same adapters,
  recording through the client's original transport method.
- Connections belong to an event loop: the async network is kept per loop
  (`llmring_replay.loops`), and an unread recorded response is finished on its own loop.
"""

from __future__ import annotations

from llmring_replay.transports.intercept import intercept
from llmring_replay.transports.modes import RecordMode
from llmring_replay.transports.public import CassetteTransport, RecordingTransport, ReplayTransport
from llmring_replay.transports.replay import Fault, ReplayContext, ReplayPlan, StreamCut

__all__ = [
    "CassetteTransport",
    "Fault",
    "RecordMode",
    "RecordingTransport",
    "ReplayContext",
    "ReplayPlan",
    "ReplayTransport",
    "StreamCut",
    "intercept",
]
