"""The Responses API renderer (simulator, faults): its bytes are what the API sends, and
what our own codec reads back as the script said."""

from __future__ import annotations

import json
from typing import Any

import pytest

from llmring_replay.exceptions import ModelNotFoundError, ProviderResponseError
from llmring_replay.faults.shapes import error_frame, error_response, shape_for
from llmring_replay.framing import splitter_for
from llmring_replay.providers.base import ProviderConfig
from llmring_replay.providers.errors import to_exception
from llmring_replay.providers.openai_responses import render
from llmring_replay.providers.openai_responses.codec import OpenAIResponsesCodec
from llmring_replay.schemas import StreamChunk
from llmring_replay.simulator import Script, ToolCallSpec, Usage

BODY = {"model": "gpt-4o", "input": [{"role": "user", "content": "Say hello"}], "stream": True}
CODEC = OpenAIResponsesCodec(ProviderConfig("openai", None, "http://127.0.0.1:9/v1"))


def events(frames: list[bytes]) -> list[tuple[str | None, dict[str, Any]]]:
    splitter, parse = splitter_for("sse")
    raw = splitter.feed(b"".join(frames)) + splitter.flush()
    assert raw == frames  # every rendered element is exactly one frame on the wire
    parsed = [parse(frame) for frame in raw]
    return [(e.event, json.loads(e.data)) for e in parsed if e is not None]


def decoded(frames: list[bytes]) -> list[StreamChunk]:
    _, parse = splitter_for("sse")
    decoder = CODEC.stream_decoder("gpt-4o")
    return [*decoder.chunks(frames, parse), *decoder.finish()]


def test_stream_names_every_event_and_numbers_them() -> None:
    script = Script(text="Hello there", reasoning="Think first", model="gpt-4o-2024-08-06")
    shown = events(render.render_stream(script, "gpt-4o", BODY, seq=2))
    assert all(name == payload["type"] for name, payload in shown)
    assert [payload["sequence_number"] for _, payload in shown] == list(range(len(shown)))
    kinds = [name for name, _ in shown]
    assert kinds[:3] == ["response.created", "response.in_progress", "response.output_item.added"]
    assert kinds[-1] == "response.completed"
    assert kinds.count("response.output_text.delta") == 2
    assert kinds.count("response.reasoning_summary_text.delta") == 2
    finished = shown[-1][1]["response"]
    assert finished["model"] == "gpt-4o-2024-08-06"
    assert [item["type"] for item in finished["output"]] == ["reasoning", "message"]


def test_our_codec_reads_back_what_the_script_says() -> None:
    weather = ToolCallSpec(name="weather", arguments={"city": "Oslo"}, id="call_w")
    script = Script(
        text="Let me look.",
        reasoning="Need the tool.",
        tool_calls=[weather, ToolCallSpec(name="time")],
        usage=Usage(prompt_tokens=11, completion_tokens=9, cached_tokens=4, reasoning_tokens=3),
    )
    chunks = decoded(render.render_stream(script, "gpt-4o", BODY, seq=5))
    assert "".join(c.delta for c in chunks) == "Let me look."
    assert "".join(c.reasoning or "" for c in chunks) == "Need the tool."
    final = chunks[-1]
    assert final.finish_reason == "tool_calls"
    assert final.tool_calls == [
        {
            "id": "call_w",
            "type": "function",
            "function": {"name": "weather", "arguments": '{"city":"Oslo"}'},
        },
        {
            "id": "call_sim000005_1",
            "type": "function",
            "function": {"name": "time", "arguments": "{}"},
        },
    ]
    assert final.usage == {
        "prompt_tokens": 11,
        "completion_tokens": 9,
        "total_tokens": 20,
        "cached_tokens": 4,
        "reasoning_tokens": 3,
    }
    whole = CODEC.parse_response(render.render_json(script, "gpt-4o", BODY, seq=5), "gpt-4o")
    assert (whole.content, whole.reasoning, whole.tool_calls) == (
        "Let me look.",
        "Need the tool.",
        final.tool_calls,
    )


@pytest.mark.parametrize(
    ("finish", "reason"), [("length", "max_output_tokens"), ("content_filter", "content_filter")]
)
def test_a_cut_answer_is_incomplete(finish: Any, reason: str) -> None:
    frames = render.render_stream(Script(text="Cut", finish=finish), "gpt-4o", BODY)
    name, payload = events(frames)[-1]
    assert name == "response.incomplete"
    assert payload["response"]["incomplete_details"] == {"reason": reason}
    assert decoded(frames)[-1].finish_reason == finish
    answer = render.render_json(Script(text="Cut", finish=finish), "gpt-4o", BODY)
    assert (answer["status"], CODEC.parse_response(answer, "m").finish_reason) == (
        "incomplete",
        finish,
    )


def test_faults_use_the_responses_shapes() -> None:
    # An unknown model is a 400 here (a 404 on Chat Completions).
    shape = shape_for("openai_responses", "model_not_found")
    response = error_response("openai_responses", shape, "gpt-9")
    assert response.status == 400
    body = json.loads(response.body)
    info = CODEC.error_info(400, body)
    assert isinstance(to_exception("openai", 400, info, model="gpt-9"), ModelNotFoundError)
    assert body["error"]["message"] == "The requested model 'gpt-9' does not exist."
    assert shape_for("openai", "model_not_found").status == 404
    # In band: `event: error`, which our decoder raises on, after what came before.
    frame = error_frame("openai_responses", shape_for("openai_responses", "server_error"), "m")
    [(name, payload)] = events([frame])
    assert (name, payload["type"]) == ("error", "error")
    frames = render.render_stream(Script(text="one two three"), "gpt-4o", BODY)
    at = next(i for i, f in enumerate(frames) if b"output_text.delta" in f) + 1
    _, parse = splitter_for("sse")
    decoder = CODEC.stream_decoder("gpt-4o")
    seen: list[str] = []
    with pytest.raises(ProviderResponseError) as info_:
        for chunk in decoder.chunks([*frames[:at], frame], parse):
            seen.append(chunk.delta)
    assert "".join(seen) == "one" and info_.value.status_code == 200
