"""`LLMCassette`: one test's cassette, what the `llm_cassette` fixture gives the test.

It owns the test's `CassetteTransport` and the checks the plugin makes around the test body:

- before it: a cassette missing in record mode `none` fails the test with the command that
  records it;
- after it: the clients the fixtures made, and the transport, are closed on the event loop
  they ran on (the test's, while it is still open, or an app's in another thread), which
  also finishes recording any response left unread; then a test that passed fails if its
  code tried to reach the network while replaying (even if it swallowed the error), if
  requests went to the network while recording but were not all recorded (the cassette
  would not replay the test), or if recorded interactions were never played (unless the
  marker says `allow_unplayed=True`).

Those checks run in the call phase, so the test is reported *failed*, not errored.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Coroutine, Sequence
from typing import TYPE_CHECKING, Any

import pytest

from llmring_replay.exceptions import CassetteUnplayedError
from llmring_replay.service import PLACEHOLDER_KEY
from llmring_replay.transports import CassetteTransport
from llmring_replay.transports.intercept import Interception
from pytest_llmring_replay.config import CassetteSettings
from pytest_llmring_replay.messages import missing_message, unrecorded_message
from pytest_llmring_replay.network import NetworkGuard
from pytest_llmring_replay.ring_config import RingSettings
from pytest_llmring_replay.transport import PluginTransport

if TYPE_CHECKING:
    from llmring_replay.cassette import Cassette, Interaction
    from llmring_replay.providers.registry import Format
    from llmring_replay.service import LLMRing
    from llmring_replay.transports import Fault

__all__ = ["LLMCassette"]

#: The API key providers get in replay: nothing is contacted, so no real key is needed.

#: How long closing clients on a loop running in another thread may take.
_CLOSE_TIMEOUT = 30.0


def _faults(specs: Sequence[Any]) -> list[Fault]:
    if not specs:
        return []
    from llmring_replay.faults import parse_faults  # with the simulator's renderers: on demand

    return parse_faults(specs)


def _run_on(
    loop: asyncio.AbstractEventLoop | None, make: Callable[[], Coroutine[Any, Any, None]]
) -> None:
    """Run `make()` to its end on `loop`, the loop the test's clients ran on."""
    if loop is None or loop.is_closed():
        asyncio.run(make())  # that loop is gone (a sync test's `asyncio.run`): a new one
    elif loop.is_running():
        # It runs in another thread (an app's, serving the test): close there. Not this
        # thread's: pytest's hooks and fixtures never run inside a running loop.
        asyncio.run_coroutine_threadsafe(make(), loop).result(_CLOSE_TIMEOUT)
    else:
        loop.run_until_complete(make())


def _chosen_format(entry: str | None) -> Format | None:
    """The wire format a cross-provider entry names when it is not its provider's default
    (`openai_responses`); `None` for a provider name (`openai`) or no entry."""
    from llmring_replay.providers.registry import by_name

    try:
        fmt = by_name(entry) if entry is not None else None
    except ValueError:
        return None
    return fmt if fmt is not None and not fmt.default_for_provider else None


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
        self._invocation_dir = invocation_dir
        missing = settings.record_mode == "none" and not settings.path.exists()
        self.missing_message = missing_message(settings, invocation_dir) if missing else None
        inner = None if missing else self._cassette_transport()
        #: The httpx transport over the cassette, for other clients (`http_client=` of an SDK).
        self.transport = PluginTransport(inner, settings.path, self.missing_message or "")
        self._inner = inner
        self._stored_before = len(self.interactions)
        self._rings: list[LLMRing] = []
        reason = f"the test replays its cassette (record mode {self.record_mode}); loopback is open"
        self._guard = NetworkGuard(self.network_attempts.append, reason)
        # Every httpx / httpx2 client's provider requests are served by `transport`.
        self._interception = Interception(self.transport) if settings.intercept else None

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

    def new_ring(self, settings: RingSettings | None = None) -> LLMRing:
        """An `LLMRing` on this cassette, built with `settings` (the `llmring` fixture's);
        in replay every provider without a key gets a placeholder key."""
        from llmring_replay.providers.registry import for_provider, provider_names
        from llmring_replay.service import LLMRing

        if settings is None:
            ring = LLMRing(transport=self.transport)
        else:
            ring = LLMRing(
                settings.lockfile,
                transport=self.transport,
                timeout=settings.timeout,
                profile=settings.profile,
            )
            for name, provider in settings.providers.items():
                ring.register_provider(
                    name, provider.get("api_key"), provider.get("base_url"), api=provider.get("api")
                )
        chosen = _chosen_format(self.settings.provider)
        if chosen is not None and (chosen.provider in ring.providers or not self.recording):
            # A cross-provider run of a provider's other API (`providers=["openai_responses"]`).
            ring.register_provider(chosen.provider, api=chosen.name)
        if not self.recording:
            for name in provider_names():
                configured = ring.providers.get(name)
                keyless = configured is None or configured.api_key is None
                if keyless and not for_provider(name).key_optional:
                    ring.register_provider(name, api_key=PLACEHOLDER_KEY)
        self._rings.append(ring)
        return ring

    def start(self) -> None:
        """Block the network while the cassette only replays; intercept provider requests."""
        if not self.recording:
            self._guard.install()
        if self._interception is not None:
            self._interception.install()

    def before_call(self) -> None:
        """Fail the test at once if its cassette is missing in record mode `none`."""
        if self.missing_message is not None:
            pytest.fail(self.missing_message, pytrace=False)

    def after_call(self, passed: bool) -> None:
        """Close the clients; if the test passed, check the network and the cassette."""
        self.close_clients()
        if passed:
            self._check_network()
            self._check_recorded()
            self._check_played()

    def _check_network(self) -> None:
        if self.network_attempts:
            tried = "\n".join(f"  - {attempt}" for attempt in self.network_attempts)
            pytest.fail(
                "the test tried to reach the network while replaying its cassette:\n" + tried,
                pytrace=False,
            )

    def _check_recorded(self) -> None:
        # After `close_clients`, which finishes the recording of responses left unread: what
        # is still missing was cut off, and the cassette would not replay the test.
        sent = self.transport.live.sent
        stored = len(self.interactions) - self._stored_before
        if stored < sent:
            message = unrecorded_message(sent, stored, self.path, self._invocation_dir)
            pytest.fail(message, pytrace=False)

    def _check_played(self) -> None:
        if self._inner is None or self.settings.allow_unplayed:
            return
        try:
            self._inner.assert_all_played()
        except CassetteUnplayedError as exc:
            problem = str(exc)
        else:
            return
        # Failed outside the `except`: inside, pytest prints the message twice, chained.
        hint = "(if that is expected: @pytest.mark.llm_cassette(allow_unplayed=True))"
        pytest.fail(f"{problem}\n{hint}", pytrace=False)

    def close_clients(self) -> None:
        """Close the fixtures' clients and the transport, on the loops they ran on.

        Responses left unread are finished on their own loop while it can still run (an
        app's loop in another thread, a test's loop kept for the module); a loop that is gone
        is never touched, and what was left unread there is reported as not recorded.
        """
        transport = self.transport
        if not transport.open:
            return
        transport.close()  # what sync clients left open
        recorder = transport.core.recorder
        for loop in transport.loops[:-1]:
            if recorder is not None and not loop.is_closed():
                _run_on(loop, recorder.aclose)
        _run_on(transport.loop, self._aclose)
        transport.open = False

    async def _aclose(self) -> None:
        for ring in self._rings:
            await ring.aclose()
        # A client the test built on `transport` may have left it open: closing it also
        # finishes recording the responses nobody read to the end.
        await self.transport.aclose()

    def stop(self) -> None:
        """Teardown: close what is still open, stop intercepting, unblock the network."""
        try:
            self.close_clients()
        finally:
            if self._interception is not None:
                self._interception.uninstall()
            self._guard.uninstall()
