"""`lint`: secrets, unreadable bodies, unknown format versions and request drift."""

from __future__ import annotations

import base64
import gzip
import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from llmring_replay import __version__
from llmring_replay.cassette import Cassette
from llmring_replay.cli import main
from llmring_replay.simulator import SimulatorServer
from tests.cli.cassettes import openai_interaction, save, sse, text_stream

# Shaped like an OpenAI project key (long, mixed case and digits); not a real one.
FAKE_KEY = "sk-proj-" + "Ab3dE6gH9" * 5
MODELS = {
    "openai": "gpt-4o-mini",
    "anthropic": "claude-3-5-haiku-20241022",
    "google": "gemini-2.5-flash",
    "ollama": "llama3.2",
}


def lint(runner: CliRunner, *args: str) -> Result:
    return runner.invoke(main, ["lint", *args])


def test_recordings_of_every_provider_are_clean_even_for_drift(
    runner: CliRunner, sim: SimulatorServer
) -> None:
    for provider, model in MODELS.items():
        args = ["record", "-m", f"{provider}:{model}", "-p", "Hi", "--system", "Be brief."]
        args += ["--temperature", "0.5", "--max-tokens", "99"]
        args += ["--base-url", sim.base_url_for(provider), "-o", f"cassettes/{provider}.yaml"]
        assert runner.invoke(main, args).exit_code == 0
    result = lint(runner, "--drift", "cassettes")
    assert result.exit_code == 0, result.output
    assert result.stdout == "4 cassettes OK\n"


def test_a_key_shaped_string_is_found_by_line_and_never_printed(runner: CliRunner) -> None:
    save(Path("c.yaml"), openai_interaction(text_stream(["a"])))
    text = Path("c.yaml").read_text().replace("method: POST", f"method: POST  # {FAKE_KEY}")
    Path("c.yaml").write_text(text)
    line, column = next(
        (number, row.index(FAKE_KEY) + 1)
        for number, row in enumerate(text.splitlines(), 1)
        if FAKE_KEY in row
    )
    result = lint(runner, "c.yaml")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"c.yaml: line {line}: a string shaped like a key (OpenAI key, column {column})"
    ]
    assert FAKE_KEY not in result.output
    assert result.stderr.strip() == "1 finding in 1 of 1 cassettes"


def test_a_key_inside_a_compressed_body_is_found_in_the_decoded_body(runner: CliRunner) -> None:
    body = gzip.compress(json.dumps({"error": {"message": f"bad key {FAKE_KEY}"}}).encode())
    vcrpy = {
        "version": 1,
        "interactions": [
            {
                "request": {"method": "POST", "uri": "https://api.openai.com/v1/chat/completions"},
                "response": {
                    "status": {"code": 401, "message": "Unauthorized"},
                    "headers": {"Content-Encoding": ["gzip"]},
                    "body": {"string": "GZIP"},
                },
            }
        ],
    }
    text = yaml.safe_dump(vcrpy).replace("GZIP", "!!binary " + base64.b64encode(body).decode())
    Path("vcr.yaml").write_text(text)
    result = lint(runner, "vcr.yaml")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "vcr.yaml: interactions[0].response.body.string: a string shaped like a key "
        "(OpenAI key, in the decoded value)"
    ]


def test_a_body_the_codec_cannot_read_is_a_finding(runner: CliRunner) -> None:
    broken = openai_interaction(sse("{not json", done=False))
    error = json.dumps({"error": {"message": "slow down", "code": "rate_limit_exceeded"}})
    limited = openai_interaction(error.encode(), status=429, content_type="application/json")
    in_band = openai_interaction(sse({"error": {"message": "overloaded", "type": "server_error"}}))
    save(Path("c.yaml"), broken, limited, in_band)
    result = lint(runner, "c.yaml")
    assert result.exit_code == 1
    # Recorded provider errors (the 429, the in-band error) are real failures, not findings.
    [finding] = result.stdout.splitlines()
    assert finding.startswith(
        "c.yaml: interaction 0: the openai codec cannot read the response: "
        "openai sent a malformed stream (HTTP 200, frame 1: Expecting property name"
    )


@pytest.mark.parametrize(
    ("version", "finding"),
    [
        (9, "llmring_replay.format (line 3): format 9 was written by a newer llmring-replay"),
        (0, "llmring_replay.format: unknown format version 0 (this one knows 1)"),
    ],
)
def test_an_unknown_format_version_is_a_finding(
    runner: CliRunner, version: int, finding: str
) -> None:
    save(Path("c.yaml"), openai_interaction(text_stream(["a"])))
    text = Path("c.yaml").read_text().replace("format: 1", f"format: {version}")
    Path("c.yaml").write_text(text)
    result = lint(runner, "c.yaml")
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0].startswith(f"c.yaml: {finding}")


def test_drift_names_the_keys_today_s_client_sends_differently(runner: CliRunner) -> None:
    old_client = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}]}
    old_client |= {"stream": True, "max_tokens": 20}
    save(Path("c.yaml"), openai_interaction(text_stream(["a"]), request=old_client))
    assert lint(runner, "c.yaml").exit_code == 0  # drift is opt-in
    result = lint(runner, "--drift", "c.yaml")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "c.yaml: interaction 0: request drift: the body today's client builds differs at "
        "stream_options"
    ]


def test_drift_compares_only_what_our_client_recorded(
    runner: CliRunner, sim: SimulatorServer
) -> None:
    args = ["record", "-m", "openai:gpt-4o-mini", "-p", "Hi"]
    args += ["--base-url", sim.base_url_for("openai"), "-o", "c.yaml"]
    assert runner.invoke(main, args).exit_code == 0
    ours = Cassette.load("c.yaml").interactions[0]
    assert ours.request.headers["user-agent"] == [f"llmring-replay/{__version__}"]
    # The same request as an SDK sent it, with a body our client would not build.
    sdk_body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}]}
    sdk = openai_interaction(text_stream(["a"]), request={**sdk_body, "stream": True})
    sdk.request.headers["user-agent"] = ["AsyncOpenAI/Python 1.99.0"]
    cassette = Cassette.load("c.yaml")
    cassette.interactions += [sdk, sdk]
    cassette.save()
    result = lint(runner, "--drift", "c.yaml")
    assert result.exit_code == 0, result.output
    assert result.stdout == "1 cassette OK\n"
    assert result.stderr == (
        "c.yaml: --drift skipped 2 interactions recorded by another client: "
        "AsyncOpenAI/Python 1.99.0 (2)\n"
    )
    # Without a user-agent (our client before it named itself) the body is compared.
    del sdk.request.headers["user-agent"]
    Cassette(path=Path("old.yaml"), interactions=[sdk]).save()
    assert "request drift" in lint(runner, "--drift", "old.yaml").stdout


def test_a_body_no_llmrequest_can_express_is_drift(runner: CliRunner) -> None:
    messages = [{"role": "developer", "content": "x"}]
    request = {"model": "gpt-4o-mini", "messages": messages, "stream": True}
    save(Path("c.yaml"), openai_interaction(text_stream(["a"]), request=request))
    result = lint(runner, "--drift", "c.yaml")
    assert result.exit_code == 1
    [finding] = result.stdout.splitlines()
    assert finding.startswith(
        "c.yaml: interaction 0: request drift: no LLMRequest gives this body "
        "(role 'developer': Input should be 'system', 'user', 'assistant' or 'tool')"
    )


def test_files_and_directories_together(runner: CliRunner) -> None:
    save(Path("one.yaml"), openai_interaction(text_stream(["a"])))
    save(Path("dir/two.yml"), openai_interaction(text_stream(["b"])))
    Path("dir/broken.yaml").write_text("interactions: {}\n")
    result = lint(runner, "one.yaml", "dir")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "dir/broken.yaml: interactions (line 1): expected a list, got a mapping"
    ]
    assert result.stderr.strip() == "1 finding in 1 of 3 cassettes"


def test_nothing_to_lint_is_an_error(runner: CliRunner) -> None:
    Path("empty").mkdir()
    result = lint(runner, "empty")
    assert result.exit_code == 1
    assert result.stderr.strip() == "Error: no cassettes (*.yaml, *.yml) under empty"
