"""What the CLI prints and writes is scrubbed like a cassette: `record` and `replay --json`
against a server that echoes the key in 10-character pieces print no fragment of it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from llmring_replay.cassette import Cassette, Interaction, RecordedRequest, RecordedResponse
from llmring_replay.cassette.schema import cassette_to_document
from llmring_replay.cassette.writer import dump_yaml
from llmring_replay.cli import main
from llmring_replay.simulator import Script, SimulatorServer
from tests.support import CANARY_KEYS, canary_fragments

KEY = CANARY_KEYS["OPENAI_API_KEY"]
SAID = f"Your key is {KEY}, keep it safe."
STREAM = b'{"model":"gpt-4o-mini","messages":[],"stream":true}'


@pytest.fixture
def canaries(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in CANARY_KEYS.items():
        monkeypatch.setenv(name, value)


@pytest.mark.usefixtures("canaries")
def test_record_prints_and_writes_no_fragment_of_an_echoed_key(runner: CliRunner) -> None:
    with SimulatorServer(Script(text=SAID, chunk_size=10)) as sim:
        args = ["record", "-m", "openai:gpt-4o-mini", "-p", "hi", "-o", "c.yaml"]
        result = runner.invoke(main, [*args, "--base-url", sim.base_url_for("openai")])
    assert result.exit_code == 0, result.output
    assert canary_fragments(result.output) == 0
    assert result.stdout.startswith("Your key is <OPENAI_API_KEY>, keep it safe.\n")
    assert canary_fragments(Path("c.yaml").read_text(encoding="utf-8")) == 0


def _unscrubbed_cassette(path: Path) -> None:
    """A cassette holding the key in pieces, as another tool (or an old version) wrote it."""
    frames = [
        "data: " + json.dumps({"choices": [{"index": 0, "delta": {"content": SAID[i : i + 10]}}]})
        for i in range(0, len(SAID), 10)
    ]
    frames += ['data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}', "data: [DONE]"]
    interaction = Interaction(
        RecordedRequest("POST", "https://api.openai.com/v1/chat/completions", {}, STREAM),
        RecordedResponse(
            200,
            "OK",
            {"content-type": ["text/event-stream"]},
            "".join(frame + "\n\n" for frame in frames).encode(),
        ),
        provider="openai",
        model="gpt-4o-mini",
    )
    path.write_text(dump_yaml(cassette_to_document(Cassette(interactions=[interaction]))))


@pytest.mark.usefixtures("canaries")
def test_replay_json_prints_no_fragment_of_a_known_key(runner: CliRunner) -> None:
    _unscrubbed_cassette(Path("c.yaml"))
    result = runner.invoke(main, ["replay", "c.yaml", "--timing", "instant", "--json"])
    assert result.exit_code == 0, result.output
    assert canary_fragments(result.output) == 0
    deltas = [json.loads(line)["delta"] for line in result.stdout.splitlines()]
    assert "".join(deltas) == "Your key is <OPENAI_API_KEY>, keep it safe."


def test_replay_json_refuses_a_line_holding_an_unknown_key(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    text = f"{KEY} "
    body = "data: " + json.dumps({"choices": [{"index": 0, "delta": {"content": text}}]})
    body += '\n\ndata: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n'
    interaction = Interaction(
        RecordedRequest("POST", "https://api.openai.com/v1/chat/completions", {}, STREAM),
        RecordedResponse(200, "OK", {"content-type": ["text/event-stream"]}, body.encode()),
        provider="openai",
    )
    Path("c.yaml").write_text(dump_yaml(cassette_to_document(Cassette(interactions=[interaction]))))
    result = runner.invoke(main, ["replay", "c.yaml", "--timing", "instant", "--json"])
    assert result.exit_code == 1
    assert canary_fragments(result.output) == 0
    assert (
        "refusing to print a chunk: a string shaped like an API key (OpenAI key)" in result.stderr
    )
