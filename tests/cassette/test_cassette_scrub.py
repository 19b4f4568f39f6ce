"""Secrets never reach disk: credential headers and parameters go, known values are redacted,
and a last guard refuses to write anything still shaped like a key."""

from __future__ import annotations

from pathlib import Path

import pytest

from llmring_replay.cassette import (
    CREDENTIAL_HEADERS,
    Cassette,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    find_secret,
    scrub_interaction,
    scrub_url,
)
from llmring_replay.exceptions import CassetteSecretError

# Key-shaped test values, assembled at run time so no scanner mistakes this file for a leak.
OPENAI_KEY = "sk-" + "proj-" + "Ab3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF" * 3
LEGACY_OPENAI_KEY = "sk-" + "T3BlbkFJ" + "a1B2c3D4e5F6g7H8i9J0kLmNoPqRsTuVwXyZ01"
ANTHROPIC_KEY = "sk-" + "ant-api03-" + "Xy9_Zw8-Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0Fe" * 3 + "AA"
GOOGLE_KEY = "AI" + "za" + "SyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q"  # 39 characters


def _interaction(
    url: str = "https://api.openai.com/v1/chat/completions",
    request_headers: dict[str, list[str]] | None = None,
    response_headers: dict[str, list[str]] | None = None,
    request_body: bytes | None = b'{"model":"gpt-4o-mini"}',
    body: bytes = b"data: [DONE]\n\n",
) -> Interaction:
    return Interaction(
        RecordedRequest("POST", url, request_headers or {}, request_body),
        RecordedResponse(200, "OK", response_headers or {}, body, [0.1]),
    )


@pytest.mark.parametrize("name", sorted(CREDENTIAL_HEADERS))
def test_each_credential_header_is_removed_from_requests_and_responses(name: str) -> None:
    item = _interaction(
        request_headers={name: ["secret-value"], "content-type": ["application/json"]},
        response_headers={name: ["secret-value"], "x-request-id": ["req_123"]},
    )
    scrubbed = scrub_interaction(item)
    assert scrubbed.request.headers == {"content-type": ["application/json"]}
    assert scrubbed.response.headers == {"x-request-id": ["req_123"]}  # ids are kept
    assert item.request.headers[name] == ["secret-value"]  # the input is left alone


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://g.example/v1:stream?alt=sse&key=abc123", "https://g.example/v1:stream?alt=sse"),
        ("https://g.example/v1?key=abc&alt=sse", "https://g.example/v1?alt=sse"),
        ("https://g.example/v1?KEY=abc", "https://g.example/v1"),
        ("https://g.example/v1?api_key=a&b=2&apikey=c#frag", "https://g.example/v1?b=2#frag"),
        ("https://g.example/v1?monkey=1&keys=2", "https://g.example/v1?monkey=1&keys=2"),
        ("https://g.example/v1", "https://g.example/v1"),
    ],
)
def test_credential_query_parameters_are_removed(url: str, expected: str) -> None:
    assert scrub_url(url) == expected


def test_env_key_values_are_redacted_everywhere_in_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    canary = "canary-7f3a9c1e-not-key-shaped"
    monkeypatch.setenv("ANTHROPIC_API_KEY", canary)
    item = _interaction(
        url=f"https://proxy.example/v1/messages?token={canary}",
        request_headers={"x-custom-auth": [f"Bearer {canary}"]},
        request_body=f'{{"echo":"{canary}"}}'.encode(),
        body=f'data: {{"leak":"{canary}"}}\n\n'.encode(),
    )
    path = Cassette(tmp_path / "c.yaml", [item]).save()
    text = path.read_text(encoding="utf-8")
    assert canary not in text
    assert text.count("<ANTHROPIC_API_KEY>") == 4


def test_extra_secrets_are_redacted_and_short_values_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OLLAMA_API_KEY", "x")  # too short to redact: would rewrite every "x"
    item = _interaction(body=b"data: my-extra-secret-value and x\n\n")
    path = Cassette(tmp_path / "c.yaml", [item]).save(secrets=["my-extra-secret-value"])
    body = Cassette.load(path).interactions[0].response.body
    assert body == b"data: <SECRET> and x\n\n"


def test_redaction_in_raw_reads_keeps_sizes_consistent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "SECRETVALUE123")
    item = _interaction(body=b"abc SECRETVALUE123 def")
    item.response.sizes = [4, 14, 4]
    item.response.offsets = [0.1, 0.2, 0.3]
    scrubbed = scrub_interaction(item).response
    assert scrubbed.body == b"abc <OPENAI_API_KEY> def"
    assert [frame for _, frame in scrubbed.frames()] == [b"abc ", b"<OPENAI_API_KEY>", b" def"]
    item.response.sizes = [8, 14]  # the secret straddles two reads: they become one
    item.response.offsets = [0.1, 0.2]
    scrubbed = scrub_interaction(item).response
    assert scrubbed.frames() == [(0.2, b"abc <OPENAI_API_KEY> def")]


@pytest.mark.parametrize("key", [OPENAI_KEY, LEGACY_OPENAI_KEY, ANTHROPIC_KEY, GOOGLE_KEY])
def test_key_shaped_strings_are_found(key: str) -> None:
    found = find_secret(f'{{"note": "pasted {key} here"}}')
    assert found is not None
    assert found.start == len('{"note": "pasted ')


@pytest.mark.parametrize(
    "text",
    [
        '{"id":"chatcmpl-DuLdOuviL2tiVxMim6HmX4YMnCorKabcdefGHIJ","object":"chat.completion"}',
        '{"id":"msg_01ALwQ87pTS7hH1PjSdC9wJD","type":"message"}',
        '"signature":"EqQBCkYIBxgCKkBsk-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789+/=="',
        "a task-management-service-with-a-very-long-kebab-case-name-v2",
        "sk-this-is-a-long-lowercase-slug-without-any-digits-at-all",
        "sk-test",
        "AIza-too-short",
        "encrypted: gAAAAABsk-Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56Qr78St90Uv",
        "The risk-Averse analyst said 'ask-3 times'.",
    ],
)
def test_ordinary_text_and_ids_are_not_secrets(text: str) -> None:
    assert find_secret(text) is None


def test_guard_refuses_the_write_naming_the_place_not_the_secret(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("old contents\n", encoding="utf-8")
    item = _interaction(body=f'data: {{"oops":"{ANTHROPIC_KEY}"}}\n\n'.encode())
    with pytest.raises(CassetteSecretError) as info:
        Cassette(path, [item]).save()
    error = info.value
    assert error.place == "interactions[0].response.body.string"
    assert error.path == str(path)
    assert "Anthropic key" in str(error)
    assert ANTHROPIC_KEY not in str(error)
    assert ANTHROPIC_KEY[10:30] not in str(error)
    assert path.read_text(encoding="utf-8") == "old contents\n"  # nothing was written


def test_guard_checks_urls_and_unusual_headers_too(tmp_path: Path) -> None:
    item = _interaction(
        url=f"https://api.example/v1/x?session={GOOGLE_KEY}",
        request_headers={"x-my-key": [OPENAI_KEY]},
    )
    with pytest.raises(CassetteSecretError) as info:
        Cassette(tmp_path / "c.yaml", [item]).save()
    assert info.value.place == "interactions[0].request.uri"


def test_credentials_in_known_places_are_scrubbed_not_refused(tmp_path: Path) -> None:
    item = _interaction(
        url=f"https://g.example/v1beta/models/m:streamGenerateContent?alt=sse&key={GOOGLE_KEY}",
        request_headers={"authorization": [f"Bearer {OPENAI_KEY}"], "x-goog-api-key": [GOOGLE_KEY]},
    )
    path = Cassette(tmp_path / "c.yaml", [item]).save()
    text = path.read_text(encoding="utf-8")
    assert GOOGLE_KEY not in text
    assert OPENAI_KEY not in text
    assert "?alt=sse\n" in text
