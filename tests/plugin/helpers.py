"""Shared set-up for the plugin's pytester tests: an inner project, a simulator's environment."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from llmring_replay.simulator import Script, SimulatorServer

__all__ = [
    "PROVIDERS",
    "README_TEST",
    "make_project",
    "offline",
    "simulating",
]

PROVIDERS = ("openai", "anthropic", "google", "ollama")
_BASE_URL_ENV = {
    "openai": "OPENAI_BASE_URL",
    "anthropic": "ANTHROPIC_BASE_URL",
    "google": "GOOGLE_GEMINI_BASE_URL",
    "ollama": "OLLAMA_BASE_URL",
}
_KEY_ENV = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY")

# The inner projects run like a user's: pytest-asyncio in auto mode, warnings as errors.
INI = """\
[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = function
addopts = -p no:cacheprovider -p no:hypothesispytest
filterwarnings = error
"""

README_TEST = """\
import pytest
from llmring_replay import LLMRequest, Message

@pytest.mark.llm_cassette(providers=["openai", "anthropic", "google", "ollama"])
async def test_greeting(llmring, llm_model, stream_snapshot):
    request = LLMRequest(model=llm_model, messages=[Message(role="user", content="Say hi")])
    chunks = [chunk async for chunk in llmring.chat_stream(request)]
    assert "".join(c.delta for c in chunks)
    assert chunks[-1].finish_reason == "stop"
    assert chunks == stream_snapshot
"""


def make_project(pytester: pytest.Pytester, ini_extra: str = "") -> None:
    """An inner project with the users' usual settings."""
    pytester.makefile(".ini", pytest=INI + ini_extra)


def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """No API key and no base URL in the environment: a CI machine."""
    for name in (*_KEY_ENV, *_BASE_URL_ENV.values(), "OLLAMA_API_KEY"):
        monkeypatch.delenv(name, raising=False)


@contextmanager
def simulating(
    monkeypatch: pytest.MonkeyPatch, script: Script | None = None
) -> Iterator[SimulatorServer]:
    """A simulator, with every provider's base URL and a (fake) key pointing the app at it."""
    script = script or Script(text="Hi there! Nice to meet you.")
    with SimulatorServer(script) as sim, monkeypatch.context() as patch:
        for provider, variable in _BASE_URL_ENV.items():
            patch.setenv(variable, sim.base_url_for(provider))
        for variable in _KEY_ENV:
            patch.setenv(variable, "recording-key-not-a-secret")
        yield sim
