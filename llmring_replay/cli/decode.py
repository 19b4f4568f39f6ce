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
from urllib.parse import parse_qsl, urlsplit

from llmring_replay.cassette import Interaction, RecordedResponse
from llmring_replay.cassette.normalize import guess_model
from llmring_replay.exceptions import LLMRingError
from llmring_replay.framing import splitter_for
from llmring_replay.providers import Codec, Format, ProviderConfig
from llmring_replay.providers.errors import to_exception
from llmring_replay.providers.registry import format_for
from llmring_replay.schemas import StreamChunk

__all__ = [
    "Decoded",
    "codec_for",
    "decode_interaction",
    "format_of",
    "model_of",
    "wants_stream",
]

#: The `details["code"]` of errors about a body the codec could not read (see providers.base).
_MALFORMED = ("malformed_frame", "malformed_response")

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
        return "status" in details and details.get("code") not in _MALFORMED


def format_of(interaction: Interaction) -> Format | None:
    """The interaction's wire format: the API of its provider (recorded, else guessed from
    the URL) that its URL calls; `None` when no codec speaks it."""
    return format_for(interaction.provider, interaction.request.uri)


def model_of(interaction: Interaction) -> str:
    """The requested model (recorded, else from the URL or body); `unknown` when neither."""
    request = interaction.request
    return interaction.model or guess_model(request.uri, request.body) or "unknown"


def wants_stream(fmt: Format, interaction: Interaction) -> bool:
    """Whether the recorded request asked for a stream that comes as frames, as our client
    would read it (a stream that comes as one JSON array, Gemini's without `alt=sse`, is
    read by `parse_response`)."""
    request = interaction.request
    url = urlsplit(request.uri)
    try:
        body = json.loads(request.body or b"")
    except (ValueError, RecursionError):
        body = None
    streams = fmt.request_streams(url.path, body)
    if streams is None:
        return interaction.response.framing is not None
    return streams and fmt.stream_as_frames(dict(parse_qsl(url.query)))


def codec_for(fmt: Format, base_url: str = _OFFLINE_BASE_URL) -> Codec:
    """A keyless codec for `fmt` (decoding and request building need no key)."""
    return fmt.codec_class()(ProviderConfig(fmt.provider, None, base_url))


def decode_interaction(interaction: Interaction, fmt: Format) -> Decoded:
    """Decode the response as `fmt`'s client would; any exception is kept, not raised."""
    codec = codec_for(fmt)
    decoded = Decoded(fmt.provider, model_of(interaction))
    try:
        _decode_into(decoded, codec, interaction, wants_stream(fmt, interaction))
    except Exception as exc:  # a codec bug is a finding too, never a crash of the CLI
        decoded.error = exc
    return decoded


def _decode_into(decoded: Decoded, codec: Codec, interaction: Interaction, stream: bool) -> None:
    response = interaction.response
    if response.status >= 400:
        raise _status_error(codec, response, decoded.model, interaction.request.uri)
    if not stream:
        answer = codec.read_response(json.loads(response.body), decoded.model, response.status)
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
    frames = splitter.feed(response.body) + splitter.flush()
    decoded.chunks.extend(decoder.chunks(frames, parse, response.status))
    decoded.chunks.extend(decoder.finish(response.status))


def _status_error(codec: Codec, response: RecordedResponse, model: str, url: str) -> LLMRingError:
    parsed: Any
    try:
        parsed = json.loads(response.body)
    except (ValueError, RecursionError):
        parsed = response.body.decode("utf-8", "replace")
    headers = {name: values[0] for name, values in response.headers.items() if values}
    info = codec.read_error(response.status, parsed)
    return to_exception(codec.name, response.status, info, model=model, headers=headers, url=url)
