"""Fault responses have the shape of the real errors in ../shared/conformance.

For every recorded error there (401/403/404/429 bodies, Gemini `RESOURCE_EXHAUSTED` with
`RetryInfo`, Groq's mid-stream `event: error`), the matching fault must produce the same
status, media type, significant headers and body structure (keys, the provider's error
type/code/status string), and the client must raise what the case expects. Messages may
differ: they name other models and accounts. Skipped when the corpus is not there.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from llmring_replay.cassette import Cassette
from llmring_replay.clock import virtual_clock
from llmring_replay.faults import (
    Forbidden,
    InBandError,
    ModelNotFound,
    RateLimit,
    StatusError,
    Unauthorized,
)
from llmring_replay.framing import parse_sse
from llmring_replay.transports import Fault, ReplayContext, ReplayPlan, ReplayTransport
from tests.faults.recordings import MODELS, interaction, replaying, stream_outcome

CORPUS = Path(
    os.environ.get(
        "LLMRING_CONFORMANCE_DIR",
        Path(__file__).resolve().parents[3] / "shared" / "conformance",
    )
)
CASES = sorted((CORPUS / "cases").glob("*/*.json")) if CORPUS.is_dir() else []


def _error_case(path: Path) -> dict[str, Any] | None:
    case: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return case if case["expected"].get("error") else None


ERROR_CASES = [case for case in map(_error_case, CASES) if case is not None]

pytestmark = pytest.mark.skipif(not ERROR_CASES, reason=f"no conformance corpus at {CORPUS}")

#: The fault that stands for a recorded HTTP error of this status.
FAULT_FOR_STATUS: dict[int, Callable[[dict[str, Any]], Fault]] = {
    400: lambda error: StatusError(400),
    401: lambda error: Unauthorized(),
    403: lambda error: Forbidden(),
    404: lambda error: ModelNotFound(),
    429: lambda error: RateLimit(retry_after=error["retry_after"]),
}
HTTP_CASES = [case for case in ERROR_CASES if case["response"]["status"] >= 400]
IN_BAND_CASES = [case for case in ERROR_CASES if case["response"]["status"] == 200]


def _body(response: dict[str, Any]) -> bytes:
    if "body_base64" not in response:
        return str(response["body"]).encode()
    raw = base64.b64decode(response["body_base64"])
    return gzip.decompress(raw) if response["headers"].get("content-encoding") == "gzip" else raw


def _media(content_type: str | None) -> str:
    return (content_type or "").split(";")[0].strip().lower()


def _openai(body: dict[str, Any]) -> object:
    error = body["error"]
    return sorted(error), error["type"], error["code"]


def _anthropic(body: dict[str, Any]) -> object:
    return sorted(body), body["type"], sorted(body["error"]), body["error"]["type"]


def _google(body: dict[str, Any]) -> object:
    error = body["error"]
    reasons = sorted(str(d.get("reason")) for d in error.get("details", []) if "reason" in d)
    retry = [d for d in error.get("details", []) if d["@type"].endswith("RetryInfo")]
    return sorted(set(error) - {"details"}), error["code"], error["status"], reasons, retry


def _ollama(body: dict[str, Any]) -> object:
    return sorted(body), type(body["error"])


#: provider -> what must be equal between a real error body and the fault's.
SIGNATURES: dict[str, Callable[[dict[str, Any]], object]] = {
    "openai": _openai,
    "anthropic": _anthropic,
    "google": _google,
    "ollama": _ollama,
}


def fault_plan(case: dict[str, Any], fault: Fault) -> ReplayPlan:
    """The fault applied to a recording of the case's provider, streamed or not like it."""
    item = interaction(case["provider"])
    plan = ReplayTransport(Cassette(interactions=[item])).plan_for(item)
    if case["mode"] != "stream":
        plan = replace(plan, headers=[("content-type", "application/json")])
    context = ReplayContext(httpx.Request("POST", item.request.uri), item, 0, 0, item.provider)
    return fault.apply(plan, context)


@pytest.mark.parametrize("case", HTTP_CASES, ids=[case["id"] for case in HTTP_CASES])
def test_status_fault_has_the_shape_of_the_real_error(case: dict[str, Any]) -> None:
    response = case["response"]
    plan = fault_plan(case, FAULT_FOR_STATUS[response["status"]](case["expected"]["error"]))
    headers = dict(plan.headers)
    assert plan.status == response["status"]
    assert _media(headers.get("content-type")) == _media(response["headers"]["content-type"])
    for name in ("x-should-retry", "retry-after", "retry-after-ms"):
        assert headers.get(name) == response["headers"].get(name), name
    signature = SIGNATURES[case["provider"]]
    assert signature(json.loads(plan.frames[0][1])) == signature(json.loads(_body(response)))


@pytest.mark.parametrize("case", HTTP_CASES, ids=[case["id"] for case in HTTP_CASES])
async def test_status_fault_raises_what_the_real_error_raises(case: dict[str, Any]) -> None:
    expected = case["expected"]["error"]
    provider = case["provider"]
    ring, _ = replaying(
        [interaction(provider)], [FAULT_FOR_STATUS[expected["status_code"]](expected)]
    )
    with virtual_clock():
        outcome = await stream_outcome(ring, f"{provider}:{MODELS[provider]}")
    await ring.aclose()
    error = outcome.error
    assert error is not None
    assert type(error).__name__ == expected["type"]
    assert getattr(error, "status_code", None) == expected["status_code"]
    assert getattr(error, "retry_after", None) == expected["retry_after"]


def _last_event(body: bytes) -> tuple[str | None, dict[str, Any]]:
    frames = [frame for frame in body.split(b"\n\n") if frame.strip()]
    event = parse_sse(frames[-1] + b"\n\n")
    assert event is not None
    return event.event, json.loads(event.data)


@pytest.mark.parametrize("case", IN_BAND_CASES, ids=[case["id"] for case in IN_BAND_CASES])
async def test_in_band_error_has_the_shape_of_the_real_one(case: dict[str, Any]) -> None:
    provider = case["provider"]
    fault = InBandError(at=2, kind="invalid_request")
    name, data = _last_event(fault_plan(case, fault).frames[-1][1])
    real_name, real_data = _last_event(_body(case["response"]))
    assert name == real_name == "error"
    assert list(data) == list(real_data) == ["error"]
    assert {"message", "type", "code"} <= set(data["error"]) & set(real_data["error"])
    assert data["error"]["type"] == real_data["error"]["type"]

    ring, _ = replaying([interaction(provider)], [fault])
    with virtual_clock():
        outcome = await stream_outcome(ring, f"{provider}:{MODELS[provider]}")
    await ring.aclose()
    expected = case["expected"]["error"]
    assert type(outcome.error).__name__ == expected["type"]
    assert getattr(outcome.error, "status_code", None) == expected["status_code"]
