"""The pure wire renderers: each provider's frames, JSON answers and error bodies."""

from __future__ import annotations

import json
from typing import Any

import pytest

from llmring_replay.framing import Event, framing_for, splitter_for
from llmring_replay.providers.anthropic import render as wire_anthropic
from llmring_replay.providers.gemini import render as wire_google
from llmring_replay.providers.ollama import render as wire_ollama
from llmring_replay.providers.openai_chat import render as wire_openai
from llmring_replay.providers.registry import FORMATS
from llmring_replay.simulator import (
    PROVIDERS,
    Script,
    ToolCallSpec,
    Usage,
    wire_for,
)

BODY = {"model": "m", "messages": [{"role": "user", "content": "Say hello"}]}
USAGE_BODY = {**BODY, "stream": True, "stream_options": {"include_usage": True}}
WEATHER = ToolCallSpec(name="weather", arguments={"location": "Florence, Italy"})
#: Every wire format by its name (`wire_for` takes a provider, its default, or a format).
FORMAT_NAMES = [fmt.name for fmt in FORMATS]


def parse(frames: list[bytes], content_type: str) -> list[Event]:
    """Frames as a client reads them: joined, split by the project's splitter, parsed."""
    framing = framing_for(content_type)
    assert framing is not None
    splitter, parse_frame = splitter_for(framing)
    raw = splitter.feed(b"".join(frames)) + splitter.flush()
    assert raw == frames  # every rendered element is exactly one frame on the wire
    events = [parse_frame(frame) for frame in raw]
    assert all(event is not None for event in events)
    return [event for event in events if event is not None]


def payloads(frames: list[bytes], content_type: str) -> list[Any]:
    return [json.loads(event.data) for event in parse(frames, content_type)]


@pytest.mark.parametrize("provider", [*PROVIDERS, *FORMAT_NAMES])
def test_rendering_is_deterministic_and_seq_changes_ids(provider: str) -> None:
    wire = wire_for(provider)
    script = Script(reasoning="hmm", tool_calls=[WEATHER])
    first = wire.render_stream(script, "m", BODY, seq=3)
    assert wire.render_stream(script, "m", BODY, seq=3) == first
    assert wire.render_json(script, "m", BODY, seq=3) == wire.render_json(script, "m", BODY, seq=3)
    if provider not in ("google", "gemini"):  # Gemini calls carry no id unless scripted
        assert wire.render_stream(script, "m", BODY, seq=4) != first


def test_wire_for_rejects_unknown_providers() -> None:
    with pytest.raises(ValueError, match="unknown provider"):
        wire_for("cohere")


# -- OpenAI ------------------------------------------------------------------------------


def test_openai_text_stream_shape() -> None:
    frames = wire_openai.render_stream(Script(text="Hello there"), "gpt-4o-mini", BODY)
    events = parse(frames, wire_openai.STREAM_CONTENT_TYPE)
    assert events[-1].data == "[DONE]"
    chunks = [json.loads(event.data) for event in events[:-1]]
    for chunk in chunks:
        assert chunk["id"] == "chatcmpl-sim000001"
        assert chunk["object"] == "chat.completion.chunk"
        assert chunk["model"] == "gpt-4o-mini"
        assert {"created", "system_fingerprint"} <= chunk.keys()
        assert "usage" not in chunk  # only with stream_options.include_usage
    choices = [chunk["choices"][0] for chunk in chunks]
    assert set(choices[0]) == {"index", "delta", "logprobs", "finish_reason"}
    assert choices[0]["delta"] == {"role": "assistant", "content": "", "refusal": None}
    assert [c["delta"].get("content") for c in choices[1:-1]] == ["Hello", " there"]
    assert choices[-1] == {"index": 0, "delta": {}, "logprobs": None, "finish_reason": "stop"}
    assert all(c["finish_reason"] is None for c in choices[:-1])


def test_openai_usage_chunk_only_with_include_usage() -> None:
    script = Script(usage=Usage(prompt_tokens=9, completion_tokens=4, cached_tokens=2))
    chunks = payloads(wire_openai.render_stream(script, "m", USAGE_BODY)[:-1], "text/event-stream")
    assert all("usage" in chunk for chunk in chunks)
    assert all(chunk["usage"] is None for chunk in chunks[:-1])
    last = chunks[-1]
    assert last["choices"] == []
    assert last["usage"]["prompt_tokens"] == 9
    assert last["usage"]["completion_tokens"] == 4
    assert last["usage"]["total_tokens"] == 13
    assert last["usage"]["prompt_tokens_details"]["cached_tokens"] == 2
    assert last["usage"]["completion_tokens_details"]["reasoning_tokens"] == 0


def test_openai_tool_call_fragments_and_reasoning() -> None:
    calls = [WEATHER, ToolCallSpec(name="time", arguments={}, id="call_fixed")]
    script = Script(text="", reasoning="Let me check", tool_calls=calls)
    chunks = payloads(wire_openai.render_stream(script, "m", BODY)[:-1], "text/event-stream")
    deltas = [chunk["choices"][0]["delta"] for chunk in chunks]
    assert deltas[0] == {"role": "assistant", "content": None, "refusal": None}
    assert "".join(d.get("reasoning", "") for d in deltas) == "Let me check"
    assert not any(d.get("content") for d in deltas)
    fragments = [d["tool_calls"][0] for d in deltas if "tool_calls" in d]
    heads = [f for f in fragments if "id" in f]
    assert heads == [
        {
            "index": 0,
            "id": "call_sim000001_0",
            "type": "function",
            "function": {"name": "weather", "arguments": ""},
        },
        {
            "index": 1,
            "id": "call_fixed",
            "type": "function",
            "function": {"name": "time", "arguments": ""},
        },
    ]
    pieces = [f for f in fragments if f["index"] == 0 and "id" not in f]
    assert len(pieces) > 1
    assert all(set(piece) == {"index", "function"} for piece in pieces)
    joined = "".join(piece["function"]["arguments"] for piece in pieces)
    assert json.loads(joined) == WEATHER.arguments
    assert chunks[-1]["choices"][0]["finish_reason"] == "tool_calls"


def test_openai_json_answer() -> None:
    script = Script(text="Hi", tool_calls=[WEATHER], model="gpt-4o-mini-2024-07-18")
    answer = wire_openai.render_json(script, "gpt-4o-mini", BODY)
    assert answer["object"] == "chat.completion"
    assert answer["model"] == "gpt-4o-mini-2024-07-18"
    choice = answer["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["content"] == "Hi"
    call = choice["message"]["tool_calls"][0]
    assert call["type"] == "function"
    assert json.loads(call["function"]["arguments"]) == WEATHER.arguments
    assert answer["usage"]["total_tokens"] == (
        answer["usage"]["prompt_tokens"] + answer["usage"]["completion_tokens"]
    )


# -- Anthropic ---------------------------------------------------------------------------


def test_anthropic_event_order_with_thinking_text_and_tool() -> None:
    script = Script(text="Checking.", reasoning="Need weather", tool_calls=[WEATHER])
    events = parse(wire_anthropic.render_stream(script, "claude", BODY), "text/event-stream")
    names = [event.event for event in events]
    assert names[:3] == ["message_start", "content_block_start", "ping"]
    assert names[-2:] == ["message_delta", "message_stop"]
    data = [json.loads(event.data) for event in events]
    assert all(item["type"] == name for item, name in zip(data, names, strict=True))
    starts = [item["content_block"] for item in data if item["type"] == "content_block_start"]
    assert [block["type"] for block in starts] == ["thinking", "text", "tool_use"]
    assert starts[2] == {
        "type": "tool_use",
        "id": "toolu_sim000001_0",
        "name": "weather",
        "input": {},
    }
    deltas: dict[int, list[dict[str, Any]]] = {}
    for item in data:
        if item["type"] == "content_block_delta":
            deltas.setdefault(item["index"], []).append(item["delta"])
    assert [d["type"] for d in deltas[0]][-1] == "signature_delta"
    assert "".join(d.get("thinking", "") for d in deltas[0]) == "Need weather"
    assert "".join(d["text"] for d in deltas[1]) == "Checking."
    assert deltas[2][0] == {"type": "input_json_delta", "partial_json": ""}
    assert json.loads("".join(d["partial_json"] for d in deltas[2])) == WEATHER.arguments
    stops = [item["index"] for item in data if item["type"] == "content_block_stop"]
    assert stops == [0, 1, 2]
    message = data[0]["message"]
    assert (message["id"], message["model"], message["content"]) == ("msg_sim000001", "claude", [])
    assert data[-2]["delta"] == {"stop_reason": "tool_use", "stop_sequence": None}


@pytest.mark.parametrize(
    ("finish", "raw"),
    [("stop", "end_turn"), ("length", "max_tokens"), ("content_filter", "refusal")],
)
def test_anthropic_stop_reasons_and_usage(finish: Any, raw: str) -> None:
    usage = Usage(prompt_tokens=20, completion_tokens=7, cached_tokens=5)
    frames = wire_anthropic.render_stream(Script(finish=finish, usage=usage), "c", BODY)
    data = payloads(frames, "text/event-stream")
    start_usage = data[0]["message"]["usage"]
    assert start_usage["input_tokens"] == 15  # Anthropic counts cached input separately
    assert start_usage["cache_read_input_tokens"] == 5
    delta = data[-2]
    assert delta["delta"]["stop_reason"] == raw
    assert delta["usage"]["output_tokens"] == 7


def test_anthropic_json_answer() -> None:
    script = Script(text="Hi", reasoning="hm", tool_calls=[WEATHER])
    answer = wire_anthropic.render_json(script, "claude", BODY)
    assert answer["type"] == "message"
    assert [block["type"] for block in answer["content"]] == ["thinking", "text", "tool_use"]
    assert answer["content"][2]["input"] == WEATHER.arguments
    assert answer["stop_reason"] == "tool_use"


# -- Gemini ------------------------------------------------------------------------------


def test_gemini_stream_shape() -> None:
    script = Script(text="The capital is Paris", reasoning="Easy one", tool_calls=[WEATHER])
    frames = wire_google.render_stream(script, "gemini-2.5-flash", BODY)
    assert all(frame.startswith(b"data: ") and frame.endswith(b"\r\n\r\n") for frame in frames)
    responses = payloads(frames, wire_google.STREAM_CONTENT_TYPE)
    candidates = [response["candidates"][0] for response in responses]
    parts = [part for c in candidates for part in c["content"]["parts"]]
    assert "".join(p["text"] for p in parts if p.get("thought")) == "Easy one"
    visible = "".join(p["text"] for p in parts if "text" in p and not p.get("thought"))
    assert visible == "The capital is Paris"
    assert [p["functionCall"] for p in parts if "functionCall" in p] == [
        {"name": "weather", "args": {"location": "Florence, Italy"}}
    ]
    assert [("finishReason" in c) for c in candidates] == [False] * (len(candidates) - 1) + [True]
    assert candidates[-1]["finishReason"] == "STOP"
    for response in responses:
        assert response["modelVersion"] == "gemini-2.5-flash"
        assert response["responseId"] == "sim000001"
    totals = [response["usageMetadata"]["totalTokenCount"] for response in responses]
    assert totals == sorted(totals)  # cumulative
    final = responses[-1]["usageMetadata"]
    counts = script.token_counts(BODY)
    assert final["thoughtsTokenCount"] == counts.reasoning
    assert final["candidatesTokenCount"] == counts.completion - counts.reasoning
    assert final["totalTokenCount"] == counts.total


@pytest.mark.parametrize(
    ("finish", "raw"), [("length", "MAX_TOKENS"), ("content_filter", "SAFETY"), ("stop", "STOP")]
)
def test_gemini_finish_reasons(finish: Any, raw: str) -> None:
    responses = wire_google.render_responses(Script(finish=finish), "g", BODY)
    assert responses[-1]["candidates"][0]["finishReason"] == raw


def test_gemini_array_is_the_same_responses_as_one_json_array() -> None:
    script = Script(text="a b c")
    frames = wire_google.render_array(script, "g", BODY)
    assert len(frames) == 3
    assert frames[0].startswith(b"[") and frames[-1].endswith(b"]")
    assert json.loads(b"".join(frames)) == wire_google.render_responses(script, "g", BODY)


def test_gemini_json_answer() -> None:
    answer = wire_google.render_json(Script(text="Hi", reasoning="hm"), "g", BODY)
    parts = answer["candidates"][0]["content"]["parts"]
    assert parts == [{"text": "hm", "thought": True}, {"text": "Hi"}]
    assert answer["candidates"][0]["finishReason"] == "STOP"


# -- Ollama ------------------------------------------------------------------------------


def test_ollama_stream_shape() -> None:
    script = Script(text="Hi there", reasoning="Think", tool_calls=[WEATHER], interval=0.25)
    lines = payloads(wire_ollama.render_stream(script, "llama3", BODY), "application/x-ndjson")
    assert all(line["model"] == "llama3" for line in lines)
    assert [line["done"] for line in lines] == [False] * (len(lines) - 1) + [True]
    messages = [line["message"] for line in lines[:-1]]
    assert messages[0] == {"role": "assistant", "content": "", "thinking": "Think"}
    assert "".join(m["content"] for m in messages) == "Hi there"
    calls = [call for m in messages for call in m.get("tool_calls", [])]
    assert calls == [
        {
            "id": "call_sim000001_0",
            "function": {"index": 0, "name": "weather", "arguments": WEATHER.arguments},
        }
    ]
    stamps = [line["created_at"] for line in lines]
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)
    last = lines[-1]
    assert last["done_reason"] == "stop"
    assert last["message"] == {"role": "assistant", "content": ""}
    for counter in ("total_duration", "load_duration", "prompt_eval_duration", "eval_duration"):
        assert isinstance(last[counter], int)
    assert last["eval_count"] == script.token_counts(BODY).completion
    assert last["eval_duration"] >= 0.25 * 1e9 * (len(lines) - 1)


def test_ollama_length_and_json_answer() -> None:
    lines = payloads(
        wire_ollama.render_stream(Script(finish="length"), "l", BODY), "application/x-ndjson"
    )
    assert lines[-1]["done_reason"] == "length"
    answer = wire_ollama.render_json(Script(text="Hi", tool_calls=[WEATHER]), "l", BODY)
    assert answer["done"] is True
    assert answer["message"]["content"] == "Hi"
    assert answer["message"]["tool_calls"][0]["function"]["arguments"] == WEATHER.arguments


# -- errors ------------------------------------------------------------------------------


def test_openai_errors() -> None:
    error = wire_openai.render_error(Script(status=429, retry_after=2), "m", BODY)
    assert error.status == 429
    assert error.headers["retry-after"] == "2"
    assert error.headers["retry-after-ms"] == "2000"
    payload = json.loads(error.body)["error"]
    assert set(payload) == {"message", "type", "param", "code"}
    assert payload["code"] == "rate_limit_exceeded"
    auth = json.loads(wire_openai.render_error(Script(status=401), "m", BODY).body)["error"]
    assert auth["code"] == "invalid_api_key"


@pytest.mark.parametrize(
    ("status", "kind"),
    [(401, "authentication_error"), (429, "rate_limit_error"), (529, "overloaded_error")],
)
def test_anthropic_errors(status: int, kind: str) -> None:
    script = Script(status=status, error_message="nope")
    error = wire_anthropic.render_error(script, "c", BODY)
    payload = json.loads(error.body)
    assert (error.status, payload["type"]) == (status, "error")
    assert payload["error"] == {"type": kind, "message": "nope"}


def test_gemini_errors() -> None:
    limited = wire_google.render_error(Script(status=429, retry_after=17), "g", BODY)
    error = json.loads(limited.body)["error"]
    assert (error["code"], error["status"]) == (429, "RESOURCE_EXHAUSTED")
    retry = [d for d in error["details"] if d["@type"].endswith("RetryInfo")]
    assert retry == [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "17s"}]
    invalid = wire_google.render_error(Script(status=400), "g", BODY, stream=True)
    # The streaming endpoint keeps its SSE content type even for a plain JSON error.
    assert invalid.headers["content-type"] == "text/event-stream"
    reasons = [d.get("reason") for d in json.loads(invalid.body)["error"]["details"]]
    assert reasons == ["API_KEY_INVALID"]
    missing = json.loads(wire_google.render_error(Script(status=404), "nope", BODY).body)
    assert missing["error"]["status"] == "NOT_FOUND"
    assert "details" not in missing["error"]
    assert "models/nope" in missing["error"]["message"]


def test_ollama_errors() -> None:
    error = wire_ollama.render_error(Script(status=404), "llama9", BODY)
    assert error.status == 404
    assert json.loads(error.body) == {"error": 'model "llama9" not found, try pulling it first'}


@pytest.mark.parametrize("provider", [*PROVIDERS, *FORMAT_NAMES])
def test_in_band_error_frames_parse_as_one_frame(provider: str) -> None:
    wire = wire_for(provider)
    frame = wire.render_error_frame(Script(status=529 if provider == "anthropic" else 500), "m")
    content_type = wire_ollama.STREAM_CONTENT_TYPE if provider == "ollama" else "text/event-stream"
    [event] = parse([frame], content_type)
    payload = json.loads(event.data)
    assert "error" in payload
    if provider == "anthropic":
        assert event.event == "error"
        assert payload["error"]["type"] == "overloaded_error"
