"""`CassetteTransport`: replay and record per a record mode, with vcrpy's meanings.

| mode           | cassette file exists                      | no cassette file                  |
|----------------|-------------------------------------------|-----------------------------------|
| `none`         | replay only; a miss is an error           | error: how to record it           |
| `once`         | replay only; a miss is an error           | record every request              |
| `new_episodes` | replay what matches, record the rest      | record every request              |
| `all`          | record every request, replacing the file  | record every request              |

With faults, a request that is recorded is read whole first, then served from the new
recording with the faults applied: a fault test fails the same way on its recording run as
on every replay after it.

`none` (the default everywhere) never builds a live transport at all, so a test in that
mode cannot reach the network whatever it does.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from enum import Enum
from pathlib import Path

import httpx

from llmring_replay.cassette import Cassette
from llmring_replay.exceptions import CassetteMatchError, CassetteNotFoundError
from llmring_replay.timing import Timing
from llmring_replay.transports.recording import RecordingTransport
from llmring_replay.transports.replay import Fault, ReplayTransport

__all__ = ["CassetteTransport", "RecordMode"]


class RecordMode(str, Enum):
    """When to touch the network (vcrpy's record modes)."""

    NONE = "none"
    ONCE = "once"
    NEW_EPISODES = "new_episodes"
    ALL = "all"


class CassetteTransport(httpx.AsyncBaseTransport):
    """Replay from, and record into, the cassette at `path`, per `record_mode`.

    `record_command` is what a missing-cassette error tells the user to run (the pytest
    plugin passes the exact command line of the test).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        record_mode: RecordMode | str = RecordMode.NONE,
        *,
        timing: Timing | str | None = "instant",
        inner: httpx.AsyncBaseTransport | None = None,
        match_on: Sequence[str] | None = None,
        ignore_paths: Iterable[str] = (),
        allow_repeats: bool = False,
        faults: Iterable[Fault] = (),
        record_command: str | None = None,
    ) -> None:
        self.path = Path(path)
        self.mode = RecordMode(record_mode)
        exists = self.path.exists()
        if self.mode is RecordMode.NONE and not exists:
            how = record_command or "re-run with record mode once, new_episodes or all"
            raise CassetteNotFoundError(
                f"cassette {self.path} does not exist and record mode is 'none' "
                f"(nothing may touch the network). To record it: {how}",
                str(self.path),
            )
        replaying = exists and self.mode is not RecordMode.ALL
        self.cassette = Cassette.load(self.path) if replaying else Cassette(path=self.path)
        self.replay = ReplayTransport(
            self.cassette,
            timing,
            match_on=match_on,
            ignore_paths=ignore_paths,
            allow_repeats=allow_repeats,
            faults=faults,
        )
        self.recorder: RecordingTransport | None = None
        if self.mode is not RecordMode.NONE and not (exists and self.mode is RecordMode.ONCE):
            # What gets recorded is indexed for replay (unplayed), so in new_episodes a
            # repeat of a new request replays it, as vcrpy does, instead of recording twice.
            self.recorder = RecordingTransport(self.cassette, inner, on_recorded=self._recorded)
        self._replaying = replaying
        self._last_recorded: int | None = None

    def _recorded(self, index: int) -> None:
        self._last_recorded = index
        self.replay.matcher.add(index, played=False)

    @property
    def recording(self) -> bool:
        """Whether any request may be recorded (and so reach the network)."""
        return self.recorder is not None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._replaying:
            if self.recorder is None:
                return await self.replay.handle_async_request(request)
            try:
                return await self.replay.handle_async_request(request)
            except CassetteMatchError:
                pass  # new_episodes: what is not on the cassette yet gets recorded
        assert self.recorder is not None
        if not self.replay.faults:
            return await self.recorder.handle_async_request(request)
        # Faults while recording: record the live answer whole, then serve the recording
        # with the faults, so a fault test behaves the same on its recording run as after.
        live = await self.recorder.handle_async_request(request)
        await live.aread()  # stores the interaction, which sets _last_recorded
        index = self._last_recorded
        await live.aclose()
        assert index is not None
        return await self.replay.serve(request, index)

    def assert_all_played(self) -> None:
        """In replay, raise `CassetteUnplayedError` for recorded interactions never used."""
        if self._replaying and self.mode is not RecordMode.NEW_EPISODES:
            self.replay.assert_all_played()

    async def aclose(self) -> None:
        if self.recorder is not None:
            await self.recorder.aclose()
