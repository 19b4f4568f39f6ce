"""Every command documents itself with an example; progress only ever goes to a terminal."""

from __future__ import annotations

import io
import re

import click
import pytest
from click.testing import CliRunner

from llmring_replay.cli import main
from llmring_replay.cli.files import PROGRESS_THRESHOLD, tracked


def commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [prefix]
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            found += commands(command, (*prefix, name))
        else:
            found.append((*prefix, name))
    return found


@pytest.mark.parametrize("path", commands(main), ids=lambda path: " ".join(path) or "main")
def test_every_command_has_help_with_an_example(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(main, [*path, "--help"])
    assert result.exit_code == 0
    assert re.search(r"Example:\n +llmring-replay ", result.stdout), result.stdout


def test_the_issue_s_commands_are_all_there() -> None:
    expected = {"record", "replay", "show", "ls", "lint", "import", "serve"}
    assert expected <= set(main.commands)


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("count", "drawn"), [(PROGRESS_THRESHOLD, True), (3, False)])
def test_progress_is_drawn_on_a_terminal_for_long_runs(
    monkeypatch: pytest.MonkeyPatch, count: int, drawn: bool
) -> None:
    terminal = FakeTerminal()
    monkeypatch.setattr("sys.stderr", terminal)
    assert list(tracked(list(range(count)), "Reading cassettes")) == list(range(count))
    assert ("Reading cassettes" in terminal.getvalue()) is drawn


def test_no_progress_without_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    pipe = io.StringIO()
    monkeypatch.setattr("sys.stderr", pipe)
    assert list(tracked(list(range(100)), "Reading cassettes")) == list(range(100))
    assert pipe.getvalue() == ""
