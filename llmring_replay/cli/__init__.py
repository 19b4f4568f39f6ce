"""The `llmring-replay` command line: a thin shell over the library.

Exit codes a CI script can rely on: 0 fine, 1 a finding or bad input (one clear line on
stderr, never a traceback), 2 a usage error (click's own).
"""

from __future__ import annotations

from collections.abc import MutableMapping
from importlib import import_module
from typing import Any

import click

from llmring_replay import __version__

__all__ = ["main"]

# Each command's module is imported when the command runs (or help lists them all), so
# `llmring-replay show` does not load the simulator, the codecs and httpx for nothing.
_COMMANDS = {
    "lock": "llmring_replay.cli.lock:lock",
    "bind": "llmring_replay.cli.lock:bind",
    "aliases": "llmring_replay.cli.lock:aliases",
    "record": "llmring_replay.cli.record:record",
    "replay": "llmring_replay.cli.replay:replay",
    "show": "llmring_replay.cli.show:show",
    "ls": "llmring_replay.cli.ls:ls",
    "lint": "llmring_replay.cli.lint:lint",
    "import": "llmring_replay.cli.importer:import_cassettes",
    "serve": "llmring_replay.cli.serve:serve",
}


class _LazyGroup(click.Group):
    """A group whose commands are imported on first use."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._loaded: dict[str, click.Command] = {}
        super().__init__(*args, **kwargs)

    def _load(self, name: str) -> click.Command | None:
        if name not in self._loaded and name in _COMMANDS:
            module, attribute = _COMMANDS[name].split(":")
            self._loaded[name] = getattr(import_module(module), attribute)
        return self._loaded.get(name)

    @property
    def commands(self) -> MutableMapping[str, click.Command]:
        """Every command, imported."""
        for name in _COMMANDS:
            self._load(name)
        return self._loaded

    @commands.setter
    def commands(self, value: MutableMapping[str, click.Command]) -> None:
        self._loaded.update(value)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return self._load(cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*_COMMANDS, *self._loaded})


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="llmring-replay")
def main() -> None:
    """Record, replay and simulate LLM provider streams for offline tests.

    \b
    Example:
      llmring-replay record -m openai:gpt-4o-mini -p "Say hi" -o cassettes/hi.yaml
      llmring-replay replay cassettes/hi.yaml --timing speed=2
      llmring-replay show cassettes/hi.yaml
    """
