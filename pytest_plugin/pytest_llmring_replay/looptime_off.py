"""Keep looptime's own pytest plugin out of suites that did not ask for it.

`llmring-replay[clock]` installs looptime for `llmring_replay.clock.virtual_clock()`, which
uses only looptime's library. looptime also registers a pytest plugin (`looptime_plugin`)
in every project it is installed in, and that plugin changes how a suite runs: it fails
every test of an anyio-only suite (it looks for pytest-asyncio and finds none) and, under
pytest-asyncio 1.x, leaks an event loop per sync test. Installing our extra must not do
that, so the plugin is unregistered as soon as it registers, unless the run asks for it
with `-p looptime_plugin` (on the command line, in `addopts` or in `PYTEST_ADDOPTS`).

A test that carries looptime's `looptime` marker while the plugin is off is a usage error
that says how to turn it on, rather than a test that silently runs in real time.

This module imports only pytest: it is loaded with the plugin.
"""

from __future__ import annotations

import pytest

__all__ = ["LOOPTIME_PLUGIN", "MARKER_HELP", "check_items", "keep_off", "turned_off"]

#: The name of looptime's pytest plugin (its `pytest11` entry point).
LOOPTIME_PLUGIN = "looptime_plugin"
_TURNED_OFF = pytest.StashKey[bool]()
MARKER_HELP = (
    "looptime: looptime's own marker; its pytest plugin is off unless the run is started "
    "with -p looptime_plugin (llmring-replay turns it off)"
)
_HOW = (
    "looptime's pytest plugin is off: llmring-replay turns it off so that installing "
    "llmring-replay[clock] does not change how a suite runs. To use looptime's marker and "
    "fixtures, turn it on with `-p looptime_plugin` (e.g. `addopts = -p looptime_plugin`)."
)


def _asked_for(config: pytest.Config | None) -> bool:
    namespace = getattr(config, "known_args_namespace", None)
    plugins = getattr(namespace, "plugins", None) or ()
    return LOOPTIME_PLUGIN in (name.strip() for name in plugins)


def keep_off(plugin: object, name: str | None, manager: pytest.PytestPluginManager) -> None:
    """Unregister looptime's plugin when it registers, unless `-p looptime_plugin` was given."""
    if name != LOOPTIME_PLUGIN:
        return
    config = manager.get_plugin("pytestconfig")
    if _asked_for(config):
        return
    manager.unregister(plugin)
    if isinstance(config, pytest.Config):
        config.stash[_TURNED_OFF] = True


def turned_off(config: pytest.Config) -> bool:
    """Whether this run turned looptime's plugin off."""
    return config.stash.get(_TURNED_OFF, False)


def check_items(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A `looptime`-marked test while the plugin is off is a usage error saying what to do."""
    if not turned_off(config):
        return
    marked = [item.nodeid for item in items if item.get_closest_marker("looptime") is not None]
    if marked:
        raise pytest.UsageError(f"{marked[0]} is marked `looptime`, but {_HOW}")
