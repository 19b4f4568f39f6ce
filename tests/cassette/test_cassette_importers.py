"""Foreign recordings load into the model: vcrpy, pydantic-ai, gzip, go-vcr, Ruby VCR, httprr."""

from __future__ import annotations

import base64
import gzip
import json
from pathlib import Path

import pytest

from llmring_replay.cassette import Cassette
from llmring_replay.cassette.importers import dechunk
from llmring_replay.cassette.normalize import guess_model, guess_provider

VCRPY = """\
interactions:
- request:
    body: '{"model": "llama3", "messages": [{"role": "user", "content": "Hi"}], "stream":
      true}'
    headers:
      Content-Type:
      - application/json
    method: POST
    uri: http://localhost:11434/api/chat
  response:
    body:
      string: '{"message":{"content":"He"},"done":false}

        {"message":{"content":"llo"},"done":true}

        '
    headers:
      Content-Type:
      - application/x-ndjson
      Date:
      - Fri, 24 May 2024 20:26:46 GMT
    status:
      code: 200
      message: OK
version: 1
"""

PYDANTIC_AI = """\
interactions:
- request:
    headers:
      content-type:
      - application/json
    method: POST
    parsed_body:
      model: claude-sonnet-4-0
      messages:
      - role: user
        content: Olá
      stream: false
    uri: https://api.anthropic.com/v1/messages?beta=true
  response:
    headers:
      content-type:
      - application/json
    parsed_body:
      type: message
      content:
      - type: text
        text: Oi
    status:
      code: 200
      message: OK
version: 1
"""

GO_VCR = """\
---
version: 2
interactions:
- id: 0
  request:
    proto: HTTP/1.1
    content_length: 17
    body: '{"contents":[]}'
    form:
      alt:
      - sse
    headers:
      Content-Type:
      - application/json
    url: https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse
    method: POST
  response:
    proto: HTTP/2.0
    content_length: -1
    body: "data: {\\"candidates\\": []}\\r\\n\\r\\ndata: {\\"candidates\\": [1]}\\r\\n\\r\\n"
    headers:
      Content-Type:
      - text/event-stream
    status: 200 OK
    code: 200
    duration: 853.364708ms
"""

RUBY_VCR = """\
---
http_interactions:
- request:
    method: post
    uri: https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent
    body:
      encoding: UTF-8
      string: '{"contents":[{"role":"user","parts":[{"text":"Hi"}]}]}'
    headers:
      X-Goog-Api-Key:
      - "<GEMINI_API_KEY>"
  response:
    status:
      code: 429
      message: Too Many Requests
    headers:
      Content-Type:
      - application/json; charset=UTF-8
    body:
      encoding: ASCII-8BIT
      string: !binary |-
        eyJlcnJvciI6IHsiY29kZSI6IDQyOX19
  recorded_at: Wed, 19 Aug 2026 14:35:11 GMT
- request:
    method: get
    uri: https://example.com/ping
    body:
      encoding: US-ASCII
      string: ''
    headers: {}
  response:
    status:
      code: 200
      message: OK
    headers: {}
    body:
      encoding: ASCII-8BIT
      base64_string: |
        cG9uZw==
  recorded_at: Wed, 19 Aug 2026 14:35:12 GMT
recorded_with: VCR 6.4.0
"""


def _write(tmp_path: Path, name: str, data: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return path


def test_plain_vcrpy_single_quoted_bodies(tmp_path: Path) -> None:
    cassette = Cassette.load(_write(tmp_path, "vcrpy.yaml", VCRPY))
    (item,) = cassette.interactions
    assert cassette.provenance.imported_from == "vcrpy"
    assert item.request.body == (
        b'{"model": "llama3", "messages": [{"role": "user", "content": "Hi"}], "stream": true}'
    )
    assert item.response.body == (
        b'{"message":{"content":"He"},"done":false}\n{"message":{"content":"llo"},"done":true}\n'
    )
    assert item.request.headers == {"content-type": ["application/json"]}
    assert (item.provider, item.model) == ("ollama", "llama3")
    assert item.recorded_at == "2024-05-24T20:26:46Z"
    assert item.timing_synthesized is True
    assert [offset for offset, _ in item.response.frames()] == [0.25, 0.27]


def test_pydantic_ai_parsed_bodies(tmp_path: Path) -> None:
    (item,) = Cassette.load(_write(tmp_path, "pai.yaml", PYDANTIC_AI)).interactions
    assert json.loads(item.request.body or b"") == {
        "model": "claude-sonnet-4-0",
        "messages": [{"role": "user", "content": "Olá"}],
        "stream": False,
    }
    assert json.loads(item.response.body) == {
        "type": "message",
        "content": [{"type": "text", "text": "Oi"}],
    }
    assert (item.provider, item.model) == ("anthropic", "claude-sonnet-4-0")


def test_gzip_binary_bodies_are_decompressed(tmp_path: Path) -> None:
    body = b'{"error":{"message":"The model does not exist","type":"invalid_request_error"}}'
    encoded = base64.encodebytes(gzip.compress(body)).decode()
    text = VCRPY.replace(
        '      string: \'{"message"',
        "      string: !!binary |\n"
        + "".join(f"        {line}\n" for line in encoded.splitlines())
        + '      unused: \'{"message"',
    ).replace(
        "      Date:\n",
        "      Content-Encoding:\n      - gzip\n      Content-Length:\n      - '99'\n      Date:\n",
    )
    (item,) = Cassette.load(_write(tmp_path, "gz.yaml", text)).interactions
    assert item.response.body == body
    assert "content-encoding" not in item.response.headers
    assert item.response.headers["content-length"] == [str(len(body))]


def test_go_vcr_cassettes(tmp_path: Path) -> None:
    cassette = Cassette.load(_write(tmp_path, "go.yaml", GO_VCR))
    (item,) = cassette.interactions
    assert cassette.provenance.imported_from == "go-vcr"
    assert item.request.uri.endswith(":streamGenerateContent?alt=sse")
    assert (
        item.response.body == b'data: {"candidates": []}\r\n\r\ndata: {"candidates": [1]}\r\n\r\n'
    )
    assert (item.response.status, item.response.reason) == (200, "OK")
    assert (item.provider, item.model) == ("google", "gemini-2.5-flash")
    assert item.response.headers == {"content-type": ["text/event-stream"]}


def test_ruby_vcr_cassettes(tmp_path: Path) -> None:
    cassette = Cassette.load(_write(tmp_path, "ruby.yml", RUBY_VCR))
    first, second = cassette.interactions
    assert cassette.provenance.imported_from == "ruby-vcr"
    assert (first.request.method, first.response.status) == ("POST", 429)
    assert first.response.body == b'{"error": {"code": 429}}'
    assert first.recorded_at == "2026-08-19T14:35:11Z"
    assert cassette.provenance.recorded_at == "2026-08-19T14:35:11Z"
    assert (second.request.method, second.request.body, second.response.body) == (
        "GET",
        None,
        b"pong",
    )


def _httprr(*records: tuple[bytes, bytes], cut: int = 0) -> bytes:
    data = b"httprr trace v1\n"
    for request, response in records:
        data += f"{len(request)} {len(response)}\n".encode() + request + response
    return data[: len(data) - cut] if cut else data


def test_httprr_traces_with_chunked_gzip_bodies(tmp_path: Path) -> None:
    ndjson = b'{"message":{"content":"Hi"},"done":false}\n{"done":true}\n'
    packed = gzip.compress(ndjson)
    chunked = b"%x\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n" % (
        10,
        packed[:10],
        len(packed) - 10,
        packed[10:],
    )
    request = (
        b"POST /api/chat HTTP/1.1\r\nHost: localhost:11434\r\nContent-Type: application/json\r\n"
        b'\r\n{"model":"gemma3:1b","stream":true}'
    )
    response = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Encoding: gzip\r\n"
        b"Content-Type: application/x-ndjson\n\r\n" + chunked  # a bare LF, as rebuilt traces have
    )
    error = b'HTTP/2.0 404 Not Found\r\nContent-Type: application/json\r\n\r\n{"error":"no model"}'
    path = _write(tmp_path, "trace.httprr", _httprr((request, response), (request, error), cut=3))
    cassette = Cassette.load(path)
    first, second = cassette.interactions
    assert cassette.provenance.imported_from == "httprr"
    assert first.request.uri == "http://localhost:11434/api/chat"
    assert first.response.body == ndjson
    assert "transfer-encoding" not in first.response.headers
    assert "content-encoding" not in first.response.headers
    assert (first.provider, first.model) == ("ollama", "gemma3:1b")
    assert (second.response.status, second.response.reason) == (404, "Not Found")
    assert second.response.body == b'{"error":"no mode'  # truncated copy: as far as it goes


def test_dechunk_tolerates_bare_newlines_and_extensions() -> None:
    assert dechunk(b"3;ext=1\nabc\n2\r\nde\r\n0\r\n\r\n") == b"abcde"


@pytest.mark.parametrize(
    ("url", "provider"),
    [
        ("https://api.openai.com/v1/chat/completions", "openai"),
        ("https://api.openai.com/v1/responses", "openai"),
        ("https://api.groq.com/openai/v1/chat/completions", "openai"),
        ("<OLLAMA_API_BASE>/chat/completions", "openai"),
        ("https://api.anthropic.com/v1/messages?beta=true", "anthropic"),
        ("http://localhost:8080/v1/messages", "anthropic"),
        ("https://generativelanguage.googleapis.com/v1beta/models/x:generateContent", "google"),
        ("http://127.0.0.1:9/v1beta/models/gemini:streamGenerateContent?alt=sse", "google"),
        ("http://localhost:11434/api/chat", "ollama"),
        ("https://ollama.com/api/chat", "ollama"),
        ("https://example.com/other", None),
    ],
)
def test_provider_is_guessed_from_the_url(url: str, provider: str | None) -> None:
    assert guess_provider(url) == provider


def test_model_is_guessed_from_the_body_or_gemini_path() -> None:
    assert guess_model("https://x/v1/messages", b'{"model":"claude-x"}') == "claude-x"
    assert guess_model("https://x/v1beta/models/gemini-2.5-flash:streamGenerateContent", b"{}") == (
        "gemini-2.5-flash"
    )
    assert guess_model("https://x/api/chat", b"not json") is None
