"""Zero code change in CI: a test that builds its SDK clients as the app does (`OpenAI()`,
`Anthropic()`, `genai.Client()`, each reading its key from the environment) replays its
cassette with no key set, because the plugin sets a placeholder key while the cassette only
replays. Recording still needs a real key, unless the provider is served on this machine."""

from __future__ import annotations

import importlib

import pytest

from llmring_replay.cli.serve import client_settings
from llmring_replay.simulator import Script, SimulatorServer
from tests.plugin.helpers import make_project, offline

ANSWER = "Hi there! Nice to meet you."

INNER = f"""\
import os

import pytest
from anthropic import Anthropic
from google import genai
from openai import OpenAI


@pytest.mark.usefixtures("llm_cassette")
def test_app():
    with OpenAI() as client:  # as the app builds it: the key from OPENAI_API_KEY
        stream = client.chat.completions.create(
            model="gpt-4o-mini", messages=[{{"role": "user", "content": "Hi"}}], stream=True
        )
        text = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
    assert text == {ANSWER!r}
    # The other SDKs that refuse (or would refuse) to start without a key start too.
    Anthropic().close()
    genai.Client().close()


def test_after():
    assert "OPENAI_API_KEY" not in os.environ
"""


def test_a_plain_sdk_client_replays_with_no_key(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    for module in ("openai", "anthropic", "google.genai"):
        importlib.import_module(module)  # here, so the inner sessions reuse them
    make_project(pytester)
    pytester.makepyfile(test_app=INNER)
    offline(monkeypatch)

    # Recording from a server on this machine needs no key either: it checks none.
    with SimulatorServer(Script(text=ANSWER)) as simulator, monkeypatch.context() as patch:
        for variable, value, _ in client_settings(simulator.base_url):
            patch.setenv(variable, value)
        pytester.runpytest("--llm-record-mode=once").assert_outcomes(passed=2)
    assert list(pytester.path.glob("cassettes/**/test_app.yaml"))

    # CI: no key, no base URL (the SDK's default host), the simulator gone.
    pytester.runpytest().assert_outcomes(passed=2)

    # Recording from the real provider needs the real key: the SDK says so, as without us.
    result = pytester.runpytest("--llm-record-mode=new_episodes")
    result.assert_outcomes(failed=1, passed=1)
    result.stdout.fnmatch_lines(["*OPENAI_API_KEY*"])
