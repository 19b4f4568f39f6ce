"""Which script answers which request.

A `Simulator` wraps a script source: one `Script` answers everything, a list is consumed in
order (the last one repeats, so a short list never runs dry), a callable
`(provider, model, body) -> Script` decides per request. It can be read from a YAML or JSON
simulation file (`Simulator.from_file`), the format `llmring-replay serve --simulate` takes:
one script mapping, a list of them, or `{"scripts": [...]}`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, TypeAdapter

from llmring_replay.simulator.script import Script

__all__ = ["ScriptFactory", "Simulator"]

#: Decides the script per request: `(provider, model, parsed JSON body) -> Script`.
ScriptFactory = Callable[[str, str, Any], Script]


class _ScriptsFile(BaseModel):
    """A simulation file's `{"scripts": [...]}` form (other keys are ignored, as before)."""

    scripts: list[Script]


_SCRIPT_LIST = TypeAdapter(list[Script])


class Simulator:
    """Picks the script that answers each request (thread-safe).

    - one `Script`: answers every request;
    - a sequence of scripts: consumed in order, the last one repeats;
    - a callable `(provider, model, body) -> Script`: decides per request.
    """

    def __init__(self, source: Script | Sequence[Script] | ScriptFactory) -> None:
        if isinstance(source, Script):
            source = [source]
        if isinstance(source, Sequence):
            if not source:
                raise ValueError("a Simulator needs at least one script")
            self._scripts: list[Script] = list(source)
            self._factory: ScriptFactory | None = None
        else:
            self._scripts = []
            self._factory = source
        self._served = 0
        self._lock = threading.Lock()

    @classmethod
    def coerce(cls, source: Simulator | Script | Sequence[Script] | ScriptFactory) -> Simulator:
        """`source` itself when it is a Simulator, else a Simulator over it."""
        return source if isinstance(source, Simulator) else cls(source)

    @classmethod
    def from_data(cls, data: Any) -> Simulator:
        """From parsed YAML/JSON: one script mapping, a list, or `{"scripts": [...]}`.

        Validated as a whole, so a `ValidationError` locates each problem in the file, e.g.
        `('scripts', 0, 'ttft')`, rather than in a script without saying which one.
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
        """From a YAML or JSON simulation file (JSON is YAML, so one safe loader reads both)."""
        return cls.from_data(yaml.safe_load(Path(path).read_text(encoding="utf-8")))

    def script_for(self, provider: str, model: str, body: Any) -> Script:
        """The script answering this request."""
        if self._factory is not None:
            return self._factory(provider, model, body)
        with self._lock:
            index = min(self._served, len(self._scripts) - 1)
            self._served += 1
        return self._scripts[index]
