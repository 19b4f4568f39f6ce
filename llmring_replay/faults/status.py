"""Status faults: the recorded response is replaced by the provider's HTTP error response.

The error arrives with the headers, as an API answers a request it refuses; a stall placed
before it (`StallBeforeFirstByte`) still delays it. Shapes per provider: `faults.shapes`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar

from llmring_replay.faults.base import BaseFault, content_type, format_of, model_of
from llmring_replay.faults.shapes import Shape, error_response, shape_for
from llmring_replay.transports.replay import ReplayContext, ReplayPlan

__all__ = [
    "Forbidden",
    "ModelNotFound",
    "Overloaded",
    "RateLimit",
    "ServerError",
    "StatusError",
    "Unauthorized",
    "Unavailable",
]


def _serve_error(
    fault: BaseFault,
    plan: ReplayPlan,
    context: ReplayContext,
    shape: Shape,
    retry_after: float | None,
) -> ReplayPlan:
    response = error_response(
        format_of(fault, context),
        shape,
        model_of(context),
        retry_after=retry_after,
        content_type=content_type(plan),
    )
    return replace(
        plan,
        status=response.status,
        headers=list(response.headers.items()),
        frames=[(plan.headers_delay, response.body)],
        error=None,
    )


@dataclass(frozen=True, repr=False)
class StatusError(BaseFault):
    """Any error status (400-599), shaped by the provider's renderer.

    `message` and `code` (OpenAI `code`, Anthropic `error.type`, Gemini `status`) default to
    what the provider usually says for that status; `retry_after` (seconds) goes where the
    provider puts it. Gemini's `StatusError(400)` is its answer to a bad API key.
    """

    status: int
    message: str | None = None
    code: str | None = None
    retry_after: float | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        self.require(400 <= self.status <= 599, "status must be an error status, 400-599")
        self.require(self.retry_after is None or self.retry_after >= 0, "retry_after < 0")

    def rewrite(self, plan: ReplayPlan, context: ReplayContext) -> ReplayPlan:
        # A message of the user's is not a template: its braces stay braces.
        message = self.message.replace("{", "{{").replace("}", "}}") if self.message else None
        shape = Shape(self.status, message, self.code)
        return _serve_error(self, plan, context, shape, self.retry_after)


@dataclass(frozen=True, repr=False)
class _KindFault(BaseFault):
    """A status fault whose status and wording per provider come from `shapes.shape_for`."""

    kind: ClassVar[str]

    def rewrite(self, plan: ReplayPlan, context: ReplayContext) -> ReplayPlan:
        shape = shape_for(format_of(self, context), self.kind)
        return _serve_error(self, plan, context, shape, self.retry_hint())

    def retry_hint(self) -> float | None:
        """Seconds the response tells the client to wait; none but for rate limits."""
        return None


@dataclass(frozen=True, repr=False)
class Unauthorized(_KindFault):
    """401: the key was rejected (Gemini: `UNAUTHENTICATED`)."""

    kind = "unauthorized"


@dataclass(frozen=True, repr=False)
class Forbidden(_KindFault):
    """403: the key may not use this (Anthropic `permission_error`, Gemini `PERMISSION_DENIED`)."""

    kind = "forbidden"


@dataclass(frozen=True, repr=False)
class ModelNotFound(_KindFault):
    """404 for the model (Ollama: the model is not pulled)."""

    kind = "model_not_found"


@dataclass(frozen=True, repr=False)
class RateLimit(_KindFault):
    """429, with `retry_after` seconds where the provider puts it.

    OpenAI: `retry-after` and `retry-after-ms` headers; Anthropic: `retry-after`; Gemini:
    `RESOURCE_EXHAUSTED` with `RetryInfo.retryDelay` in the body; Ollama: no hint at all.
    """

    kind = "rate_limit"
    retry_after: float | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        self.require(self.retry_after is None or self.retry_after >= 0, "retry_after < 0")

    def retry_hint(self) -> float | None:
        return self.retry_after


@dataclass(frozen=True, repr=False)
class ServerError(_KindFault):
    """500 (Anthropic `api_error`, Gemini `INTERNAL`)."""

    kind = "server_error"


@dataclass(frozen=True, repr=False)
class Unavailable(_KindFault):
    """503 (Gemini `UNAVAILABLE`, Ollama "server busy")."""

    kind = "unavailable"


@dataclass(frozen=True, repr=False)
class Overloaded(_KindFault):
    """Anthropic's 529 `overloaded_error`; elsewhere the 503 each sends when overloaded."""

    kind = "overloaded"
