"""Fixtures for the CLI tests: a clean environment, a runner, cassettes made offline."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from llmring_replay.cassette.scrub import KEY_ENV_VARS
from llmring_replay.providers.registry import api_env, provider_names
from llmring_replay.simulator import Script, SimulatorServer
from tests.cli.cassettes import TEXT


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No real key, base URL or lockfile from the developer's shell reaches a test."""
    for name in (*KEY_ENV_VARS, "OPENAI_BASE_URL", "ANTHROPIC_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    for name in ("GOOGLE_GEMINI_BASE_URL", "OLLAMA_BASE_URL", "LLMRING_LOCKFILE_PATH"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("LLMRING_PROFILE", raising=False)
    for provider in provider_names():
        monkeypatch.delenv(api_env(provider), raising=False)
    monkeypatch.setenv("COLUMNS", "120")
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def sim() -> Iterator[SimulatorServer]:
    """A simulator answering every request with `TEXT`, quickly."""
    with SimulatorServer(Script(text=TEXT, ttft=0.01, interval=0.002)) as server:
        yield server
