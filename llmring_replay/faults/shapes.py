"""What each provider really sends for a failure, as bytes a fault can put in a replay plan.

The bytes come from the simulator's pure renderers (`simulator.wire_for(provider)`), so a
fault, the simulator and the real API answer alike. This module only picks, per failure
*kind* and provider, the status, and the message or code where the renderer's default is
not what that provider says (checked against the recordings of the conformance corpus).
`docs/faults.md` tabulates the result.

Every kind has the same status everywhere except `overloaded`: only Anthropic has a status of
its own for it (529 `overloaded_error`); the other providers' closest equivalent is the 503
they send when capacity runs out (OpenAI "The engine is currently overloaded", Gemini
`UNAVAILABLE` "The model is overloaded", Ollama "server busy" when its queue is full), so there
`overloaded` and `unavailable` are the same response. Ollama itself has no keys and no quotas:
its 401 and 429 are ollama.com's (`{"error": "unauthorized"}`, a usage-limit message), which
carry no retry hint, so `retry_after` is ignored for Ollama.
"""

from __future__ import annotations

from dataclasses import dataclass

from llmring_replay.framing import framing_for
from llmring_replay.simulator.script import Script
from llmring_replay.simulator.wire import PROVIDERS, ErrorResponse, wire_for

__all__ = ["KINDS", "Shape", "error_frame", "error_response", "shape_for"]


@dataclass(frozen=True)
class Shape:
    """How one provider answers one kind of failure: status, and any non-default wording."""

    status: int
    #: The message; `{model}` is replaced by the model, `{retry}` by OpenAI's "Please try
    #: again in 2s." (or nothing). `None`: the renderer's default.
    message: str | None = None
    #: The provider's own code (OpenAI `code`, Anthropic `error.type`, Gemini `status`).
    code: str | None = None
    #: Whether the provider tells the client when to retry (headers or body).
    retry_hint: bool = True


#: kind -> the status every provider uses unless `_OVERRIDES` says otherwise.
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

_OLLAMA_BUSY = "server busy, please try again.  maximum pending requests exceeded"

# Where the renderer's default for a status is not what the provider says for this kind.
_OVERRIDES: dict[tuple[str, str], Shape] = {
    ("openai", "forbidden"): Shape(403, "Country, region, or territory not supported"),
    ("openai", "model_not_found"): Shape(
        404, "The model `{model}` does not exist or you do not have access to it."
    ),
    ("openai", "rate_limit"): Shape(
        429,
        "Rate limit reached for {model} on requests per min (RPM): Limit 3, Used 3, "
        "Requested 1.{retry} Visit https://platform.openai.com/account/rate-limits to learn "
        "more.",
    ),
    ("anthropic", "model_not_found"): Shape(404, "model: {model}"),
    ("anthropic", "overloaded"): Shape(529, "Overloaded", "overloaded_error"),
    # A bad OAuth token; a bad *API key* is Gemini's 400 INVALID_ARGUMENT + API_KEY_INVALID
    # (`StatusError(400)` renders that one). The explicit code keeps API_KEY_INVALID out.
    ("google", "unauthorized"): Shape(
        401,
        "Request had invalid authentication credentials. Expected OAuth 2 access token, "
        "login cookie or other valid authentication credential.",
        "UNAUTHENTICATED",
    ),
    ("google", "model_not_found"): Shape(
        404,
        "models/{model} is not found for API version v1beta, or is not supported for "
        "generateContent. Call ListModels to see the list of available models and their "
        "supported methods.",
    ),
    ("ollama", "unauthorized"): Shape(401, "unauthorized"),
    ("ollama", "forbidden"): Shape(403, "forbidden"),
    ("ollama", "rate_limit"): Shape(
        429,
        "you've reached your hourly usage limit, please wait or upgrade to continue",
        retry_hint=False,
    ),
    ("ollama", "unavailable"): Shape(503, _OLLAMA_BUSY),
    ("ollama", "overloaded"): Shape(503, _OLLAMA_BUSY),
}


def shape_for(provider: str, kind: str) -> Shape:
    """How `provider` answers a failure of `kind` (one of `KINDS`)."""
    if provider not in PROVIDERS:
        raise ValueError(f"unknown provider {provider!r} (known: {', '.join(PROVIDERS)})")
    if kind not in _STATUS:
        raise ValueError(f"unknown kind {kind!r} (known: {', '.join(KINDS)})")
    return _OVERRIDES.get((provider, kind), Shape(_STATUS[kind]))


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
    """The HTTP error response `provider` sends; `content_type` is the one being replaced.

    Gemini keeps `text/event-stream` on an error from its streaming endpoint, so the shape
    depends on whether the replaced response was a stream.
    """
    stream = framing_for(content_type) is not None
    script = _script(shape, model, retry_after)
    return wire_for(provider).render_error(script, model, None, stream=stream)


def error_frame(
    provider: str, shape: Shape, model: str, *, retry_after: float | None = None
) -> bytes:
    """The in-band error event `provider` sends inside a 200 stream.

    A `retry_after` lands where the provider's body can hold one: Gemini's `RetryInfo`,
    OpenAI's message ("Please try again in 2s."); Anthropic's and Ollama's cannot.

    OpenAI-compatible servers name the event (`event: error`, as Groq does) *and* put the
    error under a `"error"` key, so clients that look for either one see it; the renderer
    gives only the data line.
    """
    frame = wire_for(provider).render_error_frame(_script(shape, model, retry_after), model)
    return b"event: error\n" + frame if provider == "openai" else frame
