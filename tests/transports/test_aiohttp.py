"""aiohttp clients, served by the same core as httpx ones through automatic interception:
replay frame by frame at the plan's times through every way aiohttp reads a body, the
library's own errors for timeouts and cuts, recording teed read by read through the
session's own method, record modes, faults on the recording run."""

from __future__ import annotations

import asyncio
import gzip
import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from llmring_replay.cassette import Cassette
from llmring_replay.clock import virtual_clock
from llmring_replay.exceptions import CassetteMatchError, ConfigurationError
from llmring_replay.faults import Disconnect, RateLimit, StallBeforeFirstByte
from llmring_replay.simulator import Script, SimulatorServer
from llmring_replay.transports import CassetteTransport, RecordingTransport, ReplayTransport
from llmring_replay.transports.intercept import intercept
from tests.transports.kinds import Seen, python
from tests.transports.test_client_kinds import LINES, OFFSETS, URL, cassette, request_body

aiohttp = pytest.importorskip("aiohttp")

BODY = json.loads(request_body())


Read = Callable[[Any], AsyncIterator[bytes]]


def iter_any(response: Any) -> AsyncIterator[bytes]:
    return response.content.iter_any().__aiter__()


async def post(
    url: str = URL, *, read: Read = iter_any, stop: int = 0, body: Any = None, **options: Any
) -> Seen:
    """POST to `url` through a fresh session, reading the body with `read`; `stop`: release
    the response after that many reads. A client error that ends the body is kept."""
    async with aiohttp.ClientSession() as session:
        start = asyncio.get_running_loop().time()
        async with session.post(url, json=BODY if body is None else body, **options) as response:
            seen = Seen(response.status)
            try:
                async for data in read(response):
                    if seen.take(data, asyncio.get_running_loop().time() - start, stop):
                        break
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                seen.error = exc
    return seen


@asynccontextmanager
async def served(transport: Any) -> AsyncIterator[None]:
    """Intercept with `transport`, then close it, as the plugin does at a test's end
    (which finishes what it recorded into the cassette file)."""
    try:
        with intercept(transport):
            yield
    finally:
        await transport.aclose()


def replayed(*faults: Any, offsets: list[float] = OFFSETS) -> ReplayTransport:
    return ReplayTransport(cassette(offsets), "recorded", faults=list(faults))


async def test_replay_hands_each_frame_at_its_recorded_time() -> None:
    with intercept(replayed()):
        seen = await post()
    assert seen.status == 200
    assert seen.reads == [line.encode() for line in LINES]  # one read per frame, not a block
    for got, want in zip(seen.arrivals, OFFSETS, strict=True):
        assert got >= want - 0.001  # never early; lateness is the machine's, not measured here


async def lines(response: Any) -> AsyncIterator[bytes]:
    while line := await response.content.readline():
        yield line


async def chunks_of_7(response: Any) -> AsyncIterator[bytes]:
    async for data in response.content.iter_chunked(7):
        yield data


async def whole(response: Any) -> AsyncIterator[bytes]:
    yield await response.read()


async def text(response: Any) -> AsyncIterator[bytes]:
    yield (await response.text()).encode()


@pytest.mark.parametrize("read", [lines, chunks_of_7, whole, text])
async def test_every_way_of_reading_gets_the_body(read: Read) -> None:
    with intercept(replayed()):
        seen = await post(read=read)
    assert seen.body == "".join(LINES).encode()
    assert seen.arrivals[-1] >= OFFSETS[-1] - 0.001  # the last byte came at its time
    if read is lines:
        assert seen.reads == [line.encode() for line in LINES]


async def test_a_stall_past_sock_read_is_aiohttps_socket_timeout() -> None:
    with intercept(replayed(offsets=[0.0, 0.01, 5.0, 5.0])):
        seen = await post(timeout=aiohttp.ClientTimeout(sock_read=0.05))
    assert len(seen.reads) == 2  # what came before the stall was delivered
    assert isinstance(seen.error, aiohttp.SocketTimeoutError)
    assert seen.arrivals[-1] < 1.0


async def test_the_total_timeout_ends_the_body_as_aiohttps_timer_does() -> None:
    with intercept(replayed(offsets=[0.0, 0.01, 5.0, 5.0])):
        seen = await post(timeout=aiohttp.ClientTimeout(total=0.1))
    assert len(seen.reads) == 2
    assert type(seen.error) is asyncio.TimeoutError


async def test_a_stall_before_the_headers_fails_the_request() -> None:
    stall = StallBeforeFirstByte(seconds=5)
    with intercept(replayed(stall)), pytest.raises(aiohttp.SocketTimeoutError):
        await post(timeout=aiohttp.ClientTimeout(sock_read=0.05))
    with intercept(replayed(stall)), pytest.raises(asyncio.TimeoutError):
        await post(timeout=aiohttp.ClientTimeout(total=0.05))


async def test_a_disconnect_is_the_payload_error_of_a_live_cut() -> None:
    script = Script(text="one two three four", fault="disconnect:after=2")
    async with SimulatorServer(script) as sim:
        live = await post(sim.base_url_for("ollama") + "/api/chat")  # a real cut connection
    with intercept(replayed(Disconnect(after=2))):
        seen = await post()
    assert seen.reads == [line.encode() for line in LINES[:2]]
    assert type(seen.error) is type(live.error) is aiohttp.ClientPayloadError


async def test_a_status_fault_answers_and_raise_for_status_applies() -> None:
    with intercept(replayed(RateLimit(retry_after=3))):
        seen = await post()
    assert seen.status == 429
    assert b"error" in seen.body
    with (
        intercept(replayed(RateLimit(retry_after=3))),
        pytest.raises(aiohttp.ClientResponseError) as raised,
    ):
        await post(raise_for_status=True)
    assert raised.value.status == 429


@pytest.fixture
async def sim() -> AsyncIterator[SimulatorServer]:
    script = Script(text="one two three four", ttft=0.02, interval=0.002)
    async with SimulatorServer(script) as server:
        yield server


def live_url(sim: SimulatorServer) -> str:
    return sim.base_url_for("ollama") + "/api/chat"


async def test_recording_tees_the_live_stream_and_replays_it(
    sim: SimulatorServer, tmp_path: Path
) -> None:
    path = tmp_path / "c.yaml"
    async with served(RecordingTransport(Cassette(path=path))):
        live = await post(live_url(sim))
    (stored,) = Cassette.load(path).interactions
    assert stored.response.body == live.body
    assert len(stored.response.offsets or []) == live.body.count(b"\n")
    assert (stored.response.offsets or [0])[0] >= 0.02  # the time to first frame was recorded
    assert "aiohttp" in stored.request.headers["user-agent"][0]  # the headers aiohttp sent
    asked = len(sim.requests)
    with intercept(ReplayTransport(Cassette.load(path))):
        assert (await post(live_url(sim))).body == live.body
    assert len(sim.requests) == asked  # served from the cassette


async def test_recording_under_a_virtual_clock_is_refused(
    sim: SimulatorServer, tmp_path: Path
) -> None:
    # As for httpx clients: a live server's wait would look idle to the virtual clock.
    path = tmp_path / "c.yaml"
    async with served(RecordingTransport(Cassette(path=path))):
        with virtual_clock(), pytest.raises(ConfigurationError, match="under a virtual clock"):
            await post(live_url(sim))
    assert list(sim.requests) == [] and not path.exists()


async def test_the_consumer_gets_frame_one_before_frame_two_is_sent(tmp_path: Path) -> None:
    script = Script(text="first second third", gaps=[0.0, 0.3, 0.0, 0.0, 0.0, 0.0, 0.0])
    transport = RecordingTransport(Cassette(path=tmp_path / "c.yaml"))
    async with SimulatorServer(script) as sim, served(transport):
        async with (
            aiohttp.ClientSession() as session,
            session.post(live_url(sim), json=BODY) as response,
        ):
            await response.content.readline()
            seen_first = time.perf_counter()
            await response.read()
        sent = sim.sent
    assert seen_first < sent[1].at, "frame 1 reached the client before frame 2 left the server"


async def test_releasing_early_still_records_the_whole_answer(
    sim: SimulatorServer, tmp_path: Path
) -> None:
    async with served(RecordingTransport(Cassette(path=tmp_path / "c.yaml"))):
        seen = await post(live_url(sim), stop=1)  # leaving `async with` reads on and stores
    assert len(seen.reads) == 1
    body = Cassette.load(tmp_path / "c.yaml").interactions[0].response.body
    assert body.startswith(seen.body)
    assert body.count(b"\n") > 1 and b'"done":true' in body


async def test_record_modes(sim: SimulatorServer, tmp_path: Path) -> None:
    path, asked = tmp_path / "c.yaml", len(sim.requests)

    async def send(mode: str, text: str) -> bytes:
        body = {**BODY, "messages": [{"role": "user", "content": text}]}
        async with served(CassetteTransport(path, mode)):
            return (await post(live_url(sim), body=body)).body

    first = await send("once", "Q1")  # no file: recorded
    assert len(sim.requests) == asked + 1
    assert await send("once", "Q1") == first  # the file exists: replayed
    assert await send("none", "Q1") == first
    with pytest.raises(CassetteMatchError):
        await send("none", "Q2")
    await send("new_episodes", "Q2")  # Q1 is on the cassette, Q2 is recorded
    assert len(sim.requests) == asked + 2
    assert len(Cassette.load(path).interactions) == 2
    await send("all", "Q3")  # re-recorded from scratch
    assert len(sim.requests) == asked + 3
    assert [i.request.body for i in Cassette.load(path).interactions] == [
        json.dumps({**BODY, "messages": [{"role": "user", "content": "Q3"}]}).encode()
    ]


async def test_faults_apply_on_the_recording_run_too(sim: SimulatorServer, tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    async with served(CassetteTransport(path, "once", faults=[Disconnect(after=1)])):
        seen = await post(live_url(sim))
    assert len(seen.reads) == 1
    assert isinstance(seen.error, aiohttp.ClientPayloadError)
    assert Cassette.load(path).interactions[0].response.body.count(b"\n") > 1


@asynccontextmanager
async def gzip_server() -> AsyncIterator[str]:
    """A local server answering /api/chat with a gzip-encoded NDJSON body."""
    from aiohttp import web

    async def chat(request: Any) -> Any:
        body = gzip.compress("".join(LINES).encode())
        headers = {"content-encoding": "gzip", "content-type": "application/x-ndjson"}
        return web.Response(body=body, headers=headers)

    app = web.Application()
    app.router.add_post("/api/chat", chat)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}/api/chat"
    finally:
        await runner.cleanup()


@pytest.mark.parametrize("decompress", [True, False], ids=["auto_decompress", "raw"])
async def test_a_compressed_answer_is_stored_decoded(tmp_path: Path, decompress: bool) -> None:
    path = tmp_path / "c.yaml"
    async with gzip_server() as url, served(RecordingTransport(Cassette(path=path))):
        live = await post(url, auto_decompress=decompress)
    (stored,) = Cassette.load(path).interactions
    assert stored.response.body == "".join(LINES).encode()
    assert "content-encoding" not in stored.response.headers
    assert (live.body == stored.response.body) is decompress  # the client saw what it asked


async def test_other_requests_and_sessions_pass_through(sim: SimulatorServer) -> None:
    with intercept(replayed()):
        async with (
            aiohttp.ClientSession() as session,
            session.get(sim.base_url + "/status") as response,
        ):
            assert response.status == 404  # the server's own answer
        assert (await post()).body == "".join(LINES).encode()
    with pytest.raises(aiohttp.ClientConnectionError):  # uninstalled: the real, closed port
        await post("http://127.0.0.1:9/api/chat")


async def test_a_body_aiohttp_streams_is_refused_with_its_type() -> None:
    async def parts() -> AsyncIterator[bytes]:
        yield b"{}"

    with intercept(replayed()), pytest.raises(TypeError, match="async_generator"):
        async with aiohttp.ClientSession() as session:
            await session.post(URL, data=parts())


def test_aiohttp_imported_after_interception_began_is_served(tmp_path: Path) -> None:
    # Nothing of ours imports aiohttp: a session of an aiohttp first imported inside the
    # interception (an SDK imported lazily) is patched as the import happens.
    path = tmp_path / "c.yaml"
    cassette().save(path)
    stdout = python(
        f"""
        import asyncio, sys
        from llmring_replay.cassette import Cassette
        from llmring_replay.transports import ReplayTransport, intercept
        with intercept(ReplayTransport(Cassette.load({str(path)!r}))):
            assert "aiohttp" not in sys.modules
            import aiohttp

            async def main():
                async with aiohttp.ClientSession() as session:
                    async with session.post({URL!r}, data={request_body()!r}) as response:
                        return await response.text()

            print(asyncio.run(main()).count("\\n"))
        assert not hasattr(aiohttp.ClientSession._request, "__wrapped__")  # restored
        """
    )
    assert stdout.strip() == str(len(LINES))
