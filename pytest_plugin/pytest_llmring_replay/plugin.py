"""pytest wiring for llmring-replay: options, ini settings, the marker, hooks and fixtures.

Settings are resolved per test: the cassette's in `config` with the precedence
command line > `llm_cassette` marker > ini > default (record mode: command line only); the
`llmring` client's in `ring_config` with the precedence
command line > `llmring` marker > `llmring_config` fixture > ini > default.

Heavy imports (httpx, pydantic, llmring_replay, syrupy) happen inside fixtures and hooks,
only for tests that use them: a project with the plugin installed that does not use it pays
for this module and a marker lookup per test function (`benchmarks/plugin_startup.py`).
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from pytest_llmring_replay import looptime_off, ring_config
from pytest_llmring_replay import simulator as _simulator

if TYPE_CHECKING:
    from syrupy.assertion import SnapshotAssertion

    from llmring_replay.service import LLMRing
    from llmring_replay.simulator import SimulatorServer
    from pytest_llmring_replay.cassette import LLMCassette
    from pytest_llmring_replay.snapshot import StreamSnapshotAssertion

_CASSETTE = pytest.StashKey["LLMCassette"]()
_MARKER_HELP = (
    "llm_cassette(name=None, *, timing='instant', match_on=None, ignore_paths=(), "
    "allow_repeats=False, allow_unplayed=False, faults=(), providers=None, models=None, "
    "intercept=True): record or replay this test's LLM traffic with a cassette (llmring-replay)"
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("llmring-replay", "llmring-replay: record and replay LLM streams")
    group.addoption(
        "--llm-record-mode",
        choices=("none", "once", "new_episodes", "all"),
        default=None,
        help="when cassettes may record from the network: none (default: replay only, "
        "no network), once (record missing cassettes), new_episodes, all (re-record)",
    )
    group.addoption(
        "--llm-timing",
        default=None,
        help="replay pacing for every cassette, e.g. instant, recorded, speed=2 "
        "(overrides the marker's timing and the llm_timing ini setting)",
    )
    parser.addini(
        "llm_cassette_dir",
        "folder of the cassettes, relative to each test file's folder "
        "(cassettes go in <folder>/<test module>/<test name>.yaml)",
        default="cassettes",
    )
    parser.addini("llm_timing", "default replay pacing (instant when unset)", default="")
    parser.addini(
        "llm_intercept",
        "serve every httpx/httpx2 client's provider requests from the test's cassette "
        "(default true; the marker's intercept= overrides it)",
        type="bool",
        default=True,
    )
    _simulator.add_options(group, parser)
    ring_config.add_options(group, parser)


def pytest_plugin_registered(
    plugin: object, plugin_name: str | None, manager: pytest.PytestPluginManager
) -> None:
    # Installing llmring-replay[clock] must not change a suite: see `looptime_off`.
    looptime_off.keep_off(plugin, plugin_name, manager)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    looptime_off.check_items(config, items)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", _MARKER_HELP)
    config.addinivalue_line("markers", _simulator.MARKER_HELP)
    config.addinivalue_line("markers", ring_config.MARKER_HELP)
    if looptime_off.turned_off(config):
        config.addinivalue_line("markers", looptime_off.MARKER_HELP)
    _check_timing(config)
    ring_config.check_options(config)


def _check_timing(config: pytest.Config) -> None:
    """A bad `--llm-timing` or `llm_timing` is a usage error, not an error in every test."""
    given = [
        (source, spec)
        for source, spec in (
            ("--llm-timing", config.getoption("llm_timing")),
            ("llm_timing", config.getini("llm_timing")),
        )
        if spec
    ]
    if not given:
        return
    from llmring_replay.timing import parse_timing  # only when set: start-up stays cheap

    for source, spec in given:
        try:
            parse_timing(spec)
        except ValueError as exc:
            raise pytest.UsageError(f"{source}: {exc}") from None


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if metafunc.definition.get_closest_marker("llm_cassette") is None:
        return
    from pytest_llmring_replay.config import marker_options, providers_of

    # Marker arguments are checked here, at collection, so a typo fails early.
    providers = providers_of(marker_options(metafunc.definition))
    # A class or module marker covers tests that use none of the plugin's fixtures; those
    # run once. `llm_provider` is among the names of every test using `llm_model`,
    # `llm_cassette` or `llmring`, which depend on it.
    if providers and "llm_provider" in metafunc.fixturenames:
        metafunc.parametrize("llm_provider", providers, ids=providers)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    # The cassette's checks run in the call phase so that a test failing them is reported
    # as failed, not as an error in a fixture.
    cassette = item.stash.get(_CASSETTE, None)
    if cassette is None:
        return (yield)
    cassette.before_call()
    passed = False
    try:
        result = yield
        passed = True
    finally:
        cassette.after_call(passed)
    return result


@pytest.fixture
def llm_provider() -> str | None:
    """The provider of a cross-provider test (`llm_cassette(providers=[...])`), else None."""
    return None


@pytest.fixture
def llm_model(request: pytest.FixtureRequest, llm_provider: str | None) -> str:
    """The `provider:model` a cross-provider test requests (marker `models`, else a default)."""
    from pytest_llmring_replay.config import marker_options, model_for

    if llm_provider is None:
        pytest.fail("llm_model needs @pytest.mark.llm_cassette(providers=[...])", pytrace=False)
    return model_for(marker_options(request.node), llm_provider)


@pytest.fixture
def llm_cassette(request: pytest.FixtureRequest, llm_provider: str | None) -> Iterator[LLMCassette]:
    """The test's cassette: its path, interactions and played state."""
    from pytest_llmring_replay.cassette import LLMCassette
    from pytest_llmring_replay.config import resolve
    from pytest_llmring_replay.keys import use_placeholder_keys

    item = request.node
    assert isinstance(item, pytest.Item)
    if _simulator.wants_simulator(item):
        request.getfixturevalue("llm_simulator")  # record from the scenario: set up first
    cassette = LLMCassette(resolve(item, llm_provider), item.config.invocation_params.dir)
    # The official SDKs refuse to start without a key: a placeholder while nothing is sent.
    use_placeholder_keys(request.getfixturevalue("monkeypatch"), not cassette.recording)
    item.stash[_CASSETTE] = cassette
    cassette.start()
    try:
        yield cassette
    finally:
        cassette.stop()
        del item.stash[_CASSETTE]


@pytest.fixture
def llm_simulator(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> SimulatorServer:
    """The simulator serving the test's scenario, every provider's clients pointed at it."""
    item = request.node
    assert isinstance(item, pytest.Item)
    source = _simulator.scenario_source(item)
    if source is None:
        pytest.fail(f"llm_simulator {_simulator.NO_SCENARIO}", pytrace=False)
    server = _simulator.simulator_for(item.config, source)
    _simulator.use_simulator(server, monkeypatch)
    return server


@pytest.fixture(scope="session")
def llm_simulator_session(pytestconfig: pytest.Config) -> Iterator[SimulatorServer]:
    """The session's scenario simulator (ini or command line), pointed at for the session."""
    source = _simulator.session_source(pytestconfig)
    if source is None:
        pytest.fail(f"llm_simulator_session {_simulator.NO_SCENARIO}", pytrace=False)
    server = _simulator.simulator_for(pytestconfig, source)
    with pytest.MonkeyPatch.context() as monkeypatch:
        _simulator.use_simulator(server, monkeypatch)
        yield server


@pytest.fixture
def llmring_config() -> dict[str, Any]:
    """Settings for `llmring` (timeout, lockfile, profile, providers); override in a conftest."""
    return {}


@pytest.fixture
def llmring(
    request: pytest.FixtureRequest, llm_cassette: LLMCassette, llmring_config: dict[str, Any]
) -> LLMRing:
    """An `LLMRing` recording or replaying the test's cassette, closed after the test."""
    assert isinstance(request.node, pytest.Item)
    return llm_cassette.new_ring(ring_config.resolve_ring(request.node, llmring_config))


@pytest.fixture
def stream_snapshot(snapshot: SnapshotAssertion) -> StreamSnapshotAssertion:
    """syrupy's `snapshot` for streams: normalized transcripts; `(exact=True)` per chunk."""
    from pytest_llmring_replay.snapshot import stream_assertion

    return stream_assertion(snapshot)
