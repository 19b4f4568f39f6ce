"""Named timing profiles: how fast a simulated model starts and streams.

A profile sets a script's `ttft` (seconds before the first frame), `interval` (seconds
between later frames) and `jitter` (each delay scaled by a factor drawn from
`1 ± jitter`, seeded by the request so the same request always gets the same timing).
A frame is one SSE event or NDJSON line, roughly one token of text.

| profile          | ttft   | interval | jitter | like                                          |
|------------------|--------|----------|--------|-----------------------------------------------|
| `instant`        | 0      | 0        | 0      | everything at once                            |
| `fast`           | 20 ms  | 2 ms     | 0      | a stream, at test speed (~0.1 s an answer)    |
| `typical`        | 400 ms | 12 ms    | 30 %   | a small hosted chat model (gpt-4o-mini class: |
|                  |        |          |        | ~0.4 s to first token, ~80 tokens/s)          |
| `slow-reasoning` | 6 s    | 20 ms    | 30 %   | a reasoning model that thinks before its      |
|                  |        |          |        | first visible token (~6 s, then ~50 tokens/s) |

The `typical` and `slow-reasoning` figures are round numbers in the range public latency
benchmarks report for those classes of model; they make timing-sensitive code (UI
buffering, timeouts, progress indicators) meet realistic pacing, not any one model's.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["PROFILES", "TimingProfile", "profile_names"]


class TimingProfile(BaseModel):
    """A pace: time to first frame, time between frames, and how much they vary."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    ttft: float = Field(default=0.0, ge=0)
    """Seconds before the first frame (time to first token)."""
    interval: float = Field(default=0.0, ge=0)
    """Seconds between later frames."""
    jitter: float = Field(default=0.0, ge=0, le=1)
    """Each delay is scaled by a factor in `1 - jitter .. 1 + jitter` (0: exact)."""


#: The built-in profiles by name (see the module docstring for what each is like).
PROFILES: dict[str, TimingProfile] = {
    "instant": TimingProfile(),
    "fast": TimingProfile(ttft=0.02, interval=0.002),
    "typical": TimingProfile(ttft=0.4, interval=0.012, jitter=0.3),
    "slow-reasoning": TimingProfile(ttft=6.0, interval=0.02, jitter=0.3),
}


def profile_names() -> str:
    """The built-in profile names, for messages: `fast, instant, slow-reasoning, typical`."""
    return ", ".join(sorted(PROFILES))
