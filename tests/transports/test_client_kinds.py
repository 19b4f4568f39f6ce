"""Every transport serves every client kind alike: httpx and httpx2, sync and async (asyncio
and trio), in replay, recording and each record mode. One expectations table, one test body
per behaviour, parametrized over the kinds (`kinds.KINDS`)."""

from __future__ import annotations

import json
from pathlib import Path

import anyio
import httpx
import pytest

from llmring_replay.cassette import Cassette, Interaction, RecordedRequest, RecordedResponse
from llmring_replay.exceptions import CassetteMatchError
from llmring_replay.faults import Disconnect, RateLimit
from llmring_replay.simulator import Script, SimulatorServer
from llmring_replay.transports import CassetteTransport, RecordingTransport, ReplayTransport
from llmring_replay.transports.intercept import intercept
from tests.transports.kinds import KINDS, Kind, Seen, python

URL = "http://127.0.0.1:11434/api/chat"
OFFSETS = [0.02, 0.05, 0.06, 0.1]
LINES = [
    json.dumps({"model": "m", "message": {"content": f"w{i} "}, "done": False}) + "\n"
    for i in range(len(OFFSETS) - 1)
] + [json.dumps({"model": "m", "message": {"content": ""}, "done": True}) + "\n"]


def request_body(text: str = "Hi") -> bytes:
    return json.dumps(
        {"model": "llama3.2", "messages": [{"role": "user", "content": text}], "stream": True},
        separators=(",", ":"),
    ).encode()


def cassette(offsets: list[float] = OFFSETS) -> Cassette:
    """One recorded NDJSON stream, frames at `offsets`."""
    return Cassette(
        interactions=[
            Interaction(
                request=RecordedRequest("POST", URL, {}, request_body()),
                response=RecordedResponse(
                    200,
                    "OK",
                    {"content-type": ["application/x-ndjson"]},
                    "".join(LINES).encode(),
                    offsets=list(offsets),
                ),
                provider="ollama",
                model="llama3.2",
            )
        ]
    )


kinds = pytest.mark.parametrize("kind", KINDS, ids=[kind.id for kind in KINDS])


@kinds
def test_replay_hands_each_frame_at_its_recorded_time(kind: Kind) -> None:
    seen = kind.stream(kind.typed(ReplayTransport(cassette(), "recorded")), URL, request_body())
    assert seen.status == 200
    assert seen.reads == [line.encode() for line in LINES]
    for got, want in zip(seen.arrivals, OFFSETS, strict=True):
        assert got >= want - 0.001  # never early; lateness is the machine's, not measured here


@kinds
def test_a_stall_past_the_read_timeout_is_the_librarys_read_timeout(kind: Kind) -> None:
    transport = ReplayTransport(cassette([0.0, 0.01, 5.0, 5.0]), "recorded")
    seen = kind.stream(kind.typed(transport), URL, request_body(), timeout=0.05)
    assert len(seen.reads) == 2  # what came before the stall was delivered
    assert isinstance(seen.error, kind.module.ReadTimeout)
    assert seen.arrivals[-1] < 1.0


@kinds
def test_a_disconnect_is_the_librarys_protocol_error(kind: Kind) -> None:
    transport = ReplayTransport(cassette(), faults=[Disconnect(after=2)])
    seen = kind.stream(kind.typed(transport), URL, request_body())
    assert seen.reads == [line.encode() for line in LINES[:2]]
    assert isinstance(seen.error, kind.module.RemoteProtocolError)


@kinds
def test_a_status_fault_answers_in_the_librarys_response(kind: Kind) -> None:
    transport = ReplayTransport(cassette(), faults=[RateLimit(retry_after=3)])
    seen = kind.stream(kind.typed(transport), URL, request_body())
    assert seen.status == 429
    assert b"error" in seen.body


@pytest.fixture(scope="module")
def sim() -> SimulatorServer:
    script = Script(text="one two three four", ttft=0.02, interval=0.002)
    with SimulatorServer(script) as server:
        yield server  # type: ignore[misc]


def live_url(sim: SimulatorServer) -> str:
    return sim.base_url_for("ollama") + "/api/chat"


def record(kind: Kind, sim: SimulatorServer, path: Path, stop: int = 0) -> Seen:
    """One request to the simulator through a `kind` client, recorded into `path`."""
    transport = kind.typed(RecordingTransport(Cassette(path=path)))
    return kind.stream(transport, live_url(sim), request_body(kind.id), stop=stop)


@kinds
def test_recording_tees_the_live_stream_and_replays_it(
    kind: Kind, sim: SimulatorServer, tmp_path: Path
) -> None:
    live = record(kind, sim, tmp_path / "c.yaml")
    stored = Cassette.load(tmp_path / "c.yaml").interactions
    assert len(stored) == 1
    assert stored[0].response.body == live.body
    offsets = stored[0].response.offsets or []
    assert len(offsets) == live.body.count(b"\n")
    assert offsets[0] >= 0.02  # the simulator's time to first frame was recorded
    replay = ReplayTransport(Cassette.load(tmp_path / "c.yaml"))
    assert kind.stream(replay, live_url(sim), request_body(kind.id)).body == live.body


# Breaking out of a response under trio leaves httpx's own stream generator to the garbage
# collector, which trio reports: httpx's, not ours (ours are closed with the response).
@pytest.mark.filterwarnings("ignore:.*BoundAsyncStream:pytest.PytestUnraisableExceptionWarning")
@kinds
def test_closing_early_still_records_the_whole_answer(
    kind: Kind, sim: SimulatorServer, tmp_path: Path
) -> None:
    seen = record(kind, sim, tmp_path / "c.yaml", stop=1)
    assert len(seen.reads) == 1
    body = Cassette.load(tmp_path / "c.yaml").interactions[0].response.body
    assert body.startswith(seen.body)
    assert body.count(b"\n") > 1 and b'"done":true' in body


@kinds
def test_record_modes(kind: Kind, sim: SimulatorServer, tmp_path: Path) -> None:
    path, url = tmp_path / "c.yaml", live_url(sim)
    asked = len(sim.requests)

    def send(mode: str, text: str) -> bytes:
        return kind.stream(kind.typed(CassetteTransport(path, mode)), url, request_body(text)).body

    first = send("once", "Q1")  # no file: recorded
    assert len(sim.requests) == asked + 1
    assert send("once", "Q1") == first  # the file exists: replayed
    assert send("none", "Q1") == first
    with pytest.raises(CassetteMatchError):
        send("none", "Q2")
    send("new_episodes", "Q2")  # Q1 is on the cassette, Q2 is recorded
    assert len(sim.requests) == asked + 2
    assert len(Cassette.load(path).interactions) == 2
    send("all", "Q3")  # re-recorded from scratch
    assert len(sim.requests) == asked + 3
    assert [i.request.body for i in Cassette.load(path).interactions] == [request_body("Q3")]


@kinds
def test_faults_apply_on_the_recording_run_too(
    kind: Kind, sim: SimulatorServer, tmp_path: Path
) -> None:
    path = tmp_path / "c.yaml"
    transport = CassetteTransport(path, "once", faults=[Disconnect(after=1)])
    seen = kind.stream(kind.typed(transport), live_url(sim), request_body(kind.id))
    assert len(seen.reads) == 1
    assert isinstance(seen.error, kind.module.RemoteProtocolError)
    assert Cassette.load(path).interactions[0].response.body.count(b"\n") > 1


def test_an_httpx2_client_takes_the_transport_untyped_too(tmp_path: Path) -> None:
    # At run time every transport answers httpx2 requests; for_httpx2() is for type checkers.
    kind = Kind("httpx2", True)
    seen = kind.stream(ReplayTransport(cassette()), URL, request_body())
    assert seen.reads == [line.encode() for line in LINES]


def test_without_httpx2_everything_else_works(tmp_path: Path) -> None:
    # httpx2 is optional: hide it, import the package, replay through httpx.
    path = tmp_path / "c.yaml"
    cassette().save(path)
    stdout = python(
        f"""
        import sys
        sys.modules["httpx2"] = None  # import httpx2 now raises ImportError
        import httpx
        import llmring_replay
        from llmring_replay.cassette import Cassette
        from llmring_replay.transports import ReplayTransport
        transport = ReplayTransport(Cassette.load({str(path)!r}))
        with httpx.Client(transport=transport) as client:
            response = client.post({URL!r}, content={request_body()!r})
            assert response.text.count("\\n") == {len(LINES)}, response.text
        try:
            transport.for_httpx2()
        except ImportError as exc:
            print("no httpx2:", exc)
        """
    )
    assert "no httpx2:" in stdout and "pip install" in stdout


def test_without_aiohttp_interception_serves_httpx(tmp_path: Path) -> None:
    # aiohttp is optional too: hidden, interception still serves httpx, leaves no import
    # hook behind, and an app importing aiohttp gets the ImportError it would anyway.
    path = tmp_path / "c.yaml"
    cassette().save(path)
    stdout = python(
        f"""
        import sys
        sys.modules["aiohttp"] = None  # import aiohttp now raises ImportError
        import httpx
        from llmring_replay.cassette import Cassette
        from llmring_replay.transports import ReplayTransport, intercept
        hooks = list(sys.meta_path)
        with intercept(ReplayTransport(Cassette.load({str(path)!r}))):
            text = httpx.post({URL!r}, content={request_body()!r}).text
            try:
                import aiohttp
            except ImportError:
                print("no aiohttp")
        assert sys.meta_path == hooks, sys.meta_path
        print(text.count("\\n"))
        """
    )
    assert stdout.split() == ["no", "aiohttp", str(len(LINES))]


def test_async_replay_needs_no_sniffio(tmp_path: Path) -> None:
    # sniffio is no dependency of ours (anyio no longer brings it; trio and the SDKs do):
    # hide it, then replay paced on asyncio and on the virtual clock.
    path = tmp_path / "c.yaml"
    cassette().save(path)
    out = python(
        f"""
        import asyncio, contextlib, sys
        sys.modules["sniffio"] = None  # import sniffio now raises ImportError
        import httpx
        from llmring_replay.cassette import Cassette
        from llmring_replay.clock import is_virtual, virtual_clock
        from llmring_replay.transports import ReplayTransport

        async def main():
            cassette = Cassette.load({str(path)!r})
            transport = ReplayTransport(cassette, "recorded", allow_repeats=True)
            async with httpx.AsyncClient(transport=transport) as client:
                for clock in (contextlib.nullcontext(), virtual_clock()):
                    with clock:
                        response = await client.post({URL!r}, content={request_body()!r})
                        print(is_virtual(), response.text.count("\\n"))

        asyncio.run(main())
        """
    )
    assert out.split() == ["False", str(len(LINES)), "True", str(len(LINES))]


def test_trio_replays_on_trios_clock_which_a_mock_clock_virtualizes() -> None:
    trio_testing = pytest.importorskip("trio.testing")
    offsets = [1.0, 30.0, 60.0, 90.0]  # minutes of replay, in no wall time at all
    transport = ReplayTransport(cassette(offsets), "recorded")

    async def main() -> list[float]:
        async with httpx.AsyncClient(transport=transport, timeout=None) as client:
            start = anyio.current_time()
            async with client.stream("POST", URL, content=request_body()) as response:
                return [anyio.current_time() - start async for _ in response.aiter_raw()]

    clock = trio_testing.MockClock(autojump_threshold=0)
    seen = anyio.run(main, backend="trio", backend_options={"clock": clock})
    assert seen == pytest.approx(offsets, abs=1e-3)


@kinds
def test_interception_serves_clients_built_without_our_transport(
    kind: Kind, sim: SimulatorServer, tmp_path: Path
) -> None:
    path = tmp_path / "c.yaml"
    with intercept(RecordingTransport(Cassette(path=path))):
        live = kind.stream(None, live_url(sim), request_body(kind.id))  # the client's default
    assert Cassette.load(path).interactions[0].response.body == live.body
    asked = len(sim.requests)
    with intercept(ReplayTransport(Cassette.load(path))):
        replayed = kind.stream(None, live_url(sim), request_body(kind.id))
    assert replayed.body == live.body
    assert len(sim.requests) == asked  # served from the cassette, not the server


def test_interception_leaves_other_requests_alone(sim: SimulatorServer) -> None:
    with intercept(ReplayTransport(cassette())), httpx.Client() as client:
        assert client.get(sim.base_url + "/status").status_code == 404  # the server's answer
        assert client.post(URL, content=request_body()).text == "".join(LINES)
    with httpx.Client() as client, pytest.raises(httpx.ConnectError):
        client.post("http://127.0.0.1:9/api/chat", content=request_body())  # uninstalled
