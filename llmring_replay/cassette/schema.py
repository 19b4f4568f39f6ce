"""Our YAML format, a superset of vcrpy's, to and from the model.

```yaml
version: 1                              # vcrpy's format version
llmring_replay: {format: 1, library_version: 0.1.0, recorded_at: '2026-11-24T10:00:00Z'}
interactions:
- request:                              # exactly vcrpy's keys: vcrpy builds Request(**request)
    method: POST
    uri: https://api.openai.com/v1/chat/completions
    body: |                             # JSON shown pretty; see `request_body` below
      {...}
    headers:
      content-type: [application/json]  # lowercased names, list values
  response:
    status: {code: 200, message: OK}
    headers:
      content-type: [text/event-stream]
    body:
      newline: crlf                     # only for CRLF bodies, see below
      string: |+                        # exactly as received, decompressed
        data: {...}

  llmring_replay:                       # vcrpy reads only request and response: ignored
    provider: openai
    model: gpt-4o-mini
    recorded_at: '2026-11-24T10:00:01Z'
    request_body: compact               # how to restore the exact request bytes
    offsets: 212.5 230.01 251           # ms from request sent, one per frame, 0.01 ms steps
    sizes: 512 77                       # raw (non SSE/NDJSON) bodies only: bytes per read
    timing: synthesized                 # only when the offsets were made up
```

Exactness, body by body (`load(save(c)) == c`, byte for byte):
- A response body that is UTF-8 is a string: a literal block when YAML can hold it verbatim,
  else double quoted (the dumper decides, see `yamlio`). A body whose every line ends in CRLF
  (Gemini's `\\r\\n\\r\\n`) is stored with LF line ends and `newline: crlf`, and the CRs are put
  back on load; vcrpy, which ignores the marker, plays it with LF ends (still valid SSE).
  A body that is not UTF-8 is `!!binary`.
- A JSON request body is shown pretty (indent 2) when re-serializing it in one of a few known
  styles (`compact`: `{"a":1}`, `spaced`: `{"a": 1}`, each optionally `-ascii` escaped)
  gives back the exact bytes sent; `request_body` names the style (`+newline` when one
  LF followed the JSON). Anything else is stored as sent. Matching compares parsed JSON in
  any case, and so does vcrpy's body matcher.
"""

from __future__ import annotations

import json
from typing import Any

from llmring_replay.cassette.model import (
    FORMAT_VERSION,
    Cassette,
    Interaction,
    Provenance,
    RecordedRequest,
    RecordedResponse,
    offset_text,
)
from llmring_replay.cassette.reader import Place, Reader
from llmring_replay.cassette.writer import Flow, FlowMap

__all__ = [
    "JSON_STYLES",
    "cassette_to_document",
    "header_to_document",
    "interaction_to_dict",
    "read_document",
    "read_interaction",
    "read_request",
    "read_response",
]

JSON_STYLES: dict[str, dict[str, Any]] = {
    "compact": {"separators": (",", ":"), "ensure_ascii": False},
    "compact-ascii": {"separators": (",", ":"), "ensure_ascii": True},
    "spaced": {"separators": (", ", ": "), "ensure_ascii": False},
    "spaced-ascii": {"separators": (", ", ": "), "ensure_ascii": True},
}
_NEWLINE = "+newline"  # style suffix: the body ended with one "\n" after the JSON


def _dump_style(value: Any, style: str) -> str:
    base = style.removesuffix(_NEWLINE)
    return json.dumps(value, **JSON_STYLES[base]) + ("\n" if style.endswith(_NEWLINE) else "")


def read_interaction(reader: Reader, raw: Any, place: Place) -> Interaction:
    """One interaction in our format (vcrpy's plus the `llmring_replay` mapping)."""
    item = reader.mapping(raw, place)
    meta = reader.mapping(item.get("llmring_replay", {}), (*place, "llmring_replay"))
    request = read_request(reader, item.get("request"), (*place, "request"))
    style = meta.get("request_body")
    if style is not None:
        request.body = _restore_json(reader, request.body, style, (*place, "request", "body"))
    response = read_response(reader, item.get("response"), (*place, "response"))
    where = (*place, "llmring_replay")
    if "offsets" in meta:
        response.offsets = reader.offsets(meta["offsets"], (*where, "offsets"))
    if "sizes" in meta:
        response.sizes = reader.sizes(meta["sizes"], (*where, "sizes"))
    return Interaction(
        request=request,
        response=response,
        provider=reader.optional_text(meta.get("provider"), (*where, "provider")),
        model=reader.optional_text(meta.get("model"), (*where, "model")),
        recorded_at=reader.optional_text(meta.get("recorded_at"), (*where, "recorded_at")),
        timing_synthesized=meta.get("timing") == "synthesized",
    )


def read_request(reader: Reader, raw: Any, place: Place) -> RecordedRequest:
    """A vcrpy request mapping; pydantic-ai's `parsed_body` is accepted for `body`."""
    request = reader.mapping(raw, place)
    if "parsed_body" in request:
        body: bytes | None = _compact_json(reader, request["parsed_body"], (*place, "parsed_body"))
    else:
        body = reader.body(request.get("body"), (*place, "body"))
    return RecordedRequest(
        method=reader.text(request.get("method"), (*place, "method")).upper(),
        uri=reader.uri(request.get("uri", request.get("url")), (*place, "uri")),
        headers=reader.headers(request.get("headers"), (*place, "headers")),
        body=body,
    )


def read_response(reader: Reader, raw: Any, place: Place) -> RecordedResponse:
    """A vcrpy response mapping; pydantic-ai's `parsed_body` is accepted for `body`."""
    response = reader.mapping(raw, place)
    status = response.get("status")
    if isinstance(status, dict):
        code = reader.status(status.get("code"), (*place, "status", "code"))
        reason = reader.optional_text(status.get("message"), (*place, "status", "message"))
    else:
        code, reason = reader.status(status, (*place, "status")), ""
    if "parsed_body" in response:
        body = _compact_json(reader, response["parsed_body"], (*place, "parsed_body"))
    else:
        body = _response_body(reader, response.get("body"), (*place, "body"))
    return RecordedResponse(
        status=code,
        reason=reason or "",
        headers=reader.headers(response.get("headers"), (*place, "headers")),
        body=body,
    )


def _response_body(reader: Reader, raw: Any, place: Place) -> bytes:
    if not isinstance(raw, dict):  # some recorders write the body string directly
        return reader.body(raw, place) or b""
    body = reader.body(raw.get("string"), (*place, "string")) or b""
    if raw.get("newline") == "crlf":
        body = body.replace(b"\n", b"\r\n")
    return body


def _compact_json(reader: Reader, value: Any, place: Place) -> bytes:
    try:
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:  # a date, !!binary, a list as a key, .nan
        return reader.fail(place, f"not a JSON value: {exc}")
    return text.encode("utf-8")


def _restore_json(reader: Reader, body: bytes | None, style: Any, place: Place) -> bytes | None:
    if not isinstance(style, str) or style.removesuffix(_NEWLINE) not in JSON_STYLES:
        reader.fail(place, f"unknown request_body style {style!r}")
    if body is None:
        return None
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError):  # not JSON, or nested past the parser's limit
        return reader.fail(place, f"request_body: {style} but the body is not JSON")
    return _dump_style(parsed, style).encode("utf-8")


# --- writing -----------------------------------------------------------------------------


def _request_body_out(body: bytes | None) -> tuple[str | bytes | None, str | None]:
    """The body as stored and the `request_body` style that restores it (None: as stored)."""
    if body is None:
        return None, None
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return body, None
    try:
        parsed = json.loads(text)
    except (ValueError, RecursionError):
        return text, None
    if not isinstance(parsed, dict | list):
        return text, None
    pretty = json.dumps(parsed, indent=2, ensure_ascii=False) + "\n"
    if pretty == text:
        return text, None
    suffix = _NEWLINE if text.endswith("\n") else ""
    for name in JSON_STYLES:
        if _dump_style(parsed, name + suffix) == text:
            return pretty, name + suffix
    return text, None


def _response_body_out(body: bytes) -> dict[str, Any]:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return {"string": body}
    if "\r\n" in text and text.count("\n") == text.count("\r\n"):
        unix = text.replace("\r\n", "\n")
        if "\r" not in unix:
            return {"newline": "crlf", "string": unix}
    return {"string": text}


def interaction_to_dict(interaction: Interaction) -> dict[str, Any]:
    """One interaction as plain data for the dumper."""
    request, response = interaction.request, interaction.response
    body, style = _request_body_out(request.body)
    meta: dict[str, Any] = {
        "provider": interaction.provider,
        "model": interaction.model,
        "recorded_at": interaction.recorded_at,
        "request_body": style,
    }
    if response.offsets is not None:
        meta["offsets"] = " ".join(offset_text(offset) for offset in response.offsets)
    if response.sizes is not None:
        meta["sizes"] = " ".join(str(size) for size in response.sizes)
    if interaction.timing_synthesized:
        meta["timing"] = "synthesized"
    return {
        "request": {
            "method": request.method,
            "uri": request.uri,
            "body": body,
            "headers": {name: Flow(values) for name, values in request.headers.items()},
        },
        "response": {
            "status": FlowMap(code=response.status, message=response.reason),
            "headers": {name: Flow(values) for name, values in response.headers.items()},
            "body": _response_body_out(response.body),
        },
        "llmring_replay": {key: value for key, value in meta.items() if value is not None},
    }


def header_to_document(provenance: Provenance) -> dict[str, Any]:
    """What comes before the interactions, as plain data for the dumper."""
    header: dict[str, Any] = {
        "format": FORMAT_VERSION,
        "library_version": provenance.library_version,
        "recorded_at": provenance.recorded_at,
        "imported_from": provenance.imported_from,
    }
    return {
        "version": 1,
        "llmring_replay": {key: value for key, value in header.items() if value is not None},
    }


def cassette_to_document(cassette: Cassette) -> dict[str, Any]:
    """The whole cassette as plain data for the dumper."""
    return {
        **header_to_document(cassette.provenance),
        "interactions": [interaction_to_dict(item) for item in cassette.interactions],
    }


def read_document(reader: Reader, document: dict[Any, Any]) -> Cassette:
    """A parsed document in our format (its top-level `llmring_replay` mapping present)."""
    header = reader.mapping(document["llmring_replay"], ("llmring_replay",))
    fmt = reader.integer(header.get("format", FORMAT_VERSION), ("llmring_replay", "format"))
    if fmt > FORMAT_VERSION:
        reader.fail(
            ("llmring_replay", "format"),
            f"format {fmt} was written by a newer llmring-replay; this one reads {FORMAT_VERSION}",
        )
    items = reader.sequence(document.get("interactions"), ("interactions",))
    return Cassette(
        interactions=[
            read_interaction(reader, raw, ("interactions", i)) for i, raw in enumerate(items)
        ],
        provenance=Provenance(
            format=fmt,
            library_version=reader.optional_text(
                header.get("library_version"), ("llmring_replay",)
            ),
            recorded_at=reader.optional_text(header.get("recorded_at"), ("llmring_replay",)),
            imported_from=reader.optional_text(header.get("imported_from"), ("llmring_replay",)),
        ),
    )
