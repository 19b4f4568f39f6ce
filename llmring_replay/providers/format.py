"""`Format`: how one wire format describes itself to the registry (`providers.registry`).

Plain data and module names only, so that a folder's `__init__.py` can build its `Format`
without importing httpx, pydantic or its own codec.
"""

from __future__ import annotations

import functools
import importlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from llmring_replay.providers.base import Codec

__all__ = ["Format"]


@dataclass(frozen=True)
class Format:
    """One wire format: what it is called, where it is served, how a client finds it.

    The modules of the folder (`package`) are found by name: `codec` (request building,
    stream and response decoding, error description), `render` (the responses the
    simulator and faults send, and `FAULT_SHAPES`), `rebuild` (the inverse of request
    building, for `lint --drift`), `conversation` (a request body's conversation, for the
    simulator's scenarios), and the others the folder documents. See
    `docs/adding-a-wire-format.md`.
    """

    #: The folder name, unique: `openai_chat`, `openai_responses`, `anthropic`, `gemini`,
    #: `ollama`.
    name: str
    #: The provider in `provider:model` (several formats may share one: OpenAI's two APIs).
    provider: str
    #: What a person calls it: "OpenAI Chat Completions".
    title: str
    #: The dotted name of the folder's package.
    package: str
    #: The codec class in `<package>.codec`.
    codec_name: str
    #: `sse` or `ndjson`: how a streamed answer is cut into frames.
    framing: str
    #: Environment variables our client reads for the key, first found wins.
    api_key_env: tuple[str, ...]
    #: The environment variable our client reads for the base URL.
    base_url_env: str
    #: The public base URL (OpenAI's includes `/v1`, as its SDK's does).
    default_base_url: str
    #: The model a cross-provider test requests by default.
    default_model: str
    #: The public API hosts (a request there is this provider's, whatever its path).
    hosts: tuple[str, ...]
    #: The API paths that identify this format on any host (a simulator, a proxy, a gateway).
    path_pattern: re.Pattern[str]
    #: What a local server's base URL needs appended for this format's clients (`/v1`).
    base_url_suffix: str = ""
    #: Whether the API works without a key (a local Ollama).
    key_optional: bool = False
    #: Whether this is the provider's default format when a request does not choose one.
    default_for_provider: bool = True
    #: (client, environment variable it reads for its base URL), for `serve`'s banner.
    client_base_url_env: tuple[tuple[str, str], ...] = field(default=())
    #: The paths the simulator answers, from the server's root; `{model}` stands for the
    #: model name (else the body's `model` names it).
    endpoints: tuple[str, ...] = field(default=())
    #: A path that asks for a streamed answer (Gemini's `:streamGenerateContent`); `None`:
    #: the body's `stream` flag says.
    stream_path: re.Pattern[str] | None = None
    #: Whether a body without `stream` gets a streamed answer (Ollama streams unless told not).
    streams_by_default: bool = False
    #: The query parameter a streamed answer needs to come as frames (Gemini `alt=sse`);
    #: without it, the stream is one JSON array.
    stream_query: tuple[str, str] | None = None

    def module(self, name: str) -> ModuleType:
        """The folder's module `name` (`codec`, `render`, ...), imported on first use."""
        return importlib.import_module(f"{self.package}.{name}")

    def codec_class(self) -> type[Codec]:
        """The codec class of this format."""
        cls: type[Codec] = getattr(self.module("codec"), self.codec_name)
        return cls

    def matches_path(self, path: str) -> bool:
        """Whether `path` (no query) is one of this format's API paths."""
        return self.path_pattern.search(path) is not None

    def endpoint_model(self, path: str) -> str | None:
        """For a path the simulator answers (one of `endpoints`, exactly): the model it
        names, `""` when the body names it; `None` when `path` is no endpoint of ours."""
        for template in self.endpoints:
            match = _endpoint_pattern(template).match(path)
            if match is not None:
                return match.groupdict().get("model") or ""
        return None

    def request_streams(self, path: str, body: Any) -> bool | None:
        """Whether a request to `path` with this parsed body asks for a streamed answer;
        `None` when only the body could say and it is not a JSON object."""
        if self.stream_path is not None:
            return self.stream_path.search(path) is not None
        if not isinstance(body, dict):
            return None
        flag = body.get("stream")
        return flag is not False if self.streams_by_default else flag is True

    def stream_as_frames(self, query: Mapping[str, str]) -> bool:
        """Whether a streamed answer to a request with this query comes as frames (SSE or
        NDJSON) rather than as one JSON array."""
        if self.stream_query is None:
            return True
        name, value = self.stream_query
        return query.get(name) == value


@functools.cache
def _endpoint_pattern(template: str) -> re.Pattern[str]:
    # `{model}` is one path segment up to a `:` (Gemini's `models/{model}:generateContent`).
    parts = re.split(r"\{model\}", template)
    return re.compile("(?P<model>[^/:]+)".join(re.escape(part) for part in parts) + "$")
