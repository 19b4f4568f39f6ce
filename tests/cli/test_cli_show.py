"""`show`: the interactions table and the timeline, with and without a terminal."""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner, Result

from llmring_replay.cli import main
from llmring_replay.cli.timeline import MARKS
from tests.cli.cassettes import openai_interaction, save, text_stream

WORDS = ["One", " two", " three", " four"]
# 4 words, finish, usage, [DONE]: TTFT 200 ms, a 1 s stall after the third word, a burst.
STALLED = [0.2, 0.25, 0.3, 1.3, 1.4, 1.4, 1.4]


def show(runner: CliRunner, path: str = "c.yaml", **env: str) -> Result:
    return runner.invoke(main, ["show", path], env=env)


def row_of(output: str, index: int) -> list[str]:
    """The table row of interaction `index`, split on runs of spaces."""
    for line in output.splitlines():
        cells = re.split(r"\s{2,}", line.strip())
        if cells[0] == str(index):
            return cells
    raise AssertionError(f"no row {index} in:\n{output}")


def test_the_table_reports_timing_rate_and_finish(runner: CliRunner) -> None:
    save(Path("c.yaml"), openai_interaction(text_stream(WORDS), offsets=STALLED))
    result = show(runner)
    assert result.exit_code == 0, result.output
    size = str(len(text_stream(WORDS)))
    # 4 completion tokens over 1.2 s from first to last frame.
    assert row_of(result.stdout, 0) == [
        "0",
        "openai",
        "gpt-4o-mini",
        "200",
        "7",
        size,
        "200 ms",
        "1.40 s",
        "1.00 s",
        "3.3 tok/s",
        "stop",
    ]


def test_without_usage_the_rate_is_in_frames(runner: CliRunner) -> None:
    save(Path("c.yaml"), openai_interaction(text_stream(WORDS, usage=False), offsets=[0.1, 0.2]))
    result = show(runner)
    assert result.exit_code == 0, result.output
    # 6 frames; the last four have no recorded offset and continue at the synthetic pace.
    cells = row_of(result.stdout, 0)
    assert cells[4] == "6"
    assert cells[9].endswith("frames/s")


def test_an_error_interaction_shows_the_error_the_client_raises(runner: CliRunner) -> None:
    body = json.dumps({"error": {"message": "slow down", "code": "rate_limit_exceeded"}})
    limited = openai_interaction(body.encode(), status=429, content_type="application/json")
    save(Path("c.yaml"), limited, openai_interaction(text_stream(WORDS)))
    result = show(runner)
    assert row_of(result.stdout, 0)[3] == "429"
    assert row_of(result.stdout, 0)[-1] == "ProviderRateLimitError"
    assert row_of(result.stdout, 1)[-1] == "stop"


def test_the_timeline_shows_the_stall_and_the_burst(runner: CliRunner) -> None:
    save(Path("c.yaml"), openai_interaction(text_stream(WORDS), offsets=STALLED))
    result = show(runner)
    [row] = [line for line in result.stdout.splitlines() if line.startswith("#0")]
    assert len(row) <= 120
    assert row.endswith("1.40 s")
    bar = row[3:].rstrip(" 1.40s")
    waiting, marks = MARKS[0], MARKS[1:]
    assert bar.startswith(waiting * 10)  # the 200 ms before the first frame
    assert re.search(f"[{marks}]{waiting}{{40,}}[{marks}]", bar)  # the stall
    assert bar.endswith(MARKS[3])  # finish, usage and [DONE] at once, at 1.4 s


def test_no_color_and_no_terminal_write_plain_text(runner: CliRunner) -> None:
    save(Path("c.yaml"), openai_interaction(text_stream(WORDS), offsets=STALLED))
    plain = show(runner)
    assert "\x1b[" not in plain.stdout
    forced = show(runner, FORCE_COLOR="1")
    assert "\x1b[36m" in forced.stdout  # the cyan marks, when colour is forced
    assert "\x1b[36m" not in show(runner, FORCE_COLOR="1", NO_COLOR="1").stdout


def test_a_narrow_terminal_gets_labelled_lines(runner: CliRunner) -> None:
    save(Path("c.yaml"), openai_interaction(text_stream(WORDS), offsets=STALLED))
    result = show(runner, COLUMNS="60")
    assert result.exit_code == 0
    assert "#0  openai:gpt-4o-mini  status 200" in result.stdout
    assert "TTFT 200 ms" in result.stdout
    timeline = [line for line in result.stdout.splitlines() if line.startswith("#0 ")]
    assert all(len(line) <= 60 for line in timeline)


def test_an_imported_cassette_says_its_timing_is_synthesized(runner: CliRunner) -> None:
    save(Path("c.yaml"), openai_interaction(text_stream(WORDS)))
    result = show(runner)
    assert "timing synthesized" in result.stdout.splitlines()[0]
    assert row_of(result.stdout, 0)[6] == "250 ms"


def test_a_broken_cassette_is_one_line(runner: CliRunner) -> None:
    Path("c.yaml").write_text("interactions: [oops\n")
    result = show(runner)
    assert result.exit_code == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("Error: c.yaml:") and "not valid YAML" in line
