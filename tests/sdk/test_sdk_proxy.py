"""Route (c), the recording proxy: each official SDK, pointed at `serve --record-mode once`
by the environment variable it reads itself (no code change), records from the simulator;
with the simulator stopped, `serve` replays what the SDK then yields again, chunk for chunk,
at the recorded pace."""

from __future__ import annotations

from pathlib import Path

import pytest

from llmring_replay.cassette import Cassette
from llmring_replay.cli.serve_cassettes import CassetteResponder
from llmring_replay.cli.serve_proxy import ProxyResponder, parse_upstreams
from llmring_replay.simulator import SimulatorServer
from tests.sdk.cases import CASES, Case, base_url_env, check_replay, run, script_for


@pytest.mark.parametrize("case", CASES)
def test_the_proxy_records_and_replays_the_sdk(case: Case, tmp_path: Path) -> None:
    fmt = case.sdk.format
    with SimulatorServer(script_for) as simulator:
        upstreams = parse_upstreams([simulator.base_url])
        proxy = ProxyResponder(CassetteResponder([]), tmp_path, "once", upstreams)
        with SimulatorServer(responder=proxy) as server, base_url_env(fmt, server.base_url):
            live = run(case)
    # The simulator is stopped: only the cassette can answer now.
    cassette = Cassette.load(tmp_path / f"{fmt.name}.yaml")
    replay = CassetteResponder([cassette], "recorded")
    with SimulatorServer(responder=replay) as server, base_url_env(fmt, server.base_url):
        replayed = run(case)
    (interaction,) = cassette.interactions
    check_replay(case, live, replayed, interaction)
