"""Route (a), an injected client: each official SDK is handed an HTTP client around
`CassetteTransport` (httpx2 for openai, anthropic and google-genai; httpx for ollama), sync
or async; it records from the simulator, and with the simulator stopped the SDK yields the
same chunks from the cassette, at the recorded pace."""

from __future__ import annotations

from pathlib import Path

import pytest

from llmring_replay.cassette import Cassette
from llmring_replay.simulator import SimulatorServer
from llmring_replay.transports import CassetteTransport
from tests.sdk.cases import CASES, Case, base_url_env, check_replay, run, script_for


@pytest.mark.parametrize("case", CASES)
def test_an_injected_client_records_and_replays(case: Case, tmp_path: Path) -> None:
    fmt, sdk, path = case.sdk.format, case.sdk, tmp_path / "cassette.yaml"
    with SimulatorServer(script_for) as simulator, base_url_env(fmt, simulator.base_url):
        recording = CassetteTransport(path, "once")
        live = run(case, **sdk.inject(recording, case.asynchronous))
        gone = simulator.base_url
    # The simulator is stopped: only the cassette can answer, at the recorded pace.
    replay = CassetteTransport(path, "none", timing="recorded")
    with base_url_env(fmt, gone):
        replayed = run(case, **sdk.inject(replay, case.asynchronous))
    replay.assert_all_played()
    (interaction,) = Cassette.load(path).interactions
    check_replay(case, live, replayed, interaction)
