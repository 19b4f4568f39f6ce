"""`serve --record-mode`: the recording proxy, over real loopback sockets, upstream a simulator."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncGenerator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from llmring_replay.cassette import Cassette
from llmring_replay.cli import main
from llmring_replay.cli.serve_cassettes import CassetteResponder
from llmring_replay.cli.serve_proxy import ProxyResponder, parse_upstreams
from llmring_replay.framing import splitter_for
from llmring_replay.providers.registry import FORMATS, by_name
from llmring_replay.simulator import Script, SimulatorServer
from llmring_replay.simulator.routes import ReceivedRequest, Reply
from tests.cli.test_cli_serve import exchanging

CHAT = by_name("openai_chat")
KEY = "sk-proj-" + "Zq3" * 12  # shaped like a real key: the guard would refuse to write it
BODY = {
    "model": "gpt-4o-mini",
    "messages": [{"role": "user", "content": "Hi"}],
    "stream": True,
}


def proxy_for(upstream: str, mode: str = "once", **options: Any) -> SimulatorServer:
    """A proxy server recording into the current directory, forwarding to `upstream`."""
    replay = CassetteResponder([Cassette.load(p) for p in sorted(Path().glob("*.yaml"))])
    proxy = ProxyResponder(replay, Path(), mode, parse_upstreams([upstream]), **options)
    return SimulatorServer(responder=proxy)


@pytest.fixture
def upstream() -> Iterator[SimulatorServer]:
    """The provider: a simulator whose frames come 20 ms apart."""
    with SimulatorServer(Script(text="One two three", ttft=0.02, interval=0.02)) as server:
        yield server


def chat(
    proxy: SimulatorServer, body: dict[str, Any] | None = None, **headers: str
) -> tuple[int, list[tuple[float, bytes]]]:
    """POST a chat completion through `proxy`: status and (arrival time, frame) of each frame."""
    url = proxy.base_url + CHAT.base_url_suffix + "/chat/completions"
    splitter, _ = splitter_for("sse")
    frames = []
    with (
        httpx.Client(trust_env=False, timeout=10) as client,
        client.stream("POST", url, json=body or BODY, headers=headers) as response,
    ):
        for data in response.iter_raw():
            frames += [(time.perf_counter(), frame) for frame in splitter.feed(data)]
    frames += [(time.perf_counter(), frame) for frame in splitter.flush()]
    return response.status_code, frames


def error_message(frames: list[tuple[float, bytes]]) -> str:
    """The message of an OpenAI-shaped error body."""
    message: str = json.loads(b"".join(frame for _, frame in frames))["error"]["message"]
    return message


def test_frame_one_reaches_the_client_before_upstream_sends_frame_two() -> None:
    # A second between frames one and two: ample for a relay on a loaded machine; a proxy
    # that buffered the answer would hold frame one until the end.
    with (
        SimulatorServer(Script(text="One two", gaps=[0.0, 1.0], interval=0.0)) as upstream,
        proxy_for(upstream.base_url) as proxy,
    ):
        status, frames = chat(proxy)
    assert status == 200
    sent = upstream.sent
    assert [frame for _, frame in frames] == [frame.data for frame in sent]
    assert frames[0][0] < sent[1].at


def test_the_answer_is_recorded_scrubbed_and_replayed_with_upstream_gone(
    upstream: SimulatorServer,
) -> None:
    with proxy_for(upstream.base_url) as proxy:
        _, live = chat(proxy, authorization=f"Bearer {KEY}")
    assert upstream.requests[0].headers["authorization"] == f"Bearer {KEY}"  # forwarded
    path = Path(f"{CHAT.name}.yaml")
    text = path.read_text()
    assert KEY not in text and "authorization" not in text
    (interaction,) = Cassette.load(path).interactions
    assert interaction.request.uri == upstream.base_url + "/v1/chat/completions"
    assert json.loads(interaction.request.body or b"") == BODY
    recorded = interaction.response.frames()
    assert [frame for _, frame in recorded] == [frame for _, frame in live]
    # The frames were recorded with their spread (20 ms apart), not as one block.
    assert recorded[-1][0] - recorded[0][0] >= 0.02 * (len(recorded) - 2)

    upstream_url = upstream.base_url
    upstream.__exit__(None, None, None)  # the provider is gone: replay alone must answer
    with proxy_for(upstream_url, mode="none") as proxy:
        status, replayed = chat(proxy)
    assert status == 200
    assert [frame for _, frame in replayed] == [frame for _, frame in live]


def test_once_records_only_into_files_that_did_not_exist(upstream: SimulatorServer) -> None:
    with proxy_for(upstream.base_url) as proxy:
        chat(proxy)
        chat(proxy)  # a new cassette records every request, as vcrpy's `once` does
    assert len(Cassette.load(f"{CHAT.name}.yaml").interactions) == 2
    other = {**BODY, "messages": [{"role": "user", "content": "Bye"}]}
    with proxy_for(upstream.base_url) as proxy:
        status, replayed = chat(proxy)
        miss_status, miss = chat(proxy, other)
    assert status == 200 and replayed
    assert len(upstream.requests) == 2
    assert miss_status == 400
    assert "(record mode once: openai_chat.yaml existed at start)" in error_message(miss)


def test_new_episodes_records_misses_and_replays_their_repeats(
    upstream: SimulatorServer,
) -> None:
    with proxy_for(upstream.base_url, mode="new_episodes") as proxy:
        first = chat(proxy)
        again = chat(proxy)
    assert len(upstream.requests) == 1
    assert [f for _, f in first[1]] == [f for _, f in again[1]]
    assert len(Cassette.load(f"{CHAT.name}.yaml").interactions) == 1


def test_all_records_everything_and_replaces_the_file(upstream: SimulatorServer) -> None:
    with proxy_for(upstream.base_url) as proxy:
        chat(proxy)
    with proxy_for(upstream.base_url, mode="all") as proxy:
        chat(proxy)
        chat(proxy)
    assert len(upstream.requests) == 3
    assert len(Cassette.load(f"{CHAT.name}.yaml").interactions) == 2


def test_one_named_cassette_and_the_format_s_own_upstream(upstream: SimulatorServer) -> None:
    replay = CassetteResponder([])
    bases = parse_upstreams([f"openai={upstream.base_url}/v1"])
    proxy = ProxyResponder(replay, Path("rec"), "once", bases, cassette="session")
    with SimulatorServer(responder=proxy) as server:
        status, _ = chat(server)
    assert status == 200
    assert upstream.requests[0].path == "/v1/chat/completions"
    assert len(Cassette.load("rec/session.yaml").interactions) == 1


def test_an_unreachable_upstream_is_the_provider_s_502() -> None:
    with SimulatorServer(Script()) as gone:
        url = gone.base_url
    with proxy_for(url) as proxy:
        status, frames = chat(proxy)
    assert status == 502
    assert error_message(frames).startswith(
        f"llmring-replay serve: upstream {url}/v1/chat/completions failed"
    )
    assert not Path(f"{CHAT.name}.yaml").exists()


def test_a_cut_upstream_cuts_the_client_and_records_nothing() -> None:
    async def cut_after_one() -> AsyncGenerator[bytes, None]:
        yield b'data: {"choices": []}\n\n'
        raise ConnectionResetError("the provider went away")

    def responder(request: ReceivedRequest) -> Reply:
        headers = {"content-type": "text/event-stream"}
        return Reply(200, headers, [], [], streamed=True, live=cut_after_one())

    with (
        SimulatorServer(responder=responder) as cutting,
        proxy_for(cutting.base_url) as proxy,
        pytest.raises(httpx.RemoteProtocolError),
    ):
        chat(proxy)
    assert not Path(f"{CHAT.name}.yaml").exists()


def test_unknown_paths_are_not_forwarded(upstream: SimulatorServer) -> None:
    with proxy_for(upstream.base_url) as proxy, httpx.Client(trust_env=False) as client:
        response = client.post(proxy.base_url + "/v1/embeddings", json={"model": "m"})
    assert response.status_code == 404
    assert "not a provider API path" in response.json()["error"]["message"]
    assert upstream.requests == []


def test_a_query_key_is_forwarded_not_written() -> None:
    gemini = by_name("gemini")
    google_key = "AIza" + "Sy0" * 11 + "xy"
    with (
        SimulatorServer(Script(text="Hi")) as sim,
        proxy_for(sim.base_url) as proxy,
        httpx.Client(trust_env=False) as client,
    ):
        url = f"{proxy.base_url}/v1beta/models/gemini-2.5-flash:streamGenerateContent"
        body = {"contents": [{"role": "user", "parts": [{"text": "Hi"}]}]}
        response = client.post(url, params={"alt": "sse", "key": google_key}, json=body)
    assert response.status_code == 200
    assert sim.requests[0].query == {"alt": "sse", "key": google_key}
    text = Path(f"{gemini.name}.yaml").read_text()
    assert google_key not in text and "alt=sse" in text


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ((), {f.name: f.default_base_url for f in FORMATS}),
        (("http://h:1/",), {f.name: "http://h:1" + f.base_url_suffix for f in FORMATS}),
        (
            ("http://h:1", "ollama=http://o:2"),
            {
                f.name: "http://o:2" if f.provider == "ollama" else "http://h:1" + f.base_url_suffix
                for f in FORMATS
            },
        ),
    ],
)
def test_upstreams(values: tuple[str, ...], expected: dict[str, str]) -> None:
    assert parse_upstreams(values) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("ftp://h", "ftp://h: not an http(s) URL"),
        ("nobody=http://h", "unknown provider 'nobody'"),
        ("openai=h:1", "openai=h:1: not an http(s) URL"),
    ],
)
def test_bad_upstreams(value: str, message: str) -> None:
    with pytest.raises(ValueError, match=rf"^--upstream {value}: ") as caught:
        parse_upstreams([value])
    assert message in str(caught.value)


def test_the_command_records_and_prints_every_sdk_s_variable(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch, sim: SimulatorServer
) -> None:
    Path("cassettes").mkdir()
    results: list[Any] = []

    def exchange(server: SimulatorServer) -> int:
        return chat(server)[0]

    monkeypatch.setattr(SimulatorServer, "serve_forever", exchanging(exchange, results))
    args = ["serve", "cassettes", "--port", "0", "--record-mode", "once"]
    result = runner.invoke(main, [*args, "--upstream", sim.base_url])
    assert result.exit_code == 0, result.output
    assert results == [200]
    lines = result.stdout.splitlines()
    base = lines[0].rsplit(" at ", 1)[1]
    assert lines[0].startswith("Serving 0 interactions from 0 cassettes in cassettes")
    assert lines[1] == "Recording (mode once) what the cassettes do not answer, forwarded to:"
    assert f"  {CHAT.title}: {sim.base_url}/v1 -> cassettes/openai_chat.yaml" in lines
    settings = {line.split()[0]: line.split("# ")[1] for line in lines if "=" in line}
    for fmt in FORMATS:
        value = base + fmt.base_url_suffix
        for client, variable in fmt.client_base_url_env:
            assert client in settings[f"{variable}={value}"]
        assert "llmring-replay" in settings[f"{fmt.base_url_env}={value}"]
    assert "Recorded interaction 0 into cassettes/openai_chat.yaml" in lines
    assert len(Cassette.load("cassettes/openai_chat.yaml").interactions) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--upstream", "http://h"], "--upstream and --cassette are for recording"),
        (["--cassette", "c"], "--upstream and --cassette are for recording"),
        (["--record-mode", "once", "--upstream", "h:1"], "h:1: not an http(s) URL"),
        (["--record-mode", "sometimes"], "'sometimes' is not one of 'none', 'once'"),
    ],
)
def test_bad_recording_options(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    monkeypatch.setattr(SimulatorServer, "serve_forever", exchanging(lambda _: None, []))
    Path("cassettes").mkdir()
    result = runner.invoke(main, ["serve", "cassettes", *args])
    assert result.exit_code == 2
    assert message in result.stderr


def test_recording_is_not_for_simulations(runner: CliRunner) -> None:
    Path("sim.yaml").write_text("text: hi\n")
    result = runner.invoke(main, ["serve", "--simulate", "sim.yaml", "--record-mode", "once"])
    assert result.exit_code == 2
    assert "--record-mode records from cassettes' upstreams, not --simulate" in result.stderr
