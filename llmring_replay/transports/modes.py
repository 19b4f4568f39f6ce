"""Record modes, with vcrpy's meanings, and `Core`: per request, replay or record.

| mode           | cassette file exists                      | no cassette file                  |
|----------------|-------------------------------------------|-----------------------------------|
| `none`         | replay only; a miss is an error           | error: how to record it           |
| `once`         | replay only; a miss is an error           | record every request              |
| `new_episodes` | replay what matches, record the rest      | record every request              |
| `all`          | record every request, replacing the file  | record every request              |

With faults, a request that is recorded is read whole first, then served from the new
recording with the faults applied: a fault test fails the same way on its recording run as
on every replay after it.

`none` (the default everywhere) never builds a recorder at all, so a transport in that mode
cannot reach the network whatever it is asked.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path

from llmring_replay.cassette import Cassette
from llmring_replay.exceptions import CassetteMatchError, CassetteNotFoundError
from llmring_replay.timing import Timing
from llmring_replay.transports.recording import Recorder
from llmring_replay.transports.replay import Replayer, ReplayOptions

__all__ = ["Core", "RecordMode"]


class RecordMode(str, Enum):
    """When to touch the network (vcrpy's record modes)."""

    NONE = "none"
    ONCE = "once"
    NEW_EPISODES = "new_episodes"
    ALL = "all"


class Core:
    """The shared logic behind every transport: what to do with a request, whatever client.

    `replayer` answers from the cassette, `recorder` records from the network; `replaying`
    says whether a request is matched first (a miss is then an error unless there is a
    recorder: `new_episodes`).
    """

    def __init__(
        self,
        replayer: Replayer | None,
        recorder: Recorder | None,
        *,
        replaying: bool,
        mode: RecordMode | None = None,
    ) -> None:
        self.replayer = replayer
        self.recorder = recorder
        self.replaying = replaying and replayer is not None
        #: The record mode the core was made for (`for_mode`), else None.
        self.mode = mode

    @classmethod
    def for_mode(
        cls,
        path: Path,
        mode: RecordMode,
        timing: Timing | str | None,
        record_command: str | None,
        options: ReplayOptions,
    ) -> Core:
        """The core for the cassette at `path` in `mode` (see the module docstring).

        `record_command` is what a missing-cassette error tells the user to run.
        """
        exists = path.exists()
        if mode is RecordMode.NONE and not exists:
            how = record_command or "re-run with record mode once, new_episodes or all"
            raise CassetteNotFoundError(
                f"cassette {path} does not exist and record mode is 'none' "
                f"(nothing may touch the network). To record it: {how}",
                str(path),
            )
        replaying = exists and mode is not RecordMode.ALL
        # In `all` the old file stays whole until the new recording is complete (on close).
        rerecord = mode is RecordMode.ALL
        cassette = Cassette.load(path) if replaying else Cassette(path=path, rerecord=rerecord)
        replayer = Replayer(cassette, timing, **options)
        recorder = None
        if mode is not RecordMode.NONE and not (exists and mode is RecordMode.ONCE):
            # What gets recorded is indexed for replay (unplayed), so in new_episodes a
            # repeat of a new request replays it, as vcrpy does, instead of recording twice.
            def recorded(index: int) -> None:
                replayer.matcher.add(index, played=False)

            recorder = Recorder(cassette, on_recorded=recorded)
        return cls(replayer, recorder, replaying=replaying, mode=mode)

    @property
    def cassette(self) -> Cassette:
        """The cassette replayed from or recorded into."""
        owner = self.replayer or self.recorder
        assert owner is not None, "a core replays, records, or both"
        return owner.cassette

    def route(self, method: str, url: str, body: bytes | None) -> int | None:
        """The index of the interaction to replay for a request, or None to record it."""
        if self.replaying:
            assert self.replayer is not None
            if self.recorder is None:
                return self.replayer.match(method, url, body)
            try:
                return self.replayer.match(method, url, body)
            except CassetteMatchError:
                pass  # new_episodes: what is not on the cassette yet gets recorded
        return None

    @property
    def faults_on_recording(self) -> bool:
        """Whether a recorded answer is served back through the replayer's faults."""
        return self.replayer is not None and bool(self.replayer.faults)

    def assert_all_played(self) -> None:
        """In replay, raise `CassetteUnplayedError` for recorded interactions never used."""
        if self.replaying and self.mode is not RecordMode.NEW_EPISODES:
            assert self.replayer is not None
            self.replayer.assert_all_played()
