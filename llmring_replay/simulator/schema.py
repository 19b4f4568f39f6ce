"""The scenario file format, described: its JSON Schema and a short list of its keys.

The JSON Schema is generated from the pydantic models (`scenario.ScenarioDocument`) and
shipped beside them as `scenario.schema.json` (a test checks the shipped file is current), for
editors (`# yaml-language-server: $schema=...`) and other tools. `keys_help` is what
`llmring-replay serve --help` prints.
"""

from __future__ import annotations

import json
import textwrap
from typing import Any

from pydantic import BaseModel

from llmring_replay.simulator.profiles import PROFILES, TimingProfile
from llmring_replay.simulator.scenario import Match, Rule, ScenarioDocument
from llmring_replay.simulator.script import Script, ToolCallSpec, Usage

__all__ = ["keys_help", "scenario_json_schema", "schema_text"]

_SCHEMA_ID = "https://github.com/llmring/llmring-replay/scenario.schema.json"


def scenario_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a scenario file."""
    schema = ScenarioDocument.model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": _SCHEMA_ID, **schema}


def schema_text() -> str:
    """The JSON Schema as the shipped file holds it (sorted keys, two-space indent)."""
    return json.dumps(scenario_json_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _described(model: type[BaseModel], name: str) -> str:
    return " ".join((model.model_fields[name].description or "").split())


def _section(title: str, model: type[BaseModel], width: int) -> list[str]:
    lines = [title]
    for name in model.model_fields:
        entry = f"  {name}: {_described(model, name)}"
        lines.extend(textwrap.wrap(entry, width, subsequent_indent="      "))
    return lines


def keys_help(width: int = 78) -> str:
    """The keys of a scenario file, one line (or a few) each, by section."""
    profiles = ", ".join(
        f"{name} (ttft {p.ttft:g}s, interval {p.interval:g}s, jitter {p.jitter:g})"
        for name, p in PROFILES.items()
    )
    sections = [
        _section("Scenario file (YAML/JSON):", ScenarioDocument, width),
        _section("Each rule:", Rule, width),
        _section("match (all given must hold):", Match, width),
        _section("reply (also: defaults):", Script, width),
        _section("tool_calls[]:", ToolCallSpec, width),
        _section("usage:", Usage, width),
        _section("profiles.<name> / timing:", TimingProfile, width),
        textwrap.wrap(f"Built-in timing profiles: {profiles}.", width),
    ]
    return "\n\n".join("\n".join(lines) for lines in sections)
