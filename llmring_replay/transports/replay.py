"""`ReplayTransport`: serve recorded responses frame by frame, paced by a timing policy.

Each request is matched against the cassette (`cassette.match.Matcher`: strict, in order).
The matched response becomes a `ReplayPlan` (status, headers, frames with the offsets at
which to serve them); faults, when given, rewrite the plan before it is served, which is how
rate limits, stalls, disconnects and in-band errors are simulated on top of a real
recording. Waiting uses `asyncio.sleep` on the running loop's clock toward absolute targets,
so errors never accumulate and a virtual clock replays hours in milliseconds.

The transport honours the request's read timeout as a socket would: when the next frame is
further away than the timeout, the stream raises `httpx.ReadTimeout` after waiting exactly
the timeout.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import httpx

from llmring_replay.cassette import Cassette, Interaction, Matcher
from llmring_replay.timing import Timing, parse_timing
from llmring_replay.transports.recording import FRAMING_HEADERS

__all__ = ["Fault", "ReplayContext", "ReplayPlan", "ReplayTransport"]


@dataclass(frozen=True)
class ReplayPlan:
    """What replay will serve for one request; faults return modified copies."""

    status: int
    headers: list[tuple[str, str]]
    #: (serve at, bytes): offsets in seconds from the request, already timed by the policy.
    frames: list[tuple[float, bytes]]
    #: Seconds before the response headers arrive (a stall before the first byte).
    headers_delay: float = 0.0
    #: Raised after the last frame (e.g. a disconnect), instead of a clean end of body.
    error: BaseException | None = None


@dataclass
class ReplayContext:
    """What a fault may want to know about the request being replayed."""

    request: httpx.Request
    interaction: Interaction
    index: int
    #: How many times this interaction was requested before (0 on the first request).
    attempt: int
    provider: str | None = None
    extra: dict[str, object] = field(default_factory=dict)


class Fault(Protocol):
    """Rewrites a plan: the hook through which `llmring_replay.faults` simulates failures."""

    def apply(self, plan: ReplayPlan, context: ReplayContext) -> ReplayPlan:
        """The plan to serve instead of `plan`."""


# The selector rounds timeouts up to whole milliseconds, so a plain sleep lands up to 1 ms
# late. We sleep to just short of the target and yield to the loop for the rest.
_SPIN = 0.0015


async def _sleep_until(loop: asyncio.AbstractEventLoop, due: float) -> None:
    wait = due - loop.time()
    if wait <= 0:
        return
    if wait > _SPIN:
        await asyncio.sleep(wait - _SPIN)
    # Bounded by real time as well: under a virtual clock `loop.time()` only moves while
    # the loop idles, so the final sleep below is what advances it.
    real_deadline = time.perf_counter() + _SPIN
    while loop.time() < due and time.perf_counter() < real_deadline:
        await asyncio.sleep(0)
    if loop.time() < due:
        await asyncio.sleep(due - loop.time())


class _PacedStream(httpx.AsyncByteStream):
    def __init__(
        self, plan: ReplayPlan, start: float, read_timeout: float | None, request: httpx.Request
    ) -> None:
        self.plan = plan
        self.start = start
        self.read_timeout = read_timeout
        self.request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        loop = asyncio.get_running_loop()
        for at, data in self.plan.frames:
            due = self.start + at
            # As on a socket, the read timeout runs from when the consumer asks for more,
            # so time the app spends on a chunk does not count against it.
            asked = loop.time()
            if self.read_timeout is not None and due - asked > self.read_timeout:
                await asyncio.sleep(self.read_timeout)
                raise httpx.ReadTimeout(
                    f"no data for {self.read_timeout:g}s (replayed stall)", request=self.request
                )
            await _sleep_until(loop, due)
            yield data
        if self.plan.error is not None:
            raise self.plan.error


class ReplayTransport(httpx.AsyncBaseTransport):
    """Serve `cassette`'s recorded responses; never touches the network.

    `timing` is a `Timing` or its string form (`"instant"`, `"recorded"`, `"speed=2"`, ...).
    `match_on` / `ignore_paths` / `allow_repeats` configure matching (see `Matcher`).
    `faults` rewrite each plan in order (see `llmring_replay.faults`).
    """

    def __init__(
        self,
        cassette: Cassette,
        timing: Timing | str | None = "instant",
        *,
        match_on: Sequence[str] | None = None,
        ignore_paths: Iterable[str] = (),
        allow_repeats: bool = False,
        faults: Iterable[Fault] = (),
    ) -> None:
        self.cassette = cassette
        self.timing = parse_timing(timing)
        options: dict[str, object] = {
            "ignore_paths": tuple(ignore_paths),
            "allow_repeats": allow_repeats,
        }
        if match_on is not None:
            options["match_on"] = tuple(match_on)
        self.matcher = Matcher(cassette, **options)  # type: ignore[arg-type]
        self.faults = list(faults)
        self._attempts: dict[int, int] = {}

    def plan_for(self, interaction: Interaction) -> ReplayPlan:
        """The plan for an interaction as recorded, timed by the policy, before faults."""
        response = interaction.response
        frames = response.frames()
        served_at = self.timing.schedule([offset for offset, _ in frames])
        headers = [
            (name, value)
            for name, values in response.headers.items()
            if name.lower() not in FRAMING_HEADERS
            for value in values
        ]
        return ReplayPlan(
            status=response.status,
            headers=headers,
            frames=[(at, data) for at, (_, data) in zip(served_at, frames, strict=True)],
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        start = asyncio.get_running_loop().time()
        body = await request.aread()
        index = self.matcher.match(request.method, str(request.url), body)
        return await self.serve(request, index, start)

    async def serve(
        self, request: httpx.Request, index: int, start: float | None = None
    ) -> httpx.Response:
        """Answer `request` with interaction `index` (timed, with the faults applied).

        `start` is the loop time the request was made (default: now); frame offsets count
        from it. Recording modes use this to serve a just-recorded interaction with faults.
        """
        if start is None:
            start = asyncio.get_running_loop().time()
        interaction = self.cassette.interactions[index]
        attempt = self._attempts.get(index, 0)
        self._attempts[index] = attempt + 1
        plan = self.plan_for(interaction)
        context = ReplayContext(request, interaction, index, attempt, interaction.provider)
        for fault in self.faults:
            plan = fault.apply(plan, context)
        read_timeout = request.extensions.get("timeout", {}).get("read")
        if plan.headers_delay > 0:
            if read_timeout is not None and plan.headers_delay > read_timeout:
                await asyncio.sleep(read_timeout)
                raise httpx.ReadTimeout(
                    f"no response for {read_timeout:g}s (replayed stall)", request=request
                )
            await asyncio.sleep(plan.headers_delay)
        return httpx.Response(
            plan.status,
            headers=plan.headers,
            stream=_PacedStream(plan, start, read_timeout, request),
            request=request,
        )

    def unplayed(self) -> list[int]:
        """Indexes of the interactions no request has used yet."""
        return self.matcher.unplayed()

    def assert_all_played(self) -> None:
        """Raise `CassetteUnplayedError` if any recorded interaction was never requested."""
        self.matcher.assert_all_played()
