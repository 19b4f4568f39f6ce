"""Named setups a README block asks for with `<!-- readme-test: setup=NAME[,NAME] -->`.

Each prepares the block's folder (the current directory while it runs) and environment; a
block then runs as a reader would run it there. Every block starts in a fresh folder that
holds copies of the checkout's `cassettes/` and `examples/`, with no provider key or base
URL in the environment (a CI machine). Add a setup here when a new block needs one.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from llmring_replay.lockfile import Lockfile
from llmring_replay.simulator import Script
from tests.plugin.helpers import INI, simulating

__all__ = ["SETUPS", "Context"]


@dataclass
class Context:
    """What a setup may use: the block's folder, the checkout, pytest's helpers."""

    folder: Path
    repo: Path
    monkeypatch: pytest.MonkeyPatch
    stack: ExitStack


def simulator(context: Context) -> None:
    """The simulator on loopback, every provider's base URL and a placeholder key pointing at
    it, as a reader's real keys would point at the providers."""
    script = Script(text="Hello! This answer streams from the simulator.", interval=0.01)
    context.stack.enter_context(simulating(context.monkeypatch, script))


def lockfile(context: Context) -> None:
    """An `llmring.lock` binding the alias `chatbot` (Anthropic, falling back to OpenAI)."""
    lock = Lockfile.create(context.folder / "llmring.lock")
    models = ["anthropic:claude-3-5-haiku-20241022", "openai:gpt-4o-mini"]
    lock.set_binding("chatbot", models)
    lock.save()


def readme_test_project(context: Context) -> None:
    """A project holding the README's example test, with pytest-asyncio in auto mode."""
    # Only tests/: the folder also holds a copy of examples/, with tests of its own.
    (context.folder / "pytest.ini").write_text(INI + "testpaths = tests\n")
    tests = context.folder / "tests"
    tests.mkdir()
    shutil.copy(context.repo / "tests" / "test_readme_example.py", tests)


def pytest_ini(context: Context) -> None:
    """A `pytest.ini` as the README's projects have it: pytest-asyncio in auto mode."""
    (context.folder / "pytest.ini").write_text(INI)


def vcr_cassettes(context: Context) -> None:
    """`tests/cassettes/` holding a pytest-recording (vcrpy) cassette to import."""
    folder = context.folder / "tests" / "cassettes"
    folder.mkdir(parents=True)
    # Our cassettes are vcrpy's format plus our own keys: without them, a vcrpy cassette.
    data = yaml.safe_load((context.repo / "cassettes" / "openai_weather.yaml").read_text())
    data.pop("llmring_replay")
    for interaction in data["interactions"]:
        interaction.pop("llmring_replay")
    (folder / "test_weather.yaml").write_text(yaml.safe_dump(data))


SETUPS: dict[str, Callable[[Context], None]] = {
    "lockfile": lockfile,
    "pytest-ini": pytest_ini,
    "readme-test-project": readme_test_project,
    "simulator": simulator,
    "vcr-cassettes": vcr_cassettes,
}
