"""CassetteTransport's record modes, with vcrpy's meanings, against the loopback simulator."""

from __future__ import annotations

from pathlib import Path

import pytest

from llmring_replay import (
    CassetteMatchError,
    CassetteNotFoundError,
    CassetteUnplayedError,
    LLMRequest,
    Message,
)
from llmring_replay.cassette import Cassette
from llmring_replay.service import LLMRing
from llmring_replay.simulator import Script, SimulatorServer
from llmring_replay.transports import CassetteTransport, RecordMode


def ask(text: str) -> LLMRequest:
    return LLMRequest(model="ollama:llama3.2", messages=[Message(role="user", content=text)])


async def answer(transport: CassetteTransport, base_url: str, text: str) -> str:
    async with LLMRing(transport=transport) as ring:
        ring.register_provider("ollama", base_url=base_url)
        return "".join([chunk.delta async for chunk in ring.chat_stream(ask(text))])


@pytest.fixture
async def sim() -> object:
    async with SimulatorServer(
        [Script(text="first answer"), Script(text="second answer")]
    ) as server:
        yield server


async def test_none_without_cassette_says_how_to_record(tmp_path: Path) -> None:
    with pytest.raises(CassetteNotFoundError, match="record mode is 'none'") as info:
        CassetteTransport(tmp_path / "missing.yaml", "none", record_command="make record")
    assert "make record" in str(info.value)


async def test_once_records_then_replays_without_the_network(tmp_path: Path, sim) -> None:
    path = tmp_path / "c.yaml"
    base = sim.base_url_for("ollama")
    assert await answer(CassetteTransport(path, "once"), base, "Q1") == "first answer"
    assert len(sim.requests) == 1
    # The file exists now: `once` replays it and never reaches the server again.
    replay = CassetteTransport(path, RecordMode.ONCE)
    assert not replay.recording
    assert await answer(replay, base, "Q1") == "first answer"
    assert len(sim.requests) == 1
    with pytest.raises(CassetteMatchError, match="closest"):
        await answer(CassetteTransport(path, "once"), base, "a question never recorded")
    assert len(sim.requests) == 1


async def test_none_replays_and_reports_unplayed(tmp_path: Path, sim) -> None:
    path = tmp_path / "c.yaml"
    base = sim.base_url_for("ollama")
    recorder = CassetteTransport(path, "all")
    await answer(recorder, base, "Q1")
    await answer(recorder, base, "Q2")
    transport = CassetteTransport(path, "none")
    assert await answer(transport, base, "Q1") == "first answer"
    with pytest.raises(CassetteUnplayedError, match="never requested") as info:
        transport.assert_all_played()
    assert info.value.unplayed == [1]


async def test_new_episodes_replays_matches_and_records_the_rest(tmp_path: Path, sim) -> None:
    path = tmp_path / "c.yaml"
    base = sim.base_url_for("ollama")
    await answer(CassetteTransport(path, "once"), base, "Q1")
    transport = CassetteTransport(path, "new_episodes")
    assert await answer(transport, base, "Q1") == "first answer"  # replayed
    assert await answer(transport, base, "Q2") == "second answer"  # recorded
    assert len(sim.requests) == 2
    cassette = Cassette.load(path)
    assert len(cassette.interactions) == 2
    assert b"Q2" in (cassette.interactions[1].request.body or b"")


async def test_all_rerecords_and_replaces_the_file(tmp_path: Path, sim) -> None:
    path = tmp_path / "c.yaml"
    base = sim.base_url_for("ollama")
    await answer(CassetteTransport(path, "once"), base, "Q1")
    assert await answer(CassetteTransport(path, "all"), base, "Q1") == "second answer"
    cassette = Cassette.load(path)
    assert len(cassette.interactions) == 1
    assert b'"content":"second"' in cassette.interactions[0].response.body


def test_unknown_mode_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="sometimes"):
        CassetteTransport(tmp_path / "c.yaml", "sometimes")
