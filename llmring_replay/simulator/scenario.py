"""Scenarios: rules that choose the simulator's answer from the request.

A scenario file (YAML or JSON; JSON Schema in `scenario.schema.json`) lists rules. Each rule
has a `match` (every condition given must hold; none given matches everything) and a
`reply` (a `Script`: text, tool calls, reasoning, usage, finish, timing, faults). The first
rule that matches answers; a request no rule matches gets a 400 shaped like its provider's
errors, naming the closest rule and what it wanted.

```yaml
profiles:                     # optional: timing profiles of your own
  sluggish: {ttft: 1.5, interval: 0.05}
defaults:                     # optional: reply fields every rule's reply starts from
  timing: typical
rules:
  - name: weather-answer
    match: {tool_result: get_weather}
    reply: {text: "It is 21 degrees in Paris."}
  - name: weather-call
    match: {user_contains: weather}
    reply:
      text: Let me check.
      tool_calls: [{name: get_weather, arguments: {city: Paris}}]
  - name: fallback
    reply: {text: "Hi there! How can I help you today?"}
```

Matching is stateless: the answer is a function of the request (its provider, format, model,
path, last user message, newest tool results and turn, see `request_view`), and ids and
jitter are derived from the request too, so parallel clients and pytest-xdist workers get
the same bytes in any order, and a failing test cannot shift what the others get. (The one
exception is the `fail_first` fault, which counts identical requests: a retry.)
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from fnmatch import fnmatchcase
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from llmring_replay.providers.registry import FORMATS, provider_names
from llmring_replay.simulator.profiles import PROFILES, TimingProfile
from llmring_replay.simulator.request_view import RequestView, request_number
from llmring_replay.simulator.script import Script

__all__ = ["Match", "Rule", "Scenario", "ScenarioDocument"]


def _listed(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


#: One name or a list of them (the schema says both are fine).
_Names = Annotated[
    list[str] | None, BeforeValidator(_listed, json_schema_input_type=str | list[str] | None)
]


class Match(BaseModel):
    """When a rule applies: every condition given must hold (none given: always)."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    provider: _Names = None
    """Provider name(s), as in `provider:model`."""
    format: _Names = None
    """Wire format name(s) (the folders of `llmring_replay/providers/`), to tell one
    provider's APIs apart."""
    model: _Names = None
    """Requested model(s), without the provider prefix; `*` and `?` are wildcards
    (`gpt-4o*`)."""
    path: str | None = None
    """The request path, wildcards allowed (`*:streamGenerateContent`)."""
    user_contains: str | None = None
    """Text the last user message contains (case-insensitive)."""
    user_matches: str | None = None
    """A regular expression searched in the last user message (Python syntax; `(?i)` for
    case-insensitive)."""
    tool_result: bool | str | None = None
    """`true`: the request answers tool calls (tool results after the last assistant
    message); `false`: it does not; a name: it answers a call of that tool."""
    turn: int | None = Field(default=None, ge=1)
    """Which answer of the conversation this is: 1 for the first request, one more for each
    assistant turn the request carries (a tool loop's second request is turn 2)."""

    @field_validator("provider", "format")
    @classmethod
    def _known(cls, names: list[str] | None, info: ValidationInfo) -> list[str] | None:
        # Checked against the registry, so a format added there is known here too.
        if info.field_name == "provider":
            what, known = "provider", list(provider_names())
        else:
            what, known = "wire format", [fmt.name for fmt in FORMATS]
        for name in names or ():
            if name not in known:
                raise ValueError(f"unknown {what} {name!r} (known: {', '.join(known)})")
        return names

    @field_validator("user_matches")
    @classmethod
    def _compiles(cls, pattern: str | None) -> str | None:
        if pattern is not None:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"not a regular expression: {exc}") from None
        return pattern

    def misses(self, view: RequestView) -> list[str]:
        """The conditions `view` fails, each as `what the rule wants`; empty: it matches."""
        misses = []
        if self.provider is not None and view.provider not in self.provider:
            misses.append(f"provider {_either(self.provider)}")
        if self.format is not None and view.format not in self.format:
            misses.append(f"format {_either(self.format)}")
        if self.model is not None and not any(fnmatchcase(view.model, m) for m in self.model):
            misses.append(f"model {_either(self.model)}")
        if self.path is not None and not fnmatchcase(view.path, self.path):
            misses.append(f"path {self.path!r}")
        said = view.last_user or ""
        if self.user_contains is not None and self.user_contains.lower() not in said.lower():
            misses.append(f"user_contains {self.user_contains!r}")
        if self.user_matches is not None and re.search(self.user_matches, said) is None:
            misses.append(f"user_matches {self.user_matches!r}")
        if self.tool_result is not None and not _tool_result_holds(self.tool_result, view):
            misses.append(f"tool_result {str(self.tool_result).lower()}")
        if self.turn is not None and view.turn != self.turn:
            misses.append(f"turn {self.turn}")
        return misses


def _either(values: list[str]) -> str:
    return " or ".join(repr(value) for value in values)


def _tool_result_holds(wanted: bool | str, view: RequestView) -> bool:
    if isinstance(wanted, bool):
        return bool(view.tool_results) == wanted
    return wanted in view.tool_results


class Rule(BaseModel):
    """One rule: when it applies, and the answer it gives."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    name: str | None = None
    """A name for messages (default: `rules[N]`)."""
    match: Match = Field(default_factory=Match)
    """The conditions; leave out to match every request (a fallback, last)."""
    reply: Script = Field(default_factory=Script)
    """The answer: text, tool_calls, reasoning, usage, finish, timing, fault, ..."""


class ScenarioDocument(BaseModel):
    """A scenario file: rules, tried in order, and what they share."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        use_attribute_docstrings=True,
        title="llmring-replay simulator scenario",
    )

    description: str | None = None
    """What the scenario is for."""
    profiles: dict[str, TimingProfile] = Field(default_factory=dict)
    """Timing profiles of your own, by name, for `timing:` (besides the built-in `instant`,
    `fast`, `typical`, `slow-reasoning`)."""
    defaults: Script | None = None
    """Reply fields every rule's reply starts from (a rule's own fields win)."""
    rules: list[Rule] = Field(min_length=1)
    """The rules; the first that matches a request answers it."""

    @model_validator(mode="before")
    @classmethod
    def _expand(cls, data: Any) -> Any:
        # Each reply starts from `defaults`, and a timing naming one of `profiles` becomes
        # that profile; both happen before validation, so a reply's own fields (its `ttft`,
        # or a `timing` of its own) always win over what it inherits.
        if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
            return data
        profiles: dict[str, Any] = _mapping(data.get("profiles"))
        defaults: dict[str, Any] = _mapping(data.get("defaults"))
        if defaults:
            data = {**data, "defaults": _with_profile(defaults, profiles)}
        rules = []
        for rule in data["rules"]:
            reply = rule.get("reply", {}) if isinstance(rule, dict) else None
            if isinstance(reply, dict):
                reply = _with_profile({**defaults, **reply}, profiles)
                rules.append({**rule, "reply": reply})
            else:
                rules.append(rule)  # not a mapping: validation says so, at its place
        return {**data, "rules": rules}

    @field_validator("profiles")
    @classmethod
    def _no_shadowing(cls, profiles: dict[str, TimingProfile]) -> dict[str, TimingProfile]:
        for name in profiles:
            if name in PROFILES:
                raise ValueError(f"{name!r} is a built-in profile: give yours another name")
        return profiles


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _with_profile(reply: dict[str, Any], profiles: dict[str, Any]) -> dict[str, Any]:
    timing = reply.get("timing")
    if isinstance(timing, str) and timing in profiles and timing not in PROFILES:
        return {**reply, "timing": profiles[timing]}
    return reply


class Scenario:
    """A validated scenario: answers each request by its first matching rule.

    Build one with `Scenario.load(name_or_path)` (`scenario_files`) or
    `Scenario(ScenarioDocument.model_validate(data))`.
    """

    def __init__(self, document: ScenarioDocument, name: str = "scenario") -> None:
        self.document = document
        #: What messages call it: the file, or the built-in scenario's name.
        self.name = name
        self.rules = document.rules

    def rule_name(self, index: int) -> str:
        """`'weather-call' (rules[1])`, or `rules[1]` for a rule without a name."""
        name = self.rules[index].name
        return f"{name!r} (rules[{index}])" if name else f"rules[{index}]"

    def answer(
        self, provider: str, model: str, path: str, body: Any, wire_format: str | None = None
    ) -> Script:
        """The script of the first rule that matches; else a 400 naming the closest rule."""
        view = RequestView.read(provider, model, path, body, wire_format)
        misses = []
        for rule in self.rules:
            missed = rule.match.misses(view)
            if not missed:
                return self._seeded(rule.reply, path, body)
            misses.append(missed)
        return self._unmatched(view, misses)

    def _seeded(self, script: Script, path: str, body: Any) -> Script:
        if script.jitter and script.seed is None:
            return script.model_copy(update={"seed": request_number(path, body)})
        return script

    def _unmatched(self, view: RequestView, misses: list[list[str]]) -> Script:
        # The closest rule fails the fewest conditions; on a tie, the one whose wanted user
        # text looks most like what the user said, then the first.
        said = (view.last_user or "").lower()

        def distance(index: int) -> tuple[int, float]:
            match = self.rules[index].match
            wanted = (match.user_contains or match.user_matches or "").lower()
            likeness = SequenceMatcher(None, said, wanted).ratio() if wanted else 0.0
            return len(misses[index]), -likeness

        closest = min(range(len(misses)), key=distance)
        message = (
            f"llmring-replay simulator: no rule of {self.name} matches this request "
            f"({view.describe()}); closest rule: {self.rule_name(closest)}, which wants "
            f"{'; '.join(misses[closest])}"
        )
        # Imported here: the shapes render errors with the simulator's own renderers.
        from llmring_replay.faults.shapes import shape_for

        shape = shape_for(view.format, "invalid_request")
        return Script(status=shape.status, error_message=message, error_code=shape.code)
