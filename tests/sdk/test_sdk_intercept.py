"""Route (b), automatic interception: in a user's pytest session, tests that only ask for
`llm_cassette` build every SDK's client as an app would (no `http_client`, the base URL
from the environment variable the SDK reads) and stream; the plugin records them from the
simulator with `--llm-record-mode=once`, then, with the simulator stopped, replays them at
`--llm-timing=recorded`. Two inner sessions run the whole matrix."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest

from llmring_replay.cassette import Cassette
from llmring_replay.cli.serve import client_settings
from llmring_replay.simulator import SimulatorServer
from tests.plugin.helpers import make_project, offline
from tests.sdk.cases import CASES, SDKS, Case, Run, check_replay, script_for

INNER = """\
import json
import os
from pathlib import Path

import pytest

from tests.sdk.cases import CASES, run


@pytest.mark.usefixtures("llm_cassette")
@pytest.mark.parametrize("case", CASES)
def test_sdk(case):
    result = run(case)  # the SDK's own client: no http_client, no transport
    out = Path(os.environ["SDK_MATRIX_OUT"]) / f"{case.id}.json"
    out.write_text(json.dumps({"chunks": result.chunks, "arrivals": result.arrivals}))
"""


# google-genai's async client sends through aiohttp (intercepted too) whenever aiohttp is
# installed; it subclasses aiohttp's session, which aiohttp warns about: theirs, not ours.
SUBCLASS_WARNING = (
    "-W",
    "ignore:Inheritance class AiohttpClientSession from ClientSession:DeprecationWarning",
)


def runs(directory: Path) -> dict[str, Run]:
    """What each inner test wrote: the chunks its SDK yielded, and when."""
    found = {}
    for path in directory.glob("*.json"):
        data = json.loads(path.read_text())
        found[path.stem] = Run(data["chunks"], data["arrivals"])
    return found


def test_interception_records_and_replays_every_sdk(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Imported here, so the inner sessions (which drop the modules they import) reuse them.
    for sdk in SDKS:
        importlib.import_module(sdk.module)
    # aiohttp is installed (dev extra): google-genai's async cells go through it.
    assert importlib.import_module("google.genai._api_client").has_aiohttp
    make_project(pytester)
    pytester.makepyfile(test_matrix=INNER)
    offline(monkeypatch)
    for name in ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_XDIST_TESTRUNUID"):
        monkeypatch.delenv(name, raising=False)  # the inner sessions are no xdist workers
    live_dir, replay_dir = pytester.mkdir("live"), pytester.mkdir("replayed")

    with SimulatorServer(script_for) as simulator:
        for variable, value, _ in client_settings(simulator.base_url):
            monkeypatch.setenv(variable, value)
        monkeypatch.setenv("SDK_MATRIX_OUT", str(live_dir))
        recorded = pytester.runpytest("--llm-record-mode=once", *SUBCLASS_WARNING)
        recorded.assert_outcomes(passed=len(CASES))
    # The simulator is stopped (its port still in the base URLs): only cassettes answer.
    monkeypatch.setenv("SDK_MATRIX_OUT", str(replay_dir))
    replaying = pytester.runpytest("--llm-timing=recorded", *SUBCLASS_WARNING)
    replaying.assert_outcomes(passed=len(CASES))

    live, replayed = runs(live_dir), runs(replay_dir)
    for param in CASES:
        (case,) = param.values
        assert isinstance(case, Case)
        (path,) = pytester.path.glob(f"cassettes/**/*{case.id}*.yaml")
        (interaction,) = Cassette.load(path).interactions
        check_replay(case, live[case.id], replayed[case.id], interaction)
