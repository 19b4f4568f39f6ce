"""The script model: what a simulated provider answers, and when.

A `Script` describes one answer in provider-neutral terms (text, thinking, tool calls, finish,
usage, timing, or an error status). The `wire_*` renderers turn it into each provider's exact
bytes. Scripts are plain pydantic models, so a simulation can be written as YAML or JSON
for `llmring-replay serve --simulate FILE`.

Which script answers which request is the `Simulator`'s business (`simulation.py`); a
scenario (`scenario.py`) chooses by rules on the request.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from llmring_replay.simulator.profiles import PROFILES, TimingProfile, profile_names

__all__ = [
    "FinishReason",
    "Script",
    "TokenCounts",
    "ToolCallSpec",
    "Usage",
    "split_words",
]

FinishReason = Literal["stop", "length", "tool_calls", "content_filter"]

# A word with the whitespace before it; a trailing run of whitespace is its own piece, so the
# pieces always join back to the original text.
_WORDISH = re.compile(r"\s*\S+|\s+$")


def split_words(text: str) -> list[str]:
    """Cut `text` into pieces of one word plus its leading whitespace (joins back exactly)."""
    return _WORDISH.findall(text)


def _split_size(text: str, size: int) -> list[str]:
    return [text[start : start + size] for start in range(0, len(text), size)]


def _split_even(text: str, parts: int) -> list[str]:
    """`text` in `parts` pieces of near-equal length (fewer when it is shorter)."""
    if not text:
        return []
    step = -(-len(text) // parts)  # ceiling division: never more than `parts` pieces
    return _split_size(text, step)


def _one_or_more(value: Any) -> Any:
    """One string as a list of one (a field taking a string or a list of them)."""
    return [value] if isinstance(value, str) else value


def _count_words(value: Any) -> int:
    """Words in every string inside a JSON value (a stand-in for a tokenizer)."""
    if isinstance(value, str):
        return len(value.split())
    if isinstance(value, dict):
        return sum(_count_words(item) for item in value.values())
    if isinstance(value, list):
        return sum(_count_words(item) for item in value)
    return 0


class ToolCallSpec(BaseModel):
    """One tool call the simulated model makes."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    name: str
    """The function name."""
    arguments: dict[str, Any] = Field(default_factory=dict)
    """The arguments as a JSON object; rendered as a JSON string or object per provider."""
    id: str | None = None
    """The call id; default: derived from the request number and the call's position."""

    def arguments_json(self, *, compact: bool = True) -> str:
        """The arguments as JSON text (OpenAI sends it compact, Anthropic with spaces)."""
        separators = (",", ":") if compact else (", ", ": ")
        return json.dumps(self.arguments, ensure_ascii=False, separators=separators)

    def argument_fragments(self, *, parts: int = 3, compact: bool = True) -> list[str]:
        """The arguments JSON cut into a few pieces, as streaming APIs send them."""
        return _split_even(self.arguments_json(compact=compact), parts)


class Usage(BaseModel):
    """Token counts the simulated provider reports; any `None` is derived from word counts."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    prompt_tokens: int | None = Field(default=None, ge=0)
    """Every input token, cached ones included; default: words in the request's strings."""
    completion_tokens: int | None = Field(default=None, ge=0)
    """Every output token, reasoning included; default: words of the answer."""
    cached_tokens: int = Field(default=0, ge=0)
    """Input tokens served from the provider's prompt cache."""
    reasoning_tokens: int | None = Field(default=None, ge=0)
    """Output tokens spent on thinking; default: words of `Script.reasoning`."""


@dataclass(frozen=True)
class TokenCounts:
    """Usage with every count resolved, as the renderers need it."""

    prompt: int
    completion: int
    cached: int
    reasoning: int

    @property
    def total(self) -> int:
        """Prompt plus completion tokens."""
        return self.prompt + self.completion


class Script(BaseModel):
    """One scripted answer: content, finish, usage, timing, or an error response.

    Timing counts *frames*: one SSE event or NDJSON line as the provider sends it (OpenAI's
    `[DONE]`, Anthropic's `ping` included). A non-streaming answer waits as long as its stream
    would have taken; an error response waits for the first frame's delay.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    text: str = "Hello! This answer comes from the llmring-replay simulator."
    """The answer text."""
    chunks: list[str] | None = None
    """Explicit chunk boundaries for `text` (their concatenation *is* the text)."""
    chunk_size: int | None = Field(default=None, gt=0)
    """Without `chunks`: cut the text every `chunk_size` characters instead of per word."""
    reasoning: str | None = None
    """Thinking text, rendered as each provider's thinking form (OpenAI: `delta.reasoning`)."""
    tool_calls: list[ToolCallSpec] = Field(default_factory=list)
    """Tool calls made after the text."""
    finish: FinishReason | None = None
    """Normalized finish; default `tool_calls` when there are calls, else `stop`."""
    usage: Usage = Field(default_factory=Usage)
    """Reported token counts; missing ones are derived from word counts."""
    model: str | None = None
    """The model the server reports (e.g. a dated snapshot); default: the requested one."""
    timing: str | TimingProfile | None = None
    """A timing profile: a name (`instant`, `fast`, `typical`, `slow-reasoning`, or one of
    the scenario's `profiles`) or `{ttft, interval, jitter}`; it sets those three where the
    script does not.
    """
    ttft: float = Field(default=0.0, ge=0)
    """Seconds before the first frame (time to first token)."""
    interval: float = Field(default=0.0, ge=0)
    """Seconds between later frames."""
    jitter: float = Field(default=0.0, ge=0, le=1)
    """Each delay (but explicit `gaps`) scaled by a factor in `1 - jitter .. 1 + jitter`."""
    seed: int | None = None
    """Seeds the jitter; scenarios derive it from the request when unset (same request,
    same timing).
    """
    gaps: list[float] | None = None
    """Explicit delays: `gaps[i]` is the wait before frame `i`; frames past the end of the
    list fall back to `ttft` (frame 0) / `interval`.
    """
    status: int = 200
    """HTTP status: 200, or 400-599 for an error response shaped like the provider's."""
    error_message: str | None = None
    """The error's message; default: a message like the provider's for that status."""
    error_code: str | None = None
    """The provider's own error code/type (OpenAI `code`, Anthropic `error.type`, Gemini
    `status`); default: the provider's usual one for the status.
    """
    retry_after: float | None = Field(default=None, ge=0)
    """Seconds a rate-limited client should wait (`retry-after`, Gemini `retryDelay`)."""
    fault: Annotated[
        list[str],
        BeforeValidator(_one_or_more, json_schema_input_type=str | list[str]),
    ] = Field(default_factory=list)
    """Faults applied to the rendered answer, in the grammar of `replay --fault` and the
    `faults=` marker (`rate_limit:retry_after=2`, `disconnect:after=3`,
    `fail_first:k=1,fault=overloaded`); one string is one fault.
    """

    @model_validator(mode="before")
    @classmethod
    def _text_from_chunks(cls, data: Any) -> Any:
        # With explicit chunks and no text, the chunks *are* the text.
        if isinstance(data, dict) and data.get("chunks") is not None and "text" not in data:
            data = {**data, "text": "".join(data["chunks"])}
        return data

    @model_validator(mode="before")
    @classmethod
    def _apply_timing(cls, data: Any) -> Any:
        # The profile fills in what the script leaves out; an unknown name is left to the
        # field validator, which reports it at `timing`.
        if not isinstance(data, dict):
            return data
        timing = data.get("timing")
        profile = PROFILES.get(timing) if isinstance(timing, str) else timing
        if isinstance(profile, dict):
            try:
                profile = TimingProfile.model_validate(profile)
            except ValueError:
                return data  # reported at `timing` by the field's own validation
        if isinstance(profile, TimingProfile):
            data = {**profile.model_dump(), **data}
        return data

    @field_validator("timing")
    @classmethod
    def _known_timing(cls, timing: str | TimingProfile | None) -> str | TimingProfile | None:
        if isinstance(timing, str) and timing not in PROFILES:
            raise ValueError(
                f"unknown timing profile {timing!r} (built-in: {profile_names()}; "
                "a scenario may define more under `profiles:`)"
            )
        return timing

    @field_validator("fault")
    @classmethod
    def _fault_specs(cls, specs: list[str]) -> list[str]:
        # Imported here: the faults package renders its errors with this module's scripts.
        from llmring_replay.faults import parse_fault

        for spec in specs:
            parse_fault(spec)  # a ValueError naming the bad part
        return specs

    @model_validator(mode="after")
    def _check(self) -> Script:
        if self.status != 200 and not 400 <= self.status <= 599:
            raise ValueError("status must be 200 or an error status (400-599)")
        if self.gaps is not None and any(gap < 0 for gap in self.gaps):
            raise ValueError("gaps must not be negative")
        if self.chunks is not None and "".join(self.chunks) != self.text:
            raise ValueError("`chunks` must join to `text` (or leave `text` unset)")
        return self

    @property
    def is_error(self) -> bool:
        """Whether this script answers with an error status."""
        return self.status != 200

    def text_chunks(self) -> list[str]:
        """The answer text cut into the pieces that are streamed."""
        if self.chunks is not None:
            return [chunk for chunk in self.chunks if chunk]
        return self._split(self.text)

    def reasoning_chunks(self) -> list[str]:
        """The thinking text cut into streamed pieces (per word or `chunk_size`)."""
        return self._split(self.reasoning or "")

    def _split(self, text: str) -> list[str]:
        if self.chunk_size is not None:
            return _split_size(text, self.chunk_size)
        return split_words(text)

    def finish_reason(self) -> FinishReason:
        """The normalized finish, with its default applied."""
        if self.finish is not None:
            return self.finish
        return "tool_calls" if self.tool_calls else "stop"

    def reported_model(self, requested: str) -> str:
        """The model name the provider reports for a request of `requested`."""
        return self.model or requested

    def call_id(self, index: int, prefix: str, seq: int) -> str:
        """The id of tool call `index`: its scripted id, else a stable derived one."""
        scripted = self.tool_calls[index].id
        return scripted or f"{prefix}sim{seq:06d}_{index}"

    def delays(self, frames: int) -> list[float]:
        """Seconds to wait before each of `frames` frames (the same for the same seed)."""
        gaps = self.gaps or []
        rng = random.Random(self.seed or 0) if self.jitter else None
        delays = []
        for i in range(frames):
            if i < len(gaps):
                delays.append(gaps[i])
                continue
            delay = self.ttft if i == 0 else self.interval
            if rng is not None:
                delay *= rng.uniform(1 - self.jitter, 1 + self.jitter)
            delays.append(delay)
        return delays

    def token_counts(self, body: Any) -> TokenCounts:
        """The usage to report for a request with this JSON `body`."""
        usage = self.usage
        reasoning = usage.reasoning_tokens
        if reasoning is None:
            reasoning = len((self.reasoning or "").split())
        completion = usage.completion_tokens
        if completion is None:
            calls = sum(len(call.arguments_json(compact=False).split()) for call in self.tool_calls)
            completion = max(1, len(self.text.split()) + reasoning + calls)
        prompt = usage.prompt_tokens
        if prompt is None:
            request = (
                {k: v for k, v in body.items() if k != "model"} if isinstance(body, dict) else {}
            )
            prompt = max(1, _count_words(request))
        return TokenCounts(prompt, completion, usage.cached_tokens, reasoning)
