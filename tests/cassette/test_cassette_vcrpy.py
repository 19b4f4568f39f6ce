"""vcrpy (9) plays the cassettes we write, as they are, through httpx: no network involved."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import vcr
from vcr.persisters.filesystem import FilesystemPersister
from vcr.serializers import yamlserializer

from llmring_replay.cassette import Cassette, Interaction, RecordedRequest, RecordedResponse

URL = "https://api.openai.com/v1/chat/completions"
REQUEST = b'{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}],"stream":true}'
SSE = b'data: {"choices":[{"delta":{"content":"Ol\xc3\xa1"}}]}\n\ndata: [DONE]\n\n'
ERROR = b'{"error":{"message":"Invalid API key","type":"invalid_request_error"}}'


def _cassette(path: Path) -> Cassette:
    def item(status: int, reason: str, content_type: str, body: bytes) -> Interaction:
        return Interaction(
            RecordedRequest("POST", URL, {"content-type": ["application/json"]}, REQUEST),
            RecordedResponse(status, reason, {"content-type": [content_type]}, body, [0.2, 0.3]),
            provider="openai",
            model="gpt-4o-mini",
        )

    cassette = Cassette(path)
    cassette.append(item(200, "OK", "text/event-stream", SSE))
    cassette.append(item(401, "Unauthorized", "application/json", ERROR))
    cassette.save()
    return cassette


def test_vcrpy_loads_our_file_with_its_own_loader(tmp_path: Path) -> None:
    path = _cassette(tmp_path / "ours.yaml").path
    requests, responses = FilesystemPersister.load_cassette(path, yamlserializer)
    assert [request.uri for request in requests] == [URL, URL]
    assert [response["body"]["string"] for response in responses] == [SSE, ERROR]


def test_vcrpy_plays_our_cassette_through_httpx(tmp_path: Path) -> None:
    path = _cassette(tmp_path / "ours.yaml").path
    with vcr.VCR().use_cassette(str(path), record_mode="none") as played, httpx.Client() as client:
        first = client.post(URL, content=REQUEST, headers={"content-type": "application/json"})
        second = client.post(URL, content=REQUEST, headers={"content-type": "application/json"})
    assert (first.status_code, first.content) == (200, SSE)
    assert first.headers["content-type"] == "text/event-stream"
    assert (second.status_code, second.content, second.reason_phrase) == (
        401,
        ERROR,
        "Unauthorized",
    )
    assert played.all_played


async def test_vcrpy_plays_our_cassette_through_async_httpx(tmp_path: Path) -> None:
    path = _cassette(tmp_path / "ours.yaml").path
    with vcr.VCR().use_cassette(str(path), record_mode="none"):
        async with (
            httpx.AsyncClient() as client,
            client.stream("POST", URL, content=REQUEST) as response,
        ):
            chunks = [chunk async for chunk in response.aiter_bytes()]
    assert b"".join(chunks) == SSE


def test_vcrpy_refuses_unrecorded_requests_instead_of_going_online(tmp_path: Path) -> None:
    path = _cassette(tmp_path / "ours.yaml").path
    with (
        vcr.VCR().use_cassette(str(path), record_mode="none"),
        httpx.Client() as client,
        pytest.raises(vcr.errors.CannotOverwriteExistingCassetteException),
    ):
        client.get("https://api.openai.com/v1/models")
