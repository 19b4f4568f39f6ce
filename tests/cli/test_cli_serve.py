"""`serve` over real loopback sockets: plain httpx, LLMRing and the command itself."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from llmring_replay import LLMRequest, Message, ProviderResponseError
from llmring_replay.cassette import Cassette
from llmring_replay.cli import main
from llmring_replay.cli.serve_cassettes import CassetteResponder
from llmring_replay.framing import splitter_for
from llmring_replay.service import LLMRing
from llmring_replay.simulator import SimulatorServer
from llmring_replay.simulator.chunked import ChunkedBodies
from tests.cli.cassettes import TEXT, openai_interaction, save, text_stream

MODELS = {
    "openai": "gpt-4o-mini",
    "anthropic": "claude-3-5-haiku-20241022",
    "google": "gemini-2.5-flash",
    "ollama": "llama3.2",
}
WORDS = ["One", " two", " three"]


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    # trust_env=False: no proxy from the environment may sit between us and loopback.
    with httpx.Client(trust_env=False, timeout=5) as client:
        yield client


def serving(*paths: str, timing: str = "instant") -> SimulatorServer:
    cassettes = [Cassette.load(path) for path in paths]
    return SimulatorServer(responder=CassetteResponder(cassettes, timing))


def frames_of(response: httpx.Response, framing: str = "sse") -> list[tuple[float, bytes]]:
    """(arrival time, frame) for each frame of a streamed response."""
    splitter, _ = splitter_for(framing)
    frames = []
    for data in response.iter_raw():
        frames += [(time.perf_counter(), frame) for frame in splitter.feed(data)]
    return frames


def test_plain_httpx_gets_the_recorded_frames(http: httpx.Client) -> None:
    interaction = openai_interaction(text_stream(WORDS), offsets=[0.01] * 6)
    save(Path("c.yaml"), interaction)
    with serving("c.yaml") as server:
        url = server.base_url_for("openai") + "/chat/completions"
        body = interaction.request.body
        with http.stream("POST", url, content=body) as response:
            assert response.status_code == 200
            assert response.headers["content-type"] == "text/event-stream"
            assert response.headers["transfer-encoding"] == "chunked"
            frames = [frame for _, frame in frames_of(response)]
    assert frames == [data for _, data in interaction.response.frames()]


def test_frames_arrive_at_the_recorded_timing(http: httpx.Client) -> None:
    offsets = [0.1, 0.15, 0.2, 0.3, 0.3, 0.3]  # 3 words, finish, usage, [DONE]
    interaction = openai_interaction(text_stream(WORDS), offsets=offsets)
    save(Path("c.yaml"), interaction)
    with serving("c.yaml", timing="recorded") as server:
        url = server.base_url_for("openai") + "/chat/completions"
        started = time.perf_counter()
        with http.stream("POST", url, content=interaction.request.body) as response:
            arrivals = [at - started for at, _ in frames_of(response)]
    assert arrivals[0] >= 0.09
    assert arrivals[3] - arrivals[0] >= 0.18  # the 200 ms from the first word to the finish


def test_any_client_is_answered_for_every_provider(runner: CliRunner, sim: SimulatorServer) -> None:
    for provider, model in MODELS.items():
        args = ["record", "-m", f"{provider}:{model}", "-p", "Hi"]
        args += ["--base-url", sim.base_url_for(provider), "-o", f"cassettes/{provider}.yaml"]
        assert runner.invoke(main, args).exit_code == 0
    paths = [f"cassettes/{provider}.yaml" for provider in MODELS]

    async def ask_all(server: SimulatorServer) -> dict[str, str]:
        answers = {}
        async with LLMRing() as ring:
            for provider, model in MODELS.items():
                ring.register_provider(provider, "any-key", server.base_url_for(provider))
                request = LLMRequest(
                    model=f"{provider}:{model}", messages=[Message(role="user", content="Hi")]
                )
                chunks = [chunk async for chunk in ring.chat_stream(request)]
                answers[provider] = "".join(chunk.delta for chunk in chunks)
        return answers

    with serving(*paths) as server:
        answers = asyncio.run(ask_all(server))
    assert answers == dict.fromkeys(MODELS, TEXT)


def test_identical_requests_are_answered_in_order_then_the_last_repeats(
    http: httpx.Client,
) -> None:
    first = openai_interaction(text_stream(["first"]))
    second = openai_interaction(text_stream(["second"]))
    save(Path("c.yaml"), first, second)
    with serving("c.yaml") as server:
        url = server.base_url_for("openai") + "/chat/completions"
        texts = [http.post(url, content=first.request.body).text for _ in range(3)]
    assert ['"first"' in texts[0], '"second"' in texts[1], '"second"' in texts[2]] == [True] * 3


def test_a_miss_gets_the_provider_s_error_naming_the_closest(http: httpx.Client) -> None:
    save(Path("cassettes/chat.yaml"), openai_interaction(text_stream(WORDS)))
    other = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Bye"}]}
    with serving("cassettes/chat.yaml") as server:
        base = server.base_url_for("openai")
        miss = http.post(base + "/chat/completions", json={**other, "stream": True})
        elsewhere = http.post(server.base_url + "/v1/messages", json={"model": "claude"})
    assert miss.status_code == 400
    error = miss.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error["message"] == (
        "llmring-replay serve: no recorded interaction matches POST /v1/chat/completions; "
        "closest: cassettes/chat.yaml interaction 0, which differs in body at "
        "messages.0.content, stream_options"
    )
    assert elsewhere.status_code == 404
    assert elsewhere.json()["type"] == "error"  # Anthropic's shape: the path was theirs
    message = elsewhere.json()["error"]["message"]
    assert "differs in path /v1/chat/completions" in message
    assert message.endswith("; recorded routes: POST /v1/chat/completions")


def test_a_base_url_without_v1_reads_as_a_wrong_url_not_a_missing_model() -> None:
    save(Path("c.yaml"), openai_interaction(text_stream(WORDS)))

    async def ask(server: SimulatorServer) -> None:
        async with LLMRing() as ring:
            ring.register_provider("openai", "k", server.base_url)  # no /v1
            request = LLMRequest(
                model="openai:gpt-4o-mini", messages=[Message(role="user", content="?")]
            )
            async for _ in ring.chat_stream(request):
                pass

    with serving("c.yaml") as server, pytest.raises(ProviderResponseError) as info:
        asyncio.run(ask(server))
    assert info.value.details["wrong_url"] is True
    assert "recorded routes: POST /v1/chat/completions" in str(info.value)
    assert "the URL looks wrong, not the model" in str(info.value)


def test_llmring_raises_its_usual_error_on_a_miss() -> None:
    save(Path("c.yaml"), openai_interaction(text_stream(WORDS)))

    async def ask(server: SimulatorServer) -> None:
        async with LLMRing() as ring:
            ring.register_provider("openai", "k", server.base_url_for("openai"))
            request = LLMRequest(
                model="openai:gpt-4o-mini", messages=[Message(role="user", content="?")]
            )
            async for _ in ring.chat_stream(request):
                pass

    with (
        serving("c.yaml") as server,
        pytest.raises(ProviderResponseError, match=r"closest: c\.yaml"),
    ):
        asyncio.run(ask(server))


def exchanging(
    exchange: Callable[[SimulatorServer], Any], results: list[Any]
) -> Callable[..., None]:
    """A `serve_forever` that serves in a thread, runs `exchange`, then stops (no Ctrl-C)."""

    def serve_forever(
        self: SimulatorServer, on_ready: Callable[[SimulatorServer], None] | None = None
    ) -> None:
        with self:
            if on_ready is not None:
                on_ready(self)
            results.append(exchange(self))

    return serve_forever


def test_the_command_serves_cassettes_and_prints_base_urls(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    interaction = openai_interaction(text_stream(WORDS))
    save(Path("cassettes/c.yaml"), interaction)
    results: list[Any] = []

    def exchange(server: SimulatorServer) -> str:
        url = server.base_url_for("openai") + "/chat/completions"
        with httpx.Client(trust_env=False) as client:
            return client.post(url, content=interaction.request.body).text

    monkeypatch.setattr(SimulatorServer, "serve_forever", exchanging(exchange, results))
    result = runner.invoke(main, ["serve", "cassettes", "--port", "0", "--timing", "instant"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith(
        "Serving 1 interaction from 1 cassette in cassettes (timing instant)"
    )
    base = lines[0].rsplit(" at ", 1)[1]
    settings = [line.split()[0] for line in lines if line.startswith("  ")]
    assert f"OPENAI_BASE_URL={base}/v1" in settings
    assert f"ANTHROPIC_BASE_URL={base}" in settings
    assert f"GOOGLE_GEMINI_BASE_URL={base}" in settings
    assert f"OLLAMA_BASE_URL={base}" in settings
    assert f"OLLAMA_HOST={base}" in settings  # what the ollama SDK reads
    assert lines[-1] == "Stopped."
    assert results[0] == text_stream(WORDS).decode()


def test_the_command_serves_a_simulation_file(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    Path("sim.yaml").write_text("scripts:\n- text: Scripted answer.\n- text: Second one.\n")
    results: list[Any] = []

    def exchange(server: SimulatorServer) -> list[str]:
        url = server.base_url + "/api/chat"
        with httpx.Client(trust_env=False) as client:
            replies = [client.post(url, json={"model": "m", "stream": False}) for _ in range(2)]
        return [reply.json()["message"]["content"] for reply in replies]

    monkeypatch.setattr(SimulatorServer, "serve_forever", exchanging(exchange, results))
    result = runner.invoke(main, ["serve", "--simulate", "sim.yaml", "--port", "0"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Serving the simulation sim.yaml at http://127.0.0.1:")
    assert results == [["Scripted answer.", "Second one."]]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["serve", "cassettes", "--simulate", "sim.yaml"], 2, "not both"),
        (
            ["serve", "--simulate", "bad.yaml"],
            1,
            "Error: bad.yaml: line 2: words_per_minute: Extra inputs are not permitted",
        ),
        (
            ["serve", "--simulate", "typed.yaml"],
            1,
            "Error: typed.yaml: line 2: scripts[0].ttft: Input should be a valid number, "
            "unable to parse string as a number; line 3: scripts[1].text: Input should be a "
            "valid string",
        ),
        (
            ["serve", "--simulate", "unclosed.yaml"],
            1,
            "Error: unclosed.yaml: not YAML: line 3, column 1: while parsing a flow "
            "sequence: expected ',' or ']', but got '<stream end>'",
        ),
        (["serve", "empty"], 1, "Error: no cassette (*.yaml, *.yml) loaded from empty"),
        (["serve", "--timing", "sometimes"], 2, "--timing"),
        (
            ["serve", "--simulate", "sim.yaml", "--timing", "instant"],
            2,
            "Error: --timing does not apply to --simulate: a simulation's timing is in its script",
        ),
    ],
)
def test_bad_input(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch, args: list[str], code: int, message: str
) -> None:
    # Bad input is refused before serving; were it not, this fails instead of serving forever.
    monkeypatch.setattr(SimulatorServer, "serve_forever", exchanging(lambda _: None, []))
    Path("cassettes").mkdir()
    Path("empty").mkdir()
    Path("sim.yaml").write_text("text: hi\n")
    Path("bad.yaml").write_text("text: hi\nwords_per_minute: 3\n")
    Path("typed.yaml").write_text("scripts:\n- ttft: soon\n- text: [1]\n")
    Path("unclosed.yaml").write_text("scripts:\n- text: [hi\n")
    result = runner.invoke(main, args)
    assert result.exit_code == code
    assert message in result.stderr
    assert "Traceback" not in result.output
    if code == 1:
        assert result.stderr.endswith("\n") and result.stderr.count("\n") == 1


def test_the_folder_s_stray_and_broken_files_are_skipped_with_one_line_each(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    save(Path("cassettes/c.yaml"), openai_interaction(text_stream(WORDS)))
    Path("cassettes/simulation.yaml").write_text("scripts:\n- text: hi\n")
    Path("cassettes/bad.yaml").write_bytes(b"interactions: []\n# \xff\n")
    Path("cassettes/.hidden").mkdir()
    Path("cassettes/.hidden/broken.yaml").write_text("interactions: {}\n")
    monkeypatch.setattr(SimulatorServer, "serve_forever", exchanging(lambda _: None, []))
    result = runner.invoke(main, ["serve", "cassettes", "--port", "0"])
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        "Skipped cassettes/bad.yaml: not valid YAML: unacceptable character #x00ff: invalid "
        'leading UTF-8 octet / in "<byte string>", position 19',
        "Skipped cassettes/simulation.yaml: not a cassette (no interactions or "
        "http_interactions key)",
    ]
    assert result.stdout.startswith("Serving 1 interaction from 1 cassette in cassettes")


def test_the_installed_command_serves_until_ctrl_c(http: httpx.Client) -> None:
    command = Path(sys.executable).parent / "llmring-replay"
    if not command.exists():
        pytest.skip("the console script is not installed next to this Python")
    interaction = openai_interaction(text_stream(WORDS))
    save(Path("c.yaml"), interaction)
    process = subprocess.Popen(
        [str(command), "serve", ".", "--port", "0", "--timing", "instant"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "error"},
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(3)]
        base_url = lines[2].split()[0].removeprefix("OPENAI_BASE_URL=")
        assert base_url.startswith("http://127.0.0.1:"), lines
        with http.stream(
            "POST", base_url + "/chat/completions", content=interaction.request.body
        ) as response:
            chunks = [json.loads(f[6:]) for _, f in frames_of(response) if f != b"data: [DONE]\n\n"]
        assert "".join(
            c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"]
        ) == "".join(WORDS)
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, stderr
    assert stdout.strip().endswith("Stopped.")


OTHER_PROCESS = """
import asyncio
from llmring_replay import LLMRequest, LLMRing, Message

async def main():
    async with LLMRing() as ring:
        for model in ("openai:gpt-4o-mini", "anthropic:claude-3-5-haiku-20241022"):
            request = LLMRequest(model=model, messages=[Message(role="user", content="Hi")])
            print("".join([chunk.delta async for chunk in ring.chat_stream(request)]))

asyncio.run(main())
"""


def test_a_built_in_scenario_serves_other_processes_through_an_env_file(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    results: list[Any] = []

    def exchange(server: SimulatorServer) -> str:
        # Another process, with no key of its own: only the lines of the env file.
        lines = Path("sim.env").read_text(encoding="utf-8").splitlines()
        written = dict(line.split("=", 1) for line in lines)
        env = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "_BASE_URL"))}
        done = subprocess.run(
            [sys.executable, "-c", OTHER_PROCESS],
            env={**env, **written},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert written["OPENAI_BASE_URL"] == f"{server.base_url}/v1"
        assert written["ANTHROPIC_API_KEY"] == "llmring-replay-placeholder"
        return done.stdout

    monkeypatch.setattr(SimulatorServer, "serve_forever", exchanging(exchange, results))
    args = ["serve", "--simulate", "weather", "--port", "0", "--env-file", "sim.env"]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Serving the built-in scenario 'weather' at http://127.0.0.1:")
    assert results == ["Hi there! How can I help you today?\n" * 2]


def test_help_lists_the_scenario_keys_and_built_in_scenarios(runner: CliRunner) -> None:
    result = runner.invoke(main, ["serve", "--help"])
    assert result.exit_code == 0
    for key in ("rules:", "user_contains:", "tool_result:", "turn:", "timing:", "fault:"):
        assert key in result.stdout
    assert "Built-in scenarios (--simulate NAME): hello, weather." in result.stdout
    assert "slow-reasoning (ttft 6s" in " ".join(result.stdout.split())


def test_a_large_answer_at_instant_timing_is_the_same_bytes_every_time(
    http: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Over 64 KiB: the encoded body served again goes out in slices, drained between.
    words = [f" word{index}" for index in range(3000)]
    interaction = openai_interaction(text_stream(words))
    save(Path("c.yaml"), interaction)
    responder = CassetteResponder([Cassette.load("c.yaml")], "instant")
    encoded: list[bytes] = []
    encode = ChunkedBodies.__call__

    def watched(self: ChunkedBodies, frames: list[bytes]) -> bytes:
        encoded.append(encode(self, frames))
        return encoded[-1]

    monkeypatch.setattr(ChunkedBodies, "__call__", watched)
    # As the CLI runs it: no frame log, which is when answers may be written as encoded.
    with SimulatorServer(responder=responder, keep_requests=0, keep_frames=0) as server:
        url = server.base_url_for("openai") + "/chat/completions"
        for _ in range(3):  # the first answer encodes it, the next ones reuse that
            with http.stream("POST", url, content=interaction.request.body) as response:
                assert response.status_code == 200
                assert response.read() == interaction.response.body
    assert len(interaction.response.body) > 3 * 65536
    assert len(encoded) == 3
    assert encoded[0] is encoded[1] is encoded[2]
