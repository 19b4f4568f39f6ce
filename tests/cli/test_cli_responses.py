"""The OpenAI Responses API through the CLI: record (chosen by `LLMRING_OPENAI_API`), show,
lint (bodies and drift), replay with a fault, and serve, against the simulator."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from llmring_replay import LLMRequest, Message, ModelNotFoundError
from llmring_replay.cassette import Cassette
from llmring_replay.cli import main
from llmring_replay.cli.serve_cassettes import CassetteResponder
from llmring_replay.service import LLMRing
from llmring_replay.simulator import Script, SimulatorServer
from tests.cli.cassettes import TEXT


@pytest.fixture
def recorded(runner: CliRunner, sim: SimulatorServer, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LLMRING_OPENAI_API", "responses")
    args = ["record", "-m", "openai:gpt-4o-mini", "-p", "Hi", "--system", "Be brief."]
    result = runner.invoke(main, [*args, "--base-url", sim.base_url_for("openai"), "-o", "r.yaml"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == TEXT
    monkeypatch.delenv("LLMRING_OPENAI_API")  # what follows finds the API from the cassette
    return Path("r.yaml")


def test_recorded_from_the_responses_endpoint(recorded: Path) -> None:
    [interaction] = Cassette.load(recorded).interactions
    assert interaction.request.uri.endswith("/v1/responses")
    assert (interaction.provider, interaction.model) == ("openai", "gpt-4o-mini")
    assert b"response.output_text.delta" in interaction.response.body


def test_show_lint_and_drift_read_it(runner: CliRunner, recorded: Path) -> None:
    shown = runner.invoke(main, ["show", str(recorded)])
    assert shown.exit_code == 0, shown.output
    assert "stop" in shown.stdout and "openai" in shown.stdout
    linted = runner.invoke(main, ["lint", "--drift", str(recorded)])
    assert linted.exit_code == 0, linted.output
    assert linted.stdout == "1 cassette OK\n"


def test_replay_with_an_in_band_fault(runner: CliRunner, recorded: Path) -> None:
    played = runner.invoke(main, ["replay", str(recorded), "--timing", "instant"])
    assert played.exit_code == 0, played.output
    assert played.stdout.splitlines()[0] == TEXT
    faulted = runner.invoke(
        main, ["replay", str(recorded), "--timing", "instant", "--fault", "inband_error:at=5"]
    )
    assert faulted.exit_code == 1
    assert "openai stream error" in faulted.stderr
    # A status fault takes the Responses API's shape: an unknown model is its 400.
    missing = runner.invoke(main, ["replay", str(recorded), "--fault", "model_not_found"])
    assert missing.exit_code == 1
    assert "openai 400: The requested model 'gpt-4o-mini' does not exist." in missing.stderr


def test_serve_answers_it_and_a_client_reads_it(recorded: Path) -> None:
    responder = CassetteResponder([Cassette.load(recorded)], "instant")

    async def ask(base_url: str) -> str:
        async with LLMRing() as ring:
            ring.register_provider("openai", "k", base_url, api="responses")
            request = LLMRequest(
                model="openai:gpt-4o-mini",
                messages=[
                    Message(role="system", content="Be brief."),
                    Message(role="user", content="Hi"),
                ],
            )
            return "".join([c.delta async for c in ring.chat_stream(request)])

    with SimulatorServer(responder=responder) as server:
        assert asyncio.run(ask(server.base_url_for("openai"))) == TEXT


def test_an_unknown_model_is_a_400_model_not_found() -> None:
    script = Script(status=400, error_code="model_not_found", error_message="no such model")

    async def ask(base_url: str) -> None:
        async with LLMRing() as ring:
            ring.register_provider("openai", "k", base_url, api="responses")
            request = LLMRequest(model="openai:gpt-9", messages=[Message(role="user", content="?")])
            await ring.chat(request)

    with SimulatorServer(script) as sim, pytest.raises(ModelNotFoundError) as info:
        asyncio.run(ask(sim.base_url_for("openai")))
    assert info.value.status_code == 400
    assert [r.path for r in sim.requests] == ["/v1/responses"]


def test_the_simulator_streams_it_to_plain_httpx() -> None:
    body = {"model": "gpt-4o", "input": "Hi", "stream": True}
    with SimulatorServer(Script(text="Plain")) as sim, httpx.Client(trust_env=False) as client:
        response = client.post(f"{sim.base_url}/v1/responses", json=body)
        whole = client.post(f"{sim.base_url}/v1/responses", json={**body, "stream": False})
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.text.startswith("event: response.created\ndata: ")
    assert whole.json()["output"][0]["content"][0]["text"] == "Plain"
