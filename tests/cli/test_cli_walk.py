"""Walking a folder: hidden and cache folders are not entered, stray YAML is skipped.

Run at a project's root, `lint` must check the project's cassettes, not the YAML files of
installed packages in `.venv`; a simulation script next to the cassettes is not a failure.
A file named on the command line is always checked.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from llmring_replay.cassette import Cassette
from llmring_replay.cli import main
from llmring_replay.cli.files import cassette_files
from tests.cli.cassettes import openai_interaction, save, text_stream

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
BROKEN = "interactions: {}\n"  # a cassette gone wrong: an error wherever it is
NOTE = (
    "Skipped cassettes/simulation.yaml: not a cassette (no interactions or http_interactions key)"
)


def a_project() -> None:
    """A cassette, broken YAML in folders a walk must skip, and a simulation script."""
    save(Path("cassettes/chat.yaml"), openai_interaction(text_stream(["Hi"])))
    shutil.copy(EXAMPLES / "simulation.yaml", "cassettes/simulation.yaml")
    for folder in (".venv/lib/markdown_it", ".git", "node_modules/x", "cassettes/__pycache__"):
        Path(folder).mkdir(parents=True)
        Path(folder, "port.yaml").write_text(BROKEN)
    Path(".pre-commit-config.yaml").write_text(BROKEN)


def test_hidden_and_cache_folders_are_not_walked() -> None:
    a_project()
    assert cassette_files([Path(".")]) == [
        Path("cassettes/chat.yaml"),
        Path("cassettes/simulation.yaml"),
    ]


def test_a_folder_given_by_name_is_walked() -> None:
    a_project()
    assert cassette_files([Path(".venv")]) == [Path(".venv/lib/markdown_it/port.yaml")]


def test_lint_at_a_project_root_passes_with_a_note(runner: CliRunner) -> None:
    a_project()
    result = runner.invoke(main, ["lint"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "1 cassette OK\n"
    assert result.stderr == NOTE + "\n"


def test_ls_skips_a_simulation_script_with_a_note(runner: CliRunner) -> None:
    a_project()
    result = runner.invoke(main, ["ls"])
    assert result.exit_code == 0, result.output
    assert [line.split()[0] for line in result.stdout.splitlines()] == ["cassettes/chat.yaml"]
    assert result.stderr == NOTE + "\n"


def test_ls_of_nothing_but_stray_yaml_finds_no_cassettes(runner: CliRunner) -> None:
    Path("sims").mkdir()
    shutil.copy(EXAMPLES / "simulation.yaml", "sims/simulation.yaml")
    result = runner.invoke(main, ["ls", "sims"])
    assert result.exit_code == 0
    assert result.stdout == "no cassettes (*.yaml, *.yml) under sims\n"


def test_lint_of_nothing_but_stray_yaml_is_an_error(runner: CliRunner) -> None:
    Path("sims").mkdir()
    shutil.copy(EXAMPLES / "simulation.yaml", "sims/simulation.yaml")
    result = runner.invoke(main, ["lint", "sims"])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == "Error: no cassettes (*.yaml, *.yml) under sims"


@pytest.mark.parametrize(
    ("name", "finding"),
    [
        ("simulation.yaml", "simulation.yaml: interactions: expected a list, got nothing"),
        (".pre-commit-config.yaml", ".pre-commit-config.yaml: interactions (line 1): expected"),
    ],
)
def test_a_file_named_on_the_command_line_is_always_checked(
    runner: CliRunner, name: str, finding: str
) -> None:
    a_project()
    shutil.copy(EXAMPLES / "simulation.yaml", "simulation.yaml")
    result = runner.invoke(main, ["lint", name])
    assert result.exit_code == 1
    assert result.stdout.startswith(finding)


@pytest.mark.parametrize("text", [BROKEN, "interactions: [oops\n", "   \n"])
def test_a_broken_or_empty_cassette_in_a_folder_is_still_a_finding(
    runner: CliRunner, text: str
) -> None:
    Path("cassettes").mkdir()
    Path("cassettes/bad.yaml").write_text(text)
    assert runner.invoke(main, ["lint", "cassettes"]).exit_code == 1
    assert runner.invoke(main, ["ls", "cassettes"]).exit_code == 1


def test_import_skips_a_readme_found_in_a_folder(runner: CliRunner) -> None:
    a_project()
    Path("cassettes/README.txt").write_text("Cassettes for the chat tests.\n")
    result = runner.invoke(main, ["import", "cassettes", "-o", "out"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in Path("out").glob("[!.]*")) == ["chat.yaml"]
    assert result.stdout.splitlines()[-1] == "Imported 1 of 1 files into out"
    assert "Skipped cassettes/README.txt: not a cassette" in result.stderr


def test_a_recording_journal_and_temp_files_are_read_with_their_cassette_never_alone(
    runner: CliRunner,
) -> None:
    # A recording was killed: one interaction in the file, one in the journal beside it, and
    # a temp file from a write that never finished.
    save(Path("cassettes/chat.yaml"), openai_interaction(text_stream(["Hi"])))
    cassette = Cassette.load("cassettes/chat.yaml")
    cassette.record(openai_interaction(text_stream(["Bye"])))
    Path("cassettes/.chat.yaml.abcd1234.tmp").write_text("version: 1\ninteractions: [")
    assert sorted(p.name for p in Path("cassettes").iterdir()) == [
        ".chat.yaml.abcd1234.tmp",
        ".chat.yaml.journal",
        ".chat.yaml.lock",
        "chat.yaml",
    ]
    assert cassette_files([Path(".")]) == [Path("cassettes/chat.yaml")]
    listed = runner.invoke(main, ["ls", "cassettes"])
    assert listed.exit_code == 0, listed.output
    assert listed.stdout.startswith("cassettes/chat.yaml  2 interactions")
    shown = runner.invoke(main, ["show", "cassettes/chat.yaml"])
    assert shown.exit_code == 0, shown.output
    assert "#1" in shown.stdout
    linted = runner.invoke(main, ["lint", "cassettes"])
    assert linted.exit_code == 0, linted.output
