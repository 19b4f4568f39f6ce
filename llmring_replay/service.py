"""`LLMRing`: the llmring-compatible client, streaming and not, over httpx.

All provider HTTP goes through one `httpx.AsyncClient` built on the `transport` given to
`LLMRing` (the live network when `None`). That is the seam the cassette layer uses: a
recording or replaying transport sees exactly the bytes a live run would, and the codecs parse
them exactly as live.

A model is `provider:model` or an alias from `llmring.lock`. An alias with a fallback chain
moves to the next model when one fails *before its first chunk* with a `ProviderError` other
than authentication (a bad key fails the same way everywhere, so it is raised at once) or a
wrong URL (a 404 that names no model, `details["wrong_url"]`: a misconfigured base URL is
raised at once too, rather than hidden behind the next model), or a `ModelNotFoundError` (a
missing model is what fallbacks are for). Once a chunk has been
delivered the error is raised: the caller has seen part of an answer, and silently switching
models mid-answer would corrupt it.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
from collections.abc import AsyncGenerator, AsyncIterator
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import httpx

from llmring_replay.exceptions import (
    ConfigurationError,
    LLMRingError,
    LockfileNotFoundError,
    ModelNotFoundError,
    ProviderAuthenticationError,
    ProviderError,
    ProviderNotFoundError,
)
from llmring_replay.framing import splitter_for
from llmring_replay.hosts import is_loopback
from llmring_replay.lockfile import Lockfile, find_lockfile, parse_model_ref
from llmring_replay.loops import PerLoopTransport
from llmring_replay.providers import Codec, ProviderConfig, codec_class
from llmring_replay.providers.base import StreamDecoder
from llmring_replay.providers.errors import to_exception, translate_http_errors
from llmring_replay.providers.registry import api_env, for_provider, provider_names
from llmring_replay.schemas import LLMRequest, LLMResponse, StreamChunk

__all__ = ["LLMRing", "PLACEHOLDER_KEY", "USER_AGENT_PRODUCT", "user_agent"]

#: The key providers are registered with where nothing checks it (replay, a local simulator):
#: not shaped like any real key, so the cassette guard never mistakes it for one.
PLACEHOLDER_KEY = "llmring-replay-placeholder"

logger = logging.getLogger("llmring_replay")

#: The product in the `user-agent` our client sends (`llmring-replay/0.1.0`): recordings keep
#: it, so a cassette tells the interactions our client made from an SDK's or an app's own
#: (`lint --drift` compares only ours: another client builds its bodies its own way).
USER_AGENT_PRODUCT = "llmring-replay"


@functools.cache
def user_agent() -> str:
    """`llmring-replay/<version>`, the `user-agent` of every request `LLMRing` sends."""
    # Imported late: the package imports this module before it sets its version.
    from llmring_replay import __version__

    return f"{USER_AGENT_PRODUCT}/{__version__}"


class LLMRing:
    """The llmring-compatible service: aliases from `llmring.lock`, `chat()`, `chat_stream()`.

    Use it as an async context manager (`async with LLMRing() as ring:`), or call
    `await ring.aclose()` when done. Providers are configured from the environment
    (`OPENAI_API_KEY`, `ANTHROPIC_API_KEY`, `GEMINI_API_KEY`/`GOOGLE_API_KEY`; Ollama always;
    base URLs from `OPENAI_BASE_URL`, `ANTHROPIC_BASE_URL`, `GOOGLE_GEMINI_BASE_URL`,
    `OLLAMA_BASE_URL`; a provider whose base URL is on this machine needs no key) and by
    `register_provider`.
    """

    def __init__(
        self,
        lockfile_path: str | os.PathLike[str] | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 60.0,
        profile: str | None = None,
    ) -> None:
        self.lockfile_path = find_lockfile(lockfile_path)
        self.timeout = timeout
        #: The lockfile profile aliases resolve in when a call names none (else
        #: `$LLMRING_PROFILE`, else the file's `default_profile`).
        self.profile = profile
        self._transport = transport
        self._client: httpx.AsyncClient | None = None
        self._lockfile: Lockfile | None = None
        self._configs: dict[str, ProviderConfig] = {}
        self._codecs: dict[str, Codec] = {}
        for name in provider_names():
            self._configure_from_env(name)

    # -- configuration --------------------------------------------------------------------

    def _configure_from_env(self, name: str) -> None:
        fmt = for_provider(name, os.environ.get(api_env(name)) or None)
        api_key = next((os.environ[var] for var in fmt.api_key_env if os.environ.get(var)), None)
        base_url = os.environ.get(fmt.base_url_env) or fmt.default_base_url
        if api_key is None and not fmt.key_optional:
            # A server on this machine (the simulator, `serve`) checks no key: a base URL
            # there is enough to configure the provider.
            if not is_loopback(urlsplit(base_url).hostname):
                return
            api_key = PLACEHOLDER_KEY
        self._configs[name] = ProviderConfig(name, api_key, base_url, fmt.name)

    def register_provider(
        self,
        name: str,
        api_key: str | None = None,
        base_url: str | None = None,
        *,
        api: str | None = None,
    ) -> None:
        """Configure (or reconfigure) a provider; unset values fall back to the environment.

        `api` chooses the wire format where a provider has several: `"responses"` for
        OpenAI's Responses API (or `$LLMRING_OPENAI_API`); default: Chat Completions.
        Raises `ProviderNotFoundError` for an unknown provider or API.
        """
        current = self._configs.get(name)
        chosen = api or (current.api if current else None) or os.environ.get(api_env(name))
        fmt = for_provider(name, chosen or None)
        key = api_key if api_key is not None else (current.api_key if current else None)
        url = base_url or (current.base_url if current else None)
        url = url or os.environ.get(fmt.base_url_env) or fmt.default_base_url
        self._configs[name] = ProviderConfig(name, key, url, fmt.name)
        self._codecs.pop(name, None)

    @property
    def providers(self) -> dict[str, ProviderConfig]:
        """The configured providers by name."""
        return dict(self._configs)

    def _codec(self, provider: str) -> Codec:
        codec = self._codecs.get(provider)
        if codec is None:
            config = self._configs.get(provider)
            cls = codec_class(provider, config.api if config is not None else None)
            if config is None:
                variables = " or ".join(cls.format.api_key_env)
                raise ProviderNotFoundError(
                    f"provider {provider!r} is not configured: set {variables} "
                    "or call register_provider()",
                    provider,
                )
            codec = self._codecs[provider] = cls(config)
        return codec

    @property
    def lockfile(self) -> Lockfile | None:
        """The lockfile, loaded on first use; `None` when there is none."""
        if self._lockfile is None:
            try:
                self._lockfile = Lockfile.load(self.lockfile_path)
            except LockfileNotFoundError:
                return None
        return self._lockfile

    def resolve_model(self, model: str | None, profile: str | None = None) -> list[str]:
        """`provider:model` references to try, in order, for a model or alias."""
        if not model:
            raise ConfigurationError("the request has no model: set LLMRequest.model")
        if ":" in model:
            parse_model_ref(model)
            return [model]
        lockfile = self.lockfile
        profile = profile if profile is not None else self.profile
        refs = lockfile.resolve_alias(model, profile) if lockfile else []
        if not refs:
            where = (
                f"profile {lockfile.profile_name(profile)!r} of {lockfile.path}"
                if lockfile
                else f"{self.lockfile_path} (no such file)"
            )
            raise ModelNotFoundError(
                f"unknown alias {model!r}: not bound in {where}; use provider:model "
                "or bind it with `llmring-replay bind`",
                model_name=model,
            )
        return refs

    # -- lifecycle ------------------------------------------------------------------------

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            # The client itself holds no event-loop state; the network's connections do, so
            # without a transport given they are pooled per loop: a ring stays usable across
            # several `asyncio.run` calls, trio, or a loop in another thread.
            transport = self._transport or PerLoopTransport()
            self._client = httpx.AsyncClient(transport=transport, timeout=self.timeout)
        return self._client

    async def aclose(self) -> None:
        """Close the HTTP client (and with it the transport)."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    close = aclose

    async def __aenter__(self) -> LLMRing:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    # -- requests -------------------------------------------------------------------------

    def _prepare(
        self, ref: str, request: LLMRequest, *, stream: bool
    ) -> tuple[Codec, str, httpx.Request]:
        provider, model = parse_model_ref(ref)
        codec = self._codec(provider)
        http_request = codec.build_request(request, model, stream=stream)
        http_request.headers.setdefault("user-agent", user_agent())
        timeout = request.timeout if request.timeout is not None else self.timeout
        http_request.extensions["timeout"] = httpx.Timeout(timeout).as_dict()
        return codec, model, http_request

    async def chat_stream(
        self, request: LLMRequest, profile: str | None = None
    ) -> AsyncIterator[StreamChunk]:
        """Stream the answer as `StreamChunk`s (the rules they obey: `schemas.StreamChunk`)."""
        refs = self.resolve_model(request.model, profile)
        for index, ref in enumerate(refs):
            delivered = False
            try:
                # aclosing: when the caller stops early, the response is closed now, on this
                # loop, not whenever the garbage collector finalizes the generator.
                async with contextlib.aclosing(self._stream_one(ref, request)) as batches:
                    async for batch in batches:
                        delivered = True
                        for chunk in batch:
                            yield chunk
                return
            except LLMRingError as exc:
                if delivered or index == len(refs) - 1 or not _falls_back(exc):
                    raise
                logger.warning(
                    "%s failed before its first chunk (%s); trying %s", ref, exc, refs[index + 1]
                )

    async def _stream_one(
        self, ref: str, request: LLMRequest
    ) -> AsyncGenerator[list[StreamChunk], None]:
        codec, model, http_request = self._prepare(ref, request, stream=True)
        with translate_http_errors(codec.name, codec.config.base_url):
            response = await self._http().send(http_request, stream=True)
            try:
                if response.status_code >= 400:
                    raise _error_from(codec, response, await response.aread(), model)
                decoded = _decode(response, codec.stream_decoder(model), codec.framing)
                async with contextlib.aclosing(decoded) as batches:
                    async for batch in batches:
                        yield batch
            finally:
                await response.aclose()

    async def chat(self, request: LLMRequest, profile: str | None = None) -> LLMResponse:
        """Send a non-streaming request and return the whole answer."""
        refs = self.resolve_model(request.model, profile)
        for index, ref in enumerate(refs):
            try:
                return await self._chat_one(ref, request)
            except LLMRingError as exc:
                if index == len(refs) - 1 or not _falls_back(exc):
                    raise
                logger.warning("%s failed (%s); trying %s", ref, exc, refs[index + 1])
        raise AssertionError("unreachable: resolve_model never returns an empty list")

    async def _chat_one(self, ref: str, request: LLMRequest) -> LLMResponse:
        codec, model, http_request = self._prepare(ref, request, stream=False)
        with translate_http_errors(codec.name, codec.config.base_url):
            response = await self._http().send(http_request)
        if response.status_code >= 400:
            raise _error_from(codec, response, response.content, model)
        try:
            data = response.json()
        except (ValueError, RecursionError) as exc:  # not JSON, or nested past the limit
            raise to_exception(
                codec.name,
                response.status_code,
                codec.read_error(response.status_code, response.text[:500]),
                model=model,
            ) from exc
        return codec.read_response(data, model, response.status_code)


async def _decode(
    response: httpx.Response, decoder: StreamDecoder, framing: str
) -> AsyncGenerator[list[StreamChunk], None]:
    """Bytes -> frames -> chunks, for one streaming response: a non-empty list per read.

    A list rather than a chunk at a time: each async generator between the decoder and the
    caller costs a hop per item, and a read holds dozens of chunks in a fast stream. The
    chunks of the frames before an in-band error or a malformed frame reach the caller
    before the error does.
    """
    splitter = splitter_for(framing)[0]
    status = response.status_code
    async for data in response.aiter_bytes():
        if decoder.done:
            # Read on to the end, unfed: a recording transport must see the whole body.
            continue
        chunks, error = _read(decoder, splitter.feed_text(data), framing, status)
        if chunks:
            yield chunks
        if error is not None:
            raise error
    if not decoder.done:
        chunks, error = _read(decoder, splitter.flush_text(), framing, status, end=True)
        if chunks:
            yield chunks
        if error is not None:
            raise error


def _read(
    decoder: StreamDecoder, texts: list[str], framing: str, status: int, *, end: bool = False
) -> tuple[list[StreamChunk], Exception | None]:
    """The chunks of one read's frames (and of the end of the body when `end`), and the
    error that stopped them if any, which the caller raises after passing the chunks on."""
    chunks: list[StreamChunk] = []
    try:
        decoder.take(texts, framing, chunks, status)
        if end:
            chunks.extend(decoder.finish(status))
    except Exception as exc:
        return chunks, exc
    return chunks, None


def _falls_back(exc: LLMRingError) -> bool:
    if isinstance(exc, ProviderAuthenticationError):
        return False
    if (exc.details or {}).get("wrong_url"):
        return False  # a misconfigured base URL: the next model would only hide it
    return isinstance(exc, (ProviderError, ModelNotFoundError))


def _error_from(codec: Codec, response: httpx.Response, body: bytes, model: str) -> LLMRingError:
    parsed: Any
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError):
        parsed = body.decode("utf-8", "replace")
    info = codec.read_error(response.status_code, parsed)
    return to_exception(
        codec.name,
        response.status_code,
        info,
        model=model,
        headers=response.headers,
        url=str(response.request.url),
    )
