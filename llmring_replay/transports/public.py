"""The three transports users build: replay, record, or either by record mode.

Each is one `Core` (what to do) behind `CoreTransport` (how to say it to a client), so each
serves httpx and httpx2 clients, sync and async; `for_httpx2()` gives it typed for httpx2.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from typing_extensions import Unpack

from llmring_replay.cassette import Cassette, Interaction
from llmring_replay.timing import Timing
from llmring_replay.transports.adapter import CoreTransport, Live
from llmring_replay.transports.modes import Core, RecordMode
from llmring_replay.transports.recording import Recorder, RecordOptions
from llmring_replay.transports.replay import Replayer, ReplayOptions, ReplayPlan

__all__ = ["CassetteTransport", "RecordingTransport", "ReplayTransport"]


class ReplayTransport(CoreTransport):
    """Serve `cassette`'s recorded responses frame by frame; never touches the network.

    `timing` is a `Timing` or its string form (`"instant"`, `"recorded"`, `"speed=2"`, ...).
    `match_on` / `ignore_paths` / `allow_repeats` configure matching (see `Matcher`);
    `faults` rewrite each plan in order (see `llmring_replay.faults`).
    """

    def __init__(
        self,
        cassette: Cassette,
        timing: Timing | str | None = "instant",
        **options: Unpack[ReplayOptions],
    ) -> None:
        self.replayer = Replayer(cassette, timing, **options)
        self.cassette = cassette
        self.matcher = self.replayer.matcher
        self.timing = self.replayer.timing
        self.faults = self.replayer.faults
        super().__init__(Core(self.replayer, None, replaying=True), Live())

    def plan_for(self, interaction: Interaction) -> ReplayPlan:
        """The plan for an interaction as recorded, timed by the policy, before faults."""
        return self.replayer.plan_for(interaction)

    def unplayed(self) -> list[int]:
        """Indexes of the interactions no request has used yet."""
        return self.replayer.unplayed()

    def assert_all_played(self) -> None:
        """Raise `CassetteUnplayedError` if any recorded interaction was never requested."""
        self.replayer.assert_all_played()


class RecordingTransport(CoreTransport):
    """Record every exchange through `inner` (the live network by default) into `cassette`.

    `save=True` (the default) writes the cassette (atomically) after each recorded
    interaction when it has a path, so an interrupted run keeps everything recorded so far.
    `secrets` are extra strings to redact wherever they appear, beside the known key
    variables. `on_recorded` is called with the index of each interaction appended. Closing
    the transport finishes the recordings of responses nobody read to the end.
    """

    def __init__(
        self, cassette: Cassette, inner: Any = None, **options: Unpack[RecordOptions]
    ) -> None:
        self.cassette = cassette
        self.inner = inner
        self.recorder = Recorder(cassette, **options)
        super().__init__(Core(None, self.recorder, replaying=False), Live(inner))

    @property
    def secrets(self) -> tuple[str, ...]:
        """Extra strings to redact; settable (a proxy adds each client's key as it comes)."""
        return self.recorder.secrets

    @secrets.setter
    def secrets(self, secrets: tuple[str, ...]) -> None:
        self.recorder.secrets = tuple(secrets)


class CassetteTransport(CoreTransport):
    """Replay from, and record into, the cassette at `path`, per `record_mode`.

    See `modes` for what each mode does; `timing` and the other options are
    `ReplayTransport`'s. `inner` is what recording reaches the network through (default:
    the client library's own transport). `record_command` is what a missing-cassette error
    tells the user to run (the pytest plugin passes the exact command line of the test).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        record_mode: RecordMode | str = RecordMode.NONE,
        *,
        timing: Timing | str | None = "instant",
        inner: Any = None,
        record_command: str | None = None,
        **options: Unpack[ReplayOptions],
    ) -> None:
        self.path = Path(path)
        self.mode = RecordMode(record_mode)
        core = Core.for_mode(self.path, self.mode, timing, record_command, options)
        self.cassette = core.cassette
        assert core.replayer is not None
        #: Matching, played state and faults.
        self.replay: Replayer = core.replayer
        #: Present when the mode may record.
        self.recorder: Recorder | None = core.recorder
        super().__init__(core, Live(inner))

    @property
    def recording(self) -> bool:
        """Whether any request may be recorded (and so reach the network)."""
        return self.recorder is not None

    def assert_all_played(self) -> None:
        """In replay, raise `CassetteUnplayedError` for recorded interactions never used."""
        self.core.assert_all_played()
