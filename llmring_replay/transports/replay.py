"""The replay half of the core: match a request, plan its answer, let faults rewrite the plan.

Nothing here knows the HTTP library or whether the client is sync or async: a request is
seen through `RequestLike` (what httpx and httpx2 requests both offer), and the answer is a
`ReplayPlan` (status, headers, frames with the offsets at which to serve them) that an
adapter turns into its library's response and paces with `pacing`. Faults rewrite the plan
before it is served, which is how rate limits, stalls, disconnects and in-band errors are
simulated on top of a real recording. A broken connection is planned as `StreamCut` and a
stall past the read timeout raises `ReadStall`; each adapter maps them to its library's
`RemoteProtocolError` and `ReadTimeout`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypedDict

from typing_extensions import Unpack

from llmring_replay.cassette import MATCH_ON, Cassette, Interaction, Matcher
from llmring_replay.timing import Timing, parse_timing

__all__ = [
    "FRAMING_HEADERS",
    "Fault",
    "ReadStall",
    "ReplayContext",
    "ReplayOptions",
    "ReplayPlan",
    "Replayer",
    "RequestLike",
    "StreamCut",
]

#: Headers about how the bytes were framed on the connection, which replay re-does itself.
FRAMING_HEADERS = frozenset({"content-length", "transfer-encoding"})


class RequestLike(Protocol):
    """What the core reads of a request: an `httpx.Request` or an `httpx2.Request`."""

    @property
    def method(self) -> str: ...
    @property
    def url(self) -> Any: ...
    @property
    def headers(self) -> Any: ...
    @property
    def content(self) -> bytes: ...
    @property
    def extensions(self) -> Any: ...


class StreamCut(Exception):
    """A planned broken connection; the adapter raises its library's `RemoteProtocolError`."""


class ReadStall(Exception):
    """No byte within the read timeout; the adapter raises its library's `ReadTimeout`."""


@dataclass(frozen=True)
class ReplayPlan:
    """What replay will serve for one request; faults return modified copies."""

    status: int
    headers: list[tuple[str, str]]
    #: (serve at, bytes): offsets in seconds from the request, already timed by the policy.
    #: As planned from a recording, a `FrameView` cutting each frame from the body when read.
    frames: Sequence[tuple[float, bytes]]
    #: Seconds before the response headers arrive (a stall before the first byte).
    headers_delay: float = 0.0
    #: Raised after the last frame (e.g. a disconnect: `StreamCut`), instead of a clean end.
    error: BaseException | None = None


@dataclass
class ReplayContext:
    """What a fault may want to know about the request being replayed."""

    request: RequestLike
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


class ReplayOptions(TypedDict, total=False):
    """How replay matches requests and what it does to the answers (keyword arguments).

    `match_on` / `ignore_paths` / `allow_repeats` configure matching (see `Matcher`).
    `faults` rewrite each plan in order (see `llmring_replay.faults`).
    """

    match_on: Sequence[str] | None
    ignore_paths: Iterable[str]
    allow_repeats: bool
    faults: Iterable[Fault]


class Replayer:
    """Matches requests to `cassette`'s interactions and plans their answers.

    `timing` is a `Timing` or its string form (`"instant"`, `"recorded"`, `"speed=2"`, ...);
    `options` are `ReplayOptions`.
    """

    def __init__(
        self,
        cassette: Cassette,
        timing: Timing | str | None = "instant",
        **options: Unpack[ReplayOptions],
    ) -> None:
        self.cassette = cassette
        self.timing = parse_timing(timing)
        match_on = options.get("match_on")
        self.matcher = Matcher(
            cassette,
            MATCH_ON if match_on is None else match_on,
            options.get("ignore_paths", ()),
            allow_repeats=options.get("allow_repeats", False),
        )
        self.faults = list(options.get("faults", ()))
        self._attempts: dict[int, int] = {}

    def match(self, method: str, url: str, body: bytes | None) -> int:
        """The index of the interaction that answers; `CassetteMatchError` on a miss."""
        return self.matcher.match(method, url, body)

    def plan_for(self, interaction: Interaction) -> ReplayPlan:
        """The plan for an interaction as recorded, timed by the policy, before faults."""
        response = interaction.response
        headers = [
            (name, value)
            for name, values in response.headers.items()
            if name.lower() not in FRAMING_HEADERS
            for value in values
        ]
        frames = response.frame_view(self.timing.schedule)  # O(largest frame) in memory
        return ReplayPlan(status=response.status, headers=headers, frames=frames)

    def plan(self, index: int, request: RequestLike) -> ReplayPlan:
        """The plan that answers `request` with interaction `index`, faults applied."""
        interaction = self.cassette.interactions[index]
        attempt = self._attempts.get(index, 0)
        self._attempts[index] = attempt + 1
        plan = self.plan_for(interaction)
        context = ReplayContext(request, interaction, index, attempt, interaction.provider)
        for fault in self.faults:
            plan = fault.apply(plan, context)
        return plan

    def unplayed(self) -> list[int]:
        """Indexes of the interactions no request has used yet."""
        return self.matcher.unplayed()

    def assert_all_played(self) -> None:
        """Raise `CassetteUnplayedError` if any recorded interaction was never requested."""
        self.matcher.assert_all_played()
