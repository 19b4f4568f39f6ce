"""Canonical forms of a request's URL and body, as matching compares them (see `match`)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from hashlib import blake2b
from json import encoder as json_encoder
from json.decoder import JSONDecoder
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from llmring_replay.cassette.scrub import scrub_url

__all__ = ["Path", "Url", "body_hash", "canonical_body", "canonical_url", "comparable"]

_IGNORED = "<ignored>"

Path = tuple[str, ...]
Url = tuple[str, str, str, tuple[tuple[str, str], ...]]


def canonical_url(url: str) -> Url:
    """Scheme, host, path and sorted query of `url` with its secrets removed."""
    parts = urlsplit(scrub_url(url))
    query = tuple(sorted(parse_qsl(parts.query, keep_blank_values=True)))
    return parts.scheme.lower(), parts.netloc.lower(), parts.path, query


def _drop(value: Any, path: Path) -> None:
    """Take `path` out of `value` in place: keys are deleted, list items masked."""
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        keys = list(value) if head == "*" else [head] if head in value else []
    elif isinstance(value, list):
        indexes = range(len(value)) if head == "*" else [int(head)] if head.isdigit() else []
        keys = [i for i in indexes if i < len(value)]
    else:
        return
    for key in keys:
        if rest:
            _drop(value[key], rest)
        elif isinstance(value, dict):
            del value[key]
        else:
            value[key] = _IGNORED


_scan: Callable[[str, int], tuple[Any, int]] = JSONDecoder().scan_once  # type: ignore[attr-defined]


def _loads(body: bytes) -> Any:
    """`json.loads(body)`, minus its encoding sniffing and regexes for the usual UTF-8
    object or array (a third of its time on a chat request)."""
    if body[:1] not in (b"{", b"["):
        return json.loads(body)  # leading whitespace, a BOM, UTF-16, a scalar...
    text = body.decode("utf-8", "surrogatepass")  # as json.loads decodes UTF-8
    try:
        value, end = _scan(text, 0)
    except StopIteration as error:
        raise ValueError("not JSON") from error
    if end != len(text) and text[end:].strip(" \t\n\r"):
        raise ValueError("extra data after the JSON")
    return value


def _fail(value: Any) -> Any:
    raise TypeError(f"not JSON: {type(value).__name__}")  # never: values come from json


def _canonical_text() -> Callable[[Any], str]:
    """Sorted, compact, ASCII JSON text of a parsed value: `json.dumps` with those options,
    calling the C encoder directly (no circularity markers: parsed JSON has no cycles),
    which is 2-3 times faster than going through `json.dumps` each time."""
    make = getattr(json_encoder, "c_make_encoder", None)  # private to json, not in typeshed
    if make is None:  # no C accelerator (e.g. PyPy)
        return lambda value: json.dumps(value, sort_keys=True, separators=(",", ":"))
    ascii_text = json_encoder.encode_basestring_ascii
    encode = make(None, _fail, ascii_text, None, ":", ",", True, False, True)
    return lambda value: "".join(encode(value, 0))


_text = _canonical_text()


def comparable(body: bytes | None, ignore: Sequence[Path]) -> tuple[bool, Any]:
    """(is JSON, parsed JSON with ignored paths taken out | raw bytes)."""
    if not body:
        return False, b""
    try:
        parsed = _loads(body)
    except (ValueError, RecursionError):  # UnicodeDecodeError; JSON nested past the limit
        return False, body
    for path in ignore:
        _drop(parsed, path)
    return True, parsed


def canonical_body(body: bytes | None, ignore_paths: Iterable[str] = ()) -> tuple[str, Any]:
    """`("json", sorted compact JSON)` or `("raw", bytes)`; `ignore_paths` as in `Matcher`."""
    is_json, value = comparable(body, [tuple(p.split(".")) for p in ignore_paths])
    if is_json:
        return "json", json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "raw", value


def body_hash(body: bytes | None, ignore: Sequence[Path]) -> bytes:
    """128 bits of the canonical body: equal exactly when `canonical_body` is (collisions
    aside, at 2**-64 odds for billions of bodies), and 16 bytes however large the body."""
    is_json, value = comparable(body, ignore)
    if not is_json:
        return b"r" + blake2b(value, digest_size=16).digest()
    # ASCII escapes: the same equality as canonical_body's text, and lone surrogates encode.
    return b"j" + blake2b(_text(value).encode(), digest_size=16).digest()
