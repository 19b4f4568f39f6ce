"""One test's cassette settings, resolved from the command line, the marker and the ini file.

Precedence, highest first: command line > `llm_cassette` marker > ini > built-in default.
Record mode is command line only (default `none`), on purpose: a marker or an ini line could
otherwise let CI reach the network.

Cassette paths: `<test dir>/<llm_cassette_dir>/<test module>/<test name>.yaml`, the folder
`cassettes` by default, so cassettes sit next to the tests that use them. The test name is
the node name with its class (`TestChat.test_hi`) and parametrize id; it is made safe for
every file system (see `safe_name`). A marker `name` is a path relative to the module's
folder (`.yaml` added when it has no suffix; `..` leads out of it, to a cassette shared by
several modules) or an absolute path; for a cross-provider test the provider is appended to
it, so each provider keeps its own cassette.

This module imports only the standard library, pytest and the registry of wire formats: it
runs at collection time.
"""

from __future__ import annotations

import hashlib
import os
import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

# Plain data (no codec, no httpx): the registry is cheap enough for collection time.
from llmring_replay.providers.registry import FORMATS, for_provider, lookup, provider_names

if TYPE_CHECKING:
    from llmring_replay.timing import Timing

__all__ = [
    "CassetteSettings",
    "DEFAULT_MODELS",
    "MARKER",
    "MARKER_KEYS",
    "cassette_path",
    "marker_options",
    "model_for",
    "providers_of",
    "record_command",
    "resolve",
    "safe_name",
]

MARKER = "llm_cassette"
#: The model a cross-provider test requests when the marker's `models` does not name one, by
#: provider (`openai`: its default API) and by wire format (`openai_responses`: that API).
DEFAULT_MODELS: Mapping[str, str] = {
    **{name: for_provider(name).default_model for name in provider_names()},
    **{fmt.name: fmt.default_model for fmt in FORMATS},
}
MARKER_KEYS = frozenset(
    {
        "name",
        "timing",
        "match_on",
        "ignore_paths",
        "allow_repeats",
        "allow_unplayed",
        "faults",
        "providers",
        "models",
        "intercept",
    }
)

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")
_MAX_NAME = 120  # well under the 255 bytes most file systems allow per path component


@dataclass(frozen=True)
class CassetteSettings:
    """Everything the fixtures need to know about one test's cassette."""

    path: Path
    record_mode: str
    #: A string form (`speed=2`) or, from the marker, a `Timing` object (`Speed(2)`).
    timing: str | Timing
    match_on: tuple[str, ...] | None
    ignore_paths: tuple[str, ...]
    allow_repeats: bool
    allow_unplayed: bool
    faults: tuple[Any, ...]
    record_command: str
    #: The provider of a cross-provider test, else None.
    provider: str | None = None
    #: Whether every httpx / httpx2 client's provider requests are served by the cassette.
    intercept: bool = True


def marker_options(node: pytest.Item | Any) -> dict[str, Any]:
    """The `llm_cassette` marker arguments on `node`, the closest marker winning per key.

    Fails (a collection error when called while collecting) on an unknown key: a typo would
    otherwise be ignored.
    """
    options: dict[str, Any] = {}
    for marker in node.iter_markers(MARKER):  # closest (function) first, then class, module
        if len(marker.args) > 1:
            pytest.fail(f"{MARKER} takes at most one positional argument (name)", pytrace=False)
        if marker.args:
            options.setdefault("name", marker.args[0])
        for key, value in marker.kwargs.items():
            options.setdefault(key, value)
    unknown = sorted(set(options) - MARKER_KEYS)
    if unknown:
        known = ", ".join(sorted(MARKER_KEYS))
        pytest.fail(f"{MARKER}: unknown argument(s) {unknown}; known: {known}", pytrace=False)
    return options


def providers_of(options: Mapping[str, Any]) -> list[str]:
    """The marker's `providers`, checked: each needs a default or a `models` entry."""
    given = options.get("providers") or ()
    providers = [given] if isinstance(given, str) else list(given)
    models = dict(options.get("models") or {})
    for provider in providers:
        if provider not in DEFAULT_MODELS and provider not in models:
            pytest.fail(
                f"{MARKER}: no default model for provider {provider!r}; "
                f"give one with models={{{provider!r}: ...}}",
                pytrace=False,
            )
    return providers


def model_for(options: Mapping[str, Any], provider: str) -> str:
    """`provider:model` for a cross-provider test: the marker's `models`, else the default.

    `provider` may name a wire format (`openai_responses`): the model is its provider's.
    """
    models = dict(options.get("models") or {})
    prefix = lookup(provider).provider if provider in DEFAULT_MODELS else provider
    return f"{prefix}:{models.get(provider) or DEFAULT_MODELS[provider]}"


def safe_name(name: str) -> str:
    """A test name as a file name: `test_hi[openai-0]` -> `test_hi-openai-0`.

    Characters outside `A-Z a-z 0-9 _ . -` become `_`; since that can make two ids equal
    (`a/b`, `a:b`), a short hash of the original name is then appended. Long names are cut
    and hashed too.
    """
    base, bracket, params = name.partition("[")
    readable = f"{base}-{params.removesuffix(']')}" if bracket else name
    safe = _UNSAFE.sub("_", readable).strip("._") or "test"
    if safe != readable or len(safe) > _MAX_NAME:
        digest = hashlib.sha1(name.encode("utf-8")).hexdigest()[:8]
        safe = f"{safe[: _MAX_NAME - 9]}-{digest}"
    return safe


def _test_name(item: pytest.Item) -> str:
    """`TestChat.test_hi[openai]`: the names of the nodes below the test file.

    Taken from the nodes, not by splitting the node id on `::`, which parametrize ids may
    contain too (`test_x[a::b]` and `test_x[a.b]` would share a cassette).
    """
    chain = item.listchain()
    files = [index for index, node in enumerate(chain) if isinstance(node, pytest.File)]
    below = chain[files[-1] + 1 :] if files else [item]
    return ".".join(node.name for node in below)


def _file_name(item: pytest.Item, name: str | None, provider: str | None) -> Path:
    if name is None:
        return Path(f"{safe_name(_test_name(item))}.yaml")
    path = Path(name)
    if path.suffix == "":
        path = path.with_name(path.name + ".yaml")
    if provider is not None:
        path = path.with_name(f"{path.stem}-{safe_name(provider)}{path.suffix}")
    return path


def cassette_path(
    item: pytest.Item, cassette_dir: str, name: str | None, provider: str | None
) -> Path:
    """Where the test's cassette lives (see the module docstring for the scheme)."""
    # An absolute folder or name replaces what is left of it when joined.
    folder = item.path.parent / (cassette_dir or "cassettes") / item.path.stem
    # `..` is resolved here, on the names: the file system would resolve it only through the
    # module's folder, which need not exist (git keeps no empty folders).
    return Path(os.path.normpath(folder / _file_name(item, name, provider)))


def record_command(item: pytest.Item) -> str:
    """The command line that records this test's cassette, runnable where pytest was run."""
    _, separator, rest = item.nodeid.partition("::")
    try:
        where = os.path.relpath(item.path, item.config.invocation_params.dir)
    except ValueError:  # another drive on Windows: the node id is the best we have
        where = item.nodeid.partition("::")[0]
    target = Path(where).as_posix() + separator + rest
    return f"pytest {shlex.quote(target)} --llm-record-mode=once"


def _tuple(value: str | Sequence[str] | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    return (value,) if isinstance(value, str) else tuple(value)


def _timing(config: pytest.Config, options: Mapping[str, Any]) -> str | Timing:
    # Precedence: command line > marker > ini > default.
    timing = (
        config.getoption("llm_timing")
        or options.get("timing")
        or config.getini("llm_timing")
        or "instant"
    )
    # Imported only now: resolving runs in a fixture, not at collection.
    from llmring_replay.timing import Timing, parse_timing

    if isinstance(timing, Timing):
        return timing
    try:
        parse_timing(str(timing))  # the command line and ini are checked at start-up
    except ValueError as exc:
        pytest.fail(f"{MARKER}: {exc}", pytrace=False)
    return str(timing)


def resolve(item: pytest.Item, provider: str | None) -> CassetteSettings:
    """The settings for `item` (and `provider`, in a cross-provider test)."""
    config = item.config
    options = marker_options(item)
    record_mode = config.getoption("llm_record_mode") or "none"
    return CassetteSettings(
        path=cassette_path(item, config.getini("llm_cassette_dir"), options.get("name"), provider),
        record_mode=record_mode,
        timing=_timing(config, options),
        match_on=_tuple(options.get("match_on")),
        ignore_paths=_tuple(options.get("ignore_paths")) or (),
        allow_repeats=bool(options.get("allow_repeats", False)),
        allow_unplayed=bool(options.get("allow_unplayed", False)),
        faults=tuple(options.get("faults") or ()),
        record_command=record_command(item),
        provider=provider,
        intercept=bool(options.get("intercept", config.getini("llm_intercept"))),
    )
