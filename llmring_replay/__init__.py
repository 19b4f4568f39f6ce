"""llmring-replay: record, replay and simulate LLM provider streams for offline tests.

The public API mirrors upstream `llmring` (`LLMRing`, `LLMRequest`, `Message`, `StreamChunk`,
the exception names), so an app's code runs unchanged against cassettes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from llmring_replay.exceptions import (
    CassetteError,
    CassetteFormatError,
    CassetteMatchError,
    CassetteNotFoundError,
    CassetteSecretError,
    CassetteUnplayedError,
    CassetteWriteError,
    ConfigurationError,
    LLMRingError,
    LockfileError,
    LockfileNotFoundError,
    LockfileParseError,
    LockfileVersionError,
    ModelError,
    ModelNotFoundError,
    ProviderAuthenticationError,
    ProviderError,
    ProviderNotFoundError,
    ProviderRateLimitError,
    ProviderResponseError,
    ProviderTimeoutError,
    ScenarioError,
    is_retryable_error,
)

if TYPE_CHECKING:
    from llmring_replay.lockfile import Lockfile
    from llmring_replay.schemas import LLMRequest, LLMResponse, Message, StreamChunk
    from llmring_replay.service import LLMRing

# Imported on first use (PEP 562): the client pulls in httpx, pydantic and tomlkit, which
# `import llmring_replay.cassette` (the CLI, the pytest plugin) should not pay for.
_LAZY = {
    "LLMRequest": "llmring_replay.schemas",
    "LLMResponse": "llmring_replay.schemas",
    "LLMRing": "llmring_replay.service",
    "Lockfile": "llmring_replay.lockfile",
    "Message": "llmring_replay.schemas",
    "StreamChunk": "llmring_replay.schemas",
}

__version__ = "0.1.0"

__all__ = [
    "CassetteError",
    "CassetteFormatError",
    "CassetteMatchError",
    "CassetteNotFoundError",
    "CassetteSecretError",
    "CassetteUnplayedError",
    "CassetteWriteError",
    "ConfigurationError",
    "LLMRequest",
    "LLMResponse",
    "LLMRing",
    "LLMRingError",
    "Lockfile",
    "LockfileError",
    "LockfileNotFoundError",
    "LockfileParseError",
    "LockfileVersionError",
    "Message",
    "ModelError",
    "ModelNotFoundError",
    "ProviderAuthenticationError",
    "ProviderError",
    "ProviderNotFoundError",
    "ProviderRateLimitError",
    "ProviderResponseError",
    "ProviderTimeoutError",
    "ScenarioError",
    "StreamChunk",
    "__version__",
    "is_retryable_error",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(module), name)
    globals()[name] = value  # later lookups are plain attribute hits
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
