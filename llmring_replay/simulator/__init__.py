"""A local server that speaks the OpenAI, Anthropic, Gemini and Ollama APIs from scripts.

The project's own tests record cassettes from it over loopback (no test needs a key or the
internet), `llmring-replay serve` builds on it, and fault simulation reuses its wire renderers.

```python
from llmring_replay.simulator import Script, SimulatorServer, ToolCallSpec, load_simulator

with SimulatorServer(Script(text="Hi there!", interval=0.02)) as sim:
    url = sim.base_url_for("openai")  # http://127.0.0.1:PORT/v1, like OPENAI_BASE_URL
    ...  # point any client at it; sim.requests holds what it sent, sim.sent the frames

with SimulatorServer(load_simulator("weather")) as sim:  # a scenario: rules on the request
    ...
```

Scenario files (rules matching provider, model, path, the last user message, tool results
and the turn; answers with text, tool calls, timing profiles and faults) are described in
`scenario.py`; their JSON Schema ships as `scenario.schema.json`.
"""

from __future__ import annotations

from llmring_replay.simulator.connection import SentFrame
from llmring_replay.simulator.profiles import PROFILES, TimingProfile
from llmring_replay.simulator.routes import ReceivedRequest
from llmring_replay.simulator.scenario import Match, Rule, Scenario, ScenarioDocument
from llmring_replay.simulator.scenario_files import (
    builtin_scenario_names,
    load_simulator,
    scenario_schema_path,
)
from llmring_replay.simulator.script import FinishReason, Script, TokenCounts, ToolCallSpec, Usage
from llmring_replay.simulator.server import SimulatorServer
from llmring_replay.simulator.simulation import ScriptFactory, Simulator
from llmring_replay.simulator.wire import PROVIDERS, ErrorResponse, WireFormat, wire_for

__all__ = [
    "ErrorResponse",
    "FinishReason",
    "Match",
    "PROFILES",
    "PROVIDERS",
    "ReceivedRequest",
    "Rule",
    "Scenario",
    "ScenarioDocument",
    "Script",
    "ScriptFactory",
    "SentFrame",
    "Simulator",
    "SimulatorServer",
    "TimingProfile",
    "TokenCounts",
    "ToolCallSpec",
    "Usage",
    "WireFormat",
    "builtin_scenario_names",
    "load_simulator",
    "scenario_schema_path",
    "wire_for",
]
