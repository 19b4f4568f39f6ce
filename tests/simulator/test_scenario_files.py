"""Scenario files: found by path or built-in name, and described by the shipped JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from llmring_replay.exceptions import ScenarioError
from llmring_replay.simulator import (
    Simulator,
    builtin_scenario_names,
    load_simulator,
    scenario_schema_path,
)
from llmring_replay.simulator.scenario_files import _builtins
from llmring_replay.simulator.schema import keys_help, scenario_json_schema, schema_text

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_the_shipped_schema_is_the_one_the_models_make() -> None:
    shipped = scenario_schema_path().read_text(encoding="utf-8")
    assert shipped == schema_text(), (
        "llmring_replay/simulator/scenario.schema.json is stale: regenerate it with\n"
        "  .venv/bin/python -c 'from llmring_replay.simulator.schema import schema_text; "
        'print(schema_text(), end="")\' > llmring_replay/simulator/scenario.schema.json'
    )


@pytest.mark.parametrize("name", builtin_scenario_names())
def test_built_in_scenarios_load_and_follow_the_schema(name: str) -> None:
    simulator = load_simulator(name)
    assert simulator.scenario is not None
    assert simulator.scenario.name == f"built-in scenario {name!r}"
    data = yaml.safe_load(_builtins()[name].read_text(encoding="utf-8"))
    jsonschema.validate(data, scenario_json_schema())


def test_the_schema_refuses_what_the_loader_refuses() -> None:
    schema = scenario_json_schema()
    jsonschema.validate({"rules": [{"match": {"provider": "openai"}, "reply": {}}]}, schema)
    jsonschema.validate({"rules": [{"match": {"provider": ["openai"]}}]}, schema)
    for bad in (
        {"rules": []},
        {"rules": [{"when": {}}]},
        {"rules": [{"match": {"turn": 0}}]},
        {"rules": [{"reply": {"ttft": "soon"}}]},
    ):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, schema)


def test_a_file_is_found_before_a_built_in_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("weather").write_text("rules:\n- reply: {text: mine}\n", encoding="utf-8")
    simulator = load_simulator("weather")
    assert simulator.script_for("openai", "m", {}, path="/v1/chat/completions").text == "mine"


def test_an_unknown_name_lists_the_built_in_ones() -> None:
    with pytest.raises(ScenarioError) as caught:
        load_simulator("no-such-scenario")
    assert caught.value.message == (
        "no-such-scenario: no such file, nor a built-in scenario of that name "
        f"(built-in: {', '.join(builtin_scenario_names())})"
    )


def test_older_script_files_still_load(tmp_path: Path) -> None:
    # The global queue form answers in turn, as before; `from_file` reads both kinds.
    simulator = Simulator.from_file(EXAMPLES / "simulation.yaml")
    assert simulator.scenario is None and not simulator.stable_ids
    first = simulator.script_for("openai", "m", {})
    second = simulator.script_for("openai", "m", {})
    assert first.text.startswith("Hello!") and second.tool_calls[0].name == "get_weather"
    path = tmp_path / "one.json"
    path.write_text(json.dumps({"text": "hi", "timing": "typical"}), encoding="utf-8")
    script = Simulator.from_file(path).script_for("ollama", "m", {})
    assert (script.text, script.ttft, script.jitter) == ("hi", 0.4, 0.3)


def test_keys_help_lists_every_key_of_the_schema() -> None:
    text = keys_help()
    definitions = scenario_json_schema()["$defs"]
    for model in ("Match", "Rule", "Script", "TimingProfile"):
        for key in definitions[model]["properties"]:
            assert f"  {key}: " in text, key
    for key in scenario_json_schema()["properties"]:
        assert f"  {key}: " in text, key
