"""The stream fuzz harness: realistic provider bodies, mutated, decoded, checked.

Reusable for any wire format in `providers.registry.FORMATS` (a new one is fuzzed as soon as
its folder has a codec and a `render` module, as the simulator needs anyway):

- `seed_frames(fmt)`: frames of several realistic answers from the format's own renderer
  (text, thinking, tool calls, usage), the starting point of every input;
- `bodies(fmt)`: a hypothesis strategy of bodies made from them: values replaced by junk of
  any JSON type (numbers out of range, bools, lists, deep nesting), keys dropped, frames
  repeated, dropped or swapped, raw garbage frames, the body cut short;
- `decode(fmt, body, cuts)`: the body read in pieces ending at `cuts`, through the splitter and
  `StreamDecoder.chunks` / `finish`, as `LLMRing` reads a response; only project exceptions
  may escape (anything else fails the test);
- `assert_stream_rules(chunks, error)`: the stream rules that must hold for any input.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from typing import Any

from hypothesis import strategies as st

from llmring_replay.exceptions import LLMRingError
from llmring_replay.framing import Event, splitter_for
from llmring_replay.providers.base import ProviderConfig
from llmring_replay.providers.format import Format
from llmring_replay.schemas import StreamChunk
from llmring_replay.simulator.script import Script

__all__ = [
    "Decoded",
    "assert_stream_rules",
    "bodies",
    "decode",
    "junk",
    "mutated",
    "replies",
    "seed_frames",
]

MODEL = "fuzz-model"
_REQUEST = {
    "model": MODEL,
    "messages": [{"role": "user", "content": "hi"}],
    "stream": True,
    "stream_options": {"include_usage": True},
}
_SCRIPTS = (
    Script(text="Hello, wörld 🚀", chunk_size=4),
    Script(
        text="Let me check.",
        reasoning="The user wants the weather.",
        tool_calls=[{"name": "weather", "arguments": {"city": "Oslo", "days": [1, 2]}}],
    ),
    Script(text="cut", finish="length", usage={"prompt_tokens": 5, "cached_tokens": 2}),
)

#: Deeply nested JSON: past the recursion limit of the JSON parser.
DEEP = "[" * 5_000 + "]" * 5_000


@functools.cache
def seed_frames(fmt: Format) -> list[list[bytes]]:
    """The frames of each seed answer, rendered by the format's own simulator renderer."""
    render = fmt.module("render")
    return [list(render.render_stream(script, MODEL, _REQUEST)) for script in _SCRIPTS]


@functools.cache
def seed_replies(fmt: Format) -> list[Any]:
    """Each seed answer as the format's non-streaming JSON reply."""
    render = fmt.module("render")
    return [render.render_json(script, MODEL, {**_REQUEST, "stream": False}) for script in _SCRIPTS]


# -- junk and mutation -------------------------------------------------------------------

_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["", "stop", "tool_use", "STOP", "[DONE]", "error", "message_stop", "0"]),
)
#: Any JSON-ish value: scalars, small lists and objects of them, nested a few levels.
junk = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path into `value` (keys and indexes), the root included."""
    found = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*path, index))
    return found


def _replace(value: Any, path: tuple[Any, ...], new: Any, delete: bool) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    copy: Any = dict(value) if isinstance(value, dict) else list(value)
    if delete and not rest:
        del copy[head]
    else:
        copy[head] = _replace(copy[head], rest, new, delete)
    return copy


@st.composite
def mutated(draw: st.DrawFn, value: Any) -> Any:
    """`value` with one node replaced by junk, or deleted, or left as it is."""
    paths = _paths(value)
    path = draw(st.sampled_from(paths))
    action = draw(st.sampled_from(["replace", "replace", "delete", "keep"]))
    if action == "keep":
        return value
    if action == "delete" and path:
        return _replace(value, path, None, delete=True)
    return _replace(value, path, draw(junk), delete=False)


def _dump(value: Any) -> str:
    # json.dumps writes inf and nan as Infinity / NaN, which json.loads reads back: fine.
    return json.dumps(value, ensure_ascii=False)


def _frame(fmt: Format, event: Event | None, data: str) -> bytes:
    if fmt.framing == "ndjson":
        return f"{data}\n".encode()
    name = f"event: {event.event}\n" if event is not None and event.event else ""
    return f"{name}data: {data}\n\n".encode()


@st.composite
def _mutated_frame(draw: st.DrawFn, fmt: Format, frame: bytes) -> bytes:
    _, parse = splitter_for(fmt.framing)
    event = parse(frame)
    try:
        value = json.loads(event.data) if event is not None else None
    except (ValueError, RecursionError):
        value = None
    if value is None:
        return frame
    return _frame(fmt, event, _dump(draw(mutated(value))))


_GARBAGE = st.one_of(
    st.binary(max_size=40),
    st.text(max_size=40).map(str.encode),
    st.sampled_from(
        [b"data: \n\n", b": comment\n\n", b"data: {\n\n", b"event: error\ndata: x\n\n", b"\r\n"]
    ),
    st.just(f"data: {DEEP}\n\n".encode()),
    junk.map(lambda value: f"data: {_dump(value)}\n\n".encode()),
    junk.map(lambda value: f"{_dump(value)}\n".encode()),
)


@st.composite
def bodies(draw: st.DrawFn, fmt: Format) -> bytes:
    """A body of `fmt` built from a seed answer with up to four changes (see module doc)."""
    frames = list(draw(st.sampled_from(seed_frames(fmt))))
    for _ in range(draw(st.integers(0, 4))):
        index = draw(st.integers(0, len(frames) - 1)) if frames else 0
        change = draw(
            st.sampled_from(["mutate", "mutate", "mutate", "repeat", "drop", "swap", "garbage"])
        )
        if change == "garbage" or not frames:
            frames.insert(index, draw(_GARBAGE))
        elif change == "mutate":
            frames[index] = draw(_mutated_frame(fmt, frames[index]))
        elif change == "repeat":
            frames.insert(index, frames[index])
        elif change == "drop":
            del frames[index]
        elif index + 1 < len(frames):
            frames[index], frames[index + 1] = frames[index + 1], frames[index]
    body = b"".join(frames)
    if draw(st.integers(0, 9)) == 0:
        body = body[: draw(st.integers(0, len(body)))]  # cut short
    return body


@st.composite
def replies(draw: st.DrawFn, fmt: Format) -> Any:
    """A non-streaming reply of `fmt`, mutated up to three times."""
    value = draw(st.sampled_from(seed_replies(fmt)))
    for _ in range(draw(st.integers(0, 3))):
        value = draw(mutated(value))
    return value


# -- decoding and the rules ----------------------------------------------------------------

Decoded = tuple[list[StreamChunk], LLMRingError | None]


def codec_for(fmt: Format) -> Any:
    """A codec of `fmt` (decoding needs no network and no real key)."""
    return fmt.codec_class()(ProviderConfig(fmt.provider, "fuzz-key", "http://fuzz.invalid"))


def _reads(body: bytes, cuts: Sequence[int]) -> list[bytes]:
    ends = [*sorted({cut for cut in cuts if 0 < cut < len(body)}), len(body)]
    reads, start = [], 0
    for end in ends:
        reads.append(body[start:end])
        start = end
    return reads


def decode(fmt: Format, body: bytes, cuts: Sequence[int] = ()) -> Decoded:
    """Chunks and the error (a project exception) for `body` read in pieces ending at `cuts`.

    The raw-frame path (`feed` + `parse` + `StreamDecoder.chunks`, as `cli decode` reads a
    cassette): `service._decode` reads text frames (`feed_text` + `take`) and must give the
    same (test_any_body_through_llmring). Anything but an `LLMRingError` propagates and
    fails the test.
    """
    decoder = codec_for(fmt).stream_decoder(MODEL)
    splitter, parse = splitter_for(fmt.framing)
    chunks: list[StreamChunk] = []
    try:
        for read in _reads(body, cuts):
            if not decoder.done:
                for chunk in decoder.chunks(splitter.feed(read), parse):
                    chunks.append(chunk)
        if not decoder.done:
            for chunk in decoder.chunks(splitter.flush(), parse):
                chunks.append(chunk)
            chunks += decoder.finish()
    except LLMRingError as exc:
        return chunks, exc
    return chunks, None


def _check_call(call: Any) -> None:
    assert isinstance(call, dict) and call["type"] == "function", call
    assert call["id"] is None or type(call["id"]) is str, call
    function = call["function"]
    assert type(function["name"]) is str and type(function["arguments"]) is str, call


def assert_stream_rules(chunks: list[StreamChunk], error: LLMRingError | None) -> None:
    """Rules 1, 3, 4 and 5 as types: they hold for any input, malformed or not."""
    for chunk in chunks:
        assert type(chunk.delta) is str, chunk  # rule 1
        assert type(chunk.model) is str, chunk
        assert chunk.reasoning is None or type(chunk.reasoning) is str, chunk
        for call in chunk.tool_calls or ():
            _check_call(call)
    finals = [i for i, chunk in enumerate(chunks) if chunk.finish_reason is not None]
    assert finals in ([], [len(chunks) - 1]), finals  # rule 3: one final chunk, the last
    if error is None:
        assert finals, "a stream that raised nothing must end with its final chunk"
    for chunk in chunks[:-1]:
        assert chunk.usage is None, chunk  # rule 4
    usage = chunks[-1].usage if chunks else None
    if usage is not None:
        assert all(type(v) is int and v >= 0 for v in usage.values()), usage


def same(first: Decoded, second: Decoded) -> bool:
    """Whether two decodings gave the same chunks and the same error message."""

    def dumped(decoded: Decoded) -> tuple[list[dict[str, Any]], str | None]:
        chunks, error = decoded
        return [c.model_dump() for c in chunks], None if error is None else error.message

    return dumped(first) == dumped(second)
