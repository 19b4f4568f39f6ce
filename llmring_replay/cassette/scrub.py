"""Secret scrubbing: credentials never reach disk.

Three layers, all applied by `Cassette.save`:

1. `scrub_interaction` removes credential headers (`CREDENTIAL_HEADERS`, from requests and
   responses alike) and credential query parameters (`SECRET_QUERY_PARAMS`, e.g. Gemini's
   `key=`). Request ids (`request-id`, `x-request-id`) are kept: they are not secrets, and
   they are what a provider's support asks for.
2. It also replaces every known secret *value* wherever it appears (URL, any header, request
   and response bodies) with a placeholder: the values of `KEY_ENV_VARS` (`<OPENAI_API_KEY>`
   ...) and any extra secrets the caller passes (`<SECRET>`). Values shorter than
   `MIN_SECRET_LENGTH` are ignored, so `OLLAMA_API_KEY=x` cannot rewrite every "x".
   A secret streamed in pieces (a server echoing the key as text, 10 characters a frame)
   is found in the *decoded* text of the stream (`decoded.fragments`): the frame where it
   starts gets the placeholder, the frames it runs on into lose their piece of it, so the
   replayed text reads as if the key had come whole and was redacted (`redact_pieces`).
3. `guard_document` is the last check before a write: if any string in the document still
   looks like a real key (`find_secret`), the write is refused with `CassetteSecretError`
   naming the file and the place, never the secret. `guard_interaction` checks the decoded
   text of each stream the same way, for known values and key shapes split across frames.

The key patterns are strict so that ids and ordinary text pass: a key must stand alone (not
preceded by a letter, digit, `_`, `-`, `+` or `/`, so it is not the middle of an id or of
base64), and its random part must be long and mix upper case, lower case and digits, which
`chatcmpl-...`, `msg_...`, kebab-case names and English never do.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from typing import Any, NamedTuple

from llmring_replay.cassette.model import Interaction
from llmring_replay.exceptions import CassetteSecretError

__all__ = [
    "CREDENTIAL_HEADERS",
    "KEY_ENV_VARS",
    "MIN_SECRET_LENGTH",
    "SECRET_QUERY_PARAMS",
    "SecretMatch",
    "StreamRedactor",
    "find_secret",
    "guard_document",
    "guard_interaction",
    "known_secrets",
    "redact",
    "redact_cumulative",
    "redact_pieces",
    "scrub_headers",
    "scrub_interaction",
    "scrub_url",
]

CREDENTIAL_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "x-api-key",
        "x-goog-api-key",
        "api-key",
        "cookie",
        "set-cookie",
        "openai-organization",
        "openai-project",
        "anthropic-organization-id",
    }
)
SECRET_QUERY_PARAMS = frozenset({"key", "api_key", "apikey", "api-key", "access_token"})
KEY_ENV_VARS = (
    "OPENAI_API_KEY",
    "ANTHROPIC_API_KEY",
    "GEMINI_API_KEY",
    "GOOGLE_API_KEY",
    "OLLAMA_API_KEY",
)
MIN_SECRET_LENGTH = 8

_EDGE = r"(?<![A-Za-z0-9_+/-])"
_KEY_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("Anthropic key", re.compile(_EDGE + r"sk-ant-[a-z]+[0-9]*-([A-Za-z0-9_-]{32,})")),
    ("OpenAI key", re.compile(_EDGE + r"sk-(?:proj-|svcacct-|admin-|None-)?([A-Za-z0-9_-]{32,})")),
    ("Google API key", re.compile(_EDGE + r"AIza([0-9A-Za-z_-]{35})(?![0-9A-Za-z_-])")),
)
_MIXED = (re.compile(r"[a-z]"), re.compile(r"[A-Z]"), re.compile(r"[0-9]"))


class SecretMatch(NamedTuple):
    """Where a key-shaped string is (never the string itself, so it cannot be printed)."""

    kind: str
    start: int
    end: int


def find_secret(text: str) -> SecretMatch | None:
    """The first string shaped like an OpenAI, Anthropic or Google API key, or None."""
    if "sk-" not in text and "AIza" not in text:
        return None  # the common case, and much faster than the regexes
    for kind, pattern in _KEY_PATTERNS:
        for match in pattern.finditer(text):
            random_part = match.group(1)
            if all(test.search(random_part) for test in _MIXED):
                return SecretMatch(kind, match.start(), match.end())
    return None


def known_secrets(extra: Iterable[str] = ()) -> dict[str, str]:
    """Secret value -> placeholder: the key env vars that are set, then `extra`."""
    secrets: dict[str, str] = {}
    for name in KEY_ENV_VARS:
        value = os.environ.get(name, "").strip()
        if len(value) >= MIN_SECRET_LENGTH:
            secrets.setdefault(value, f"<{name}>")
    for value in extra:
        if len(value) >= MIN_SECRET_LENGTH:
            secrets.setdefault(value, "<SECRET>")
    return secrets


def redact(text: str, secrets: dict[str, str]) -> str:
    """`text` with each secret value (`known_secrets`) replaced by its placeholder."""
    for value, placeholder in secrets.items():
        if value in text:
            text = text.replace(value, placeholder)
    return text


def _redact_bytes(data: bytes, secrets: dict[str, str]) -> bytes:
    for value, placeholder in secrets.items():
        raw = value.encode("utf-8")
        if raw in data:
            data = data.replace(raw, placeholder.encode("utf-8"))
    return data


def scrub_url(url: str, secrets: Iterable[str] | dict[str, str] = ()) -> str:
    """`url` without credentials (user info, credential query parameters) and with known
    secret values redacted.

    The other parameters keep their order and spelling. Matching uses this too, so a
    recording and a replay with different keys still match.
    """
    values = secrets if isinstance(secrets, dict) else known_secrets(secrets)
    url = _without_userinfo(url)
    base, question, rest = url.partition("?")
    if question:
        query, hash_mark, fragment = rest.partition("#")
        kept = [part for part in query.split("&") if not _is_secret_param(part)]
        url = base + ("?" + "&".join(kept) if kept else "") + hash_mark + fragment
    return redact(url, values)


def _without_userinfo(url: str) -> str:
    """`scheme://user:password@host/...` -> `scheme://host/...` (a proxy's basic auth)."""
    scheme, separator, rest = url.partition("://")
    if not separator:
        return url
    authority, slash, path = rest.partition("/")
    if "@" not in authority:
        return url
    return f"{scheme}://{authority.rsplit('@', 1)[1]}{slash}{path}"


def _is_secret_param(part: str) -> bool:
    from urllib.parse import unquote_plus

    return unquote_plus(part.partition("=")[0]).strip().lower() in SECRET_QUERY_PARAMS


def scrub_headers(
    headers: dict[str, list[str]], secrets: Iterable[str] | dict[str, str] = ()
) -> dict[str, list[str]]:
    """A copy of `headers` without credential headers and with secret values redacted."""
    values = secrets if isinstance(secrets, dict) else known_secrets(secrets)
    return {
        name: [redact(value, values) for value in items]
        for name, items in headers.items()
        if name.lower() not in CREDENTIAL_HEADERS
    }


def scrub_interaction(interaction: Interaction, secrets: Iterable[str] = ()) -> Interaction:
    """A scrubbed copy of `interaction` (see the module docstring); the input is unchanged."""
    values = known_secrets(secrets)
    request, response = interaction.request, interaction.response
    body, sizes, offsets = _scrub_response_body(
        response.body, response.sizes, response.offsets, values
    )
    scrubbed = replace(
        interaction,
        request=replace(
            request,
            uri=scrub_url(request.uri, values),
            headers=scrub_headers(request.headers, values),
            body=None if request.body is None else _redact_bytes(request.body, values),
        ),
        response=replace(
            response,
            headers=scrub_headers(response.headers, values),
            body=body,
            sizes=sizes,
            offsets=offsets,
        ),
    )
    return _scrub_split_secrets(scrubbed, values) if values else scrubbed


def redact_pieces(pieces: Sequence[str], secrets: dict[str, str]) -> list[str]:
    """`pieces` of one text (a stream's deltas, frame by frame) with every secret value found
    in the *joined* text replaced by its placeholder: in the piece where the value starts,
    and taken out of the pieces it runs on into. The pieces keep their number."""
    joined = "".join(pieces)
    spans: list[tuple[int, int, str]] = []
    for value, placeholder in secrets.items():
        start = joined.find(value)
        while start >= 0:
            spans.append((start, start + len(value), placeholder))
            start = joined.find(value, start + len(value))
    if not spans:
        return list(pieces)
    spans.sort()
    merged = [spans[0]]
    for start, end, placeholder in spans[1:]:
        if start < merged[-1][1]:  # overlapping values: one placeholder for both
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]), merged[-1][2])
        else:
            merged.append((start, end, placeholder))
    result, offset = [], 0
    for piece in pieces:
        low, high = offset, offset + len(piece)
        kept, position = [], low
        for start, end, placeholder in merged:
            if end <= low or start >= high:
                continue
            kept.append(joined[position : max(start, low)])
            if start >= low:
                kept.append(placeholder)
            position = min(end, high)
        kept.append(joined[position:high])
        result.append("".join(kept))
        offset = high
    return result


def redact_cumulative(values: Sequence[str | None], secrets: dict[str, str]) -> list[str | None]:
    """`values` of one growing text (a tool call's arguments, each chunk holding all of them
    so far; `None` where a chunk has none) redacted as a replayed scrubbed stream gives them:
    each is the joined `redact_pieces` of what the values before it added. A value that does
    not extend the one before is redacted on its own."""
    added: list[str | None] = []
    before = ""
    for value in values:
        if value is None or not value.startswith(before):
            added.append(None)
        else:
            added.append(value[len(before) :])
        before = value if value is not None else before
    redacted = redact_pieces([piece or "" for piece in added], secrets)
    result: list[str | None] = []
    joined = ""
    for value, piece, new in zip(values, added, redacted, strict=True):
        if value is None:
            result.append(None)
        elif piece is None:
            joined = redact(value, secrets)
            result.append(joined)
        else:
            joined += new
            result.append(joined)
    return result


class StreamRedactor:
    """Known secret values taken out of a text that is printed as it arrives, in pieces.

    `feed` returns what can be shown now: the text so far minus the end that may still grow
    into a secret, which is held back until the next piece says (a key streamed in pieces
    becomes its placeholder, never a fragment). `flush` returns what was held at the end.
    """

    def __init__(self, secrets: dict[str, str]) -> None:
        self.secrets = secrets
        self._held = ""

    def feed(self, text: str) -> str:
        """The part of `text` (after what was held) that can be shown, redacted."""
        if not self.secrets:
            return text
        buffer = redact(self._held + text, self.secrets)
        keep = max((_partial(buffer, value) for value in self.secrets), default=0)
        self._held = buffer[len(buffer) - keep :] if keep else ""
        return buffer[: len(buffer) - keep]

    def flush(self) -> str:
        """What was held back: the end of the text, which no secret completed."""
        held, self._held = self._held, ""
        return held


def _partial(text: str, value: str) -> int:
    """The length of the longest end of `text` that begins `value` (but is not all of it)."""
    for size in range(min(len(value) - 1, len(text)), 0, -1):
        if text.endswith(value[:size]):
            return size
    return 0


def _scrub_split_secrets(interaction: Interaction, values: dict[str, str]) -> Interaction:
    """Redact known secrets that only the decoded stream holds whole (module docstring)."""
    from llmring_replay.cassette.decoded import channels, fragments

    pieces = fragments(interaction)
    if pieces is None:
        return interaction
    frames = interaction.response.pieces()
    changed = False
    for channel in channels(pieces).values():
        redacted = redact_pieces(channel, values)
        for index, (old, new) in enumerate(zip(channel, redacted, strict=True)):
            if old != new:
                frames[index] = _rewrite(frames[index], old, new)
                changed = True
    if not changed:
        return interaction
    response = replace(interaction.response, body=b"".join(frames))
    return replace(interaction, response=response)


def _rewrite(frame: bytes, old: str, new: str) -> bytes:
    """`frame` with the JSON string `old` replaced by `new`, as the provider escaped it.

    When `old` is not in the frame as one JSON string (two pieces of one channel in one
    frame, an escaping we do not know) the frame is left as it is: `guard_interaction`
    then refuses the write, which is what must happen to a secret we could not take out.
    """
    for ascii_only in (False, True):
        quoted = json.dumps(old, ensure_ascii=ascii_only).encode("utf-8")
        if quoted in frame:
            return frame.replace(quoted, json.dumps(new, ensure_ascii=ascii_only).encode("utf-8"))
    return frame


def _scrub_response_body(
    body: bytes, sizes: list[int] | None, offsets: list[float] | None, values: dict[str, str]
) -> tuple[bytes, list[int] | None, list[float] | None]:
    """Redact the body; raw reads (`sizes`) are redacted read by read to keep their sizes
    right, and a secret split across reads collapses them into one (the last offset)."""
    if not any(value.encode("utf-8") in body for value in values):
        return body, sizes, offsets
    if sizes is None:
        return _redact_bytes(body, values), sizes, offsets
    pieces, position = [], 0
    for size in sizes:
        pieces.append(_redact_bytes(body[position : position + size], values))
        position += size
    pieces.append(_redact_bytes(body[position:], values))
    joined = b"".join(pieces)
    if _redact_bytes(joined, values) == joined:
        return joined, [len(piece) for piece in pieces if piece], offsets
    whole = _redact_bytes(joined, values)
    return whole, [len(whole)], offsets[-1:] if offsets else offsets


def _strings(value: Any, place: str) -> Iterator[tuple[str, str]]:
    """Every string in a document (keys included), with its place."""
    if isinstance(value, str):
        yield place, value
    elif isinstance(value, bytes):
        yield place, value.decode("latin-1")
    elif isinstance(value, dict):
        for key, item in value.items():
            child = f"{place}.{key}" if place else str(key)
            yield from _strings(key, child)
            yield from _strings(item, child)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _strings(item, f"{place}[{index}]")


def guard_interaction(
    interaction: Interaction, path: str, place: str, secrets: Iterable[str] = ()
) -> None:
    """Refuse (raise `CassetteSecretError`) if the decoded text of the interaction's stream
    holds a known secret or a string shaped like a key, even one split across frames."""
    from llmring_replay.cassette.decoded import channels, fragments

    pieces = fragments(interaction)
    if pieces is None:
        return
    values = known_secrets(secrets)
    for name, channel in channels(pieces).items():
        text = "".join(channel)
        if any(value in text for value in values):
            kind = "a known secret value"
        else:
            found = find_secret(text)
            if found is None:
                continue
            kind = f"a string shaped like an API key ({found.kind})"
        raise CassetteSecretError(
            f"refusing to write {path}: {kind} is still present in the decoded {name} of "
            f"{place}, split across its frames; scrub it first (e.g. pass it in `secrets=`) "
            "or remove it from the recording",
            path,
            place,
        )


def guard_document(document: Any, path: str) -> None:
    """Refuse (raise `CassetteSecretError`) if anything in `document` looks like an API key."""
    for place, text in _strings(document, ""):
        found = find_secret(text)
        if found is not None:
            raise CassetteSecretError(
                f"refusing to write {path}: a string shaped like an API key ({found.kind}) is "
                f"still present at {place} (characters {found.start}-{found.end}); scrub it first "
                "(e.g. pass it in `secrets=`) or remove it from the recording",
                path,
                place,
            )
