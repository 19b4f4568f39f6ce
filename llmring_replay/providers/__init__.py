"""Provider codecs, one module each, found by provider name.

Codec modules are imported on first use, so `import llmring_replay` stays cheap and a
provider's module is only loaded by the apps (and pytest runs) that talk to it.
"""

from __future__ import annotations

import importlib

from llmring_replay.exceptions import ProviderNotFoundError
from llmring_replay.providers.base import Codec, ProviderConfig

__all__ = ["PROVIDERS", "Codec", "ProviderConfig", "codec_class"]

#: Provider name -> "module:class" of its codec.
PROVIDERS: dict[str, str] = {
    "openai": "llmring_replay.providers.openai_chat.codec:OpenAICodec",
    "anthropic": "llmring_replay.providers.anthropic.codec:AnthropicCodec",
    "google": "llmring_replay.providers.gemini.codec:GoogleCodec",
    "ollama": "llmring_replay.providers.ollama.codec:OllamaCodec",
}


def codec_class(provider: str) -> type[Codec]:
    """The codec class for `provider`; `ProviderNotFoundError` for an unknown name."""
    try:
        target = PROVIDERS[provider]
    except KeyError:
        known = ", ".join(sorted(PROVIDERS))
        raise ProviderNotFoundError(
            f"unknown provider {provider!r} (known: {known})", provider
        ) from None
    module_name, _, class_name = target.partition(":")
    cls: type[Codec] = getattr(importlib.import_module(module_name), class_name)
    return cls
