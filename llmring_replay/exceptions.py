"""Exceptions, with upstream llmring's names and hierarchy, plus this toolkit's own.

```
LLMRingError
├── ConfigurationError
│   └── ScenarioError(path, place)            a simulator scenario that breaks its schema
├── ProviderError(provider, status_code, retryable)
│   ├── ProviderAuthenticationError           401, 403, Gemini 400 API_KEY_INVALID
│   ├── ProviderRateLimitError(retry_after)   429
│   ├── ProviderTimeoutError                  connect/read timeouts, stalls
│   ├── ProviderResponseError                 other statuses, in-band errors, bad frames
│   └── ProviderNotFoundError                 provider not configured
├── ModelError(model_name, provider, status_code)
│   └── ModelNotFoundError                    404 for a model, unknown alias
├── LockfileError
│   ├── LockfileNotFoundError
│   ├── LockfileParseError
│   └── LockfileVersionError
└── CassetteError(path)                       this toolkit's own
    ├── CassetteNotFoundError
    ├── CassetteFormatError(place)            corrupt YAML, schema violation
    ├── CassetteMatchError(request, closest)  no recorded interaction for a request
    ├── CassetteUnplayedError(unplayed)       recorded interactions a test never used
    ├── CassetteSecretError(place)            a write refused: a key-shaped string remained
    └── CassetteWriteError                    a write failed (disk full) or would lose
                                              interactions (nothing to merge with)
```

Every exception keeps a `message` and a `details` dict, as upstream's do.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = [
    "CassetteError",
    "CassetteFormatError",
    "CassetteMatchError",
    "CassetteNotFoundError",
    "CassetteSecretError",
    "CassetteUnplayedError",
    "CassetteWriteError",
    "ConfigurationError",
    "LLMRingError",
    "LockfileError",
    "LockfileNotFoundError",
    "LockfileParseError",
    "LockfileVersionError",
    "ModelError",
    "ModelNotFoundError",
    "ProviderAuthenticationError",
    "ProviderError",
    "ProviderNotFoundError",
    "ProviderRateLimitError",
    "ProviderResponseError",
    "ProviderTimeoutError",
    "ScenarioError",
    "is_retryable_error",
]


class LLMRingError(Exception):
    """Base exception for all llmring errors."""

    def __init__(self, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = details or {}


class ConfigurationError(LLMRingError):
    """Error in configuration (missing keys, invalid values, bad model references)."""


class ScenarioError(ConfigurationError):
    """A simulator scenario (or simulation script) file is unreadable or breaks its schema.

    `path` names the file (or the built-in scenario), `place` the spot in it
    (`rules[2].match.turn`), `line` its line when known.
    """

    def __init__(
        self,
        message: str,
        path: str | None = None,
        place: str | None = None,
        line: int | None = None,
    ) -> None:
        super().__init__(message)
        self.path = path
        self.place = place
        self.line = line


class ProviderError(LLMRingError):
    """Base error for provider-related issues.

    `status_code` is the HTTP status of the response that carried the error: for an in-band
    error event inside a streaming 200 response it is 200. `retryable` says whether trying the
    same request again later can succeed (rate limits, overloads, 5xx, timeouts).
    """

    def __init__(
        self,
        message: str,
        provider: str | None = None,
        status_code: int | None = None,
        details: dict[str, Any] | None = None,
        *,
        retryable: bool = False,
    ) -> None:
        super().__init__(message, details)
        self.provider = provider
        self.status_code = status_code
        self.retryable = retryable


class ProviderNotFoundError(ProviderError):
    """Requested provider is not available (unknown name or not configured)."""


class ProviderAuthenticationError(ProviderError):
    """Provider authentication failed (invalid or missing API key, no permission)."""


class ProviderRateLimitError(ProviderError):
    """Provider rate limit exceeded; `retry_after` is in seconds when the provider said."""

    def __init__(
        self,
        message: str,
        provider: str | None = None,
        retry_after: float | None = None,
        details: dict[str, Any] | None = None,
        *,
        status_code: int | None = 429,
    ) -> None:
        super().__init__(message, provider, status_code, details, retryable=True)
        self.retry_after = retry_after


class ProviderTimeoutError(ProviderError):
    """Provider request timed out (connect, first byte, or a stall mid-stream)."""

    def __init__(
        self,
        message: str,
        provider: str | None = None,
        status_code: int | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message, provider, status_code, details, retryable=True)


class ProviderResponseError(ProviderError):
    """Invalid, unexpected or failed response from the provider."""


class ModelError(LLMRingError):
    """Base error for model-related issues."""

    def __init__(
        self,
        message: str,
        model_name: str | None = None,
        provider: str | None = None,
        details: dict[str, Any] | None = None,
        *,
        status_code: int | None = None,
    ) -> None:
        super().__init__(message, details)
        self.model_name = model_name
        self.provider = provider
        self.status_code = status_code


class ModelNotFoundError(ModelError):
    """Requested model is not available (a provider's 404, or an unknown alias)."""


class LockfileError(LLMRingError):
    """Base error for lockfile-related issues."""


class LockfileNotFoundError(LockfileError):
    """Lockfile not found."""


class LockfileParseError(LockfileError):
    """Cannot parse the lockfile, or it breaks the schema."""


class LockfileVersionError(LockfileError):
    """Lockfile version incompatible."""


class CassetteError(LLMRingError):
    """Base error for this toolkit's cassettes; `path` names the cassette file."""

    def __init__(
        self, message: str, path: str | None = None, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message, details)
        self.path = path


class CassetteNotFoundError(CassetteError):
    """The cassette file does not exist (and the record mode may not create it)."""


class CassetteFormatError(CassetteError):
    """The cassette is corrupt or breaks the schema; `place` says where (e.g. a YAML path)."""

    def __init__(self, message: str, path: str | None = None, place: str | None = None) -> None:
        super().__init__(message, path)
        self.place = place


class CassetteMatchError(CassetteError):
    """No recorded interaction matches a request; the message names the closest one."""

    def __init__(
        self,
        message: str,
        path: str | None = None,
        request: str | None = None,
        closest: int | None = None,
    ) -> None:
        super().__init__(message, path)
        self.request = request
        self.closest = closest


class CassetteUnplayedError(CassetteError):
    """Recorded interactions were never requested; `unplayed` holds their indexes."""

    def __init__(self, message: str, path: str | None = None, unplayed: Sequence[int] = ()) -> None:
        super().__init__(message, path)
        self.unplayed = list(unplayed)


class CassetteSecretError(CassetteError):
    """A write was refused because a string shaped like an API key was still present."""

    def __init__(self, message: str, path: str | None = None, place: str | None = None) -> None:
        super().__init__(message, path)
        self.place = place


class CassetteWriteError(CassetteError):
    """A cassette write failed or was refused, and the message says where what was recorded is.

    Raised for an I/O failure (a full disk, a folder that cannot be written) and for a write
    that would lose interactions: the file on disk cannot be read to merge what other writers
    recorded, or a journal of an interrupted recording no longer matches its file.
    """


def is_retryable_error(exc: BaseException) -> bool:
    """Whether trying the same request again later may succeed."""
    return isinstance(exc, ProviderError) and exc.retryable
