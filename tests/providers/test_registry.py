"""The registry of wire formats: lookups by provider, by name and by URL."""

from __future__ import annotations

import pytest

from llmring_replay.exceptions import ProviderNotFoundError
from llmring_replay.providers import PROVIDERS, codec_class
from llmring_replay.providers.registry import FORMATS, by_name, for_provider, recognize


def test_every_format_loads_its_codec_with_matching_facts() -> None:
    for fmt in FORMATS:
        codec = fmt.codec_class()
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
