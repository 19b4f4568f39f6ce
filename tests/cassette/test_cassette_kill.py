"""A killed recording, in every record mode, leaves the old cassette or a complete one.

SIGKILL lands at random moments of a real recording process (`tests/cassette/recorder.py`):
after a random number of recorded interactions plus a random few milliseconds (so inside a
journal append, between two, or while the journal is folded into the file or, in mode `all`,
while the file is replaced). After each kill:

- the cassette loads: nothing half-written is ever read;
- `once`, `new_episodes`: it holds the old interactions, then new ones in order, every one
  the recorder acknowledged (`stored N`) among them and at most the one in flight besides;
- `all`: it is the old file byte for byte, or the complete new recording (always the new
  one once the process said `finished`);
- `none`: the file is untouched;
- and the next write folds whatever the kill left in the journal into the file, leaving no
  journal or temp file beside it.

The default run kills a few times per mode; `pytest -m slow` kills many more times.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import time
from pathlib import Path

import pytest

from llmring_replay.cassette import Cassette
from llmring_replay.exceptions import CassetteNotFoundError
from tests.cassette.recorder import in_file, item, questions, record_questions, spawn

OLD, NEW = 40, 20  # interactions in the old cassette; new ones the killed run records
KILLS = 2  # per mode, in the default run
SLOW_KILLS = 25
MODES = ["once", "new_episodes", "all", "none"]


@pytest.fixture(scope="module")
def old_cassette(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The bytes of a finished cassette holding the questions 0 .. OLD - 1."""
    path = tmp_path_factory.mktemp("old") / "c.yaml"
    asyncio.run(record_questions(path, "all", 0, OLD))
    return path.read_bytes()


def _kill_at_random(path: Path, mode: str, rng: random.Random) -> tuple[list[int], bool]:
    """Run a recorder, SIGKILL it at a random point; (questions acknowledged, finished)."""
    first, count = (OLD, NEW) if mode == "once" else (0, OLD + NEW)
    if mode == "none":
        first, count = 0, OLD
    process = spawn(path, mode, first, count)
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "ready"
    after = rng.randint(0, NEW)  # new interactions to let through before the kill
    seen: list[int] = []
    while len([q for q in seen if q >= OLD]) < after or (mode == "none" and len(seen) < after):
        line = process.stdout.readline()
        if not line or not line.startswith("stored"):
            break
        seen.append(int(line.split()[1]))
    # Past the last one, the kill lands while the journal is folded in (or the file replaced).
    time.sleep(rng.uniform(0, 0.02))
    os.kill(process.pid, signal.SIGKILL)
    with process:  # closes the pipes
        process.wait(timeout=60)
        # Through the same buffered reader: `communicate` would skip what it holds already.
        rest = process.stdout.read()
    lines = [*(f"stored {q}" for q in seen), *rest.splitlines()]
    stored = [int(line.split()[1]) for line in lines if line.startswith("stored")]
    return stored, "finished" in lines


def _check(path: Path, mode: str, old: bytes, stored: list[int], finished: bool) -> list[int]:
    """The outcome rules of the module docstring; returns the questions the cassette holds."""
    if mode == "once" and not stored:
        try:
            held = questions(Cassette.load(path))
        except CassetteNotFoundError:
            return []  # killed before anything was stored: still no cassette
    else:
        held = questions(Cassette.load(path))
    if mode == "none":
        assert path.read_bytes() == old
        return held
    if mode == "all":
        if held == list(range(OLD)):
            assert not finished
            assert path.read_bytes() == old  # the old file, whole
        else:
            assert held == list(range(OLD + NEW))  # complete: every finished interaction
        return held
    before = [] if mode == "once" else list(range(OLD))
    assert held[: len(before)] == before
    new = held[len(before) :]
    assert new == list(range(OLD, OLD + len(new)))  # in order, none twice, none skipped
    acknowledged = [q for q in stored if q >= OLD]
    assert len(acknowledged) <= len(new) <= len(acknowledged) + 1
    return held


def _kill_runs(tmp_path: Path, old: bytes, mode: str, kills: int) -> None:
    for number in range(kills):
        rng = random.Random(f"{mode}-{number}")
        path = tmp_path / f"{mode}-{number}" / "c.yaml"
        path.parent.mkdir()
        if mode != "once":
            path.write_bytes(old)
        stored, finished = _kill_at_random(path, mode, rng)
        held = _check(path, mode, old, stored, finished)
        # The next write folds in what the kill left in the journal.
        cassette = Cassette.load(path) if held else Cassette(path=path)
        cassette.record(item(10_000))
        cassette.finish()
        assert in_file(path) == [*held, 10_000]
        assert sorted(os.listdir(path.parent)) == [".c.yaml.lock", "c.yaml"]


@pytest.mark.parametrize("mode", MODES)
def test_a_killed_recording_leaves_the_old_or_a_complete_cassette(
    tmp_path: Path, old_cassette: bytes, mode: str
) -> None:
    _kill_runs(tmp_path, old_cassette, mode, 1 if mode == "none" else KILLS)


@pytest.mark.slow
@pytest.mark.parametrize("mode", MODES)
def test_many_kills_leave_the_old_or_a_complete_cassette(
    tmp_path: Path, old_cassette: bytes, mode: str, request: pytest.FixtureRequest
) -> None:
    if "slow" not in (request.config.getoption("markexpr") or ""):
        pytest.skip("the long kill run: select it with -m slow")
    _kill_runs(tmp_path, old_cassette, mode, SLOW_KILLS)


def test_a_killed_re_recording_in_mode_all_keeps_the_old_file(tmp_path: Path) -> None:
    # Issue 11: a killed re-record in mode `all` left a valid file with 1 of the 3 old
    # interactions. Deterministic: one interaction recorded, then the process "dies" (the
    # transport is never closed).
    path = tmp_path / "c.yaml"
    asyncio.run(record_questions(path, "all", 0, 3))
    old = path.read_bytes()

    async def record_one_and_die() -> None:
        import httpx

        from llmring_replay.transports import CassetteTransport
        from tests.cassette.recorder import URL, upstream

        transport = CassetteTransport(path, "all", inner=httpx.MockTransport(upstream))
        client = httpx.AsyncClient(transport=transport)
        await (await client.post(URL, json={"q": 7})).aread()
        assert len(transport.cassette.interactions) == 1

    asyncio.run(record_one_and_die())
    assert path.read_bytes() == old
    assert questions(Cassette.load(path)) == [0, 1, 2]
    assert sorted(os.listdir(tmp_path)) == [".c.yaml.lock", "c.yaml"]
