"""Reading cassettes: our format, and the foreign recordings `Cassette.load` also accepts.

The flavour is told from the content, never from the file name:

| flavour            | how it is recognised                            | `imported_from` |
|--------------------|-------------------------------------------------|-----------------|
| ours               | a top-level `llmring_replay` mapping            | (none)          |
| httprr             | the file starts with `httprr trace v1`          | `httprr`        |
| Ruby VCR           | a top-level `http_interactions` list            | `ruby-vcr`      |
| go-vcr (v2)        | `interactions[].request.url` instead of `uri`   | `go-vcr`        |
| vcrpy, pydantic-ai | `interactions[].request.uri` (+ `parsed_body`)  | `vcrpy`         |

Every imported interaction is normalised the same way: header names lowercased, the body
de-chunked (httprr) and decompressed (`gzip`/`deflate`, e.g. vcrpy's `!!binary` gzip bodies),
the provider and model guessed from the URL and request body, `recorded_at` taken from the
recorder (Ruby VCR) or the response's `date` header, and the timing synthesized and flagged
(`timing_synthesized`), since none of these recorders keep the arrival time of each frame.
"""

from __future__ import annotations

import base64
import binascii
import re
from pathlib import Path
from typing import Any

from llmring_replay.cassette.model import (
    Cassette,
    Interaction,
    Provenance,
    RecordedRequest,
    RecordedResponse,
)
from llmring_replay.cassette.normalize import (
    decode_body,
    first_header,
    guess_model,
    guess_provider,
    header_dict,
    iso_time,
)
from llmring_replay.cassette.reader import Place, Reader, url_problem
from llmring_replay.cassette.schema import read_document, read_interaction
from llmring_replay.cassette.yamlio import YAMLSyntaxError, load_yaml
from llmring_replay.exceptions import CassetteFormatError, CassetteNotFoundError

__all__ = ["HTTPRR_MAGIC", "dechunk", "read_cassette", "read_httprr"]

HTTPRR_MAGIC = b"httprr trace v1\n"


def read_cassette(path: Path) -> Cassette:
    """Load the cassette at `path`, whatever its flavour (see the module docstring)."""
    try:
        source = path.read_bytes()
    except FileNotFoundError:
        raise CassetteNotFoundError(f"{path}: no such cassette", str(path)) from None
    except OSError as exc:
        raise CassetteFormatError(f"{path}: cannot read: {exc}", str(path)) from exc
    if not source.strip():
        # As vcrpy does: an empty file is a cassette still to be recorded.
        raise CassetteNotFoundError(f"{path}: the cassette is empty", str(path))
    if source.startswith(HTTPRR_MAGIC):
        cassette = read_httprr(source, str(path))
    else:
        try:
            document = load_yaml(_text(source))
        except YAMLSyntaxError as exc:
            where = f"line {exc.line}, column {exc.column}" if exc.line else "unknown position"
            message = f"{path}:{exc.line or '?'}: not valid YAML: {exc.problem}"
            raise CassetteFormatError(message, str(path), where) from exc
        cassette = _read_yaml(Reader(str(path), source), document)
    cassette.path = path
    return cassette


def _text(source: bytes) -> str | bytes:
    # libyaml reads a str faster than bytes; other encodings (UTF-16 with a BOM) it detects.
    try:
        return source.decode("utf-8")
    except UnicodeDecodeError:
        return source


def _read_yaml(reader: Reader, document: Any) -> Cassette:
    document = reader.mapping(document, ())
    if "llmring_replay" in document:
        return read_document(reader, document)
    if "http_interactions" in document:
        items = reader.sequence(document["http_interactions"], ("http_interactions",))
        return _imported(
            "ruby-vcr",
            [_ruby(reader, raw, ("http_interactions", i)) for i, raw in enumerate(items)],
        )
    items = reader.sequence(document.get("interactions"), ("interactions",))
    if any(_is_go_vcr(item) for item in items):
        return _imported(
            "go-vcr", [_go_vcr(reader, raw, ("interactions", i)) for i, raw in enumerate(items)]
        )
    return _imported(
        "vcrpy", [read_interaction(reader, raw, ("interactions", i)) for i, raw in enumerate(items)]
    )


def _is_go_vcr(item: Any) -> bool:
    request = item.get("request") if isinstance(item, dict) else None
    return isinstance(request, dict) and "url" in request and "uri" not in request


def _imported(source: str, interactions: list[Interaction]) -> Cassette:
    normalized = [_normalized(item) for item in interactions]
    times = sorted(item.recorded_at for item in normalized if item.recorded_at)
    return Cassette(
        interactions=normalized,
        provenance=Provenance(recorded_at=times[0] if times else None, imported_from=source),
    )


def _normalized(interaction: Interaction) -> Interaction:
    request, response = interaction.request, interaction.response
    response.headers, response.body = decode_body(response.headers, response.body)
    if request.body == b"":
        request.body = None
    return Interaction(
        request=request,
        response=RecordedResponse(
            response.status, response.reason, response.headers, response.body
        ),
        provider=interaction.provider or guess_provider(request.uri),
        model=interaction.model or guess_model(request.uri, request.body),
        recorded_at=interaction.recorded_at or iso_time(first_header(response.headers, "date")),
        timing_synthesized=True,
    )


def _ruby_body(reader: Reader, raw: Any, place: Place) -> bytes | None:
    if raw is None or isinstance(raw, str | bytes):
        return reader.body(raw, place)
    body = reader.mapping(raw, place)
    if "base64_string" in body:
        try:
            return base64.b64decode(str(body["base64_string"]))
        except (binascii.Error, ValueError):
            reader.fail((*place, "base64_string"), "invalid base64")
    return reader.body(body.get("string"), (*place, "string"))


def _ruby(reader: Reader, raw: Any, place: Place) -> Interaction:
    item = reader.mapping(raw, place)
    request = reader.mapping(item.get("request"), (*place, "request"))
    response = reader.mapping(item.get("response"), (*place, "response"))
    status = reader.mapping(response.get("status"), (*place, "response", "status"))
    return Interaction(
        request=RecordedRequest(
            method=reader.text(request.get("method"), (*place, "request", "method")).upper(),
            uri=reader.uri(request.get("uri"), (*place, "request", "uri")),
            headers=reader.headers(request.get("headers"), (*place, "request", "headers")),
            body=_ruby_body(reader, request.get("body"), (*place, "request", "body")),
        ),
        response=RecordedResponse(
            status=reader.status(status.get("code"), (*place, "response", "status", "code")),
            reason=str(status.get("message") or ""),
            headers=reader.headers(response.get("headers"), (*place, "response", "headers")),
            body=_ruby_body(reader, response.get("body"), (*place, "response", "body")) or b"",
        ),
        recorded_at=iso_time(item.get("recorded_at")),
    )


def _go_vcr(reader: Reader, raw: Any, place: Place) -> Interaction:
    item = reader.mapping(raw, place)
    request = reader.mapping(item.get("request"), (*place, "request"))
    response = reader.mapping(item.get("response"), (*place, "response"))
    code = reader.status(response.get("code"), (*place, "response", "code"))
    status = str(response.get("status") or "")
    return Interaction(
        request=RecordedRequest(
            method=reader.text(request.get("method"), (*place, "request", "method")).upper(),
            uri=reader.uri(request.get("url"), (*place, "request", "url")),
            headers=reader.headers(request.get("headers"), (*place, "request", "headers")),
            body=reader.body(request.get("body"), (*place, "request", "body")),
        ),
        response=RecordedResponse(
            status=code,
            reason=status.removeprefix(str(code)).strip(),  # go-vcr writes "200 OK"
            headers=reader.headers(response.get("headers"), (*place, "response", "headers")),
            body=reader.body(response.get("body"), (*place, "response", "body")) or b"",
        ),
    )


# --- httprr ------------------------------------------------------------------------------

_BLANK_LINE = re.compile(rb"\r?\n\r?\n")
_LINE_END = re.compile(r"\r?\n")


def read_httprr(source: bytes, path: str) -> Cassette:
    """An `httprr trace v1` file: `<request bytes> <response bytes>\\n` then both messages.

    A last record shorter than it declares (a truncated copy) is read as far as it goes.
    """
    position = len(HTTPRR_MAGIC)
    interactions: list[Interaction] = []
    while position < len(source):
        place = f"record {len(interactions)} (byte {position})"
        end = source.find(b"\n", position)
        try:
            request_size, response_size = (int(n) for n in source[position:end].split())
        except ValueError:
            message = f"{path}: {place}: expected '<request bytes> <response bytes>'"
            raise CassetteFormatError(message, path, place) from None
        request = source[end + 1 : end + 1 + request_size]
        response = source[end + 1 + request_size : end + 1 + request_size + response_size]
        position = end + 1 + request_size + response_size
        try:
            interactions.append(_httprr_interaction(request, response))
        except (ValueError, IndexError) as exc:
            raise CassetteFormatError(f"{path}: {place}: {exc}", path, place) from exc
    return _imported("httprr", interactions)


def _message(data: bytes) -> tuple[list[str], dict[str, list[str]], bytes]:
    """Start line words, headers and body of one HTTP/1 message (CRLF or bare LF lines)."""
    blank = _BLANK_LINE.search(data)
    head, body = (data[: blank.start()], data[blank.end() :]) if blank else (data, b"")
    lines = _LINE_END.split(head.decode("latin-1"))
    if not lines[0].strip():
        raise ValueError("empty HTTP message")
    pairs = [line.partition(":") for line in lines[1:] if ":" in line]
    return (
        lines[0].split(" ", 2),
        header_dict((name, value.strip()) for name, _, value in pairs),
        body,
    )


def _httprr_interaction(request_data: bytes, response_data: bytes) -> Interaction:
    start, request_headers, request_body = _message(request_data)
    method, target = start[0], start[1]
    if not method:
        raise ValueError("the request line starts with no method")
    if target.startswith("/"):  # origin-form: the host comes from the Host header
        target = f"http://{first_header(request_headers, 'host')}{target}"
    problem = url_problem(target)
    if problem is not None:
        raise ValueError(problem)
    status_line, headers, body = _message(response_data)
    status = int(status_line[1])
    if not 100 <= status <= 599:  # what every loader of the converted cassette requires
        raise ValueError(f"expected an HTTP status (100-599), got {status}")
    if "chunked" in (first_header(headers, "transfer-encoding") or "").lower():
        body = dechunk(body)
        headers.pop("transfer-encoding", None)
    return Interaction(
        request=RecordedRequest(method.upper(), target, request_headers, request_body or None),
        response=RecordedResponse(
            status=status,
            reason=status_line[2] if len(status_line) > 2 else "",
            headers=headers,
            body=body,
        ),
    )


def dechunk(data: bytes) -> bytes:
    """Undo HTTP/1.1 chunked transfer coding; a truncated tail is kept as far as it goes."""
    pieces = []
    position = 0
    while position < len(data):
        end = data.find(b"\n", position)
        if end < 0:
            break
        size = int(data[position:end].split(b";")[0].strip() or b"0", 16)
        if size == 0:
            break
        pieces.append(data[end + 1 : end + 1 + size])
        position = end + 1 + size
        position += 2 if data.startswith(b"\r\n", position) else data.startswith(b"\n", position)
    return b"".join(pieces)
