"""A script's `fault:` applied to the reply the simulator rendered for it.

The faults of `llmring_replay.faults` rewrite a `ReplayPlan` (status, headers, frames at
offsets, a delay before the headers, an error after the last frame). The simulator's reply
becomes such a plan, the faults rewrite it exactly as they rewrite a recording at replay,
and the plan becomes a reply again: a status fault answers with the provider's real error
shape, a stall moves frames later, a disconnect cuts the connection after frame N, a
malformed frame or in-band error replaces frame N. So a fault reads the same in a scenario,
in `replay --fault` and in the `faults=` marker.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import TYPE_CHECKING

import httpx

from llmring_replay.cassette import Interaction, RecordedRequest, RecordedResponse
from llmring_replay.faults import parse_faults
from llmring_replay.transports.replay import ReplayContext, ReplayPlan

if TYPE_CHECKING:
    from llmring_replay.simulator.routes import Reply

__all__ = ["apply_faults"]


def _plan(reply: Reply) -> ReplayPlan:
    if reply.streamed:
        offsets = list(itertools.accumulate(reply.delays, initial=reply.headers_delay))[1:]
        frames = list(zip(offsets, reply.frames, strict=True))
    else:
        # A whole body goes out at once, after its delay: one frame.
        frames = [(reply.headers_delay + sum(reply.delays[:1]), b"".join(reply.frames))]
    return ReplayPlan(reply.status, list(reply.headers.items()), frames, reply.headers_delay)


def _reply(plan: ReplayPlan, streamed: bool) -> Reply:
    from llmring_replay.simulator.routes import Reply  # routes imports this module

    offsets = [at for at, _ in plan.frames]
    data = [frame for _, frame in plan.frames]
    cut = plan.error is not None
    if plan.status != 200 or not (streamed or cut):
        # An error answer (or a whole body) is written at once, headers and all.
        delay = offsets[-1] if offsets else plan.headers_delay
        return Reply(plan.status, dict(plan.headers), [b"".join(data)], [delay], cut=cut)
    starts = [plan.headers_delay, *offsets][: len(offsets)]
    delays = [max(0.0, at - start) for at, start in zip(offsets, starts, strict=True)]
    return Reply(
        plan.status,
        dict(plan.headers),
        data,
        delays,
        streamed=True,
        headers_delay=plan.headers_delay,
        cut=cut,
    )


def apply_faults(
    reply: Reply,
    specs: Sequence[str],
    *,
    provider: str,
    model: str,
    path: str,
    attempt: int,
) -> Reply:
    """`reply` with the faults of `specs` applied in order (`attempt`: for `fail_first`)."""
    url = f"http://simulator{path}"
    context = ReplayContext(
        request=httpx.Request("POST", url),
        interaction=Interaction(
            RecordedRequest("POST", url), RecordedResponse(reply.status), provider, model
        ),
        index=0,
        attempt=attempt,
        provider=provider,
    )
    plan = _plan(reply)
    for fault in parse_faults(list(specs)):
        plan = fault.apply(plan, context)
    return _reply(plan, reply.streamed)
