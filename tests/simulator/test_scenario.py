"""Scenarios: rules on the request choose the answer, first match wins, statelessly."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from llmring_replay import LLMRequest, Message
from llmring_replay.exceptions import ScenarioError
from llmring_replay.providers import ProviderConfig
from llmring_replay.providers.errors import error_body
from llmring_replay.providers.registry import FORMATS, Format, for_provider
from llmring_replay.simulator import Scenario, ScenarioDocument, Script, Simulator
from llmring_replay.simulator.routes import find_route, plan_reply
from llmring_replay.simulator.scenario_files import simulator_from_text

CALL = {
    "id": "call_0",
    "type": "function",
    "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
}
TOOLS = [{"type": "function", "function": {"name": "get_weather", "parameters": {}}}]


def scenario(*rules: dict[str, Any], **document: Any) -> Scenario:
    return Scenario(ScenarioDocument.model_validate({"rules": list(rules), **document}), "test")


def request(fmt: Format, *messages: Message, model: str | None = None) -> tuple[str, Any]:
    """(path, body) of a streamed request as the format's own codec builds it."""
    base_url = f"http://127.0.0.1:9{fmt.base_url_suffix}"
    codec = fmt.codec_class()(ProviderConfig(fmt.provider, "key", base_url))
    built = codec.build_request(
        LLMRequest(messages=list(messages), tools=TOOLS), model or fmt.default_model, stream=True
    )
    return built.url.path, json.loads(built.content)


def answer(sc: Scenario, fmt: Format, *messages: Message, model: str | None = None) -> Script:
    path, body = request(fmt, *messages, model=model)
    return sc.answer(fmt.provider, model or fmt.default_model, path, body)


def user(text: str) -> Message:
    return Message(role="user", content=text)


TOOL_LOOP = (
    user("Weather in Paris?"),
    Message(role="assistant", content="", tool_calls=[CALL]),
    Message(role="tool", content='{"celsius": 21}', tool_call_id="call_0"),
)


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda fmt: fmt.name)
def test_one_rule_set_answers_a_tool_loop_and_a_conversation_on_every_format(fmt: Format) -> None:
    sc = scenario(
        {"name": "report", "match": {"tool_result": "get_weather"}, "reply": {"text": "21."}},
        {"name": "call", "match": {"user_contains": "WEATHER"}, "reply": {"text": "Checking."}},
        {
            "name": "recall",
            "match": {"turn": 2, "user_matches": r"name\?$"},
            "reply": {"text": "Ada"},
        },
        {"name": "hello", "match": {"user_matches": r"(?i)^hi\b"}, "reply": {"text": "Hello!"}},
    )
    assert answer(sc, fmt, user("Hi there")).text == "Hello!"
    assert answer(sc, fmt, user("What's the weather?")).text == "Checking."
    assert answer(sc, fmt, *TOOL_LOOP).text == "21."
    conversation = [
        user("I am Ada."),
        Message(role="assistant", content="Hi Ada."),
        user("My name?"),
    ]
    assert answer(sc, fmt, *conversation).text == "Ada"
    # The same question as the first turn of a conversation is not turn 2.
    assert answer(sc, fmt, user("My name?")).is_error


def test_the_first_matching_rule_wins() -> None:
    sc = scenario(
        {"match": {"user_contains": "a"}, "reply": {"text": "first"}},
        {"match": {"user_contains": "ab"}, "reply": {"text": "second"}},
        {"reply": {"text": "fallback"}},
    )
    fmt = FORMATS[0]
    assert answer(sc, fmt, user("ab")).text == "first"
    assert answer(sc, fmt, user("b")).text == "fallback"


@pytest.mark.parametrize(
    ("match", "provider", "model", "hit"),
    [
        ({"provider": "anthropic"}, "anthropic", None, True),
        ({"provider": ["openai", "ollama"]}, "anthropic", None, False),
        ({"format": "gemini"}, "google", None, True),
        ({"format": ["openai_chat"]}, "google", None, False),
        ({"model": "claude-*"}, "anthropic", "claude-3-5-haiku-latest", True),
        ({"model": ["gpt-4o", "gpt-4o-mini"]}, "openai", "gpt-4o-mini-2024", False),
        ({"path": "*:streamGenerateContent"}, "google", None, True),
        ({"path": "/api/*"}, "openai", None, False),
        ({"tool_result": False}, "ollama", None, True),
        ({"tool_result": True}, "ollama", None, False),
        ({"turn": 1}, "anthropic", None, True),
    ],
)
def test_each_condition(match: dict[str, Any], provider: str, model: str | None, hit: bool) -> None:
    sc = scenario({"match": match, "reply": {"text": "hit"}})
    script = answer(sc, for_provider(provider), user("Hello"), model=model)
    assert (script.text == "hit" and not script.is_error) is hit


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda fmt: fmt.name)
def test_an_unmatched_request_is_a_provider_shaped_400_naming_the_closest_rule(fmt: Format) -> None:
    sc = scenario(
        {"name": "greeting", "match": {"user_contains": "hello"}, "reply": {"text": "Hi!"}},
        {"name": "weather", "match": {"user_contains": "weather"}, "reply": {"text": "Sun."}},
        {"name": "later", "match": {"turn": 3, "user_contains": "x"}, "reply": {"text": "."}},
    )
    path, body = request(fmt, user("How is the wether?"))
    route = find_route(path, {}, body)
    assert route is not None
    reply = plan_reply(route, Simulator(sc), body, seq=1)
    assert reply.status == 400
    codec = fmt.codec_class()(ProviderConfig(fmt.provider, "k", ""))
    error = codec.error_info(400, error_body(reply.frames[0]))
    assert "no rule of test matches this request" in error.message
    assert "turn 1, user 'How is the wether?', no tool results" in error.message
    # The closest: one condition missed (as for "greeting"), but wanted text most like it.
    assert (
        "closest rule: 'weather' (rules[1]), which wants user_contains 'weather'" in error.message
    )
    # Shaped like the provider's own bad request: not mistaken for a bad key or a rate limit.
    assert error.kind is None


def _stream_bytes(
    sim: Simulator, fmt: Format, *messages: Message
) -> tuple[list[bytes], list[float]]:
    path, body = request(fmt, *messages)
    route = find_route(path, {"alt": "sse"}, body)
    assert route is not None
    reply = plan_reply(route, sim, body, seq=random.randint(1, 1000))
    return reply.frames, reply.delays


def test_answers_depend_on_the_request_alone_not_on_the_order() -> None:
    # Ids and jitter are derived from the request, not from a running count: a request gets
    # the same bytes and timing whatever came before it (parallel workers, a failing test).
    sim = Simulator(
        scenario(
            {"match": {"tool_result": True}, "reply": {"text": "Done.", "timing": "typical"}},
            {
                "reply": {
                    "text": "Calling.",
                    "tool_calls": [{"name": "get_weather"}],
                    "timing": "typical",
                }
            },
        )
    )
    cases = [(fmt, messages) for fmt in FORMATS for messages in ([user("Hi")], list(TOOL_LOOP))]
    first = [_stream_bytes(sim, fmt, *messages) for fmt, messages in cases]
    shuffled = list(range(len(cases)))
    random.Random(7).shuffle(shuffled)
    again = {index: _stream_bytes(sim, *cases[index][:1], *cases[index][1]) for index in shuffled}
    assert [again[index] for index in range(len(cases))] == first
    delays = first[0][1]
    assert len(set(delays[1:])) > 1  # jittered, yet reproducible
    assert 0.4 * 0.7 <= delays[0] <= 0.4 * 1.3


def test_defaults_and_own_profiles_fill_replies_whose_own_fields_win() -> None:
    sc = scenario(
        {"match": {"user_contains": "a"}, "reply": {"text": "a", "timing": "sluggish"}},
        {"match": {"user_contains": "b"}, "reply": {"text": "b", "ttft": 0.5}},
        {"reply": {"text": "c", "timing": "instant"}},
        profiles={"sluggish": {"ttft": 1.5, "interval": 0.05}},
        defaults={"timing": "fast", "model": "gpt-4o-mini-2024-07-18"},
    )
    fmt = FORMATS[0]
    a, b, c = (answer(sc, fmt, user(text)) for text in "abc")
    assert (a.ttft, a.interval, a.model) == (1.5, 0.05, "gpt-4o-mini-2024-07-18")
    assert (b.ttft, b.interval) == (0.5, 0.002)  # `fast`'s interval, its own ttft
    assert (c.ttft, c.interval) == (0.0, 0.0)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("rules: []\n", "line 1: rules: List should have at least 1 item"),
        (
            "rules:\n- name: a\n- match: {provider: openia}\n",
            "line 3: rules[1].match.provider: unknown provider 'openia' (known: openai, ",
        ),
        ("rules:\n- match:\n    format: chat\n", "line 3: rules[0].match.format: unknown wire"),
        ("rules:\n- match: {user_matches: (}\n", "rules[0].match.user_matches: not a regular"),
        (
            "rules:\n- match:\n    turn: 0\n",
            "line 3: rules[0].match.turn: Input should be greater than or equal to 1",
        ),
        ("rules:\n- match: {user: x}\n", "rules[0].match.user: Extra inputs are not permitted"),
        ("rules:\n- reply: {timing: glacial}\n", "unknown timing profile 'glacial'"),
        ("rules:\n- reply:\n    fault: explode\n", "line 3: rules[0].reply.fault: fault spec"),
        ("rules: [{}]\nprofiles: {fast: {}}\n", "profiles: 'fast' is a built-in profile"),
        ("rules: [{}]\ndefaults:\n  ttft: -1\n", "line 3: defaults.ttft: Input should be"),
        ("rules: [{}\n", "not YAML: line 2, column 1: while parsing a flow sequence"),
    ],
)
def test_bad_files_are_refused_saying_what_and_where(text: str, problem: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        simulator_from_text(text, "scenario.yaml")
    assert caught.value.message.startswith("scenario.yaml: ")
    assert problem in caught.value.message
    assert caught.value.path == "scenario.yaml"
