"""The one place where provider failures become exceptions.

Codecs only *describe* an error (`ErrorInfo`: the provider's message, its own error type or
status string, a retry delay found in the body); `to_exception` decides the class from the
HTTP status and that description, so every provider follows the same table:

| status / kind                          | exception                      | retryable |
|----------------------------------------|--------------------------------|-----------|
| 401, 403, kind `auth`                  | ProviderAuthenticationError    | no        |
| kind `model_not_found` (any status)    | ModelNotFoundError             | no        |
| 404, kind `not_found`, naming a model  | ModelNotFoundError             | no        |
| 404 naming no model (a wrong URL)      | ProviderResponseError          | no        |
| 429, kind `rate_limit`                 | ProviderRateLimitError         | yes       |
| 408, 504, kind `timeout`               | ProviderTimeoutError           | yes       |
| 500-599 (Anthropic 529), `overloaded`  | ProviderResponseError          | yes       |
| anything else                          | ProviderResponseError          | no        |

A 404 is a missing model only when it says so: the codec found a model-specific code
(OpenAI's `model_not_found`, which the Responses API sends with a 400; Ollama's
`model "x" not found`), or the message names a model as providers do (Anthropic's
`model: x`, Gemini's `models/x is not found`). Any other 404 is the server saying it has no
such route: a base URL missing its `/v1`, a typo in a path. That is a
`ProviderResponseError` whose message shows the URL and the base URL to check, with
`details["wrong_url"]` set: a misconfigured URL must not read as a missing model (nor make
an alias fall back to its next model, see `service`).
"""

from __future__ import annotations

import contextlib
import email.utils
import json
import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import httpx

from llmring_replay.exceptions import (
    LLMRingError,
    ModelNotFoundError,
    ProviderAuthenticationError,
    ProviderRateLimitError,
    ProviderResponseError,
    ProviderTimeoutError,
)
from llmring_replay.timing import parse_duration

__all__ = [
    "ErrorInfo",
    "ErrorKind",
    "error_body",
    "parse_duration",
    "retry_after_from_headers",
    "to_exception",
    "translate_http_errors",
    "wrong_url_advice",
]

ErrorKind = Literal["auth", "model_not_found", "not_found", "rate_limit", "timeout", "overloaded"]


@dataclass(frozen=True)
class ErrorInfo:
    """What a provider said about a failure, before it is mapped to an exception."""

    message: str
    #: The provider's own error type or code (`overloaded_error`, `RESOURCE_EXHAUSTED`, ...).
    code: str | None = None
    #: A classification the status alone would miss (an in-band error inside a 200 stream).
    kind: ErrorKind | None = None
    #: Seconds, from the body (Gemini `RetryInfo.retryDelay`), when present.
    retry_after: float | None = None


def error_body(body: Any) -> Any:
    """An error body as the codecs read it: bytes or text parsed as JSON when it is JSON,
    else the decoded text (a proxy's HTML page, a plain message); anything else as it is."""
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if isinstance(body, str):
        try:
            return json.loads(body)
        except (ValueError, RecursionError):  # not JSON, or nested past the parser's limit
            return body
    return body


def retry_after_from_headers(headers: Mapping[str, str]) -> float | None:
    """Seconds from `retry-after-ms`, or `retry-after` as seconds or an HTTP date."""
    millis = headers.get("retry-after-ms")
    if millis is not None:
        seconds = parse_duration(millis)
        if seconds is not None:
            return seconds / 1000
    value = headers.get("retry-after")
    if value is None:
        return None
    seconds = parse_duration(value)
    if seconds is not None:
        return seconds
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _kind_for(status: int, info: ErrorInfo) -> ErrorKind | None:
    if info.kind is not None:
        return info.kind
    if status in (401, 403):
        return "auth"
    if status == 404:
        return "not_found"
    if status == 429:
        return "rate_limit"
    if status in (408, 504):
        return "timeout"
    if status >= 500:
        return "overloaded"
    return None


# How providers name a model in an error message: Gemini `models/x is not found`, Anthropic
# `model: x`, OpenAI "The model `x` does not exist", Ollama `model "x" not found`. Not after
# a `/` or a word character: a URL echoed by a router's 404 (`/v1beta/models/x:foo was not
# found`) names a path, not a model, and the requested model's name may well be in it.
_NAMES_A_MODEL = re.compile(r"(?<![\w/])models?(?:/|:\s*|\s+[`'\"])\w", re.IGNORECASE)


def wrong_url_advice(provider: str, url: str | None) -> str:
    """What to check when `url` is no API route: the base URL, its variable and the public
    one (from the registry: `OPENAI_BASE_URL`, `https://api.openai.com/v1`)."""
    # Imported here: the registry's package imports this module.
    from llmring_replay.providers.registry import format_for

    fmt = format_for(provider, url or "")
    where = f"{url} " if url else ""
    if fmt is None:
        return f"the URL looks wrong, not the model: {where}is no API route there"
    return (
        f"the URL looks wrong, not the model: {where}is no {fmt.title} route there; "
        f"check the base URL ({fmt.base_url_env}, e.g. {fmt.default_base_url})"
    )


def to_exception(
    provider: str,
    status: int,
    info: ErrorInfo,
    *,
    model: str | None = None,
    headers: Mapping[str, str] | None = None,
    url: str | None = None,
) -> LLMRingError:
    """The exception for a failed response (or an in-band error event, with its 200).

    `url` is the request's, shown when a 404 names no model (see the module docstring).
    """
    kind = _kind_for(status, info)
    message = (
        f"{provider} {status}: {info.message}"
        if status != 200
        else (f"{provider} stream error: {info.message}")
    )
    details: dict[str, Any] = {"code": info.code, "status": status}
    if kind == "not_found":
        if _NAMES_A_MODEL.search(info.message):
            kind = "model_not_found"
        elif status == 404:
            details.update(wrong_url=True, url=url)
            advice = wrong_url_advice(provider, url)
            return ProviderResponseError(f"{message} ({advice})", provider, status, details)
    if kind == "auth":
        return ProviderAuthenticationError(message, provider, status, details)
    if kind == "model_not_found":
        return ModelNotFoundError(
            message, model_name=model, provider=provider, details=details, status_code=status
        )
    if kind == "rate_limit":
        retry_after = retry_after_from_headers(headers or {})
        if retry_after is None:
            retry_after = info.retry_after
        return ProviderRateLimitError(message, provider, retry_after, details, status_code=status)
    if kind == "timeout":
        return ProviderTimeoutError(message, provider, status, details)
    return ProviderResponseError(message, provider, status, details, retryable=kind == "overloaded")


@contextlib.contextmanager
def translate_http_errors(provider: str, base_url: str) -> Iterator[None]:
    """Map httpx's transport errors to our exceptions, at this one boundary.

    Timeouts become `ProviderTimeoutError`; a refused connection names the base URL (the
    usual cause is a wrong `*_BASE_URL` or a server that is not running); a connection cut
    mid-stream is a retryable `ProviderResponseError`.
    """
    try:
        yield
    except httpx.TimeoutException as exc:
        kind = type(exc).__name__
        raise ProviderTimeoutError(
            f"{provider}: request to {base_url} timed out ({kind})", provider
        ) from exc
    except (httpx.ConnectError, httpx.UnsupportedProtocol) as exc:
        raise ProviderResponseError(
            f"{provider}: cannot connect to {base_url}: {exc}", provider, retryable=True
        ) from exc
    except httpx.TransportError as exc:
        reason = str(exc) or type(exc).__name__
        raise ProviderResponseError(
            f"{provider}: connection to {base_url} failed mid-response: {reason}",
            provider,
            retryable=True,
        ) from exc
