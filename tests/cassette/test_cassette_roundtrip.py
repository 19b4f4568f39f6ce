"""Save then load gives back the same cassette, bodies byte for byte, in a readable file."""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path

import pytest
import yaml

from llmring_replay.cassette import (
    Cassette,
    Interaction,
    RecordedRequest,
    RecordedResponse,
)

OPENAI_URL = "https://api.openai.com/v1/chat/completions"
GEMINI_URL = (
    "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash"
    ":streamGenerateContent?alt=sse"
)
SSE = (
    'data: {"id":"chatcmpl-1","choices":[{"delta":{"content":"Olá"}}]}\n\n'
    'data: {"id":"chatcmpl-1","choices":[{"delta":{"content":"!"}}]}\n\n'
    "data: [DONE]\n\n"
).encode()


def interaction(
    body: bytes,
    content_type: str = "text/event-stream",
    *,
    request_body: bytes | None = b'{"model":"gpt-4o-mini","stream":true}',
    offsets: list[float] | None = None,
    status: int = 200,
    url: str = OPENAI_URL,
) -> Interaction:
    """One interaction with the given response body (offsets default to one per frame)."""
    response = RecordedResponse(status, "OK", {"content-type": [content_type]}, body)
    if offsets is None:
        offsets = [0.2 + 0.01 * i for i in range(len(response.pieces()))]
    response.offsets = offsets
    return Interaction(
        RecordedRequest("POST", url, {"content-type": ["application/json"]}, request_body),
        response,
        provider="openai",
        model="gpt-4o-mini",
        recorded_at="2026-11-24T10:00:00Z",
    )


def round_trip(tmp_path: Path, *items: Interaction) -> tuple[Cassette, Cassette, str]:
    """Save a cassette of `items`, load it back; also return the file's text."""
    original = Cassette(tmp_path / "c.yaml", list(items))
    original.save()
    loaded = Cassette.load(original.path or "")
    return original, loaded, (tmp_path / "c.yaml").read_text(encoding="utf-8")


BODIES = {
    "sse": (SSE, "text/event-stream"),
    "crlf-sse": (b'data: {"a":1}\r\n\r\ndata: {"a":2}\r\n\r\n', "text/event-stream"),
    "mixed-line-ends": (b"data: 1\r\n\r\ndata: 2\n\n", "text/event-stream"),
    "lone-cr": (b"data: 1\r\rdata: 2\r\r", "text/event-stream"),
    "not-utf8": (b"\x1f\x8b\x08\x00\xff\xfe binary \x80\x81", "application/octet-stream"),
    "trailing-spaces": (b"data: x   \n\ndata: y \n\n", "text/event-stream"),
    "padding-in-json": (b'data: {"type":"ping"}        \n\n', "text/event-stream"),
    "empty": (b"", "text/event-stream"),
    "json-error": (b'{"error":{"message":"Invalid key","code":401}}', "application/json"),
    "json-error-pretty": (b'{\n  "error": {\n    "code": 429\n  }\n}\n', "application/json"),
    "ndjson-no-final-newline": (b'{"done":false}\n{"done":true}', "application/x-ndjson"),
    "control-chars": (b"data: \x00\x07\x1b[0m\t\x7f\n\n", "text/event-stream"),
    "yaml-lookalike": (b"- not: a list\n? no\n--- !!python/object x\n", "text/plain"),
    "leading-space-and-newlines": (b"  indented\n\n\n", "text/plain"),
    "unicode-line-separators": ("a\u2028b\u2029c\x85d\ufeffe\n".encode(), "text/plain"),
    "only-newlines": (b"\n\n", "text/plain"),
}


@pytest.mark.parametrize("name", sorted(BODIES))
def test_response_bodies_round_trip_byte_for_byte(tmp_path: Path, name: str) -> None:
    body, content_type = BODIES[name]
    original, loaded, _ = round_trip(tmp_path, interaction(body, content_type))
    assert loaded.interactions[0].response.body == body
    assert loaded == original


def test_whole_cassette_equals_after_round_trip(tmp_path: Path) -> None:
    items = [interaction(body, content_type) for body, content_type in BODIES.values()]
    original, loaded, _ = round_trip(tmp_path, *items)
    assert loaded == original
    assert loaded.provenance.library_version
    assert loaded.provenance.recorded_at


def test_random_bodies_round_trip(tmp_path: Path) -> None:
    # A cheap property test: strings built from the characters YAML is touchy about.
    alphabet = [
        "a", " ", "\n", "\r", "\t", "\x85", "\u2028", "\ufeff", "é", "\x00", '"', "'", "#",
        ": ", "- ", "|", ">", "{", "}", "\\", "😀", "\x7f", "\xa0", "\n\n", "data: ", "  ",
    ]  # fmt: skip
    rng = random.Random(1234)
    bodies = [
        "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 24))).encode()
        for _ in range(300)
    ]
    items = [interaction(body, "text/plain", request_body=body or None) for body in bodies]
    _, loaded, _ = round_trip(tmp_path, *items)
    assert [item.response.body for item in loaded.interactions] == bodies
    assert [item.request.body for item in loaded.interactions] == [b or None for b in bodies]


def test_sse_is_a_readable_literal_block(tmp_path: Path) -> None:
    _, _, text = round_trip(tmp_path, interaction(SSE))
    assert "      string: |" in text
    assert '        data: {"id":"chatcmpl-1","choices":[{"delta":{"content":"Olá"}}]}\n' in text
    assert "content-type: [text/event-stream]" in text


def test_crlf_body_is_stored_readable_with_a_marker(tmp_path: Path) -> None:
    body = b'data: {"candidates":[]}\r\n\r\ndata: {"candidates":[1]}\r\n\r\n'
    _, loaded, text = round_trip(tmp_path, interaction(body, url=GEMINI_URL))
    assert "newline: crlf" in text
    assert '        data: {"candidates":[]}\n' in text
    assert "\\r" not in text
    assert loaded.interactions[0].response.body == body


def test_non_utf8_body_is_binary(tmp_path: Path) -> None:
    _, _, text = round_trip(tmp_path, interaction(b"\xff\xfe\x00", "application/octet-stream"))
    assert "string: !!binary" in text


def test_gzip_decompressed_body_round_trips(tmp_path: Path) -> None:
    body = gzip.decompress(gzip.compress(b'{"error":{"type":"not_found_error"}}'))
    original, loaded, _ = round_trip(tmp_path, interaction(body, "application/json", status=404))
    assert loaded == original


def test_offsets_are_one_line_of_milliseconds(tmp_path: Path) -> None:
    item = interaction(SSE, offsets=[0.21234, 0.25, 1.5])
    _, loaded, text = round_trip(tmp_path, item)
    assert "    offsets: 212.34 250 1500\n" in text
    assert loaded.interactions[0].response.offsets == [0.21234, 0.25, 1.5]
    assert loaded.interactions[0].timing_synthesized is False


def test_synthesized_timing_is_flagged_in_the_file(tmp_path: Path) -> None:
    item = interaction(SSE)
    item.response.offsets = None
    item.timing_synthesized = True
    _, loaded, text = round_trip(tmp_path, item)
    assert "timing: synthesized" in text
    assert loaded.interactions[0].timing_synthesized is True
    assert loaded.interactions[0].response.offsets is None


def test_raw_read_sizes_round_trip(tmp_path: Path) -> None:
    item = interaction(b"0123456789", "application/json", offsets=[0.1, 0.2])
    item.response.sizes = [3, 7]
    _, loaded, text = round_trip(tmp_path, item)
    assert "sizes: 3 7" in text
    assert loaded.interactions[0].response.frames() == [(0.1, b"012"), (0.2, b"3456789")]


REQUEST_BODIES = {
    "compact": json.dumps({"model": "m", "messages": [{"content": "é"}]}, separators=(",", ":")),
    "python-default": json.dumps({"model": "m", "n": [1, 2]}),
    "ascii-escaped": json.dumps({"content": "Olá"}),
    "compact-ascii": json.dumps({"content": "Olá"}, separators=(",", ":")),
    "trailing-newline": '{"a":1}\n',
    "already-pretty": json.dumps({"a": [1]}, indent=2) + "\n",
    "odd-spacing": '{ "a" :1,"b":  2 }',
    "float-forms": '{"t":1.0,"u":1e5,"v":-0.0}',
    "duplicate-keys": '{"a":1,"a":2}',
    "scalar-json": "42",
    "not-json": "name=value&x=1",
    "form-with-newlines": "line one\nline two\n",
}


@pytest.mark.parametrize("name", sorted(REQUEST_BODIES))
def test_request_bodies_round_trip_exactly(tmp_path: Path, name: str) -> None:
    body = REQUEST_BODIES[name].encode()
    _, loaded, _ = round_trip(tmp_path, interaction(SSE, request_body=body))
    assert loaded.interactions[0].request.body == body


def test_json_request_bodies_are_shown_pretty(tmp_path: Path) -> None:
    body = b'{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}]}'
    _, loaded, text = round_trip(tmp_path, interaction(SSE, request_body=body))
    assert '    body: |\n      {\n        "model": "gpt-4o-mini",\n' in text
    assert "request_body: compact\n" in text
    assert loaded.interactions[0].request.body == body


def test_no_request_body_round_trips_as_null(tmp_path: Path) -> None:
    _, loaded, text = round_trip(tmp_path, interaction(SSE, request_body=None))
    assert loaded.interactions[0].request.body is None
    assert "    body: null\n" in text


def test_file_is_plain_yaml_with_provenance(tmp_path: Path) -> None:
    _, _, text = round_trip(tmp_path, interaction(SSE))
    document = yaml.safe_load(text)
    assert document["version"] == 1
    assert document["llmring_replay"]["format"] == 1
    meta = document["interactions"][0]["llmring_replay"]
    assert (meta["provider"], meta["model"]) == ("openai", "gpt-4o-mini")
    assert set(document["interactions"][0]["request"]) == {"method", "uri", "body", "headers"}
