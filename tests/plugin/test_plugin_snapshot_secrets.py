"""Keys never reach `__snapshots__/` (nor the cassettes beside them): `--snapshot-update` with
realistic keys in the environment and a server that echoes them, in pieces."""

from __future__ import annotations

from pathlib import Path

import pytest

from llmring_replay.simulator import Script, SimulatorServer
from tests.support import CANARY_KEYS, canary_fragments

from .helpers import make_project, offline

KEY = CANARY_KEYS["OPENAI_API_KEY"]

RECORDED = """\
from llmring_replay import LLMRequest, Message

async def test_echo(llmring, stream_snapshot):
    request = LLMRequest(model="openai:gpt-4o-mini", messages=[Message(role="user", content="hi")])
    chunks = [chunk async for chunk in llmring.chat_stream(request)]
    assert chunks == stream_snapshot
    assert chunks == stream_snapshot(exact=True)
"""

BUILT = f"""\
from llmring_replay import StreamChunk

KEY = {KEY!r}

def test_echo(stream_snapshot):
    text = "key: " + KEY + " end"
    chunks = [StreamChunk(delta=text[i : i + 10], model="openai:m") for i in range(0, 80, 10)]
    chunks.append(StreamChunk(delta="", model="openai:m", finish_reason="stop"))
    assert chunks == stream_snapshot(exact=True)
"""


def _written(root: Path) -> str:
    return "".join(
        path.read_text(encoding="utf-8", errors="replace")
        for path in root.rglob("*")
        if path.is_file() and path.suffix in (".stream", ".chunks", ".ambr", ".yaml")
    )


def test_snapshot_update_with_keys_echoed_in_pieces_writes_no_fragment(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_project(pytester)
    pytester.makepyfile(test_echo=RECORDED)
    offline(monkeypatch)
    with SimulatorServer(Script(text=f"Your key is {KEY}, keep it safe.", chunk_size=10)) as sim:
        monkeypatch.setenv("OPENAI_BASE_URL", sim.base_url_for("openai"))
        for name, value in CANARY_KEYS.items():
            monkeypatch.setenv(name, value)
        result = pytester.runpytest("--llm-record-mode=once", "--snapshot-update")
    result.assert_outcomes(passed=1)
    snapshots = pytester.path / "__snapshots__"
    assert {p.name for p in snapshots.iterdir()} == {"test_echo.stream", "test_echo.chunks"}
    assert canary_fragments(_written(pytester.path)) == 0
    assert (
        "Your key is <OPENAI_API_KEY>, keep it safe."
        in (snapshots / "test_echo.stream").read_text()
    )
    # Offline again, the replayed stream matches the scrubbed snapshots.
    offline(monkeypatch)
    pytester.runpytest().assert_outcomes(passed=1)


def test_a_key_in_the_environment_is_redacted_across_chunks(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_project(pytester)
    pytester.makepyfile(test_echo=BUILT)
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    pytester.runpytest("--snapshot-update").assert_outcomes(passed=1)
    written = (pytester.path / "__snapshots__" / "test_echo.chunks").read_text()
    assert canary_fragments(written) == 0
    assert "<OPENAI_API_KEY>" in written


def test_an_unknown_key_is_refused_naming_the_snapshot_file(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_project(pytester)
    pytester.makepyfile(test_echo=BUILT)
    offline(monkeypatch)  # the key is nowhere in the environment: only its shape shows
    result = pytester.runpytest("--snapshot-update")
    result.assert_outcomes(failed=1)
    output = result.stdout.str()
    assert "CassetteSecretError: refusing to write the snapshot file " in output
    assert "__snapshots__/test_echo.chunks" in output
    assert "shaped like an API key (OpenAI key)" in output
    assert canary_fragments(_written(pytester.path)) == 0
