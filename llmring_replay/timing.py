"""Replay timing: when each recorded frame is served, as a policy over the recorded offsets.

A policy maps the recorded arrival offsets of a response's frames (seconds from the moment
the request was sent) to the offsets at which replay serves them. Replay then waits on the
event loop's clock (`transports/pacing.py`), aiming at absolute targets so errors never pile
up; under a virtual clock (the `looptime` pytest plugin, or any loop whose `time()` is
virtual) a test sees the recorded gaps in `loop.time()` at almost no wall time.

| policy                     | string form                  | frames served at            |
|----------------------------|------------------------------|-----------------------------|
| `Recorded()`               | `recorded`                   | the recorded offsets        |
| `Instant()`                | `instant`                    | all at once, at 0           |
| `Speed(k)`                 | `speed=2`, `speed=0.5x`      | recorded offsets / k        |
| `Fixed(interval, ttft)`    | `fixed=20ms[,ttft=300ms]`    | ttft, then one per interval |
| `Rate(tokens_per_s, ttft)` | `rate=50[,ttft=200ms]`       | ttft, then one per 1/rate s |
| `Jitter(pct, seed)`        | `jitter=10%[,seed=1]`        | recorded gaps, each scaled  |
|                            |                              | by a seeded factor in       |
|                            |                              | [1 - pct, 1 + pct]          |

`Rate` counts one token per frame: providers stream about one token per event, and the
transport does not parse provider payloads.
"""

from __future__ import annotations

import random
import re
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "Fixed",
    "Instant",
    "Jitter",
    "Rate",
    "Recorded",
    "Speed",
    "Timing",
    "parse_duration",
    "parse_timing",
]


class Timing(ABC):
    """A replay timing policy."""

    @abstractmethod
    def schedule(self, offsets: Sequence[float]) -> list[float]:
        """Serve times (seconds from the request) for frames recorded at `offsets`."""


@dataclass(frozen=True)
class Recorded(Timing):
    """As recorded."""

    def schedule(self, offsets: Sequence[float]) -> list[float]:
        return list(offsets)


@dataclass(frozen=True)
class Instant(Timing):
    """No waiting at all: the fastest tests."""

    def schedule(self, offsets: Sequence[float]) -> list[float]:
        return [0.0] * len(offsets)


@dataclass(frozen=True)
class Speed(Timing):
    """The recorded timing, `factor` times faster (2 = twice as fast, 0.5 = half speed)."""

    factor: float

    def __post_init__(self) -> None:
        if self.factor <= 0:
            raise ValueError(f"speed factor must be > 0, got {self.factor}")

    def schedule(self, offsets: Sequence[float]) -> list[float]:
        return [offset / self.factor for offset in offsets]


@dataclass(frozen=True)
class Fixed(Timing):
    """First frame after `ttft`, then one frame every `interval` seconds."""

    interval: float
    ttft: float = 0.0

    def __post_init__(self) -> None:
        if self.interval < 0 or self.ttft < 0:
            raise ValueError("fixed timing needs interval >= 0 and ttft >= 0")

    def schedule(self, offsets: Sequence[float]) -> list[float]:
        return [self.ttft + index * self.interval for index in range(len(offsets))]


@dataclass(frozen=True)
class Rate(Timing):
    """First frame after `ttft`, then `tokens_per_s` frames per second (one token a frame)."""

    tokens_per_s: float
    ttft: float = 0.0

    def __post_init__(self) -> None:
        if self.tokens_per_s <= 0 or self.ttft < 0:
            raise ValueError("rate timing needs tokens_per_s > 0 and ttft >= 0")

    def schedule(self, offsets: Sequence[float]) -> list[float]:
        return [self.ttft + index / self.tokens_per_s for index in range(len(offsets))]


@dataclass(frozen=True)
class Jitter(Timing):
    """The recorded gaps, each scaled by a random factor in [1 - pct, 1 + pct], seeded.

    The same seed gives the same schedule on every run and machine, so a flaky-looking
    timing bug found with one seed reproduces with it.
    """

    pct: float
    seed: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.pct <= 1:
            raise ValueError(f"jitter must be between 0% and 100%, got {self.pct:.0%}")

    def schedule(self, offsets: Sequence[float]) -> list[float]:
        rng = random.Random(self.seed)
        served: list[float] = []
        previous_recorded = 0.0
        previous_served = 0.0
        for offset in offsets:
            gap = max(0.0, offset - previous_recorded)
            previous_served += gap * (1 + rng.uniform(-self.pct, self.pct))
            previous_recorded = offset
            served.append(previous_served)
        return served


_DURATION = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*(ms|s)?\s*$")


def parse_duration(value: str | float | None) -> float | None:
    """Seconds from `"17s"`, `"1.5"`, `"250ms"` or a number; `None` when unreadable."""
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    match = _DURATION.match(value)
    if not match:
        return None
    number = float(match.group(1))
    return number / 1000 if match.group(2) == "ms" else number


def _seconds(text: str, what: str) -> float:
    seconds = parse_duration(text)
    if seconds is None:
        raise ValueError(f"{what}: expected a duration like 20ms or 0.5s, got {text!r}")
    return seconds


def _number(text: str, what: str) -> float:
    cleaned = text.strip().removesuffix("x").removesuffix("/s")
    try:
        return float(cleaned)
    except ValueError:
        raise ValueError(f"{what}: expected a number, got {text!r}") from None


def _percent(text: str, what: str) -> float:
    cleaned = text.strip()
    if cleaned.endswith("%"):
        return _number(cleaned[:-1], what) / 100
    return _number(cleaned, what)


def _options(spec: str, head: str, rest: list[str], allowed: set[str]) -> dict[str, str]:
    options: dict[str, str] = {}
    for item in rest:
        key, equals, value = item.partition("=")
        key = key.strip()
        if not equals or key not in allowed:
            known = ", ".join(sorted(allowed)) or "none"
            raise ValueError(
                f"timing {spec!r}: unknown option {item!r} for {head} (known: {known})"
            )
        options[key] = value
    return options


def parse_timing(spec: str | Timing | None) -> Timing:
    """A policy from its string form (see the module table); a `Timing` passes through."""
    if spec is None:
        return Instant()
    if isinstance(spec, Timing):
        return spec
    parts = [part.strip() for part in spec.split(",") if part.strip()]
    if not parts:
        raise ValueError(
            "empty timing: use recorded, instant, speed=2, fixed=20ms, rate=50 or jitter=10%"
        )
    head, _, value = parts[0].partition("=")
    head = head.strip().lower()
    if head in ("recorded", "instant") and not value and len(parts) == 1:
        return Recorded() if head == "recorded" else Instant()
    if head == "speed":
        _options(spec, head, parts[1:], set())
        return Speed(_number(value, "speed"))
    if head in ("fixed", "rate"):
        options = _options(spec, head, parts[1:], {"ttft"})
        ttft = _seconds(options["ttft"], "ttft") if "ttft" in options else 0.0
        if head == "fixed":
            return Fixed(_seconds(value, "fixed"), ttft)
        return Rate(_number(value, "rate"), ttft)
    if head == "jitter":
        options = _options(spec, head, parts[1:], {"seed"})
        seed = int(_number(options.get("seed", "0"), "seed"))
        return Jitter(_percent(value, "jitter"), seed)
    raise ValueError(
        f"unknown timing {spec!r}: use recorded, instant, speed=K, fixed=20ms[,ttft=300ms], "
        "rate=50[,ttft=200ms] or jitter=10%[,seed=1]"
    )
