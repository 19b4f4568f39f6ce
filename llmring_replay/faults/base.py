"""What every fault shares: the `only=` selector, and the checks that name the fault."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import TypeAlias

from llmring_replay.providers.registry import format_for, provider_names
from llmring_replay.transports.replay import ReplayContext, ReplayPlan

__all__ = ["BaseFault", "Selector", "content_type", "format_of", "model_of", "selects"]

#: Which interactions a fault touches: all (`None`), one by index in the cassette (`int`),
#: those of one model (`str`: `"gpt-4o"` or `"openai:gpt-4o"`), or any predicate.
Selector: TypeAlias = int | str | Callable[[ReplayContext], bool] | None


def selects(only: Selector, context: ReplayContext) -> bool:
    """Whether a fault with this selector applies to the interaction being replayed."""
    if only is None:
        return True
    if isinstance(only, int):
        return context.index == only
    if isinstance(only, str):
        model = context.interaction.model
        return model is not None and only in (model, f"{context.provider}:{model}")
    return only(context)


@dataclass(frozen=True, repr=False)
class BaseFault(ABC):
    """A fault: data that rewrites a `ReplayPlan` (see `llmring_replay.faults`).

    Subclasses implement `rewrite`; `apply` (the `Fault` protocol) calls it only for the
    interactions `only` selects, so any fault can be aimed at one interaction.
    """

    only: Selector = field(default=None, kw_only=True)

    def __post_init__(self) -> None:
        # `True` is an int: `only=True` would silently mean "interaction 1".
        if isinstance(self.only, bool) or not (
            self.only is None or isinstance(self.only, (int, str)) or callable(self.only)
        ):
            raise ValueError(
                f"{self!r}: only= takes an interaction index, a model name or a predicate"
            )

    def apply(self, plan: ReplayPlan, context: ReplayContext) -> ReplayPlan:
        """The plan to serve: `rewrite`'s, or `plan` unchanged when `only` skips it."""
        return self.rewrite(plan, context) if selects(self.only, context) else plan

    @abstractmethod
    def rewrite(self, plan: ReplayPlan, context: ReplayContext) -> ReplayPlan:
        """The faulty plan for an interaction this fault applies to."""

    def require(self, condition: bool, problem: str) -> None:
        """Raise `ValueError` naming this fault unless `condition` holds."""
        if not condition:
            raise ValueError(f"{self!r}: {problem}")

    def check_frame(self, name: str, value: int, low: int, high: int, plan: ReplayPlan) -> None:
        """Check a frame number against `low`..`high`, naming the fault and the frame count.

        Out of range is an error rather than a no-op: a fault that silently did nothing
        would let a test pass without testing anything.
        """
        count = len(plan.frames)
        self.require(
            low <= value <= high,
            f"{name}={value} is outside {low}..{high}: the response has {count} frame(s), "
            "numbered from 1; pick another frame, or aim the fault at another interaction "
            "with only=",
        )

    def __repr__(self) -> str:
        # The constructor call, without a default `only` (the usual case).
        shown = [f"{f.name}={getattr(self, f.name)!r}" for f in fields(self) if f.name != "only"]
        if self.only is not None:
            shown.append(f"only={self.only!r}")
        return f"{type(self).__name__}({', '.join(shown)})"


def format_of(fault: BaseFault, context: ReplayContext) -> str:
    """The name of the interaction's wire format (its provider's API that its URL calls),
    which shapes the error; a `ValueError` when the provider is unknown."""
    provider = context.provider
    fmt = format_for(provider, context.interaction.request.uri) if provider else None
    if fmt is None:
        raise ValueError(
            f"{fault!r}: cannot shape an error for interaction {context.index}: its recorded "
            f"provider is {provider!r}, not one of {', '.join(provider_names())}"
        )
    return fmt.name


def model_of(context: ReplayContext) -> str:
    """The interaction's model, as error messages name it."""
    return context.interaction.model or "unknown-model"


def content_type(plan: ReplayPlan) -> str | None:
    """The plan's `content-type` header, if any."""
    return next((value for name, value in plan.headers if name.lower() == "content-type"), None)
