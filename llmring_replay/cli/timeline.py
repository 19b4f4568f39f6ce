"""The timeline picture of `show`: frame arrivals across time, one row per interaction.

All rows share one time scale (0 to the longest interaction), so a slow first token is a long
run of dots on the left, a stall a run of dots in the middle, and a burst one tall mark:

```
#0 ·······▂▂▂▂▂▂▂▂▂▂▂▂▂▂▂▂▂▂▂▂▂▂▂▂▂▂▂▂▂▂▂▂▂▂▂▂▂▂▂▂▂▂▂  1.23 s
#1 ··················▂▂▂▄▂▂▂▂······▂▂▂▂▂▂█          0.84 s
```

Marks grow with the number of frames in a cell (1, 2, 3, 4 or more); the width is the
terminal's (80 columns when there is none).
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text

from llmring_replay.cli.summary import InteractionFacts, format_seconds

__all__ = ["MARKS", "timeline_rows"]

#: The mark for a cell holding 1, 2, 3, 4+ frames (index 0: none).
MARKS = "·▂▄▆█"
_MIN_WIDTH = 10


def _cells(offsets: Sequence[float], end: float, width: int) -> list[int]:
    counts = [0] * width
    for offset in offsets:
        cell = int(offset / end * width) if end > 0 else 0
        counts[min(max(cell, 0), width - 1)] += 1
    return counts


def _bar(offsets: Sequence[float], end: float, width: int) -> Text:
    counts = _cells(offsets, end, width)
    last = max((i for i, count in enumerate(counts) if count), default=-1)
    bar = Text()
    for count in counts[: last + 1]:
        mark = MARKS[min(count, len(MARKS) - 1)]
        bar.append(mark, style="dim" if count == 0 else "cyan")
    bar.append(" " * (width - last - 1))
    return bar


def timeline_rows(facts: Sequence[InteractionFacts], width: int) -> list[Text]:
    """One line per interaction, `width` columns wide in all."""
    end = max((f.duration or 0.0 for f in facts), default=0.0)
    label_width = len(f"#{max((f.index for f in facts), default=0)}") + 1
    suffix_width = 9  # "  12.34 s"
    bar_width = max(_MIN_WIDTH, width - label_width - suffix_width)
    rows = []
    for fact in facts:
        row = Text()
        row.append(f"#{fact.index}".ljust(label_width), style="bold")
        row.append_text(_bar(fact.offsets, end, bar_width))
        row.append(f"  {format_seconds(fact.duration)}".rjust(suffix_width))
        rows.append(row)
    return rows
