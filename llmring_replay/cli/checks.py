"""The checks `lint` runs on a cassette; each yields findings as one-line messages.

- secrets: a string shaped like an API key (`find_secret`), by line of the file, then in the
  decoded bodies (a key inside a gzip body has no line); the secret itself is never shown;
- format: a format version this llmring-replay does not know;
- bodies: a response the provider's codec cannot read (errors the provider *reported*, an
  error status or an in-band error event, are recordings of real failures, not findings).
  Interactions with no known provider (a tokenizer download a library made on the side)
  are not LLM calls and are left alone;
- drift (`--drift`): a request body that today's client would send differently. Only the
  interactions our client recorded are compared (`recorded_by_us`): an SDK, an app's own
  HTTP code or another language builds its bodies its own way, and that is no drift.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from llmring_replay.cassette import FORMAT_VERSION, Cassette, Interaction, find_secret
from llmring_replay.cassette.schema import cassette_to_document
from llmring_replay.cli.decode import codec_for, decode_interaction, format_of, model_of
from llmring_replay.cli.errors import error_text
from llmring_replay.cli.jsondiff import describe_paths, differing_paths
from llmring_replay.cli.rebuild import rebuild_request
from llmring_replay.providers import Format
from llmring_replay.service import USER_AGENT_PRODUCT

__all__ = [
    "body_findings",
    "drift_findings",
    "foreign_clients",
    "format_findings",
    "read_source",
    "secret_findings",
]


def _strings(value: Any, place: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str | bytes):
        yield place, value.decode("latin-1") if isinstance(value, bytes) else value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, f"{place}.{key}" if place else str(key))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _strings(item, f"{place}[{index}]")


def secret_findings(source: str, cassette: Cassette | None) -> Iterator[str]:
    """`line N: ...` for each key-shaped string in the text, else places in the document."""
    found = False
    for number, line in enumerate(source.splitlines(), start=1):
        match = find_secret(line)
        if match is not None:
            found = True
            column = match.start + 1
            yield f"line {number}: a string shaped like a key ({match.kind}, column {column})"
    if found or cassette is None:
        return
    for place, text in _strings(cassette_to_document(cassette), ""):
        match = find_secret(text)
        if match is not None:
            yield f"{place}: a string shaped like a key ({match.kind}, in the decoded value)"


def format_findings(cassette: Cassette) -> Iterator[str]:
    """A format version other than the one this llmring-replay reads and writes."""
    version = cassette.provenance.format
    if version != FORMAT_VERSION:
        known = f"this one knows {FORMAT_VERSION}"
        yield f"llmring_replay.format: unknown format version {version} ({known})"


def body_findings(cassette: Cassette) -> Iterator[str]:
    """Responses the client could not read."""
    for index, interaction in enumerate(cassette.interactions):
        fmt = format_of(interaction)
        if fmt is None:
            continue
        decoded = decode_interaction(interaction, fmt)
        if decoded.error is not None and not decoded.provider_error:
            reason = getattr(decoded.error, "message", None) or repr(decoded.error)
            what = f"the {fmt.provider} codec cannot read the response"
            yield f"interaction {index}: {what}: {reason}"


def _why(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        # The first error with the value that broke it (`role 'developer': Input should be
        # ...`): which value of the recorded body no LLMRequest can hold.
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        return f"{where} {error['input']!r}: {error['msg']}"
    return error_text(exc)


def _drift(index: int, interaction: Interaction, fmt: Format) -> str | None:
    request = interaction.request
    try:
        recorded = json.loads(request.body or b"")
    except (ValueError, RecursionError):
        return None  # not a JSON body: nothing a codec builds
    if not isinstance(recorded, dict):
        return None
    try:
        rebuilt = rebuild_request(fmt, recorded, model_of(interaction), request.uri)
        codec = codec_for(fmt)
        built = codec.build_request(rebuilt.request, rebuilt.model, stream=rebuilt.stream)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        return f"interaction {index}: request drift: no LLMRequest gives this body ({_why(exc)})"
    paths = differing_paths(recorded, json.loads(built.content))
    if not paths:
        return None
    where = describe_paths(paths)
    return f"interaction {index}: request drift: the body today's client builds differs at {where}"


def _user_agent(interaction: Interaction) -> str | None:
    values = interaction.request.headers.get("user-agent")
    return values[0] if values else None


def recorded_by_us(interaction: Interaction) -> bool:
    """Whether our client (`LLMRing`) sent the recorded request: its `user-agent` is
    `llmring-replay/<version>`, or it has none at all (our client sent none before it
    named itself; every SDK and HTTP library sends one)."""
    agent = _user_agent(interaction)
    return agent is None or agent.startswith(f"{USER_AGENT_PRODUCT}/")


def foreign_clients(cassette: Cassette) -> dict[str, int]:
    """The other clients whose requests the cassette recorded (their `user-agent`), and
    how many requests each: `--drift` skips them."""
    counts: dict[str, int] = {}
    for interaction in cassette.interactions:
        if not recorded_by_us(interaction) and format_of(interaction) is not None:
            agent = _user_agent(interaction) or "?"
            counts[agent] = counts.get(agent, 0) + 1
    return counts


def drift_findings(cassette: Cassette) -> Iterator[str]:
    """Request bodies that the current client would build differently (among the
    interactions our client recorded, see `recorded_by_us`)."""
    for index, interaction in enumerate(cassette.interactions):
        fmt = format_of(interaction)
        if fmt is not None and recorded_by_us(interaction):
            finding = _drift(index, interaction, fmt)
            if finding is not None:
                yield finding


def read_source(path: Path) -> str:
    """The file's text for the line scan (undecodable bytes kept as latin-1)."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")
