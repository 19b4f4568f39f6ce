"""llmring-replay: record, replay and simulate LLM provider streams for offline tests.

The public API mirrors upstream `llmring` (`LLMRing`, `LLMRequest`, `Message`, `StreamChunk`,
the exception names), so an app's code runs unchanged against cassettes.
"""

from __future__ import annotations

from llmring_replay.exceptions import (
    CassetteError,
    CassetteFormatError,
    CassetteMatchError,
    CassetteNotFoundError,
    CassetteSecretError,
    CassetteUnplayedError,
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
from llmring_replay.lockfile import Lockfile
from llmring_replay.schemas import LLMRequest, LLMResponse, Message, StreamChunk
from llmring_replay.service import LLMRing

__version__ = "0.1.0"

__all__ = [
    "CassetteError",
    "CassetteFormatError",
    "CassetteMatchError",
    "CassetteNotFoundError",
    "CassetteSecretError",
    "CassetteUnplayedError",
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
