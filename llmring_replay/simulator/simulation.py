"""Which script answers which request.

A `Simulator` wraps a script source:

- a `Scenario` (`scenario.py`): rules on the request choose the answer, statelessly;
- one `Script`: answers everything;
- a list of scripts: consumed in order (the last one repeats, so a short list never runs
  dry), one global queue shared by every client;
- a callable `(provider, model, body) -> Script`: decides per request.

Simulation files (`scenario_files.load_simulator`, `Simulator.from_file`) hold a scenario or
one of the script forms: one script mapping, a list of them, or `{"scripts": [...]}`.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, TypeAdapter

from llmring_replay.simulator.request_view import request_number
from llmring_replay.simulator.scenario import Scenario
from llmring_replay.simulator.script import Script

__all__ = ["ScriptFactory", "Simulator"]

#: Decides the script per request: `(provider, model, parsed JSON body) -> Script`.
ScriptFactory = Callable[[str, str, Any], Script]


class _ScriptsFile(BaseModel):
    """A simulation file's `{"scripts": [...]}` form (other keys are ignored, as before)."""

    scripts: list[Script]


_SCRIPT_LIST = TypeAdapter(list[Script])

#: Distinct faulted requests whose attempts are counted at once (see `Simulator.attempt`).
_ATTEMPTS_KEPT = 10_000


class Simulator:
    """Picks the script that answers each request (thread-safe).

    - a `Scenario`: its first rule matching the request;
    - one `Script`: answers every request;
    - a sequence of scripts: consumed in order, the last one repeats;
    - a callable `(provider, model, body) -> Script`: decides per request.
    """

    def __init__(self, source: Scenario | Script | Sequence[Script] | ScriptFactory) -> None:
        self.scenario = source if isinstance(source, Scenario) else None
        if isinstance(source, Script):
            source = [source]
        self._scripts: list[Script] = []
        self._factory: ScriptFactory | None = None
        if isinstance(source, Sequence):
            if not source:
                raise ValueError("a Simulator needs at least one script")
            self._scripts = list(source)
        elif not isinstance(source, Scenario):
            self._factory = source
        self._served = 0
        # How often each (path, body) was requested, for `fail_first` faults: a retry is
        # the same request again. Only requests answered with faults are counted, and the
        # count is forgotten past `_ATTEMPTS_KEPT` distinct ones (memory stays bounded).
        self._attempts: Counter[int] = Counter()
        self._lock = threading.Lock()

    @classmethod
    def coerce(
        cls, source: Simulator | Scenario | Script | Sequence[Script] | ScriptFactory
    ) -> Simulator:
        """`source` itself when it is a Simulator, else a Simulator over it."""
        return source if isinstance(source, Simulator) else cls(source)

    @classmethod
    def from_data(cls, data: Any) -> Simulator:
        """From parsed YAML/JSON in a script form: one mapping, a list, `{"scripts": [...]}`.

        Validated as a whole, so a `ValidationError` locates each problem in the file, e.g.
        `('scripts', 0, 'ttft')`, rather than in a script without saying which one.
        (Scenarios, with `rules`, are read by `scenario_files`.)
        """
        if isinstance(data, dict) and "scripts" in data:
            if isinstance(data["scripts"], list):
                return cls(_ScriptsFile.model_validate(data).scripts)
            data = data["scripts"]  # one script, or none, under `scripts:`
        if isinstance(data, list):
            return cls(_SCRIPT_LIST.validate_python(data))
        return cls(Script.model_validate(data or {}))

    @classmethod
    def from_file(cls, path: str | Path) -> Simulator:
        """From a scenario or script file, or a built-in scenario's name (`ScenarioError`
        names the file, line and place of any problem)."""
        from llmring_replay.simulator.scenario_files import load_simulator  # it imports us

        return load_simulator(path)

    @property
    def stable_ids(self) -> bool:
        """Whether ids are derived from the request rather than numbered in arrival order."""
        return self.scenario is not None

    def script_for(
        self,
        provider: str,
        model: str,
        body: Any,
        *,
        path: str = "",
        wire_format: str | None = None,
    ) -> Script:
        """The script answering a request to `path` (in `wire_format`) with this JSON `body`."""
        if self.scenario is not None:
            return self.scenario.answer(provider, model, path, body, wire_format)
        if self._factory is not None:
            return self._factory(provider, model, body)
        with self._lock:
            index = min(self._served, len(self._scripts) - 1)
            self._served += 1
        return self._scripts[index]

    def attempt(self, path: str, body: Any) -> int:
        """How many times this same request came before (0 the first time)."""
        key = request_number(path, body)
        with self._lock:
            if key not in self._attempts and len(self._attempts) >= _ATTEMPTS_KEPT:
                self._attempts.clear()
            seen = self._attempts[key]
            self._attempts[key] += 1
        return seen
