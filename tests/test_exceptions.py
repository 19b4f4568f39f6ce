"""The exception tree matches upstream llmring's names and hierarchy."""

from __future__ import annotations

import pytest

from llmring_replay import exceptions as exc


@pytest.mark.parametrize(
    ("child", "parent"),
    [
        (exc.ProviderError, exc.LLMRingError),
        (exc.ProviderAuthenticationError, exc.ProviderError),
        (exc.ProviderRateLimitError, exc.ProviderError),
        (exc.ProviderTimeoutError, exc.ProviderError),
        (exc.ProviderResponseError, exc.ProviderError),
        (exc.ProviderNotFoundError, exc.ProviderError),
        (exc.ModelNotFoundError, exc.ModelError),
        (exc.ModelError, exc.LLMRingError),
        (exc.LockfileNotFoundError, exc.LockfileError),
        (exc.LockfileParseError, exc.LockfileError),
        (exc.LockfileVersionError, exc.LockfileError),
        (exc.ConfigurationError, exc.LLMRingError),
        (exc.CassetteNotFoundError, exc.CassetteError),
        (exc.CassetteFormatError, exc.CassetteError),
        (exc.CassetteMatchError, exc.CassetteError),
        (exc.CassetteUnplayedError, exc.CassetteError),
        (exc.CassetteSecretError, exc.CassetteError),
        (exc.CassetteError, exc.LLMRingError),
    ],
)
def test_hierarchy(child: type[Exception], parent: type[Exception]) -> None:
    assert issubclass(child, parent)


def test_docstring_draws_every_public_exception() -> None:
    tree = exc.__doc__ or ""
    for name in exc.__all__:
        if isinstance(getattr(exc, name), type):
            assert name in tree, f"{name} missing from the tree in exceptions.__doc__"


def test_provider_error_fields() -> None:
    error = exc.ProviderError("boom", provider="openai", status_code=500, retryable=True)
    assert (error.message, error.provider, error.status_code, error.retryable) == (
        "boom",
        "openai",
        500,
        True,
    )
    assert str(error) == "boom"
    assert error.details == {}


def test_rate_limit_carries_retry_after_and_is_retryable() -> None:
    error = exc.ProviderRateLimitError("slow down", provider="anthropic", retry_after=2.5)
    assert error.retry_after == 2.5
    assert error.status_code == 429
    assert exc.is_retryable_error(error)


def test_retryable_classification() -> None:
    assert exc.is_retryable_error(exc.ProviderTimeoutError("t", provider="google"))
    assert not exc.is_retryable_error(exc.ProviderAuthenticationError("a", provider="openai"))
    assert not exc.is_retryable_error(ValueError("x"))


def test_model_not_found_keeps_status_and_names() -> None:
    error = exc.ModelNotFoundError(
        "no such model", model_name="gpt-9", provider="openai", status_code=404
    )
    assert (error.model_name, error.provider, error.status_code) == ("gpt-9", "openai", 404)


def test_cassette_errors_name_their_file_and_place() -> None:
    error = exc.CassetteFormatError("bad", path="c.yaml", place="interactions[0]")
    assert (error.path, error.place) == ("c.yaml", "interactions[0]")
    unplayed = exc.CassetteUnplayedError("left", path="c.yaml", unplayed=(1, 2))
    assert unplayed.unplayed == [1, 2]
