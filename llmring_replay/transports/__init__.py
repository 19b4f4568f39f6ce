"""httpx transports that record and replay provider traffic; they know framing, not providers.

- `RecordingTransport`: forwards to the real transport, tees frames as they arrive, records
  their timing, scrubs secrets, saves the cassette atomically.
- `ReplayTransport`: serves recorded responses frame by frame at a timing policy, with faults.
- `CassetteTransport`: one of the two per request, by record mode (`none`, `once`,
  `new_episodes`, `all`).
"""

from __future__ import annotations

from llmring_replay.transports.modes import CassetteTransport, RecordMode
from llmring_replay.transports.recording import RecordingTransport
from llmring_replay.transports.replay import Fault, ReplayContext, ReplayPlan, ReplayTransport

__all__ = [
    "CassetteTransport",
    "Fault",
    "RecordMode",
    "RecordingTransport",
    "ReplayContext",
    "ReplayPlan",
    "ReplayTransport",
]
