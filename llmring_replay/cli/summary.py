"""Per-interaction and per-cassette summaries, shared by `show` and `ls`, and their units.

Rates: output tokens per second over the generation (first frame to last frame), from the
usage on the decoded final chunk; frames per second over the same span when the provider
reported no usage. A response of a single frame has no span, hence no rate.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

from llmring_replay.cassette import Cassette, Interaction
from llmring_replay.cli.decode import decode_interaction, format_of, model_of

__all__ = [
    "InteractionFacts",
    "cassette_line",
    "facts_for",
    "format_rate",
    "format_seconds",
    "max_gap",
]


def format_seconds(seconds: float | None) -> str:
    """`212 ms` below a second, `1.23 s` above; `-` for no value."""
    if seconds is None:
        return "-"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    return f"{seconds:.2f} s"


def format_rate(rate: float | None, unit: str) -> str:
    """`48.2 tok/s`, `-` for no value."""
    return "-" if rate is None else f"{rate:.1f} {unit}"


def max_gap(offsets: list[float]) -> float | None:
    """The longest wait between two frames (stalls show up here), `None` under two frames."""
    if len(offsets) < 2:
        return None
    return max(later - earlier for earlier, later in pairwise(offsets))


@dataclass(frozen=True)
class InteractionFacts:
    """Everything `show` prints about one interaction."""

    index: int
    provider: str
    model: str
    status: int
    offsets: list[float]
    size: int
    timing_synthesized: bool
    #: The normalized finish reason, or the class of the error the client would raise.
    outcome: str
    rate: float | None
    rate_unit: str

    @property
    def ttft(self) -> float | None:
        """Time to the first frame."""
        return self.offsets[0] if self.offsets else None

    @property
    def duration(self) -> float | None:
        """Time to the last frame."""
        return self.offsets[-1] if self.offsets else None


def facts_for(index: int, interaction: Interaction) -> InteractionFacts:
    """Decode `interaction` and gather its facts."""
    offsets = [offset for offset, _ in interaction.response.frames()]
    fmt = format_of(interaction)
    outcome, completion = "-", None
    if fmt is not None:
        decoded = decode_interaction(interaction, fmt)
        final = decoded.final
        if decoded.error is not None:
            outcome = type(decoded.error).__name__
        elif final is not None:
            outcome = final.finish_reason or "-"
            completion = (final.usage or {}).get("completion_tokens")
    span = offsets[-1] - offsets[0] if len(offsets) > 1 else 0.0
    rate, unit = None, "frames/s"
    if span > 0:
        rate, unit = (completion / span, "tok/s") if completion else (len(offsets) / span, unit)
    return InteractionFacts(
        index=index,
        provider=fmt.provider if fmt is not None else interaction.provider or "?",
        model=model_of(interaction),
        status=interaction.response.status,
        offsets=offsets,
        size=len(interaction.response.body),
        timing_synthesized=interaction.timing_synthesized,
        outcome=outcome,
        rate=rate,
        rate_unit=unit,
    )


def _span(values: list[float]) -> str:
    low, high = min(values), max(values)
    if format_seconds(low) == format_seconds(high):
        return format_seconds(low)
    if high < 1:
        return f"{low * 1000:.0f}-{high * 1000:.0f} ms"
    return f"{format_seconds(low)}-{format_seconds(high)}"


def cassette_line(cassette: Cassette) -> str:
    """`2 interactions  openai  gpt-4o-mini  TTFT 212 ms  1.23 s` (no decoding: cheap).

    TTFT is a range over the interactions when they differ; the duration is their sum, the
    time the whole cassette takes to replay at recorded timing.
    """
    summaries = cassette.summaries()
    count = len(summaries)
    noun = "interaction" if count == 1 else "interactions"
    providers = sorted({s.provider or "?" for s in summaries}) or ["-"]
    models = sorted({s.model or "?" for s in summaries}) or ["-"]
    ttfts = [s.ttft for s in summaries if s.ttft is not None]
    total = sum(s.duration or 0.0 for s in summaries)
    parts = [
        f"{count} {noun}",
        ",".join(providers),
        ",".join(models),
        f"TTFT {_span(ttfts) if ttfts else '-'}",
        format_seconds(total if ttfts else None),
    ]
    if any(s.timing_synthesized for s in summaries):
        parts.append("(timing synthesized)")
    return "  ".join(parts)
