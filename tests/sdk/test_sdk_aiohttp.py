"""Route (b) on aiohttp: google-genai's async client sends through aiohttp whenever aiohttp is
installed (upstream llmring and many apps bring it in). In a user's pytest session, tests
that only ask for `llm_cassette` build the SDK's client as an app would and stream; the
plugin records them from the simulator, then replays them with the simulator stopped, at
the recorded pace, with no code change. (`test_sdk_intercept` runs the whole matrix with
aiohttp hidden from the SDK, as where it is not installed.)"""

from __future__ import annotations

import importlib

import pytest

from llmring_replay.cassette import Cassette
from llmring_replay.cli.serve import client_settings
from llmring_replay.simulator import SimulatorServer
from tests.plugin.helpers import make_project, offline
from tests.sdk.cases import CASES, Case, check_replay, script_for
from tests.sdk.test_sdk_intercept import runs

INNER = """\
import json
import os
from pathlib import Path

import pytest

from tests.sdk.cases import CASES, run

ON_AIOHTTP = [c for c in CASES if c.id.startswith("google-genai-") and c.id.endswith("-async")]


@pytest.mark.usefixtures("llm_cassette")
@pytest.mark.parametrize("case", ON_AIOHTTP)
def test_sdk(case):
    client = case.sdk.client(True)
    assert client._api_client._use_aiohttp()  # aiohttp, not httpx2, sends its requests
    client.close()
    result = run(case)  # the SDK's own client: no http_client, no transport
    out = Path(os.environ["SDK_MATRIX_OUT"]) / f"{case.id}.json"
    out.write_text(json.dumps({"chunks": result.chunks, "arrivals": result.arrivals}))
"""

# google-genai subclasses aiohttp's session, which aiohttp frowns on: theirs, not the test's.
SUBCLASS_WARNING = (
    "-W",
    "ignore:Inheritance class AiohttpClientSession from ClientSession:DeprecationWarning",
)
ON_AIOHTTP = [
    param
    for param in CASES
    if param.id is not None and param.id.startswith("google-genai-") and param.id.endswith("-async")
]


def test_google_genai_async_on_aiohttp_records_and_replays(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("aiohttp")
    # Imported here, so the inner sessions (which drop the modules they import) reuse it.
    importlib.import_module("google.genai")
    make_project(pytester)
    pytester.makepyfile(test_on_aiohttp=INNER)
    offline(monkeypatch)
    for name in ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_XDIST_TESTRUNUID"):
        monkeypatch.delenv(name, raising=False)  # the inner sessions are no xdist workers
    live_dir, replay_dir = pytester.mkdir("live"), pytester.mkdir("replayed")

    with SimulatorServer(script_for) as simulator:
        for variable, value, _ in client_settings(simulator.base_url):
            monkeypatch.setenv(variable, value)
        monkeypatch.setenv("SDK_MATRIX_OUT", str(live_dir))
        pytester.runpytest("--llm-record-mode=once", *SUBCLASS_WARNING).assert_outcomes(
            passed=len(ON_AIOHTTP)
        )
    # The simulator is stopped (its port still in the base URLs): only cassettes answer,
    # and the plugin blocks the network.
    monkeypatch.setenv("SDK_MATRIX_OUT", str(replay_dir))
    pytester.runpytest("--llm-timing=recorded", *SUBCLASS_WARNING).assert_outcomes(
        passed=len(ON_AIOHTTP)
    )

    live, replayed = runs(live_dir), runs(replay_dir)
    assert sorted(live) == sorted(param.id for param in ON_AIOHTTP if param.id)
    for param in ON_AIOHTTP:
        (case,) = param.values
        assert isinstance(case, Case)
        (path,) = pytester.path.glob(f"cassettes/**/*{case.id}*.yaml")
        (interaction,) = Cassette.load(path).interactions
        check_replay(case, live[case.id], replayed[case.id], interaction)
