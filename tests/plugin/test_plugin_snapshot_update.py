"""`--snapshot-update` treats stream snapshots as syrupy treats any snapshot."""

from __future__ import annotations

import pytest

from .helpers import make_project, offline, simulating

LIFE = """\
import pytest
from llmring_replay import LLMRequest, Message

def ask(text):
    messages = [Message(role="user", content=text)]
    return LLMRequest(model="google:gemini-2.5-flash", messages=messages)

def test_plain(snapshot):
    assert {"plain": "syrupy"} == snapshot

async def test_first(llmring, stream_snapshot, snapshot):
    chunks = [chunk async for chunk in llmring.chat_stream(ask("first"))]
    assert chunks == stream_snapshot
    assert chunks == stream_snapshot(exact=True)
    assert len(chunks) > 1 == snapshot
"""

SECOND = """
async def test_second(llmring, stream_snapshot):
    chunks = [chunk async for chunk in llmring.chat_stream(ask("second"))]
    assert chunks == stream_snapshot
"""


def test_snapshot_update_creates_checks_and_deletes_stream_snapshots(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_project(pytester)
    pytester.makepyfile(test_life=LIFE + SECOND)
    offline(monkeypatch)
    with simulating(monkeypatch):
        created = pytester.runpytest("--llm-record-mode=once", "--snapshot-update")
    created.assert_outcomes(passed=3)
    assert "5 snapshots generated" in created.stdout.str()
    snapshots = pytester.path / "__snapshots__"
    assert sorted(p.name for p in snapshots.iterdir()) == [
        "test_life.ambr",
        "test_life.chunks",
        "test_life.stream",
    ]
    plain_file = (snapshots / "test_life.ambr").read_text()
    assert "# name: test_first\n" in plain_file  # no name clash with the stream snapshots

    checked = pytester.runpytest()
    checked.assert_outcomes(passed=3)
    assert "5 snapshots passed" in checked.stdout.str()

    # test_second is removed: its snapshot is reported unused, then deleted by the update.
    pytester.makepyfile(test_life=LIFE)
    unused = pytester.runpytest()
    assert unused.ret == 1
    assert "1 snapshot unused" in unused.stdout.str()
    updated = pytester.runpytest("--snapshot-update")
    updated.assert_outcomes(passed=2)
    assert "1 unused snapshot deleted" in updated.stdout.str()
    stream_file = (snapshots / "test_life.stream").read_text()
    assert "test_second" not in stream_file and "# name: test_first\n" in stream_file
    assert (snapshots / "test_life.ambr").read_text() == plain_file
    assert pytester.runpytest().ret == 0
