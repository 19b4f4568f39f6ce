"""Keys a server streams back in pieces never reach a cassette: recorded from a simulator that
echoes each provider's (canary) key 10 characters a frame, in text, thinking and tool call
arguments, the file holds no fragment of any key, and replay reads the placeholders."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from llmring_replay.cassette import Cassette, Interaction, RecordedRequest, RecordedResponse
from llmring_replay.cassette.scrub import (
    StreamRedactor,
    redact,
    redact_cumulative,
    redact_pieces,
)
from llmring_replay.exceptions import CassetteSecretError
from llmring_replay.schemas import LLMRequest, Message, StreamChunk
from llmring_replay.service import LLMRing
from llmring_replay.simulator import Script, SimulatorServer, ToolCallSpec
from llmring_replay.transports import ReplayTransport
from llmring_replay.transports.public import RecordingTransport
from tests.support import CANARY_KEYS, canary_fragments

#: provider -> (model, the environment variable of its key)
PROVIDERS = {
    "openai": ("gpt-4o-mini", "OPENAI_API_KEY"),
    "anthropic": ("claude-3-5-haiku-latest", "ANTHROPIC_API_KEY"),
    "google": ("gemini-2.5-flash", "GEMINI_API_KEY"),
    "ollama": ("llama3.2", "OLLAMA_API_KEY"),
}


def echoing(key: str) -> Script:
    """An answer that repeats `key` in 10-character pieces, in every channel it has."""
    return Script(
        text=f"Your key is {key}, keep it safe.",
        reasoning=f"The user sent {key} as their key.",
        tool_calls=[ToolCallSpec(name="store", arguments={"key": key, "note": "x"})],
        chunk_size=10,
    )


@pytest.fixture
def canaries(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in CANARY_KEYS.items():
        monkeypatch.setenv(name, value)


async def _ask(ring: LLMRing, provider: str) -> list[StreamChunk]:
    model, _ = PROVIDERS[provider]
    request = LLMRequest(model=f"{provider}:{model}", messages=[Message(role="user", content="hi")])
    return [chunk async for chunk in ring.chat_stream(request)]


@pytest.mark.usefixtures("canaries")
@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_key_streamed_in_pieces_leaves_no_fragment_on_disk(
    tmp_path: Path, provider: str
) -> None:
    _, variable = PROVIDERS[provider]
    key = CANARY_KEYS[variable]
    path = tmp_path / "c.yaml"
    async with SimulatorServer(echoing(key)) as sim:
        cassette = Cassette(path=path)
        async with LLMRing(transport=RecordingTransport(cassette)) as ring:
            ring.register_provider(provider, base_url=sim.base_url_for(provider))
            live = await _ask(ring, provider)
    assert key in "".join(chunk.delta for chunk in live)  # the server did echo it, in pieces
    text = path.read_text(encoding="utf-8")
    assert canary_fragments(text) == 0
    async with LLMRing(transport=ReplayTransport(Cassette.load(path), "instant")) as ring:
        ring.register_provider(provider, base_url=sim.base_url_for(provider))
        replayed = await _ask(ring, provider)
    placeholder = f"<{variable}>"
    assert "".join(c.delta for c in replayed) == f"Your key is {placeholder}, keep it safe."
    assert placeholder in "".join(c.reasoning or "" for c in replayed)
    arguments = json.loads(replayed[-1].tool_calls[0]["function"]["arguments"])  # type: ignore[index]
    assert arguments == {"key": placeholder, "note": "x"}


def _split_interaction(secret: str) -> Interaction:
    text = f"here: {secret} done"
    frames = [
        "data: " + json.dumps({"choices": [{"index": 0, "delta": {"content": text[i : i + 10]}}]})
        for i in range(0, len(text), 10)
    ]
    frames.append('data: {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}')
    body = "".join(frame + "\n\n" for frame in [*frames, "data: [DONE]"]).encode()
    return Interaction(
        RecordedRequest("POST", "https://api.openai.com/v1/chat/completions", {}, b"{}"),
        RecordedResponse(200, "OK", {"content-type": ["text/event-stream"]}, body, offsets=[]),
        provider="openai",
        model="gpt-4o-mini",
    )


def test_an_unknown_key_split_across_frames_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Not in the environment, so nothing knows its value: only its shape gives it away.
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    path = tmp_path / "c.yaml"
    cassette = Cassette(interactions=[_split_interaction(CANARY_KEYS["OPENAI_API_KEY"])])
    with pytest.raises(CassetteSecretError) as caught:
        cassette.save(path)
    assert caught.value.path == str(path)
    assert "decoded text of interactions[0]" in caught.value.message
    assert "split across its frames" in caught.value.message
    assert not path.exists()


def test_an_extra_secret_split_across_frames_is_redacted(tmp_path: Path) -> None:
    secret = "tenant-7f3a9c2e41b8d605"  # no key shape: known only because it is passed
    path = tmp_path / "c.yaml"
    Cassette(interactions=[_split_interaction(secret)]).save(path, secrets=[secret])
    body = Cassette.load(path).interactions[0].response.body.decode()
    assert all(secret[i : i + 6] not in body for i in range(len(secret) - 5))
    contents = [
        json.loads(line[6:])["choices"][0]["delta"].get("content")
        for line in body.split("\n\n")[:-2]
    ]
    assert "".join(c or "" for c in contents) == "here: <SECRET> done"


# -- the redaction of pieces, for any text ----------------------------------------------

SECRET = {"Zq9Lm2Vb8Rt4Kp1X": "<K>"}
_PIECES = st.lists(st.text(alphabet="abZq9Lm2Vb8Rt4Kp1X<>", max_size=12), max_size=12)


@pytest.mark.fuzz
@given(pieces=_PIECES, where=st.integers(0, 200), cuts=st.lists(st.integers(0, 300), max_size=6))
def test_pieces_are_redacted_like_the_joined_text(
    pieces: list[str], where: int, cuts: list[int]
) -> None:
    joined = "".join(pieces)
    position = min(where, len(joined))
    text = joined[:position] + next(iter(SECRET)) + joined[position:]
    bounds = sorted({0, len(text), *(min(c, len(text)) for c in cuts)})
    cut = [text[a:b] for a, b in itertools.pairwise(bounds)]
    redacted = redact_pieces(cut, SECRET)
    assert len(redacted) == len(cut)
    assert "".join(redacted) == redact(text, SECRET)
    redactor = StreamRedactor(SECRET)
    shown = "".join(redactor.feed(piece) for piece in cut) + redactor.flush()
    assert shown == redact(text, SECRET)
    # The same text growing chunk by chunk (tool call arguments): each value is what the
    # redacted pieces before it join to, so the last one is the redacted whole.
    growing = ["".join(cut[: i + 1]) for i in range(len(cut))]
    cumulative = redact_cumulative([None, *growing], SECRET)
    assert cumulative[0] is None
    assert cumulative[1:] == list(itertools.accumulate(redacted))
    if cut:
        assert cumulative[-1] == redact(text, SECRET)
