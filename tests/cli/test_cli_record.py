"""`record` against the simulator over loopback (the only "live" server a test may use)."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from llmring_replay.cassette import Cassette
from llmring_replay.cli import main
from llmring_replay.cli.summary import format_seconds
from llmring_replay.service import PLACEHOLDER_KEY
from llmring_replay.simulator import Script, SimulatorServer
from tests.cli.cassettes import TEXT

MODELS = {
    "openai": "gpt-4o-mini",
    "anthropic": "claude-3-5-haiku-20241022",
    "google": "gemini-2.5-flash",
    "ollama": "llama3.2",
}


def record(runner: CliRunner, sim: SimulatorServer, ref: str, *extra: str) -> object:
    provider = ref.partition(":")[0] if ":" in ref else "anthropic"
    args = ["record", "-m", ref, "-p", "What's up?", "--base-url", sim.base_url_for(provider)]
    return runner.invoke(main, [*args, "-o", "c.yaml", *extra])


@pytest.mark.parametrize("provider", list(MODELS))
def test_records_each_provider_and_prints_the_stream(
    provider: str, runner: CliRunner, sim: SimulatorServer
) -> None:
    ref = f"{provider}:{MODELS[provider]}"
    options = ["--system", "Be brief.", "--max-tokens", "50", "--temperature", "0"]
    target = ["--base-url", sim.base_url_for(provider), "-o", "out/c.yaml"]
    result = runner.invoke(main, ["record", "-m", ref, "-p", "What's up?", *options, *target])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == TEXT
    assert lines[1].startswith("finish: stop · usage: ")
    assert "TTFT " in lines[1] and "duration " in lines[1]
    assert lines[2] == "Recorded interaction 0 to out/c.yaml"
    cassette = Cassette.load("out/c.yaml")
    [interaction] = cassette.interactions
    assert (interaction.provider, interaction.model) == (provider, MODELS[provider])
    assert interaction.response.offsets  # real arrival times, not synthesized
    assert "Be brief." in interaction.request.body.decode()  # type: ignore[union-attr]
    assert "50" in interaction.request.body.decode()  # type: ignore[union-attr]


def test_a_placeholder_key_is_sent_to_a_base_url_and_never_saved(
    runner: CliRunner, sim: SimulatorServer
) -> None:
    assert record(runner, sim, "openai:gpt-4o-mini").exit_code == 0
    assert sim.requests[0].headers["authorization"] == f"Bearer {PLACEHOLDER_KEY}"
    text = Path("c.yaml").read_text()
    assert PLACEHOLDER_KEY not in text
    assert "authorization" not in text


def test_the_environment_key_wins_and_is_scrubbed(
    runner: CliRunner, sim: SimulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-anthropic-key-0123456789")
    assert record(runner, sim, "anthropic:claude-3-5-haiku-20241022").exit_code == 0
    assert sim.requests[0].headers["x-api-key"] == "test-anthropic-key-0123456789"
    assert "test-anthropic-key" not in Path("c.yaml").read_text()


def test_an_existing_cassette_needs_append(runner: CliRunner, sim: SimulatorServer) -> None:
    assert record(runner, sim, "openai:gpt-4o-mini").exit_code == 0
    before = Path("c.yaml").read_bytes()
    refused = record(runner, sim, "openai:gpt-4o-mini")
    assert refused.exit_code == 1
    assert refused.stderr.strip().splitlines() == [
        "Error: c.yaml already exists: pass --append to add to it"
    ]
    assert Path("c.yaml").read_bytes() == before
    appended = record(runner, sim, "ollama:llama3.2", "--append")
    assert appended.exit_code == 0, appended.output
    assert "Recorded interaction 1 to c.yaml" in appended.stdout
    providers = [item.provider for item in Cassette.load("c.yaml").interactions]
    assert providers == ["openai", "ollama"]


def test_an_alias_from_the_lockfile_is_recorded_on_its_model(
    runner: CliRunner, sim: SimulatorServer
) -> None:
    assert runner.invoke(main, ["lock", "init"]).exit_code == 0
    bound = runner.invoke(main, ["bind", "fast", "anthropic:claude-3-5-haiku-20241022"])
    assert bound.exit_code == 0
    result = record(runner, sim, "fast")
    assert result.exit_code == 0, result.output
    [interaction] = Cassette.load("c.yaml").interactions
    assert interaction.model == "claude-3-5-haiku-20241022"


def test_no_key_and_no_base_url_is_one_line(runner: CliRunner) -> None:
    result = runner.invoke(main, ["record", "-m", "openai:gpt-4o-mini", "-p", "x", "-o", "c.yaml"])
    assert result.exit_code == 1
    [line] = result.stderr.strip().splitlines()
    assert "OPENAI_API_KEY" in line
    assert "--base-url" in line and "register_provider" not in line  # words for CLI users
    assert not Path("c.yaml").exists()


def test_record_and_show_give_the_same_ttft(runner: CliRunner) -> None:
    # Anthropic's first frames (message_start, ping, ...) carry no text: TTFT is the first
    # frame's arrival for both commands, not the first chunk's.
    script = Script(text="One two three", gaps=[0.05, 0.2, 0.2], interval=0.01)
    with SimulatorServer(script) as sim:
        recorded = record(runner, sim, "anthropic:claude-3-5-haiku-20241022")
    assert recorded.exit_code == 0, recorded.output
    offsets = [offset for offset, _ in Cassette.load("c.yaml").interactions[0].response.frames()]
    # As both commands print them (`1.00 s` past a second, as a busy machine may take).
    ttft, duration = format_seconds(offsets[0]), format_seconds(offsets[-1])
    assert f"TTFT {ttft} · duration {duration}" in recorded.stdout
    [row] = [
        line
        for line in runner.invoke(main, ["show", "c.yaml"]).stdout.splitlines()
        if " 0 " in line
    ]
    assert f"{ttft}  " in row and f"{duration}  " in row


def test_a_rate_limit_says_when_to_retry(runner: CliRunner) -> None:
    with SimulatorServer(Script(status=429, retry_after=2)) as sim:
        result = record(runner, sim, "openai:gpt-4o-mini")
    assert "(retry after 2 s)" in result.stderr
    assert "(retry after 2 s)" in runner.invoke(main, ["replay", "c.yaml"]).stderr


def test_an_error_answer_is_recorded_and_reported(runner: CliRunner) -> None:
    with SimulatorServer(Script(status=429, retry_after=2)) as sim:
        result = record(runner, sim, "openai:gpt-4o-mini")
    assert result.exit_code == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("Error: openai 429: ")
    assert "Recorded interaction 0 to c.yaml" in result.stdout
    [interaction] = Cassette.load("c.yaml").interactions
    assert interaction.response.status == 429
    assert interaction.response.headers["retry-after"] == ["2"]


def test_a_broken_lockfile_is_blamed_not_the_output(
    runner: CliRunner, sim: SimulatorServer
) -> None:
    Path("llmring.lock").mkdir()
    result = record(runner, sim, "fast")
    assert result.exit_code == 1
    [line] = result.output.splitlines()
    assert line.startswith("Error: ")
    assert line.endswith("llmring.lock: cannot read: Is a directory")
    assert "c.yaml" not in line


def test_an_os_error_about_another_file_does_not_name_the_output(
    runner: CliRunner, sim: SimulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unreadable(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied", "/etc/elsewhere.toml")

    monkeypatch.setattr("llmring_replay.service.Lockfile.load", unreadable)
    result = record(runner, sim, "fast")
    assert result.exit_code == 1
    assert result.output == "Error: [Errno 13] Permission denied: '/etc/elsewhere.toml'\n"


def test_an_output_that_cannot_be_written_is_named(runner: CliRunner, sim: SimulatorServer) -> None:
    Path("taken").write_text("a file, not a folder")
    args = ["record", "-m", "openai:gpt-4o-mini", "-p", "Hi"]
    args += ["--base-url", sim.base_url_for("openai"), "-o", "taken/c.yaml"]
    result = runner.invoke(main, args)
    assert result.exit_code == 1
    assert "Recorded" not in result.stdout
    assert result.stderr.splitlines()[-1].startswith("Error: cannot record to taken/c.yaml: ")


def test_a_base_url_without_v1_is_reported_and_not_recorded(
    runner: CliRunner, sim: SimulatorServer
) -> None:
    args = ["record", "-m", "openai:gpt-4o-mini", "-p", "Hi", "--base-url", sim.base_url]
    result = runner.invoke(main, [*args, "-o", "c.yaml"])
    assert result.exit_code == 1
    url = f"{sim.base_url}/chat/completions"
    assert f"Not recorded: the answer says the URL is wrong ({url})" in result.stderr
    assert "--record-errors" in result.stderr
    assert "the URL looks wrong, not the model" in result.stderr
    assert "OPENAI_BASE_URL" in result.stderr
    assert "Recorded" not in result.stdout
    assert not Path("c.yaml").exists()
    # Asked for, the 404 is kept as it came.
    kept = runner.invoke(main, [*args, "-o", "c.yaml", "--record-errors"])
    assert kept.exit_code == 1
    assert "Recorded interaction 0 to c.yaml" in kept.stdout
    [interaction] = Cassette.load("c.yaml").interactions
    assert (interaction.response.status, interaction.request.uri) == (404, url)


def _disk_full_after(monkeypatch: pytest.MonkeyPatch, successes: int) -> None:
    """The disk fills up: every fsync after the first `successes` fails with ENOSPC."""
    real = os.fsync
    calls = []

    def fsync(fd: int) -> None:
        calls.append(fd)
        if len(calls) > successes:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)


@pytest.mark.parametrize("append", [False, True], ids=["new", "append"])
def test_a_failed_write_is_reported_and_never_called_recorded(
    runner: CliRunner, sim: SimulatorServer, monkeypatch: pytest.MonkeyPatch, append: bool
) -> None:
    # Issue 11: "Recorded interaction 1" was printed before a failed (disk full) write.
    if append:
        assert record(runner, sim, "openai:gpt-4o-mini").exit_code == 0
    before = Path("c.yaml").read_bytes() if append else None
    _disk_full_after(monkeypatch, 0)
    result = record(runner, sim, "openai:gpt-4o-mini", *(["--append"] if append else []))
    assert result.exit_code == 1
    assert "Recorded" not in result.stdout
    assert result.stderr.splitlines()[-1] == (
        "Error: cannot record to c.yaml: [Errno 28] No space left on device"
        " (this interaction was not recorded)"
    )
    if append:
        assert Path("c.yaml").read_bytes() == before
    else:
        assert not Path("c.yaml").exists()
    left = sorted(p.name for p in Path().iterdir())
    assert left == [".c.yaml.lock", *(["c.yaml"] if append else [])]  # and no temp file
