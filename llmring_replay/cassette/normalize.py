"""Shared normalisation for every cassette flavour: headers, content coding, provenance guesses.

- Header names are lowercased and values kept as lists in arrival order (vcrpy's shape);
  names differing only in case are merged.
- Bodies are stored decompressed: `decode_body` undoes `gzip`/`deflate` (the codings httpx
  and the providers use), drops `content-encoding` and corrects `content-length`. A coding we
  cannot undo (e.g. `br` without a brotli module) is left in place, body and header together,
  so a replay still hands the client what the server sent.
- `guess_provider` / `guess_model` name the provider and model of an imported interaction
  from its URL and request body.
"""

from __future__ import annotations

import gzip
import json
import re
import zlib
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "decode_body",
    "first_header",
    "guess_model",
    "guess_provider",
    "header_dict",
    "header_text",
    "iso_time",
]


def header_text(value: Any) -> str:
    """One header value as text (YAML may have turned `true` or `42` into other types)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return str(value)


def header_dict(pairs: Iterable[tuple[str, Any]]) -> dict[str, list[str]]:
    """Lowercased names -> lists of values; a value may itself be a list."""
    headers: dict[str, list[str]] = {}
    for name, value in pairs:
        values = value if isinstance(value, list) else [value]
        headers.setdefault(str(name).strip().lower(), []).extend(header_text(v) for v in values)
    return headers


def _inflate(data: bytes) -> bytes:
    try:
        return zlib.decompress(data)
    except zlib.error:
        return zlib.decompress(data, -zlib.MAX_WBITS)  # raw deflate, as some servers send


_DECODERS = {"gzip": gzip.decompress, "x-gzip": gzip.decompress, "deflate": _inflate}


def decode_body(headers: dict[str, list[str]], body: bytes) -> tuple[dict[str, list[str]], bytes]:
    """Undo the content codings we can; returns new headers and the decoded body."""
    codings = [
        token.strip().lower()
        for value in headers.get("content-encoding", [])
        for token in value.split(",")
        if token.strip()
    ]
    if not codings:
        return headers, body
    original = body
    while codings and (codings[-1] == "identity" or codings[-1] in _DECODERS):
        coding = codings.pop()  # codings apply in order, so undo them from the last
        if coding != "identity":
            try:
                body = _DECODERS[coding](body)
            except (OSError, EOFError, zlib.error):
                return headers, original  # not really encoded as it says: keep it as it was
    result = {name: list(values) for name, values in headers.items()}
    if codings:
        result["content-encoding"] = [", ".join(codings)]
    else:
        result.pop("content-encoding", None)
    if "content-length" in result:
        result["content-length"] = [str(len(body))]
    return result, body


def guess_provider(uri: str) -> str | None:
    """The provider whose API the URL calls (by its path, else its host: see
    `providers.registry.recognize`), else None."""
    # Imported here: the registry's package loads httpx and the client's schemas, which
    # `import llmring_replay.cassette` (the CLI, the pytest plugin) should not pay for.
    from llmring_replay.providers.registry import recognize

    fmt = recognize(uri)
    return fmt.provider if fmt is not None else None


_GEMINI_MODEL = re.compile(r"/models/([^/:?]+)")


def guess_model(uri: str, body: bytes | None) -> str | None:
    """The requested model: the body's `model` field, else Gemini's `/models/<name>:` path."""
    if body:
        try:
            parsed = json.loads(body)
        except (ValueError, RecursionError):
            parsed = None
        if isinstance(parsed, dict) and isinstance(parsed.get("model"), str):
            return str(parsed["model"]).removeprefix("models/")  # Gemini's resource name
    match = _GEMINI_MODEL.search(urlsplit(uri).path)
    return match.group(1) if match else None


def iso_time(value: Any) -> str | None:
    """A timestamp as ISO 8601 UTC (`2026-11-24T10:00:00Z`); RFC 2822 dates are converted."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = parsedate_to_datetime(str(value))
        except (TypeError, ValueError, IndexError):
            return str(value)  # already ISO, or something we keep as written
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    try:
        return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    except OverflowError:  # year 1 east of UTC, year 9999 west of it: keep it as written
        return moment.isoformat()


def first_header(headers: Mapping[str, list[str]], name: str) -> str | None:
    """The first value of a (lowercase) header, or None."""
    values = headers.get(name)
    return values[0] if values else None
