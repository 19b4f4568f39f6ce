"""Placeholder API keys while a test's cassette answers, so that the official SDKs build
their clients as the app does (`OpenAI()`, `Anthropic()`, `genai.Client()`) with no key set.

The SDKs refuse to start without a key, although a replayed request reaches nobody. While
the cassette only replays, every provider whose key variables are all unset gets the
placeholder in its first one (as `llm_simulator` does). While it may record, only a provider
whose base URL variable points at this machine (the simulator, `serve`) gets one: a real
provider needs a real key, and a placeholder would turn the SDK's clear "no key" into a 401.
A key that is set is never touched. The test's `monkeypatch` sets them, so they are unset
after the test, whatever the test itself set or unset in between.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

import pytest

from llmring_replay.hosts import is_loopback
from llmring_replay.providers.registry import FORMATS
from llmring_replay.service import PLACEHOLDER_KEY

__all__ = ["missing_keys", "use_placeholder_keys"]


def _local(variables: list[str]) -> bool:
    urls = [os.environ.get(variable) for variable in variables]
    return any(url and is_loopback(urlsplit(url).hostname) for url in urls)


def missing_keys(replaying: bool) -> list[str]:
    """The key variables to fill: the first of each provider's that needs a key and has none
    set (all of them while replaying; while recording, those served on this machine)."""
    found: list[str] = []
    for fmt in FORMATS:
        needs = fmt.api_key_env and not fmt.key_optional
        if not needs or any(os.environ.get(variable) for variable in fmt.api_key_env):
            continue
        urls = [fmt.base_url_env, *(variable for _, variable in fmt.client_base_url_env)]
        if (replaying or _local(urls)) and fmt.api_key_env[0] not in found:
            found.append(fmt.api_key_env[0])
    return found


def use_placeholder_keys(monkeypatch: pytest.MonkeyPatch, replaying: bool) -> None:
    """Set the placeholder key in `missing_keys(replaying)` for the test."""
    for variable in missing_keys(replaying):
        monkeypatch.setenv(variable, PLACEHOLDER_KEY)
