"""`show`: a cassette's interactions as a table, and a timeline of their frames."""

from __future__ import annotations

import os
from pathlib import Path

import click
from rich import box
from rich.console import Console
from rich.table import Table

from llmring_replay.cassette import Cassette
from llmring_replay.cli.errors import reports_errors
from llmring_replay.cli.files import display
from llmring_replay.cli.summary import (
    InteractionFacts,
    facts_for,
    format_rate,
    format_seconds,
    max_gap,
)
from llmring_replay.cli.timeline import timeline_rows

__all__ = ["show"]

_COLUMNS = (
    "#",
    "provider",
    "model",
    "status",
    "frames",
    "bytes",
    "TTFT",
    "duration",
    "max gap",
    "rate",
    "finish",
)


_TEXT_COLUMNS = ("provider", "model", "finish")
# Without a terminal (a pipe, a file, CliRunner) there is no width to fit: use a wide one
# rather than rich's 80 columns, unless COLUMNS says otherwise.
_UNBOUNDED_WIDTH = 120
# Below this many columns the table squeezes values away: print labelled lines instead.
_TABLE_WIDTH = 100


def _console() -> Console:
    console = Console(highlight=False)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console = Console(highlight=False, width=_UNBOUNDED_WIDTH)
    return console


def _title(path: Path, cassette: Cassette) -> str:
    provenance = cassette.provenance
    parts = [display(path)]
    if provenance.recorded_at:
        parts.append(f"recorded {provenance.recorded_at}")
    if provenance.imported_from:
        parts.append(f"imported from {provenance.imported_from}")
    if any(item.timing_synthesized for item in cassette.interactions):
        parts.append("timing synthesized")
    return " · ".join(parts)


def _row(fact: InteractionFacts) -> list[str]:
    return [
        str(fact.index),
        fact.provider,
        fact.model,
        str(fact.status),
        str(len(fact.offsets)),
        str(fact.size),
        format_seconds(fact.ttft),
        format_seconds(fact.duration),
        format_seconds(max_gap(fact.offsets)),
        format_rate(fact.rate, fact.rate_unit),
        fact.outcome,
    ]


def _table(title: str, facts: list[InteractionFacts]) -> Table:
    table = Table(
        title=title,
        title_justify="left",
        box=box.SIMPLE_HEAD,
        collapse_padding=True,
        pad_edge=False,
    )
    for name in _COLUMNS:
        if name in _TEXT_COLUMNS:
            table.add_column(name, overflow="fold")
        else:  # numbers never wrap: "230 ms" split over two lines reads as two values
            table.add_column(name, justify="right", no_wrap=True)
    for fact in facts:
        table.add_row(*_row(fact))
    return table


def _print_narrow(console: Console, title: str, facts: list[InteractionFacts]) -> None:
    """One wrapped line per interaction, labelled, where the table's columns would not fit."""
    console.print(title, style="bold")
    for fact in facts:
        values = _row(fact)
        fields = [f"#{values[0]}", f"{values[1]}:{values[2]}"]
        fields += [f"{name} {value}" for name, value in zip(_COLUMNS[3:], values[3:], strict=True)]
        console.print("  ".join(fields))


@click.command()
@click.argument("cassette", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@reports_errors
def show(cassette: Path) -> None:
    """Show CASSETTE's interactions (TTFT, gaps, tokens/s, finish) and a frame timeline.

    The rate is output tokens per second from the recorded usage, or frames per second
    when the provider reported none. In the timeline each row spans the same time scale:
    dots are waiting, marks are frames (taller: more frames at once).

    \b
    Example:
      llmring-replay show cassettes/chat.yaml
    """
    loaded = Cassette.load(cassette)
    facts = [facts_for(index, item) for index, item in enumerate(loaded.interactions)]
    console = _console()
    title = _title(cassette, loaded)
    if console.width < _TABLE_WIDTH:
        _print_narrow(console, title, facts)
    else:
        console.print(_table(title, facts))
    if not facts:
        console.print("no interactions")
        return
    console.print()
    console.print("timeline (· waiting, ▂▄▆█ frames: 1, 2, 3, 4+ per cell)", style="bold")
    for row in timeline_rows(facts, console.width):
        console.print(row, no_wrap=True, overflow="crop")
