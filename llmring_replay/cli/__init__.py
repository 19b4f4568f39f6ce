"""The `llmring-replay` command line: a thin shell over the library.

Exit codes a CI script can rely on: 0 fine, 1 a finding or bad input (one clear line on
stderr, never a traceback), 2 a usage error (click's own).
"""

from __future__ import annotations

import click

from llmring_replay import __version__
from llmring_replay.cli.lock import aliases, bind, lock

__all__ = ["main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="llmring-replay")
def main() -> None:
    """Record, replay and simulate LLM provider streams for offline tests.

    \b
    Example:
      llmring-replay lock init
      llmring-replay bind chatbot anthropic:claude-3-5-haiku-20241022,openai:gpt-4o-mini
    """


main.add_command(lock)
main.add_command(bind)
main.add_command(aliases)
