"""Each fault's rewriting of a replay plan, checked on the plan itself (no client)."""

from __future__ import annotations

import json
from dataclasses import replace

import httpx
import pytest

from llmring_replay.cassette import Cassette, Interaction
from llmring_replay.faults import (
    Disconnect,
    FailFirst,
    Forbidden,
    InBandError,
    MalformedFrame,
    ModelNotFound,
    Overloaded,
    RateLimit,
    ServerError,
    StallBeforeFirstByte,
    StallBetween,
    StatusError,
    Unauthorized,
    Unavailable,
)
from llmring_replay.framing import parse_ndjson, parse_sse, splitter_for
from llmring_replay.transports import Fault, ReplayContext, ReplayPlan, ReplayTransport, StreamCut
from tests.faults.recordings import INTERVAL, PROVIDERS, interaction

FRAMING = {"openai": "sse", "anthropic": "sse", "google": "sse", "ollama": "ndjson"}


def recorded(provider: str = "openai") -> tuple[ReplayPlan, ReplayContext]:
    """The plan of a recorded stream at its recorded timing, and its context."""
    item = interaction(provider)
    return _plan(item), context_for(item)


def _plan(item: Interaction) -> ReplayPlan:
    return ReplayTransport(Cassette(interactions=[item]), "recorded").plan_for(item)


def context_for(item: Interaction, index: int = 0, attempt: int = 0) -> ReplayContext:
    request = httpx.Request("POST", item.request.uri, content=item.request.body)
    return ReplayContext(request, item, index, attempt, item.provider)


def frame_json(provider: str, frame: bytes) -> object:
    """The JSON of one frame, parsed as the provider's framing reads it."""
    event = parse_ndjson(frame) if FRAMING[provider] == "ndjson" else parse_sse(frame)
    assert event is not None
    return json.loads(event.data)


# -- status faults ------------------------------------------------------------------------

STATUS_FAULTS = [
    (Unauthorized(), 401),
    (Forbidden(), 403),
    (ModelNotFound(), 404),
    (RateLimit(retry_after=2), 429),
    (ServerError(), 500),
    (Unavailable(), 503),
    (StatusError(502), 502),
]


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize(("fault", "status"), STATUS_FAULTS, ids=repr)
def test_status_fault_replaces_the_response(provider: str, fault: Fault, status: int) -> None:
    plan, context = recorded(provider)
    faulty = fault.apply(plan, context)
    assert faulty.status == status
    assert faulty.error is None
    # One body, as JSON, served with the headers.
    [(served_at, body)] = faulty.frames
    assert served_at == plan.headers_delay == 0
    assert isinstance(json.loads(body), dict)
    assert any(name == "content-type" for name, _ in faulty.headers)


def test_overloaded_is_529_on_anthropic_and_503_elsewhere() -> None:
    statuses = {p: Overloaded().apply(*recorded(p)).status for p in PROVIDERS}
    assert statuses == {"openai": 503, "anthropic": 529, "google": 503, "ollama": 503}
    body = json.loads(Overloaded().apply(*recorded("anthropic")).frames[0][1])
    assert body["error"]["type"] == "overloaded_error"


def test_rate_limit_puts_retry_after_where_each_provider_does() -> None:
    fault = RateLimit(retry_after=2)
    openai = fault.apply(*recorded("openai"))
    assert ("retry-after", "2") in openai.headers
    assert ("retry-after-ms", "2000") in openai.headers
    anthropic = fault.apply(*recorded("anthropic"))
    assert ("retry-after", "2") in anthropic.headers
    assert ("x-should-retry", "true") in anthropic.headers
    google = fault.apply(*recorded("google"))
    error = json.loads(google.frames[0][1])["error"]
    assert error["status"] == "RESOURCE_EXHAUSTED"
    assert {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "2s"} in error[
        "details"
    ]
    assert not any(name.startswith("retry-after") for name, _ in google.headers)
    ollama = fault.apply(*recorded("ollama"))
    assert not any(name.startswith("retry-after") for name, _ in ollama.headers)
    assert isinstance(json.loads(ollama.frames[0][1])["error"], str)


def test_gemini_keeps_event_stream_content_type_on_a_streamed_error() -> None:
    faulty = ModelNotFound().apply(*recorded("google"))
    assert ("content-type", "text/event-stream") in faulty.headers
    assert json.loads(faulty.frames[0][1])["error"]["status"] == "NOT_FOUND"


def test_status_error_takes_a_message_and_code_verbatim() -> None:
    fault = StatusError(400, message="bad {json} here", code="tool_use_failed")
    error = json.loads(fault.apply(*recorded("openai")).frames[0][1])["error"]
    assert (error["message"], error["code"]) == ("bad {json} here", "tool_use_failed")
    google = json.loads(StatusError(504).apply(*recorded("google")).frames[0][1])["error"]
    assert (google["code"], google["status"]) == (504, "DEADLINE_EXCEEDED")


def test_error_messages_name_the_model() -> None:
    for provider in PROVIDERS:
        plan, context = recorded(provider)
        body = ModelNotFound().apply(plan, context).frames[0][1].decode()
        assert str(context.interaction.model) in body, provider


def apply_all(faults: list[Fault], plan: ReplayPlan, context: ReplayContext) -> ReplayPlan:
    """The plan after `faults`, in order, as the transport applies them."""
    for fault in faults:
        plan = fault.apply(plan, context)
    return plan


@pytest.mark.parametrize(
    "faults",
    [
        [StallBeforeFirstByte(3), Disconnect(after=1), RateLimit()],
        [Disconnect(after=1), RateLimit(), StallBeforeFirstByte(3)],
    ],
    ids=["stall-first", "stall-last"],
)
def test_a_status_fault_keeps_a_stall_and_replaces_a_disconnect(faults: list[Fault]) -> None:
    faulty = apply_all(faults, *recorded())
    assert faulty.status == 429
    assert faulty.headers_delay == 3
    assert faulty.frames[0][0] == 3
    assert faulty.error is None


# -- stalls -------------------------------------------------------------------------------


def test_stall_before_first_byte_delays_headers_and_every_frame() -> None:
    plan, context = recorded()
    faulty = StallBeforeFirstByte(5).apply(plan, context)
    assert faulty.headers_delay == 5
    assert [at for at, _ in faulty.frames] == pytest.approx([at + 5 for at, _ in plan.frames])
    assert [data for _, data in faulty.frames] == [data for _, data in plan.frames]


def test_stall_between_adds_a_gap_after_frame_n() -> None:
    plan, context = recorded()
    faulty = StallBetween(after=3, seconds=30).apply(plan, context)
    offsets = [at for at, _ in faulty.frames]
    recorded_offsets = [at for at, _ in plan.frames]
    assert offsets[:3] == recorded_offsets[:3]
    assert offsets[3:] == pytest.approx([at + 30 for at in recorded_offsets[3:]])
    assert offsets[3] - offsets[2] == pytest.approx(30 + INTERVAL)
    # after=0: before the first frame, after the headers.
    first = StallBetween(after=0, seconds=2).apply(plan, context)
    assert first.headers_delay == 0
    assert first.frames[0][0] == pytest.approx(plan.frames[0][0] + 2)


def test_stall_after_the_last_frame_is_an_error_naming_the_fault() -> None:
    plan, context = recorded()
    count = len(plan.frames)
    with pytest.raises(
        ValueError, match=rf"StallBetween\(after={count}, seconds=1\).*0\.\.{count - 1}"
    ):
        StallBetween(after=count, seconds=1).apply(plan, context)


# -- disconnect ---------------------------------------------------------------------------


def test_disconnect_keeps_frames_through_n_then_cuts_the_connection() -> None:
    plan, context = recorded()
    faulty = Disconnect(after=3).apply(plan, context)
    assert faulty.frames == plan.frames[:3]
    # Neutral: each client library's adapter raises it as its own RemoteProtocolError.
    assert isinstance(faulty.error, StreamCut)
    assert "incomplete" in str(faulty.error)
    assert Disconnect(after=0).apply(plan, context).frames == []
    # The whole body, then no clean end.
    whole = Disconnect(after=len(plan.frames)).apply(plan, context)
    assert whole.frames == plan.frames
    assert whole.error is not None


def test_each_disconnect_gets_its_own_error() -> None:
    plan, context = recorded()
    fault = Disconnect(after=1)
    assert fault.apply(plan, context).error is not fault.apply(plan, context).error


def test_disconnect_past_the_end_names_the_fault_and_the_frame_count() -> None:
    plan, context = recorded("google")
    with pytest.raises(ValueError, match=r"Disconnect\(after=99\).*has 6 frame"):
        Disconnect(after=99).apply(plan, context)


# -- malformed frames ---------------------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
def test_malformed_frame_is_not_json_but_framing_is_intact(provider: str) -> None:
    plan, context = recorded(provider)
    faulty = MalformedFrame(at=2).apply(plan, context)
    assert [at for at, _ in faulty.frames] == [at for at, _ in plan.frames]
    assert faulty.frames[:1] + faulty.frames[2:] == plan.frames[:1] + plan.frames[2:]
    broken, original = faulty.frames[1][1], plan.frames[1][1]
    assert broken != original
    # Still exactly one frame with the same terminator (and event name)...
    splitter, parse = splitter_for(FRAMING[provider])
    assert splitter.feed(broken) + splitter.flush() == [broken]
    assert broken.endswith(original[len(original.rstrip(b"\r\n")) :])
    event, before = parse(broken), parse(original)
    assert event is not None and before is not None
    assert event.event == before.event
    # ...whose data is the start of the original's, and not JSON.
    assert before.data.startswith(event.data)
    with pytest.raises(ValueError):
        json.loads(event.data)


def test_malformed_done_marker_and_frames_without_data() -> None:
    plan, context = recorded("openai")
    last = len(plan.frames)
    done = MalformedFrame(at=last).apply(plan, context).frames[-1][1]
    assert done == b"data: [DO\n\n"
    comment = replace(plan, frames=[(0.0, b": keep-alive\r\n\r\n")])
    assert MalformedFrame(at=1).apply(comment, context).frames[0][1] == b"data: {\r\n\r\n"
    number = replace(plan, frames=[(0.0, b"data: 12\n\n")])
    assert MalformedFrame(at=1).apply(number, context).frames[0][1] == b"data: 1{\n\n"


def test_malformed_frame_cut_inside_a_multibyte_character_stays_utf8() -> None:
    plan, context = recorded("ollama")
    text = '{"message":{"content":"' + "é" * 11 + '"}}\n'
    line = replace(plan, frames=[(0.0, text.encode())])
    broken = MalformedFrame(at=1).apply(line, context).frames[0][1]
    assert broken.decode("utf-8").endswith("\n")
    assert text.startswith(broken.decode("utf-8").rstrip("\n"))


# -- in-band errors -----------------------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
def test_in_band_error_replaces_frame_n_and_ends_the_stream(provider: str) -> None:
    plan, context = recorded(provider)
    faulty = InBandError(at=3).apply(plan, context)
    assert faulty.status == 200
    assert faulty.frames[:2] == plan.frames[:2]
    assert len(faulty.frames) == 3
    assert faulty.frames[2][0] == plan.frames[2][0]
    assert faulty.error is None


def test_in_band_error_events_per_provider() -> None:
    def last(provider: str, fault: InBandError) -> bytes:
        return fault.apply(*recorded(provider)).frames[-1][1]

    openai = parse_sse(last("openai", InBandError(at=2, kind="server_error")))
    assert openai is not None and openai.event == "error"
    assert json.loads(openai.data)["error"]["type"] == "server_error"
    anthropic = parse_sse(last("anthropic", InBandError(at=2)))
    assert anthropic is not None and anthropic.event == "error"
    assert json.loads(anthropic.data) == {
        "type": "error",
        "error": {"type": "overloaded_error", "message": "Overloaded"},
    }
    google = last("google", InBandError(at=2, kind="rate_limit", retry_after=7))
    assert google.endswith(b"\r\n\r\n")
    error = json.loads(google.decode().removeprefix("data: "))["error"]
    assert (error["code"], error["status"]) == (429, "RESOURCE_EXHAUSTED")
    assert error["details"][-1]["retryDelay"] == "7s"
    ollama = last("ollama", InBandError(at=2))
    assert ollama.endswith(b"\n")
    assert list(json.loads(ollama)) == ["error"]
    hint = last("openai", InBandError(at=2, kind="rate_limit", retry_after=1.5))
    assert b"Please try again in 1.5s." in hint


# -- targeting, repeats, unknown providers ------------------------------------------------


def test_only_selects_by_index_model_name_or_predicate() -> None:
    plan, _ = recorded()
    item = interaction("openai", "gpt-4o")
    first, second = context_for(item, index=0), context_for(item, index=1)
    for only in (1, "gpt-4o-mini", "anthropic:gpt-4o", lambda c: c.index == 1):
        fault = RateLimit(only=only)
        assert fault.apply(plan, first) is plan, only
    for only in (0, "gpt-4o", "openai:gpt-4o", lambda c: c.index == 0):
        assert RateLimit(only=only).apply(plan, first).status == 429, only
    assert RateLimit(only=0).apply(plan, second) is plan


def test_fail_first_faults_the_first_k_attempts_only() -> None:
    item = interaction("openai")
    plan = _plan(item)
    fault = FailFirst(2, RateLimit(retry_after=1))
    statuses = [fault.apply(plan, context_for(item, attempt=n)).status for n in range(4)]
    assert statuses == [429, 429, 200, 200]


def test_unknown_provider_is_an_error_naming_the_fault() -> None:
    item = interaction("openai")
    item.provider = None
    plan, context = _plan(item), context_for(item)
    with pytest.raises(ValueError, match=r"RateLimit\(retry_after=2\).*provider is None"):
        RateLimit(retry_after=2).apply(plan, context)
    with pytest.raises(ValueError, match=r"InBandError\(at=1.*provider"):
        InBandError(at=1).apply(plan, context)
    # Faults that only move or cut frames need no provider.
    assert Disconnect(after=1).apply(plan, context).frames == plan.frames[:1]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: StallBeforeFirstByte(-1), "seconds must not be negative"),
        (lambda: StallBetween(after=-1, seconds=1), "after must not be negative"),
        (lambda: Disconnect(after=-2), "after must not be negative"),
        (lambda: MalformedFrame(at=0), "at counts frames from 1"),
        (lambda: InBandError(at=0), "at counts frames from 1"),
        (lambda: InBandError(at=1, kind="teapot"), "kind must be one of"),
        (lambda: InBandError(at=1, retry_after=2), "retry_after is for kind='rate_limit'"),
        (lambda: RateLimit(retry_after=-1), "retry_after < 0"),
        (lambda: StatusError(200), "400-599"),
        (lambda: FailFirst(0, RateLimit()), "k must be at least 1"),
        (lambda: FailFirst(1, "rate_limit"), "fault must be a Fault"),  # type: ignore[arg-type]
        (lambda: RateLimit(only=True), "only= takes"),
    ],
)
def test_invalid_arguments_are_refused_at_construction(make: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()  # type: ignore[operator]


def test_faults_are_frozen_comparable_data_with_readable_reprs() -> None:
    assert RateLimit(2) == RateLimit(retry_after=2)
    assert RateLimit(2) != RateLimit(2, only=0)
    assert repr(FailFirst(2, Disconnect(3, only="gpt-4o"))) == (
        "FailFirst(k=2, fault=Disconnect(after=3, only='gpt-4o'))"
    )
    with pytest.raises(AttributeError):
        RateLimit(2).retry_after = 3  # type: ignore[misc]
