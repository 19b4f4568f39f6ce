"""Cassettes built in code from the simulator's renderers, and a client that replays them.

Each interaction holds the exact request `LLMRing` sends (built by the provider's codec) and
the stream the simulator renders for it, so the fault tests need no server and no network.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable

from llmring_replay import LLMRequest, LLMRingError, Message
from llmring_replay.cassette import Cassette, Interaction, RecordedRequest, RecordedResponse
from llmring_replay.providers import ProviderConfig, codec_class
from llmring_replay.service import LLMRing
from llmring_replay.simulator import Script
from llmring_replay.simulator.wire import wire_for
from llmring_replay.transports import Fault, ReplayTransport

__all__ = [
    "INTERVAL",
    "MODELS",
    "PROVIDERS",
    "TEXT",
    "Outcome",
    "chat",
    "interaction",
    "replaying",
    "stream_outcome",
]

MODELS = {
    "openai": "gpt-4o-mini",
    "anthropic": "claude-3-5-haiku-20241022",
    "google": "gemini-2.5-flash",
    "ollama": "llama3.2",
}
PROVIDERS = tuple(MODELS)
TEXT = "One two three four five six"
#: Seconds between recorded frames (the first one arrives after one interval too).
INTERVAL = 0.05


def _base_url(provider: str) -> str:
    return codec_class(provider).default_base_url


def chat(ref: str) -> LLMRequest:
    """The request every test sends, for `provider:model` or an alias."""
    return LLMRequest(model=ref, messages=[Message(role="user", content="Count to six.")])


def interaction(
    provider: str, model: str | None = None, script: Script | None = None, ref: str | None = None
) -> Interaction:
    """A recorded streaming interaction: `LLMRing`'s request, the simulator's answer.

    `ref` is the model the request names (an alias, say); `model` the one it goes to.
    """
    model = model or MODELS[provider]
    codec = codec_class(provider)(ProviderConfig(provider, "placeholder", _base_url(provider)))
    request = codec.build_request(chat(ref or f"{provider}:{model}"), model, stream=True)
    wire = wire_for(provider)
    frames = wire.render_stream(script or Script(text=TEXT), model, json.loads(request.content))
    return Interaction(
        request=RecordedRequest(
            "POST", str(request.url), {"content-type": ["application/json"]}, request.content
        ),
        response=RecordedResponse(
            200,
            "OK",
            {"content-type": [wire.STREAM_CONTENT_TYPE]},
            b"".join(frames),
            offsets=[INTERVAL * number for number in range(1, len(frames) + 1)],
        ),
        provider=provider,
        model=model,
    )


def replaying(
    interactions: Iterable[Interaction],
    faults: Iterable[Fault] = (),
    *,
    lockfile: str | None = None,
    timeout: float = 10.0,
    allow_repeats: bool = False,
) -> tuple[LLMRing, ReplayTransport]:
    """A client replaying `interactions` at their recorded timing, with `faults`."""
    transport = ReplayTransport(
        Cassette(interactions=list(interactions)),
        "recorded",
        faults=faults,
        allow_repeats=allow_repeats,
    )
    ring = LLMRing(lockfile, transport=transport, timeout=timeout)
    for provider in PROVIDERS:
        ring.register_provider(provider, api_key="placeholder", base_url=_base_url(provider))
    return ring, transport


class Outcome:
    """What one `chat_stream` did: the text delivered, then the error it raised (if any)."""

    def __init__(self) -> None:
        self.text = ""
        self.error: LLMRingError | None = None
        #: The `model` of every chunk delivered.
        self.models: list[str | None] = []
        #: When each chunk was delivered, in seconds of the loop's clock from the request.
        self.times: list[float] = []
        #: Whether the final chunk (the one with `finish_reason`) was delivered.
        self.finished = False
        #: Seconds of the loop's clock from the request to the end (or the error).
        self.elapsed = 0.0


async def stream_outcome(ring: LLMRing, ref: str) -> Outcome:
    """Stream `ref` to the end or to its error, keeping what was delivered before it."""
    now = asyncio.get_running_loop().time
    outcome = Outcome()
    start = now()
    try:
        async for chunk in ring.chat_stream(chat(ref)):
            outcome.text += chunk.delta
            outcome.models.append(chunk.model)
            outcome.times.append(now() - start)
            outcome.finished = chunk.finish_reason is not None
    except LLMRingError as exc:
        outcome.error = exc
    outcome.elapsed = now() - start
    return outcome
