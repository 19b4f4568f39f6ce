"""Every real recorded stream in ../shared/conformance gives the expected transcript.

The corpus (see its README) holds exchanges recorded by other projects' test suites from the
real APIs. Each body is fed through `LLMRing` over an in-memory transport, split at random
byte offsets (twice, with different seeds, and once whole), and the chunks are checked
against the case's `expected` transcript and the stream rules of DESIGN.md. The OpenAI
Responses API cases (`responses/`, told apart by a request URL ending in `/responses`) run
with the provider registered for that API.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from llmring_replay import LLMRequest, LLMRingError, Message, StreamChunk
from llmring_replay.service import LLMRing
from tests.support import CONFORMANCE, StaticTransport

CORPUS = CONFORMANCE
CASES = (
    sorted((CORPUS / "cases").glob("*/*.json"))
    + sorted((CORPUS / "responses" / "cases").glob("*/*.json"))
    if CORPUS.is_dir()
    else []
)

pytestmark = pytest.mark.skipif(not CASES, reason=f"no conformance corpus at {CORPUS}")


def _load(path: Path) -> dict[str, Any]:
    case: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return case


def _requested_model(case: dict[str, Any]) -> str:
    request = case["request"]
    body = request.get("body")
    if case["provider"] == "google" or not isinstance(body, dict) or "model" not in body:
        # Gemini names the model in the URL: .../models/<model>:streamGenerateContent
        path = urlsplit(request["url"]).path
        return path.rsplit("/models/", 1)[1].split(":", 1)[0]
    return str(body["model"])


def _body(response: dict[str, Any]) -> bytes:
    if "body_base64" in response:
        return base64.b64decode(response["body_base64"])
    return str(response["body"]).encode("utf-8")


async def _run(case: dict[str, Any], seed: int | None) -> tuple[list[StreamChunk], Any, Any]:
    response = case["response"]
    body = _body(response)
    transport = StaticTransport(
        body,
        status=response["status"],
        headers=response.get("headers") or {},
        seed=seed or 0,
        max_piece=len(body) + 1 if seed is None else 17,
    )
    provider = case["provider"]
    request = LLMRequest(
        model=f"{provider}:{_requested_model(case)}",
        messages=[Message(role="user", content="Hello")],
    )
    chunks: list[StreamChunk] = []
    error: LLMRingError | None = None
    result = None
    api = "responses" if urlsplit(case["request"]["url"]).path.endswith("/responses") else None
    async with LLMRing(transport=transport) as ring:
        ring.register_provider(
            provider, api_key="test-key", base_url="http://conformance.test", api=api
        )
        try:
            if case["mode"] == "stream":
                async for chunk in ring.chat_stream(request):
                    chunks.append(chunk)
            else:
                result = await ring.chat(request)
        except LLMRingError as exc:
            error = exc
    return chunks, result, error


def _check_error(expected: dict[str, Any], error: LLMRingError | None) -> None:
    want = expected["error"]
    if want is None:
        assert error is None, f"unexpected {type(error).__name__}: {error}"
        return
    assert error is not None, f"expected {want['type']}, got no error"
    assert type(error).__name__ == want["type"], str(error)
    assert getattr(error, "status_code", None) == want["status_code"]
    assert getattr(error, "retry_after", None) == want.get("retry_after")


def _check_tool_calls(expected: list[dict[str, Any]] | None, actual: Any) -> None:
    if expected is None:
        assert not actual
        return
    assert actual is not None and len(actual) == len(expected)
    for want, got in zip(expected, actual, strict=True):
        assert got["type"] == "function"
        if want["id"] is not None:
            assert got["id"] == want["id"]
        assert got["function"]["name"] == want["function"]["name"]
        assert _arguments(got["function"]["arguments"] or "{}") == _arguments(
            want["function"]["arguments"]
        )


def _arguments(text: str) -> Any:
    """Arguments as parsed JSON; as text where they are not JSON (a Responses API custom
    tool's free-form input)."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def _check_stream(expected: dict[str, Any], chunks: list[StreamChunk]) -> None:
    text = "".join(chunk.delta for chunk in chunks)
    assert text == expected["text"]
    assert all(isinstance(chunk.delta, str) for chunk in chunks)
    if expected["reasoning"]:
        # Thinking may be exposed or dropped, but never leaks into the text.
        assert expected["reasoning"] not in text or not expected["reasoning"].strip()
        exposed = "".join(chunk.reasoning or "" for chunk in chunks)
        assert exposed in ("", expected["reasoning"])
    if expected["error"] is not None:
        assert all(chunk.finish_reason is None for chunk in chunks)
        return
    assert all(chunk.model == expected["model"] for chunk in chunks)
    finished = [i for i, chunk in enumerate(chunks) if chunk.finish_reason is not None]
    assert finished == [len(chunks) - 1], "exactly one finish, on the last chunk"
    last = chunks[-1]
    assert last.finish_reason == expected["finish_reason"]
    assert last.usage == expected["usage"]
    assert all(chunk.usage is None for chunk in chunks[:-1])
    _check_tool_calls(expected["tool_calls"], last.tool_calls)


def test_the_corpus_is_all_there() -> None:
    # 64 cases of the four APIs, 20 of the Responses API: a case silently lost fails here.
    assert len(CASES) == 84


@pytest.mark.parametrize("seed", [None, 1, 2], ids=["whole", "pieces1", "pieces2"])
@pytest.mark.parametrize("path", CASES, ids=[f"{p.parent.name}/{p.stem}" for p in CASES])
async def test_case(path: Path, seed: int | None) -> None:
    case = _load(path)
    expected = case["expected"]
    chunks, result, error = await _run(case, seed)
    _check_error(expected, error)
    if case["mode"] == "stream":
        _check_stream(expected, chunks)
    elif error is None:
        assert result is not None
        assert result.content == expected["text"]
        assert result.model == expected["model"]
        assert result.finish_reason == expected["finish_reason"]
        assert result.usage == expected["usage"]
        _check_tool_calls(expected["tool_calls"], result.tool_calls)
        if expected["reasoning"]:
            assert expected["reasoning"] not in result.content
