"""`replay`: play a cassette's streams through `LLMRing`, at a timing, with faults.

How the request is rebuilt: it is not. `LLMRing` needs an `LLMRequest`, but a cassette
recorded by another client (the official SDKs, an imported vcrpy file) holds bodies our
codecs would never build, so a rebuilt request would not match. Instead `LLMRing` gets a
placeholder request for the interaction's `provider:model`, and the transport under it
(`_SendRecorded`) swaps the request the codec built for the recorded one, bytes and all,
before `ReplayTransport` matches and paces it. Everything the user would see (framing,
decoding, error mapping, timeouts, faults) runs exactly as in an app; only request building
is skipped. The answer to a request that did not ask for a stream is played through
`chat()`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

import click
import httpx

from llmring_replay.cassette import Cassette, RecordedRequest
from llmring_replay.cli.decode import format_of, model_of, wants_stream
from llmring_replay.cli.errors import error_text, reports_errors
from llmring_replay.cli.files import display
from llmring_replay.cli.options import FAULT_OPTION, TIMING_OPTION, load_faults
from llmring_replay.cli.streaming import StreamStats, print_stream, summary_lines
from llmring_replay.exceptions import ConfigurationError, LLMRingError
from llmring_replay.schemas import LLMRequest, Message, StreamChunk
from llmring_replay.service import LLMRing
from llmring_replay.transports import Fault, ReplayTransport

__all__ = ["replay"]

_PLACEHOLDER = [Message(role="user", content="(replayed from a cassette)")]
_NO_HOST = "http://recorded-without-host.invalid"


class _FrameTimes(httpx.AsyncByteStream):
    """A body that notes when its first and its last bytes (replayed frames) arrive."""

    def __init__(self, inner: httpx.AsyncByteStream, stats: StreamStats) -> None:
        self.inner = inner
        self.stats = stats

    async def __aiter__(self) -> AsyncIterator[bytes]:
        loop = asyncio.get_running_loop()
        async for data in self.inner:
            if data:
                self.stats.last_frame = loop.time() - self.stats.started
                if self.stats.first_frame is None:
                    self.stats.first_frame = self.stats.last_frame
            yield data

    async def aclose(self) -> None:
        await self.inner.aclose()


class _SendRecorded(httpx.AsyncBaseTransport):
    """Sends the recorded request in place of the one the client built (see module doc).

    Only method, URL and body are sent: they are all that matching looks at. When the first
    and the last frame arrive goes into `stats`: TTFT and duration as `show` reports them.
    """

    def __init__(
        self, inner: httpx.AsyncBaseTransport, recorded: RecordedRequest, stats: StreamStats
    ) -> None:
        self.inner = inner
        self.recorded = recorded
        self.stats = stats

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        recorded = self.recorded
        swapped = httpx.Request(
            recorded.method,
            recorded.uri,
            content=recorded.body or b"",
            extensions=request.extensions,  # the client's timeouts still apply
        )
        response = await self.inner.handle_async_request(swapped)
        if isinstance(response.stream, httpx.AsyncByteStream):
            response.stream = _FrameTimes(response.stream, self.stats)
        return response

    # No `aclose` of `inner`: one replay transport serves every interaction's client.


async def _whole(ring: LLMRing, request: LLMRequest) -> AsyncIterator[StreamChunk]:
    answer = await ring.chat(request)
    yield StreamChunk(
        delta=answer.content,
        model=answer.model,
        finish_reason=answer.finish_reason or "stop",
        usage=answer.usage,
        tool_calls=answer.tool_calls,
        reasoning=answer.reasoning,
        provider_details=answer.provider_details,
    )


def _spelled(uri: str) -> str:
    try:
        return str(httpx.URL(uri))
    except httpx.InvalidURL:
        return uri


def _sendable(cassette: Cassette) -> Cassette:
    """A copy with each URL spelled as httpx sends it (a recorder's placeholder such as
    `<OLLAMA_API_BASE>/chat` gets escaped), so what is sent is what is matched."""
    interactions = [
        replace(item, request=replace(item.request, uri=_spelled(item.request.uri)))
        for item in cassette.interactions
    ]
    return Cassette(cassette.path, interactions, cassette.provenance)


async def _play(replayer: ReplayTransport, index: int, as_json: bool, timeout: float) -> None:
    interaction = replayer.cassette.interactions[index]
    recorded = interaction.request
    fmt = format_of(interaction)
    if fmt is None:
        raise ConfigurationError(
            f"interaction {index}: no codec speaks {recorded.method} {recorded.uri} "
            "(unknown provider), so it cannot be decoded"
        )
    url = urlsplit(recorded.uri)
    # Named in the client's connection errors; any absolute URL does for building requests.
    base_url = f"{url.scheme}://{url.netloc}" if url.scheme and url.netloc else _NO_HOST
    request = LLMRequest(model=f"{fmt.provider}:{model_of(interaction)}", messages=_PLACEHOLDER)
    stats = StreamStats(asyncio.get_running_loop().time())
    async with LLMRing(transport=_SendRecorded(replayer, recorded, stats), timeout=timeout) as ring:
        ring.register_provider(fmt.provider, "replay", base_url, api=fmt.name)
        streamed = wants_stream(fmt, interaction) or interaction.response.status >= 400
        chunks = ring.chat_stream(request) if streamed else _whole(ring, request)
        extra = {"interaction": index} if as_json else None
        await print_stream(chunks, as_json=as_json, extra=extra, stats=stats)
    if not as_json:
        for line in summary_lines(stats):
            click.echo(line)


def _skip_to(replayer: ReplayTransport, first: int) -> None:
    """Count the interactions before `first` as played, so an identical request recorded
    earlier cannot answer in its place."""
    for earlier in replayer.cassette.interactions[:first]:
        replayer.matcher.match(earlier.request.method, earlier.request.uri, earlier.request.body)


async def _play_all(
    cassette: Cassette,
    indexes: list[int],
    *,
    timing: str,
    faults: list[Fault],
    as_json: bool,
    timeout: float,
) -> int:
    # One transport for the whole cassette: faults see each interaction's real index.
    replayer = ReplayTransport(_sendable(cassette), timing, faults=faults)
    _skip_to(replayer, indexes[0] if indexes else 0)
    failures = 0
    for index in indexes:
        interaction = cassette.interactions[index]
        fmt = format_of(interaction)
        if fmt is None and len(indexes) > 1:
            # A request made on the side (a tokenizer download): not a stream to show.
            request = interaction.request
            click.echo(f"── interaction {index}: skipped, {request.method} {request.uri}", err=True)
            continue
        if fmt is not None and len(indexes) > 1 and not as_json:
            click.echo(f"── interaction {index}: {fmt.provider}:{model_of(interaction)}")
        try:
            await _play(replayer, index, as_json, timeout)
        except (LLMRingError, ValueError) as exc:  # ValueError: a fault that cannot apply
            failures += 1
            click.echo(f"Error: {error_text(exc)}", err=True)
    return failures


@click.command()
@click.argument("cassette", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@TIMING_OPTION
@click.option("--interaction", "-i", "index", type=int, default=None, help="Only this one (0..).")
@FAULT_OPTION
@click.option("--json", "as_json", is_flag=True, help="One JSON chunk per line, with offset_ms.")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=60.0,
    show_default=True,
    help="The client's timeout in seconds, as in an app: a stall fault longer than it "
    "raises a timeout after this long.",
)
@reports_errors
def replay(
    cassette: Path,
    *,
    timing: str,
    index: int | None,
    faults: tuple[str, ...],
    as_json: bool,
    timeout: float,
) -> None:
    """Replay CASSETTE's streams as a user saw them, at the recorded timing by default.

    Every interaction plays in order (or only --interaction N). An error the client would
    raise (a recorded 429, an injected fault) is printed as one line on stderr, and the
    exit code is then 1.

    \b
    Example:
      llmring-replay replay cassettes/chat.yaml --timing speed=2
      llmring-replay replay cassettes/chat.yaml --fault disconnect:after=3
      llmring-replay replay cassettes/chat.yaml --fault stall:before=30s --timeout 5
      llmring-replay replay cassettes/chat.yaml --timing instant --json | jq .delta
    """
    loaded = Cassette.load(cassette)
    count = len(loaded.interactions)
    if index is not None and not 0 <= index < count:
        raise ConfigurationError(
            f"{display(cassette)} has {count} interaction(s): there is no interaction {index}"
        )
    indexes = [index] if index is not None else list(range(count))
    parsed = load_faults(faults)
    if asyncio.run(
        _play_all(loaded, indexes, timing=timing, faults=parsed, as_json=as_json, timeout=timeout)
    ):
        raise click.exceptions.Exit(1)
