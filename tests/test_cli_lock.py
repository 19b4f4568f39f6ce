"""`lock init`, `bind`, `aliases` through click's CliRunner."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from llmring_replay.cli import main
from llmring_replay.lockfile import Lockfile


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LLMRING_LOCKFILE_PATH", raising=False)
    monkeypatch.delenv("LLMRING_PROFILE", raising=False)
    return CliRunner()


def test_init_then_bind(runner: CliRunner, tmp_path: Path) -> None:
    assert runner.invoke(main, ["lock", "init"]).exit_code == 0
    result = runner.invoke(main, ["bind", "chatbot", "anthropic:claude-3-5-haiku-20241022"])
    assert result.exit_code == 0, result.output
    lockfile = Lockfile.load(tmp_path / "llmring.lock")
    assert [(b.alias, list(b.models)) for b in lockfile.bindings("default")] == [
        ("chatbot", ["anthropic:claude-3-5-haiku-20241022"])
    ]


def test_bind_with_fallbacks_and_profile(runner: CliRunner, tmp_path: Path) -> None:
    runner.invoke(main, ["lock", "init", "--file", "cfg.lock"])
    result = runner.invoke(
        main,
        ["bind", "fast", "openai:gpt-4o-mini, ollama:llama3.2", "-p", "prod", "-f", "cfg.lock"],
    )
    assert result.exit_code == 0, result.output
    listed = runner.invoke(main, ["aliases", "--profile", "prod", "--file", "cfg.lock"])
    assert listed.output.strip() == "fast  openai:gpt-4o-mini -> ollama:llama3.2"


def test_bind_without_provider_is_one_line_error(runner: CliRunner) -> None:
    runner.invoke(main, ["lock", "init"])
    result = runner.invoke(main, ["bind", "bad", "gpt-4o"])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert "provider:model" in lines[0]
    assert "Traceback" not in result.output


def test_init_refuses_to_overwrite(runner: CliRunner, tmp_path: Path) -> None:
    runner.invoke(main, ["lock", "init"])
    runner.invoke(main, ["bind", "keep", "openai:gpt-4o"])
    result = runner.invoke(main, ["lock", "init"])
    assert result.exit_code == 1
    assert "--force" in result.output
    assert Lockfile.load(tmp_path / "llmring.lock").resolve_alias("keep") == ["openai:gpt-4o"]
    assert runner.invoke(main, ["lock", "init", "--force"]).exit_code == 0
    assert Lockfile.load(tmp_path / "llmring.lock").resolve_alias("keep") == []


@pytest.mark.parametrize("args", [["aliases"], ["bind", "a", "openai:gpt-4o"]])
def test_missing_lockfile_is_one_line_error(runner: CliRunner, args: list[str]) -> None:
    result = runner.invoke(main, args)
    assert result.exit_code == 1
    assert result.output.count("\n") == 1
    assert "lock init" in result.output


def test_env_lockfile_path(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LLMRING_LOCKFILE_PATH", str(tmp_path / "env.lock"))
    runner.invoke(main, ["lock", "init"])
    runner.invoke(main, ["bind", "x", "google:gemini-2.5-flash"])
    assert (tmp_path / "env.lock").exists()
    assert not (tmp_path / "llmring.lock").exists()


def test_aliases_empty_profile(runner: CliRunner) -> None:
    runner.invoke(main, ["lock", "init"])
    result = runner.invoke(main, ["aliases"])
    assert result.exit_code == 0
    assert "No aliases in profile default" in result.output


def test_usage_error_exits_2(runner: CliRunner) -> None:
    assert runner.invoke(main, ["bind"]).exit_code == 2


@pytest.mark.parametrize(
    "command",
    [
        ["--help"],
        ["lock", "--help"],
        ["lock", "init", "--help"],
        ["bind", "--help"],
        ["aliases", "--help"],
    ],
)
def test_help_has_an_example(runner: CliRunner, command: list[str]) -> None:
    result = runner.invoke(main, command)
    assert result.exit_code == 0
    assert "Example:" in result.output
    assert "llmring-replay" in result.output


BAD_LOCKFILES = {
    "directory": "cannot read: Is a directory",
    "bad UTF-8": "not UTF-8 text: line 2",
    "bad TOML": "not valid TOML",
}


def make_bad_lockfile(kind: str) -> None:
    path = Path("llmring.lock")
    if kind == "directory":
        path.mkdir()
    elif kind == "bad UTF-8":
        path.write_bytes(b'version = "1.0"\n# \xff\xfe\n')
    else:
        path.write_text('version = "1.0"\n[profiles\n')


@pytest.mark.parametrize("kind", list(BAD_LOCKFILES))
@pytest.mark.parametrize("args", [["aliases"], ["bind", "a", "openai:gpt-4o"]])
def test_a_bad_lockfile_is_one_line_naming_it(
    runner: CliRunner, kind: str, args: list[str]
) -> None:
    make_bad_lockfile(kind)
    result = runner.invoke(main, args)
    assert result.exit_code == 1
    [line] = result.output.splitlines()
    assert line.startswith("Error: ")
    assert "llmring.lock: " + BAD_LOCKFILES[kind] in line
    assert "Traceback" not in result.output


def test_init_over_a_directory_is_one_line(runner: CliRunner) -> None:
    Path("llmring.lock").mkdir()
    result = runner.invoke(main, ["lock", "init", "--force"])
    assert result.exit_code == 1
    [line] = result.output.splitlines()
    assert line.endswith("llmring.lock: cannot write: Is a directory")
