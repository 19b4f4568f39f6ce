"""The simulator in-process: a scenario served on loopback, the test's clients pointed at it.

Which scenario, highest first: `--llm-scenario NAME|FILE` > marker `llm_scenario(NAME|FILE)`
> ini `llm_scenario`; `--llm-scenario=off` turns a configured one off (to record live). A
name is a built-in scenario (`weather`) unless a file of that name exists; a relative file
is found from where pytest was run (command line), the test file's folder (marker) or the
rootdir (ini).

One server per scenario and pytest process (each xdist worker starts its own: scenarios are
stateless, so every worker answers alike), started on first use and stopped when the session
ends. For each test that uses it, every provider's base URL variables point at it and its
key variables hold a placeholder (the others are unset), so `LLMRing()` and the official SDKs
reach it with no set-up.

`llm_simulator_session` is the same for the whole session (the command line's or the ini's
scenario; its environment set until the session ends), for session-wide fixtures such as an
app started once.

`llm_cassette` (so `llmring`) uses it by itself when a scenario is configured and the run may
record (`--llm-record-mode` other than `none`): `pytest --llm-record-mode=once` then records
the missing cassettes from the scenario, with no keys and no network. Replay needs nothing.

This module imports only pytest at import time: it is loaded with the plugin.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from llmring_replay.simulator import SimulatorServer

__all__ = [
    "MARKER",
    "MARKER_HELP",
    "NO_SCENARIO",
    "OFF",
    "add_options",
    "scenario_source",
    "session_source",
    "simulator_for",
    "use_simulator",
    "wants_simulator",
]

MARKER = "llm_scenario"
MARKER_HELP = (
    "llm_scenario(name_or_file): the simulator scenario the llm_simulator fixture serves, "
    "and that recording uses (llmring-replay)"
)
#: `--llm-scenario=off`: no simulator, even if the marker or ini names one.
OFF = "off"
#: What a simulator fixture says when no scenario is set.
NO_SCENARIO = (
    "needs a scenario: --llm-scenario, @pytest.mark.llm_scenario(...) or the llm_scenario "
    "ini setting (a built-in name such as weather, or a file)"
)

_SERVERS = pytest.StashKey[dict[str, "SimulatorServer"]]()


def add_options(group: pytest.OptionGroup, parser: pytest.Parser) -> None:
    """The `--llm-scenario` option and the `llm_scenario` ini setting."""
    group.addoption(
        "--llm-scenario",
        default=None,
        metavar="NAME|FILE",
        help="serve this simulator scenario to the tests (llm_simulator fixture; recording "
        "records from it); 'off' to record live although the marker or ini names one",
    )
    parser.addini(
        "llm_scenario",
        "simulator scenario (built-in name or file, relative to the rootdir) served to the "
        "tests and recorded from when the record mode allows",
        default="",
    )


def _resolved(name: str, base: Path) -> str:
    """A file's absolute path when `name` is one (relative to `base`), else the name."""
    path = base / name
    return str(path.resolve()) if path.is_file() else name


def scenario_source(item: pytest.Item) -> str | None:
    """The scenario for `item` (a path or a built-in name), `None` when there is none."""
    config = item.config
    given = config.getoption("llm_scenario")
    marker = item.get_closest_marker(MARKER)
    if given or marker is None:
        return session_source(config)
    if len(marker.args) != 1 or marker.kwargs or not isinstance(marker.args[0], str):
        pytest.fail(f"{MARKER} takes one argument: a scenario name or file", pytrace=False)
    return _resolved(marker.args[0], item.path.parent)


def session_source(config: pytest.Config) -> str | None:
    """The session's scenario: the command line's, else the ini's (markers are per test)."""
    given = config.getoption("llm_scenario")
    if given == OFF:
        return None
    if given:
        return _resolved(given, config.invocation_params.dir)
    ini = config.getini("llm_scenario")
    return _resolved(ini, config.rootpath) if ini else None


def simulator_for(config: pytest.Config, source: str) -> SimulatorServer:
    """The running server of scenario `source` in this process, started on first use."""
    from llmring_replay.exceptions import ScenarioError
    from llmring_replay.simulator import SimulatorServer, load_simulator

    servers = config.stash.setdefault(_SERVERS, {})
    server = servers.get(source)
    if server is None:
        problem: str | None = None
        try:
            simulator = load_simulator(source)
        except ScenarioError as exc:
            problem = exc.message
        if problem is not None:  # failed outside the `except`: no chained traceback
            pytest.fail(problem, pytrace=False)
        server = servers[source] = SimulatorServer(simulator)
        server.__enter__()
        config.add_cleanup(lambda: server.__exit__(None, None, None))
    return server


def use_simulator(server: SimulatorServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point every provider's clients at `server` for the test, with placeholder keys."""
    from llmring_replay.simulator.environment import client_environment, key_variables

    env = client_environment(server.base_url)
    for variable in key_variables() - set(env):
        monkeypatch.delenv(variable, raising=False)  # a real key must not win over ours
    for variable, value in env.items():
        monkeypatch.setenv(variable, value)


def wants_simulator(item: pytest.Item) -> bool:
    """Whether the cassette fixtures should record from the simulator for `item`."""
    mode = item.config.getoption("llm_record_mode") or "none"
    return mode != "none" and scenario_source(item) is not None
