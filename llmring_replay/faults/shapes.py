"""What each wire format really sends for a failure, as bytes a fault can put in a replay plan.

The bytes come from the format's pure renderer (`providers/<format>/render.py`, found with
`simulator.wire_for`), so a fault, the simulator and the real API answer alike. This module
only knows the failure *kinds* and the status each usually has; where a provider says
something else for a kind (its own status, message or code, checked against the recordings
of the conformance corpus), its renderer's `FAULT_SHAPES` says so. `docs/faults.md`
tabulates the result.

Every kind has the same status everywhere except `overloaded`: only Anthropic has a status of
its own for it (529 `overloaded_error`); the other providers' closest equivalent is the 503
they send when capacity runs out, so there `overloaded` and `unavailable` are the same
response.
"""

from __future__ import annotations

from llmring_replay.framing import framing_for
from llmring_replay.simulator.script import Script
from llmring_replay.simulator.wire import ErrorResponse, Shape, wire_for

__all__ = ["KINDS", "Shape", "error_frame", "error_response", "shape_for"]


#: kind -> the status every provider uses unless its renderer's `FAULT_SHAPES` says otherwise.
_STATUS = {
    "invalid_request": 400,
    "unauthorized": 401,
    "forbidden": 403,
    "model_not_found": 404,
    "rate_limit": 429,
    "server_error": 500,
    "unavailable": 503,
    "overloaded": 503,
}

#: The kinds of failure a fault can ask for.
KINDS = tuple(sorted(_STATUS))


def shape_for(provider: str, kind: str) -> Shape:
    """How `provider` (or the wire format of that name) answers a failure of `kind` (one of
    `KINDS`)."""
    wire = wire_for(provider)
    if kind not in _STATUS:
        raise ValueError(f"unknown kind {kind!r} (known: {', '.join(KINDS)})")
    return wire.FAULT_SHAPES.get(kind, Shape(_STATUS[kind]))


def _script(shape: Shape, model: str, retry_after: float | None) -> Script:
    if not shape.retry_hint:
        retry_after = None
    retry = f" Please try again in {retry_after:g}s." if retry_after is not None else ""
    message = shape.message.format(model=model, retry=retry) if shape.message else None
    return Script(
        status=shape.status,
        error_message=message,
        error_code=shape.code,
        retry_after=retry_after,
    )


def error_response(
    provider: str,
    shape: Shape,
    model: str,
    *,
    retry_after: float | None = None,
    content_type: str | None = None,
) -> ErrorResponse:
    """The HTTP error response `provider` (or the wire format of that name) sends;
    `content_type` is the one being replaced.

    Gemini keeps `text/event-stream` on an error from its streaming endpoint, so the shape
    depends on whether the replaced response was a stream.
    """
    stream = framing_for(content_type) is not None
    script = _script(shape, model, retry_after)
    return wire_for(provider).render_error(script, model, None, stream=stream)


def error_frame(
    provider: str, shape: Shape, model: str, *, retry_after: float | None = None
) -> bytes:
    """The in-band error event `provider` (or the wire format of that name) sends inside a
    200 stream.

    A `retry_after` lands where the provider's body can hold one: Gemini's `RetryInfo`,
    OpenAI's message ("Please try again in 2s."); Anthropic's and Ollama's cannot.
    """
    return wire_for(provider).render_error_frame(_script(shape, model, retry_after), model)
