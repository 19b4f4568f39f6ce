"""Wire formats, one folder each (`openai_chat/`, `anthropic/`, `gemini/`, `ollama/`), listed
by `registry`; the codecs they share are in `base` and the error mapping in `errors`.

Codec modules are imported on first use, so `import llmring_replay` stays cheap and a
format's code is only loaded by the apps (and pytest runs) that talk to it.
"""

from __future__ import annotations

from llmring_replay.providers.base import Codec, ProviderConfig
from llmring_replay.providers.registry import FORMATS, Format, for_provider, provider_names

__all__ = ["FORMATS", "PROVIDERS", "Codec", "Format", "ProviderConfig", "codec_class"]

#: Provider name -> its default format, in display order.
PROVIDERS: dict[str, Format] = {name: for_provider(name) for name in provider_names()}


def codec_class(provider: str, api: str | None = None) -> type[Codec]:
    """The codec class for `provider` (its default API, or `api`); `ProviderNotFoundError`
    for an unknown name."""
    return for_provider(provider, api).codec_class()
