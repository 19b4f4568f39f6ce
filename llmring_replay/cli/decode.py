"""Decode a recorded interaction offline, through its provider's codec, as a client would.

`show` reads the finish reason and usage from the result, `lint` the errors. As in `LLMRing`,
the *request* decides how the body is read, not the response's content type (Ollama's cloud
streams NDJSON as `application/json`): the answer to a streaming request is cut by the
codec's framing and fed to its stream decoder, any other answer (a JSON body, Gemini's JSON
array) goes through `parse_response`, and an error status becomes the exception the client
would raise.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from llmring_replay.cassette import Interaction, RecordedResponse
from llmring_replay.cassette.normalize import guess_model, guess_provider
from llmring_replay.exceptions import LLMRingError
from llmring_replay.framing import splitter_for
from llmring_replay.providers import PROVIDERS, Codec, ProviderConfig, codec_class
from llmring_replay.providers.errors import to_exception
from llmring_replay.schemas import StreamChunk

__all__ = [
    "Decoded",
    "codec_for",
    "decode_interaction",
    "model_of",
    "provider_of",
    "wants_stream",
]

# Codecs only use the base URL to build requests; decoding never reaches it.
_OFFLINE_BASE_URL = "http://cassette.invalid"


@dataclass
class Decoded:
    """What a client made of one recorded response: its chunks, and the error it raised."""

    provider: str
    model: str
    chunks: list[StreamChunk] = field(default_factory=list)
    error: Exception | None = None

    @property
    def final(self) -> StreamChunk | None:
        """The chunk carrying the finish reason, when the stream got that far."""
        last = self.chunks[-1] if self.chunks else None
        return last if last is not None and last.finish_reason is not None else None

    @property
    def provider_error(self) -> bool:
        """Whether the error is one the provider reported (a status, an in-band event),
        as opposed to a body the codec could not read."""
        details = getattr(self.error, "details", None) or {}
        return "status" in details and details.get("code") != "malformed_frame"


def provider_of(interaction: Interaction) -> str | None:
    """The interaction's provider (recorded, else guessed from the URL) if a codec speaks it."""
    provider = interaction.provider or guess_provider(interaction.request.uri)
    return provider if provider in PROVIDERS else None


def model_of(interaction: Interaction) -> str:
    """The requested model (recorded, else from the URL or body); `unknown` when neither."""
    request = interaction.request
    return interaction.model or guess_model(request.uri, request.body) or "unknown"


def wants_stream(provider: str, interaction: Interaction) -> bool:
    """Whether the recorded request asked for a stream (as our client would read it)."""
    request = interaction.request
    if provider == "google":
        # Without `alt=sse` Gemini streams one JSON array, which `parse_response` reads.
        return ":streamGenerateContent" in request.uri and "alt=sse" in request.uri
    try:
        body = json.loads(request.body or b"")
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return interaction.response.framing is not None
    flag = body.get("stream")
    return flag is not False if provider == "ollama" else flag is True


def codec_for(provider: str, base_url: str = _OFFLINE_BASE_URL) -> Codec:
    """A keyless codec for `provider` (decoding and request building need no key)."""
    return codec_class(provider)(ProviderConfig(provider, None, base_url))


def decode_interaction(interaction: Interaction, provider: str) -> Decoded:
    """Decode the response as `provider`'s client would; any exception is kept, not raised."""
    codec = codec_for(provider)
    decoded = Decoded(provider, model_of(interaction))
    try:
        _decode_into(decoded, codec, interaction.response, wants_stream(provider, interaction))
    except Exception as exc:  # a codec bug is a finding too, never a crash of the CLI
        decoded.error = exc
    return decoded


def _decode_into(decoded: Decoded, codec: Codec, response: RecordedResponse, stream: bool) -> None:
    if response.status >= 400:
        raise _status_error(codec, response, decoded.model)
    if not stream:
        answer = codec.parse_response(json.loads(response.body), decoded.model)
        decoded.chunks.append(
            StreamChunk(
                delta=answer.content,
                model=answer.model,
                finish_reason=answer.finish_reason,
                usage=answer.usage,
                tool_calls=answer.tool_calls,
                reasoning=answer.reasoning,
                provider_details=answer.provider_details,
            )
        )
        return
    decoder = codec.stream_decoder(decoded.model)
    splitter, parse = splitter_for(codec.framing)
    for piece in splitter.feed(response.body) + splitter.flush():
        if decoder.done:
            break
        event = parse(piece)
        if event is not None:
            decoded.chunks.extend(decoder.feed(event))
    decoded.chunks.extend(decoder.end())


def _status_error(codec: Codec, response: RecordedResponse, model: str) -> LLMRingError:
    parsed: Any
    try:
        parsed = json.loads(response.body)
    except ValueError:
        parsed = response.body.decode("utf-8", "replace")
    headers = {name: values[0] for name, values in response.headers.items() if values}
    info = codec.error_info(response.status, parsed)
    return to_exception(codec.name, response.status, info, model=model, headers=headers)
