"""`ls`: one line per cassette under a directory, broken files listed and failing."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from llmring_replay.cli import main
from tests.cli.cassettes import openai_interaction, save, text_stream

WORDS = ["One", " two"]


def test_lists_every_cassette_below_the_directory(runner: CliRunner) -> None:
    save(Path("cassettes/chat.yaml"), openai_interaction(text_stream(WORDS), offsets=[0.2, 1.4]))
    two = [openai_interaction(text_stream(WORDS), offsets=[t, t + 0.5]) for t in (0.1, 0.3)]
    save(Path("cassettes/deep/er/two.yml"), *two)
    Path("cassettes/notes.txt").write_text("not a cassette")
    result = runner.invoke(main, ["ls", "cassettes"])
    assert result.exit_code == 0, result.output
    # 5 frames each; those past the recorded offsets continue at the synthetic 20 ms pace,
    # so the durations are 1.46 s, and 0.66 s + 0.86 s for the two interactions.
    assert result.stdout.splitlines() == [
        "cassettes/chat.yaml        1 interaction  openai  gpt-4o-mini  TTFT 200 ms  1.46 s",
        "cassettes/deep/er/two.yml  2 interactions  openai  gpt-4o-mini  TTFT 100-300 ms  1.52 s",
    ]


def test_a_broken_file_is_listed_with_its_error_and_fails(runner: CliRunner) -> None:
    save(Path("good.yaml"), openai_interaction(text_stream(WORDS)))
    Path("bad.yaml").write_text("interactions:\n- request: {method: POST}\n")
    result = runner.invoke(main, ["ls"])
    assert result.exit_code == 1
    lines = dict(line.split(maxsplit=1) for line in result.stdout.splitlines())
    assert lines["bad.yaml"].startswith("ERROR interactions[0].request.uri")
    assert "(timing synthesized)" in lines["good.yaml"]
    assert result.stderr.strip() == "1 cassette failed to load"


def test_an_empty_directory_says_so(runner: CliRunner) -> None:
    Path("empty").mkdir()
    result = runner.invoke(main, ["ls", "empty"])
    assert result.exit_code == 0
    assert result.stdout.strip() == "no cassettes (*.yaml, *.yml) under empty"


def test_a_missing_directory_is_a_usage_error(runner: CliRunner) -> None:
    result = runner.invoke(main, ["ls", "nowhere"])
    assert result.exit_code == 2
    assert "nowhere" in result.stderr
