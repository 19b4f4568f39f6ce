"""The `llmring` fixture's settings: timeout, lockfile, profile and registered providers.

Sources, highest first (as pytest-recording's `vcr_config`):

1. the command line: `--llmring-timeout`, `--llmring-lockfile`, `--llmring-profile`;
2. the `llmring(...)` marker (function, then class, then module: the closest wins per key);
3. the `llmring_config` fixture, a dict a conftest overrides (at any scope);
4. the ini file: `llmring_timeout`, `llmring_lockfile`, `llmring_profile`,
   `llmring_providers` (one line per provider: `openai base_url=http://... api_key=...`);
5. defaults: a 60 s timeout; the lockfile `$LLMRING_LOCKFILE_PATH`, else the nearest
   `llmring.lock` from the test file's folder up to the rootdir, else `<rootdir>/llmring.lock`
   (never the current directory, so a test finds its aliases wherever pytest runs); the
   profile `$LLMRING_PROFILE`, else the lockfile's default; providers from the environment.

`providers` (`{"openai": {"base_url": ..., "api_key": ..., "api": "responses"}}`; `api`
chooses a provider's wire format) merge across sources provider by provider and key by
key, so a marker can change one provider's base URL and keep the rest. A relative lockfile
path is read from where its source is written: the command line's from where pytest was
started, the marker's from the test file's folder, the fixture's and the ini file's from
the rootdir.

This module imports only pytest at import time: it is loaded with the plugin.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

__all__ = [
    "CONFIG_KEYS",
    "MARKER",
    "MARKER_HELP",
    "PROVIDER_KEYS",
    "RingSettings",
    "add_options",
    "check_options",
    "resolve_ring",
]

MARKER = "llmring"
MARKER_HELP = (
    "llmring(*, timeout=None, lockfile=None, profile=None, providers=None): settings of the "
    "`llmring` fixture's client for this test (llmring-replay)"
)
CONFIG_KEYS = frozenset({"timeout", "lockfile", "profile", "providers"})
PROVIDER_KEYS = frozenset({"api_key", "base_url", "api"})
DEFAULT_TIMEOUT = 60.0
LOCKFILE_NAME = "llmring.lock"


@dataclass(frozen=True)
class RingSettings:
    """What the `llmring` fixture builds its `LLMRing` with."""

    timeout: float
    lockfile: Path
    profile: str | None
    #: Provider name -> `{"api_key": ..., "base_url": ..., "api": ...}` (any may be missing;
    #: `api` chooses the wire format, e.g. `responses` for OpenAI's Responses API).
    providers: dict[str, dict[str, str]] = field(default_factory=dict)


def add_options(group: pytest.OptionGroup, parser: pytest.Parser) -> None:
    """The command-line options and ini settings of the `llmring` fixture."""
    group.addoption(
        "--llmring-timeout",
        type=float,
        default=None,
        help="the llmring fixture's request timeout in seconds (default 60)",
    )
    group.addoption(
        "--llmring-lockfile",
        default=None,
        help="the llmring fixture's llmring.lock (default: the nearest one from the test's "
        "folder up to the rootdir)",
    )
    group.addoption(
        "--llmring-profile", default=None, help="the lockfile profile aliases resolve in"
    )
    parser.addini("llmring_timeout", "the llmring fixture's request timeout (seconds)")
    parser.addini("llmring_lockfile", "the llmring fixture's llmring.lock, relative to rootdir")
    parser.addini("llmring_profile", "the lockfile profile the llmring fixture resolves in")
    parser.addini(
        "llmring_providers",
        "providers the llmring fixture registers, one per line: openai base_url=... api_key=...",
        type="linelist",
        default=[],
    )


def _timeout(value: Any, source: str) -> float:
    try:
        timeout = float(value)
    except (TypeError, ValueError):
        timeout = -1.0
    if not timeout > 0:
        raise ValueError(f"{source}: timeout must be a positive number of seconds, got {value!r}")
    return timeout


def _providers(value: Any, source: str) -> dict[str, dict[str, str]]:
    if not isinstance(value, Mapping):
        raise ValueError(f"{source}: providers must be a dict of provider -> settings")
    from llmring_replay.providers.registry import provider_names

    known = provider_names()
    checked: dict[str, dict[str, str]] = {}
    for name, settings in value.items():
        if name not in known:
            raise ValueError(f"{source}: unknown provider {name!r} (known: {', '.join(known)})")
        if not isinstance(settings, Mapping) or not set(settings) <= PROVIDER_KEYS:
            raise ValueError(
                f"{source}: providers[{name!r}] must be a dict with api_key, base_url and/or api"
            )
        checked[name] = {key: str(item) for key, item in settings.items() if item is not None}
    return checked


def _ini_providers(lines: list[str]) -> dict[str, dict[str, str]]:
    """`openai base_url=http://... api_key=...` lines as a providers dict."""
    parsed: dict[str, dict[str, str]] = {}
    for line in lines:
        name, *words = line.split()
        settings = {}
        for word in words:
            key, equals, value = word.partition("=")
            if not equals:
                raise ValueError(f"llmring_providers: {word!r} is not key=value in {line!r}")
            settings[key] = value
        parsed[name] = settings
    return _providers(parsed, "llmring_providers")


def _ini(config: pytest.Config) -> dict[str, Any]:
    """The ini settings that are set, checked; relative lockfile paths made absolute."""
    values: dict[str, Any] = {}
    if config.getini("llmring_timeout"):
        values["timeout"] = _timeout(config.getini("llmring_timeout"), "llmring_timeout")
    if config.getini("llmring_lockfile"):
        values["lockfile"] = config.rootpath / str(config.getini("llmring_lockfile"))
    if config.getini("llmring_profile"):
        values["profile"] = str(config.getini("llmring_profile"))
    lines = [line for line in config.getini("llmring_providers") if line.strip()]
    if lines:
        values["providers"] = _ini_providers(lines)
    return values


def _command_line(config: pytest.Config) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if config.getoption("llmring_timeout") is not None:
        values["timeout"] = _timeout(config.getoption("llmring_timeout"), "--llmring-timeout")
    if config.getoption("llmring_lockfile"):
        given = Path(config.getoption("llmring_lockfile"))
        values["lockfile"] = config.invocation_params.dir / given
    if config.getoption("llmring_profile"):
        values["profile"] = config.getoption("llmring_profile")
    return values


def check_options(config: pytest.Config) -> None:
    """Bad command-line or ini settings are a usage error, reported once at start-up."""
    try:
        _command_line(config)
        _ini(config)
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from None


def _in_code(values: Mapping[str, Any], source: str, folder: Path) -> dict[str, Any]:
    """A marker's or the fixture's settings, checked, lockfile relative to `folder`."""
    unknown = sorted(set(values) - CONFIG_KEYS)
    if unknown:
        raise ValueError(f"{source}: unknown setting(s) {unknown}; known: {sorted(CONFIG_KEYS)}")
    checked: dict[str, Any] = {}
    if values.get("timeout") is not None:
        checked["timeout"] = _timeout(values["timeout"], source)
    if values.get("lockfile") is not None:
        checked["lockfile"] = folder / Path(values["lockfile"])
    if values.get("profile") is not None:
        checked["profile"] = str(values["profile"])
    if values.get("providers") is not None:
        checked["providers"] = _providers(values["providers"], source)
    return checked


def _marker(item: pytest.Item) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for marker in item.iter_markers(MARKER):  # closest first
        if marker.args:
            raise ValueError(f"{MARKER} takes keyword arguments only: {sorted(CONFIG_KEYS)}")
        for key, value in marker.kwargs.items():
            if key == "providers" and isinstance(value, Mapping):
                # Providers merge across levels too: the closer marker wins per provider.
                options["providers"] = {**value, **options.get("providers", {})}
            else:
                options.setdefault(key, value)
    return options


def _default_lockfile(item: pytest.Item) -> Path:
    from_env = os.environ.get("LLMRING_LOCKFILE_PATH")
    if from_env:
        return Path(from_env)
    root = item.config.rootpath
    folder = item.path.parent
    for candidate in (folder, *folder.parents):
        if (candidate / LOCKFILE_NAME).is_file():
            return candidate / LOCKFILE_NAME
        if candidate == root:
            break
    return root / LOCKFILE_NAME


def resolve_ring(item: pytest.Item, fixture_config: Mapping[str, Any]) -> RingSettings:
    """The settings for `item`'s `llmring`; a bad setting fails the test, saying where."""
    problem: str | None = None
    try:
        layers = [  # lowest precedence first
            _ini(item.config),
            _in_code(fixture_config, "llmring_config", item.config.rootpath),
            _in_code(_marker(item), f"@pytest.mark.{MARKER}", item.path.parent),
            _command_line(item.config),
        ]
    except ValueError as exc:
        problem = str(exc)
    if problem is not None:
        # Outside the `except`: pytest would print the message twice, chained.
        pytest.fail(problem, pytrace=False)
    merged: dict[str, Any] = {}
    providers: dict[str, dict[str, str]] = {}
    for layer in layers:
        for name, settings in layer.get("providers", {}).items():
            providers[name] = {**providers.get(name, {}), **settings}
        merged.update({key: value for key, value in layer.items() if key != "providers"})
    return RingSettings(
        timeout=merged.get("timeout", DEFAULT_TIMEOUT),
        lockfile=merged.get("lockfile") or _default_lockfile(item),
        profile=merged.get("profile"),
        providers=providers,
    )
