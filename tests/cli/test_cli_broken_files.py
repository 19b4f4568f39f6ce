"""A folder holding broken and hostile cassettes: `ls`, `lint`, `show` and `serve` report
each in one line, go on with the others, and never print a traceback."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from llmring_replay.cli import main
from llmring_replay.simulator import SimulatorServer
from tests.cassette.test_cassette_broken import BROKEN, GOOD
from tests.cli.test_cli_serve import exchanging


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name)


@pytest.fixture
def folder() -> list[str]:
    """`cassettes/` with one good cassette and every broken one; the broken files' names."""
    Path("cassettes").mkdir()
    Path("cassettes/good.yaml").write_text(GOOD, encoding="utf-8")
    names = []
    for name, (text, _, _) in BROKEN.items():
        names.append(f"cassettes/{_slug(name)}.yaml")
        Path(names[-1]).write_text(text, encoding="utf-8")
    return sorted(names)


def test_ls_lists_each_broken_file_in_one_line(runner: CliRunner, folder: list[str]) -> None:
    result = runner.invoke(main, ["ls", "cassettes"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    lines = result.stdout.splitlines()
    assert len(lines) == len(folder) + 1
    errors = {line.split()[0] for line in lines if line.split()[1] == "ERROR"}
    assert errors == set(folder)
    assert result.stderr == f"{len(folder)} cassettes failed to load\n"


def test_lint_reports_each_broken_file_as_one_finding(runner: CliRunner, folder: list[str]) -> None:
    result = runner.invoke(main, ["lint", "cassettes"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    flagged = [line.split(":", 1)[0] for line in result.stdout.splitlines()]
    assert flagged == folder  # one finding each, in order; the good file has none
    assert result.stderr.endswith(f"in {len(folder)} of {len(folder) + 1} cassettes\n")


@pytest.mark.parametrize("name", BROKEN)
def test_show_of_a_broken_file_is_one_line(runner: CliRunner, name: str) -> None:
    text, _, words = BROKEN[name]
    Path("broken.yaml").write_text(text, encoding="utf-8")
    result = runner.invoke(main, ["show", "broken.yaml"])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: broken.yaml")
    assert words in result.stderr
    assert result.stderr.count("\n") == 1


def test_serve_skips_each_broken_file_and_serves_the_rest(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch, folder: list[str]
) -> None:
    monkeypatch.setattr(SimulatorServer, "serve_forever", exchanging(lambda _: None, []))
    result = runner.invoke(main, ["serve", "cassettes", "--port", "0"])
    assert result.exit_code == 0, result.output
    skipped = [line.split(":", 1)[0] for line in result.stderr.splitlines()]
    assert skipped == [f"Skipped {name}" for name in folder]
    assert result.stdout.startswith("Serving 1 interaction from 1 cassette in cassettes")
