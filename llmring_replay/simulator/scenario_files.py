"""Simulation files: read from a path or by the name of a built-in scenario, validated.

A file holds a scenario (a mapping with `rules`, see `scenario`) or one of the older script
forms (one script mapping, a list of scripts answering in turn, `{"scripts": [...]}`, see
`simulation`). Built-in scenarios ship in the package (`simulator/scenarios/*.yaml`) and are
addressed by name: `load_simulator("weather")`, `llmring-replay serve --simulate weather`.

Every problem is a `ScenarioError` naming the file, the line and the place:
`tests/scenario.yaml: line 14: rules[2].match.turn: Input should be greater than or equal to 1`.
"""

from __future__ import annotations

import os
import sys
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import ValidationError

from llmring_replay.exceptions import ScenarioError
from llmring_replay.places import SHOWN_ERRORS, place, validation_problems
from llmring_replay.simulator.scenario import Scenario, ScenarioDocument
from llmring_replay.simulator.simulation import Simulator

if TYPE_CHECKING:
    if sys.version_info >= (3, 11):
        from importlib.resources.abc import Traversable
    else:
        from importlib.abc import Traversable

__all__ = [
    "builtin_scenario_names",
    "is_scenario",
    "load_simulator",
    "scenario_schema_path",
    "simulator_from_text",
]

_SUFFIXES = (".yaml", ".yml", ".json")


def _builtin_dir() -> Traversable:
    return files("llmring_replay.simulator").joinpath("scenarios")


def _builtins() -> dict[str, Traversable]:
    return {
        entry.name.rsplit(".", 1)[0]: entry
        for entry in _builtin_dir().iterdir()
        if entry.name.endswith(_SUFFIXES)
    }


def builtin_scenario_names() -> list[str]:
    """The names of the scenarios shipped with the package, sorted."""
    return sorted(_builtins())


def scenario_schema_path() -> Traversable:
    """The JSON Schema of scenario files, as shipped in the package."""
    return files("llmring_replay.simulator").joinpath("scenario.schema.json")


def is_scenario(data: Any) -> bool:
    """Whether parsed YAML/JSON is a scenario (rules) rather than an older script form."""
    return isinstance(data, dict) and "rules" in data and "scripts" not in data


def _read(source: str | os.PathLike[str]) -> tuple[str, str]:
    """(text, name for messages) of a file path or a built-in scenario's name."""
    path = Path(source)
    if path.is_file():
        try:
            return path.read_text(encoding="utf-8"), str(source)
        except (OSError, UnicodeDecodeError) as exc:
            raise ScenarioError(f"{source}: cannot read it: {exc}", str(source)) from exc
    builtin = _builtins().get(str(source))
    if builtin is not None:
        return builtin.read_text(encoding="utf-8"), f"built-in scenario {source!r}"
    raise ScenarioError(
        f"{source}: no such file, nor a built-in scenario of that name "
        f"(built-in: {', '.join(builtin_scenario_names())})",
        str(source),
    )


def load_simulator(source: str | os.PathLike[str]) -> Simulator:
    """The simulator a file describes; `source` is a path or a built-in scenario's name."""
    text, name = _read(source)
    return simulator_from_text(text, name)


def simulator_from_text(text: str, name: str = "<text>") -> Simulator:
    """The simulator a YAML or JSON text describes (JSON is YAML: one safe loader reads both).

    `name` is what error messages and unmatched-request errors call it.
    """
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, name) from exc
    try:
        if is_scenario(data):
            return Simulator(Scenario(ScenarioDocument.model_validate(data), name))
        return Simulator.from_data(data)
    except ValidationError as exc:
        raise _schema_error(exc, name, text) from exc


def _yaml_error(exc: yaml.YAMLError, name: str) -> ScenarioError:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line = mark.line + 1 if mark is not None else None
    where = f"line {line}, column {mark.column + 1}: " if mark is not None else ""
    parts = [getattr(exc, "context", None), getattr(exc, "problem", None)]
    what = ": ".join(str(part) for part in parts if part) or str(exc).splitlines()[0]
    return ScenarioError(f"{name}: not YAML: {where}{what}", name, line=line)


def _schema_error(exc: ValidationError, name: str, text: str) -> ScenarioError:
    problems = validation_problems(exc)
    parts = []
    for loc, message in problems[:SHOWN_ERRORS]:
        line = _line_of(text, loc)
        where = f"line {line}: " if line else ""
        parts.append(f"{where}{place(loc) or 'the document'}: {message}")
    if len(problems) > SHOWN_ERRORS:
        parts.append(f"(and {len(problems) - SHOWN_ERRORS} more)")
    first = problems[0][0] if problems else ()
    return ScenarioError(f"{name}: {'; '.join(parts)}", name, place(first), _line_of(text, first))


def _line_of(text: str, loc: tuple[int | str, ...]) -> int | None:
    """The line of the deepest node on `loc` in the YAML `text` (1-based), if any."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None
    line = None
    for part in loc:
        if node is None:
            break
        line = node.start_mark.line + 1
        node = _child(node, part)
    if node is not None:
        line = node.start_mark.line + 1
    return line


def _child(node: yaml.Node, part: int | str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        return next((value for key, value in node.value if key.value == part), None)
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        child: yaml.Node = node.value[part]
        return child
    return None
