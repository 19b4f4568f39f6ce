"""`LLMCassette`: one test's cassette, what the `llm_cassette` fixture gives the test.

It owns the test's `CassetteTransport` and the checks the plugin makes around the test body:

- before it: a cassette missing in record mode `none` fails the test with the command that
  records it;
- after it: the clients the fixtures made are closed (on the test's event loop, while it is
  still open), then a test that passed fails if its code tried to reach the network while
  replaying (even if it swallowed the error) or if recorded interactions were never played
  (unless the marker says `allow_unplayed=True`).

Those checks run in the call phase, so the test is reported *failed*, not errored.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pytest

from llmring_replay.exceptions import CassetteUnplayedError
from llmring_replay.transports import CassetteTransport
from pytest_llmring_replay.config import CassetteSettings
from pytest_llmring_replay.network import NetworkGuard
from pytest_llmring_replay.transport import PluginTransport

if TYPE_CHECKING:
    from llmring_replay.cassette import Cassette, Interaction
    from llmring_replay.service import LLMRing
    from llmring_replay.transports import Fault

__all__ = ["LLMCassette", "PLACEHOLDER_KEY"]

#: The API key providers get in replay: nothing is contacted, so no real key is needed.
PLACEHOLDER_KEY = "llmring-replay-placeholder"


def _faults(specs: Sequence[Any]) -> list[Fault]:
    if not specs:
        return []
    from llmring_replay.faults import parse_faults  # with the simulator's renderers: on demand

    return parse_faults(specs)


def _shown(path: os.PathLike[str], start: os.PathLike[str]) -> str:
    try:
        return os.path.relpath(path, start)
    except ValueError:  # another drive on Windows
        return os.fspath(path)


def _missing_message(settings: CassetteSettings, start: os.PathLike[str]) -> str:
    return (
        f"cassette {_shown(settings.path, start)} does not exist, and record mode 'none' "
        "may not touch the network.\n"
        f"To record it, run:\n    {settings.record_command}\n"
        "(recording talks to the real provider: set its API key, e.g. OPENAI_API_KEY)"
    )


class LLMCassette:
    """The test's cassette: where it lives, what it holds, what has been played."""

    def __init__(self, settings: CassetteSettings, invocation_dir: os.PathLike[str]) -> None:
        self.settings = settings
        #: Where the cassette lives (it may not exist yet when recording).
        self.path = settings.path
        #: `none`, `once`, `new_episodes` or `all`.
        self.record_mode = settings.record_mode
        #: What the test's code tried to reach while the network was blocked.
        self.network_attempts: list[str] = []
        missing = settings.record_mode == "none" and not settings.path.exists()
        self.missing_message = _missing_message(settings, invocation_dir) if missing else None
        inner = None if missing else self._cassette_transport()
        #: The httpx transport over the cassette, for other clients (`http_client=` of an SDK).
        self.transport = PluginTransport(inner, settings.path, self.missing_message or "")
        self._inner = inner
        self._rings: list[LLMRing] = []
        reason = f"the test replays its cassette (record mode {self.record_mode}); loopback is open"
        self._guard = NetworkGuard(self.network_attempts.append, reason)

    def _cassette_transport(self) -> CassetteTransport:
        settings = self.settings
        return CassetteTransport(
            settings.path,
            settings.record_mode,
            timing=settings.timing,
            match_on=settings.match_on,
            ignore_paths=settings.ignore_paths,
            allow_repeats=settings.allow_repeats,
            faults=_faults(settings.faults),
            record_command=settings.record_command,
        )

    # -- what a test may look at -------------------------------------------------------------

    @property
    def recording(self) -> bool:
        """Whether requests may be recorded (and so reach the network)."""
        return self._inner is not None and self._inner.recording

    @property
    def cassette(self) -> Cassette | None:
        """The cassette being played or recorded; `None` when it is missing."""
        return self._inner.cassette if self._inner is not None else None

    @property
    def interactions(self) -> list[Interaction]:
        """The recorded interactions (those recorded in this run included)."""
        cassette = self.cassette
        return cassette.interactions if cassette is not None else []

    @property
    def played(self) -> list[int]:
        """Indexes of the interactions replayed so far."""
        return self._inner.replay.matcher.played if self._inner is not None else []

    @property
    def unplayed(self) -> list[int]:
        """Indexes of the interactions not replayed (yet)."""
        return self._inner.replay.unplayed() if self._inner is not None else []

    # -- what the fixtures and hooks do ------------------------------------------------------

    def new_ring(self) -> LLMRing:
        """An `LLMRing` on this cassette; in replay every provider has a placeholder key."""
        from llmring_replay.providers import PROVIDERS
        from llmring_replay.service import LLMRing

        ring = LLMRing(transport=self.transport)
        if not self.recording:
            for name in PROVIDERS:
                if name not in ring.providers:
                    ring.register_provider(name, api_key=PLACEHOLDER_KEY)
        self._rings.append(ring)
        return ring

    def start(self) -> None:
        """Block the network while the cassette only replays."""
        if not self.recording:
            self._guard.install()

    def before_call(self) -> None:
        """Fail the test at once if its cassette is missing in record mode `none`."""
        if self.missing_message is not None:
            pytest.fail(self.missing_message, pytrace=False)

    def after_call(self, passed: bool) -> None:
        """Close the clients; if the test passed, check the network and the played state."""
        self.close_rings()
        if not passed:
            return
        if self.network_attempts:
            tried = "\n".join(f"  - {attempt}" for attempt in self.network_attempts)
            pytest.fail(
                "the test tried to reach the network while replaying its cassette:\n" + tried,
                pytrace=False,
            )
        if self._inner is not None and not self.settings.allow_unplayed:
            try:
                self._inner.assert_all_played()
            except CassetteUnplayedError as exc:
                unplayed = str(exc)
            else:
                return
            hint = "(if that is expected: @pytest.mark.llm_cassette(allow_unplayed=True))"
            pytest.fail(f"{unplayed}\n{hint}", pytrace=False)

    def close_rings(self) -> None:
        """Close the fixtures' clients on the loop they ran on (a new one if it is gone)."""
        transport = self.transport
        if not transport.open:
            return
        loop = transport.loop
        for ring in self._rings:
            if loop is not None and not loop.is_closed():
                if loop.is_running():
                    return  # inside someone's running loop: nothing we can safely do
                loop.run_until_complete(ring.aclose())
            else:
                asyncio.run(ring.aclose())

    def stop(self) -> None:
        """Teardown: close what is still open and unblock the network."""
        try:
            self.close_rings()
        finally:
            self._guard.uninstall()
