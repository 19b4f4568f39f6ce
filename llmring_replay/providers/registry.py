"""The one list of wire formats, and what the rest of the code may ask about them.

Each wire format lives in its own folder under `providers/` and describes itself with a
`Format` (`providers.format`) in that folder's `__init__.py`: plain data (names, environment
variables, hosts, API paths, defaults) and the dotted names of its modules, which are
imported on first use so that `import llmring_replay` stays cheap. Code outside
`providers/` asks this module (by provider name, by format name, or by a request's URL) and
never names a provider itself.

Adding a format: a folder with its modules and `FORMAT`, and one line in `_FOLDERS`
(`docs/adding-a-wire-format.md`). A provider may have several formats (OpenAI's Chat
Completions and Responses APIs): one is its default, the others are chosen by name.
"""

from __future__ import annotations

import importlib
import re
from urllib.parse import urlsplit

from llmring_replay.exceptions import ProviderNotFoundError
from llmring_replay.providers.format import Format

__all__ = [
    "FORMATS",
    "Format",
    "api_env",
    "by_name",
    "find_endpoint",
    "for_provider",
    "format_for",
    "lookup",
    "provider_names",
    "recognize",
]


# One line per format, in the order people list them (and `serve` prints them).
_FOLDERS = (
    "llmring_replay.providers.openai_chat",
    "llmring_replay.providers.openai_responses",
    "llmring_replay.providers.anthropic",
    "llmring_replay.providers.gemini",
    "llmring_replay.providers.ollama",
)


#: Every format, in display order.
FORMATS: tuple[Format, ...] = tuple(importlib.import_module(folder).FORMAT for folder in _FOLDERS)


def by_name(name: str) -> Format:
    """The format called `name` (its folder name); `ValueError` when there is none."""
    for fmt in FORMATS:
        if fmt.name == name:
            return fmt
    known = ", ".join(f.name for f in FORMATS)
    raise ValueError(f"unknown wire format {name!r} (known: {known})")


def provider_names() -> tuple[str, ...]:
    """The provider names, each once, in display order."""
    return tuple(dict.fromkeys(fmt.provider for fmt in FORMATS))


def for_provider(provider: str, api: str | None = None) -> Format:
    """The format `provider` speaks: its default, or the one named `api` (its folder name,
    or the part after `<provider>_`: `for_provider("openai", "responses")`).

    Raises `ProviderNotFoundError` for an unknown provider or API.
    """
    candidates = [fmt for fmt in FORMATS if fmt.provider == provider]
    if not candidates:
        known = ", ".join(sorted(provider_names()))
        raise ProviderNotFoundError(f"unknown provider {provider!r} (known: {known})", provider)
    for fmt in candidates:
        if api is None and fmt.default_for_provider:
            return fmt
        if api is not None and api in (fmt.name, fmt.name.removeprefix(f"{provider}_")):
            return fmt
    apis = ", ".join(fmt.name.removeprefix(f"{provider}_") for fmt in candidates)
    raise ProviderNotFoundError(
        f"provider {provider!r} has no API {api!r} (known: {apis})", provider
    )


def api_env(provider: str) -> str:
    """The environment variable that chooses `provider`'s API when a client does not
    (`LLMRING_OPENAI_API=responses`); its value is what `for_provider` takes as `api`."""
    return f"LLMRING_{provider.upper()}_API"


def lookup(name: str) -> Format:
    """The format called `name`, or the default format of the provider `name`
    (`openai_chat` and `openai` both give OpenAI Chat Completions); `ValueError` when
    neither is known."""
    for fmt in FORMATS:
        if fmt.name == name:
            return fmt
    try:
        return for_provider(name)
    except ProviderNotFoundError:
        known = ", ".join(dict.fromkeys([*provider_names(), *(f.name for f in FORMATS)]))
        raise ValueError(f"unknown provider or wire format {name!r} (known: {known})") from None


_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.I)


def recognize(url: str) -> Format | None:
    """The format a request to `url` speaks: by its API path first (which tells OpenAI's
    two APIs apart), else by a known public host; `None` for anything else."""
    parts = urlsplit(url if _SCHEME.match(url) else f"http://{url}")
    for fmt in FORMATS:
        if fmt.matches_path(parts.path):
            return fmt
    host = (parts.hostname or "").lower()
    for fmt in FORMATS:
        if fmt.default_for_provider and host in fmt.hosts:
            return fmt
    return None


def format_for(provider: str | None, url: str) -> Format | None:
    """The format of a recorded request: `provider`'s API that `url` calls (its default
    when the path names none of them); without a provider, whatever `recognize` finds.
    `None` for a provider no format speaks."""
    found = recognize(url)
    if provider is None or (found is not None and found.provider == provider):
        return found
    try:
        return for_provider(provider)
    except ProviderNotFoundError:
        return None


def find_endpoint(path: str) -> tuple[Format, str] | None:
    """The format whose simulator endpoint `path` is (exactly), and the model the path
    names (`""` when the body names it); `None` for any other path."""
    for fmt in FORMATS:
        model = fmt.endpoint_model(path)
        if model is not None:
            return fmt, model
    return None
