"""The `llmring-replay` command line: a thin shell over the library.

Exit codes a CI script can rely on: 0 fine, 1 a finding or bad input (one clear line on
stderr, never a traceback), 2 a usage error (click's own).
"""

from __future__ import annotations

import click

from llmring_replay import __version__
from llmring_replay.cli.importer import import_cassettes
from llmring_replay.cli.lint import lint
from llmring_replay.cli.lock import aliases, bind, lock
from llmring_replay.cli.ls import ls
from llmring_replay.cli.record import record
from llmring_replay.cli.replay import replay
from llmring_replay.cli.serve import serve
from llmring_replay.cli.show import show

__all__ = ["main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="llmring-replay")
def main() -> None:
    """Record, replay and simulate LLM provider streams for offline tests.

    \b
    Example:
      llmring-replay record -m openai:gpt-4o-mini -p "Say hi" -o cassettes/hi.yaml
      llmring-replay replay cassettes/hi.yaml --timing speed=2
      llmring-replay show cassettes/hi.yaml
    """


for command in (lock, bind, aliases, record, replay, show, ls, lint, import_cassettes, serve):
    main.add_command(command)
