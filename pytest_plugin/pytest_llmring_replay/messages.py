"""What the plugin tells a user whose test it fails, worded to say what to do next."""

from __future__ import annotations

import os

from pytest_llmring_replay.config import CassetteSettings

__all__ = ["key_hint", "missing_message", "shown", "unrecorded_message"]

_Path = str | os.PathLike[str]


def shown(path: _Path, start: _Path) -> str:
    """`path` relative to `start` (where pytest runs), as a user would type it."""
    try:
        return os.path.relpath(path, start)
    except ValueError:  # another drive on Windows
        return os.fspath(path)


def _keys(provider: str) -> tuple[str, bool] | None:
    """The key variables of `provider` (" or "-joined) and whether its key is optional."""
    from llmring_replay.exceptions import ProviderNotFoundError
    from llmring_replay.providers.registry import for_provider

    try:
        fmt = for_provider(provider)
    except ProviderNotFoundError:  # a provider the marker's `models` names, unknown to us
        return None
    return " or ".join(fmt.api_key_env), fmt.key_optional


def key_hint(provider: str | None) -> str:
    """Which key variable recording needs: the provider's when known, else every provider's."""
    keys = _keys(provider) if provider is not None else None
    if keys is not None:
        names, optional = keys
        when = " if it needs a key" if optional else ""
        return f"(recording talks to the real {provider} API: set {names}{when})"
    from llmring_replay.providers.registry import provider_names

    listed = []
    for name in provider_names():
        names, optional = _keys(name) or ("", False)
        listed.append(f"{names} ({name}{', if it needs a key' if optional else ''})")
    return f"(recording talks to the real provider: set its API key: {', '.join(listed)})"


def missing_message(settings: CassetteSettings, start: _Path) -> str:
    """A cassette missing in record mode `none`: the command that records it, and the key."""
    return (
        f"cassette {shown(settings.path, start)} does not exist, and record mode 'none' "
        "may not touch the network.\n"
        f"To record it, run:\n    {settings.record_command}\n"
        f"{key_hint(settings.provider)}"
    )


def unrecorded_message(sent: int, stored: int, path: _Path, start: _Path) -> str:
    """Requests went out while recording but not all were stored: the cassette is short."""
    return (
        f"{sent} request(s) went to the network while recording, {stored} interaction(s) "
        f"were recorded into {shown(path, start)}: the cassette would not replay this test.\n"
        "A response was cut off (a connection error the test swallowed?) or was neither read "
        "to its end nor closed: read each response to its end, or close it."
    )
