"""The registry of wire formats: lookups by provider, by name and by URL."""

from __future__ import annotations

import pytest

from llmring_replay.exceptions import ProviderNotFoundError
from llmring_replay.providers import PROVIDERS, codec_class
from llmring_replay.providers.registry import (
    FORMATS,
    by_name,
    find_endpoint,
    for_provider,
    format_for,
    lookup,
    recognize,
)


def test_every_format_loads_its_codec_with_matching_facts() -> None:
    for fmt in FORMATS:
        codec = fmt.codec_class()
        assert codec.format is fmt
        assert codec.name == fmt.provider
        assert codec.framing == fmt.framing
        assert codec.api_key_env == fmt.api_key_env
        assert codec.base_url_env == fmt.base_url_env
        assert codec.default_base_url == fmt.default_base_url
        assert by_name(fmt.name) is fmt


def test_providers_in_display_order() -> None:
    assert list(PROVIDERS) == ["openai", "anthropic", "google", "ollama"]
    assert codec_class("google") is for_provider("google").codec_class()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://api.openai.com/v1/chat/completions", "openai_chat"),
        ("http://127.0.0.1:8765/v1/chat/completions", "openai_chat"),
        ("https://api.anthropic.com/v1/messages", "anthropic"),
        ("http://[::1]:9/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", "gemini"),
        ("https://generativelanguage.googleapis.com/v1/models/g:generateContent", "gemini"),
        ("http://localhost:11434/api/chat", "ollama"),
        ("https://api.anthropic.com/v1/models", "anthropic"),  # a known host, any path
        ("http://127.0.0.1:8000/healthz", None),
    ],
)
def test_recognize(url: str, expected: str | None) -> None:
    fmt = recognize(url)
    assert (fmt.name if fmt else None) == expected


def test_unknown_provider_and_api() -> None:
    with pytest.raises(ProviderNotFoundError, match="unknown provider 'mistral'"):
        for_provider("mistral")
    with pytest.raises(ProviderNotFoundError, match="has no API 'assistants'"):
        for_provider("openai", "assistants")
    with pytest.raises(ValueError, match="unknown wire format"):
        by_name("openai")


def test_lookup_takes_a_format_name_or_a_provider() -> None:
    assert lookup("openai") is lookup("openai_chat") is for_provider("openai")
    assert lookup("google") is lookup("gemini")
    with pytest.raises(ValueError, match="unknown provider or wire format 'cohere'"):
        lookup("cohere")


def test_format_for_a_recorded_request() -> None:
    # The recorded provider wins over the URL; the URL picks among the provider's APIs.
    assert format_for("openai", "http://127.0.0.1:9/v1/chat/completions") is by_name("openai_chat")
    assert format_for("ollama", "http://127.0.0.1:9/v1/chat/completions") is by_name("ollama")
    assert format_for(None, "http://localhost:11434/api/chat") is by_name("ollama")
    assert format_for(None, "http://localhost/healthz") is None
    assert format_for("mistral", "https://api.mistral.ai/v1/chat/completions") is None


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/v1/chat/completions", ("openai_chat", "")),
        ("/v1/messages", ("anthropic", "")),
        ("/v1beta/models/gemini-2.5-flash:streamGenerateContent", ("gemini", "gemini-2.5-flash")),
        ("/v1/models/gemini-2.5-pro:generateContent", ("gemini", "gemini-2.5-pro")),
        ("/api/chat", ("ollama", "")),
        ("/chat/completions", None),  # no `/v1`: a base URL missing its suffix
        ("/v1/models/a/b:generateContent", None),
    ],
)
def test_find_endpoint(path: str, expected: tuple[str, str] | None) -> None:
    found = find_endpoint(path)
    assert (None if found is None else (found[0].name, found[1])) == expected


@pytest.mark.parametrize(
    ("name", "path", "query", "body", "expected"),
    [
        ("openai_chat", "/v1/chat/completions", {}, {"stream": True}, (True, True)),
        ("openai_chat", "/v1/chat/completions", {}, {}, (False, True)),
        ("ollama", "/api/chat", {}, {}, (True, True)),
        ("ollama", "/api/chat", {}, {"stream": False}, (False, True)),
        ("ollama", "/api/chat", {}, None, (None, True)),  # the body cannot say
        ("gemini", "/v1beta/models/g:streamGenerateContent", {"alt": "sse"}, None, (True, True)),
        ("gemini", "/v1beta/models/g:streamGenerateContent", {}, {}, (True, False)),
        ("gemini", "/v1beta/models/g:generateContent", {}, {"stream": True}, (False, False)),
    ],
)
def test_how_a_request_asks_for_a_stream(
    name: str, path: str, query: dict[str, str], body: object, expected: tuple[bool | None, bool]
) -> None:
    """(streams, as frames rather than one JSON array)"""
    fmt = by_name(name)
    assert (fmt.request_streams(path, body), fmt.stream_as_frames(query)) == expected
