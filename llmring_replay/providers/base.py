"""What every provider codec shares: its interface, and the stream accumulator.

A codec translates between `LLMRequest` and one provider's HTTP API. It never touches the
network: `build_request` returns an `httpx.Request`, `stream_decoder` returns a fresh
`StreamDecoder` that turns parsed frames (`framing.Event`) into `StreamChunk`s, and
`parse_response` reads a non-streaming JSON body. Errors are *described* (`ErrorInfo`) and
mapped to exceptions in `providers.errors`, the one place that decides the class.

Data of the wrong shape (a string where an object goes, a count that is no number, JSON
nested past the recursion limit) is mapped at one boundary too: callers feed a decoder
through `StreamDecoder.chunks` / `finish` and read a reply through `Codec.read_response`,
which turn whatever Python raised on it into a `ProviderResponseError` naming the provider,
the status and the frame. So the codecs read the happy shape without a check per field, and
only the project's exceptions ever leave them.

`StreamBuilder` holds the state all four decoders need, so each decoder is only a table of
small per-event functions: the model, text so far, the cumulative tool calls (rule 5), the
merged usage (rule 4), and the one final chunk (rule 3).
"""

from __future__ import annotations

import hashlib
import json
import re
import reprlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from json.scanner import make_scanner
from typing import Any, ClassVar, cast

import httpx

from llmring_replay.exceptions import ConfigurationError, ProviderResponseError
from llmring_replay.framing import Event, parse_sse_text
from llmring_replay.providers.errors import ErrorInfo
from llmring_replay.providers.format import Format
from llmring_replay.schemas import LLMRequest, LLMResponse, StreamChunk

__all__ = [
    "Codec",
    "ProviderConfig",
    "StreamBuilder",
    "StreamDecoder",
    "call_arguments",
    "derived_call_id",
    "drop_none",
    "is_derived_call_id",
    "other_keys",
    "parse_json",
    "parse_json_object",
    "token_count",
]


@dataclass(frozen=True)
class ProviderConfig:
    """A configured provider: its name, key (may be `None` for Ollama), base URL, and the
    wire format it is spoken in (`None`: the provider's default, e.g. Chat Completions)."""

    name: str
    api_key: str | None
    base_url: str
    #: The format's name (`openai_responses`), as `registry.for_provider(name, api)` takes it.
    api: str | None = None


def drop_none(mapping: dict[str, Any]) -> dict[str, Any]:
    """The mapping without its `None` values (so `0` and `False` survive, unlike `if v`)."""
    return {key: value for key, value in mapping.items() if value is not None}


def other_keys(body: dict[str, Any], known: set[str]) -> dict[str, Any]:
    """The items of a request body whose keys are not in `known` (for the inverses of
    request building: what `LLMRequest` has no field for goes to `extra_params`)."""
    return {key: value for key, value in body.items() if key not in known}


_loads = json.loads
# json.loads is a Python wrapper (two regex matches and two method hops) around this C
# scanner; calling the scanner straight saves ~40% of the parse of a small frame, and every
# frame of every stream is parsed once.
_scan_once = make_scanner(cast(Any, json.JSONDecoder()))


def call_arguments(call: dict[str, Any], provider: str) -> dict[str, Any]:
    """An OpenAI-shaped call's arguments (JSON text, or already an object) as the object that
    Anthropic's `input`, Gemini's `args` and Ollama's `arguments` must be.

    Raises `ConfigurationError` naming the provider and the call when they are not a JSON
    object: the request cannot be expressed, and sending it anyway would only earn a 400.
    """
    raw = (call.get("function") or {}).get("arguments")
    try:
        value = json.loads(raw) if isinstance(raw, str) and raw.strip() else (raw or {})
    except (ValueError, RecursionError):
        value = None
    if not isinstance(value, dict):
        raise ConfigurationError(
            f"{provider} needs the arguments of tool call {call.get('id')!r} as a JSON "
            f"object, got {str(raw)[:200]!r}"
        )
    return value


def derived_call_id(position: int, name: str, arguments: str) -> str:
    """The id given to a tool call the provider sent without one: `call_` and 24 hex digits
    of a hash of the call's position in the answer, its name and its arguments.

    Deterministic, so transcripts, snapshots and cassettes do not change from run to run;
    distinct for distinct calls in one answer (the position) and, unless the model repeats
    a call word for word, across the turns of a conversation. It never goes back to the
    provider: a provider without ids matches results by the function's name, which the
    request builders find from the id through the assistant message that made the call.
    """
    digest = hashlib.sha256(json.dumps([position, name, arguments]).encode()).hexdigest()
    return f"{_DERIVED_PREFIX}{digest[:_DERIVED_DIGITS]}"


_DERIVED_PREFIX = "call_"
_DERIVED_DIGITS = 24
_HEX = frozenset("0123456789abcdef")


def is_derived_call_id(call_id: str) -> bool:
    """Whether `call_id` has the form `derived_call_id` gives (so no provider sent it).

    Request builders send a provider's own ids back (Gemini's `functionCall.id` to its
    `functionResponse.id`) and keep derived ones to themselves: the provider never made them.
    """
    digits = call_id.removeprefix(_DERIVED_PREFIX)
    return (
        len(call_id) == len(_DERIVED_PREFIX) + _DERIVED_DIGITS
        and call_id.startswith(_DERIVED_PREFIX)
        and set(digits) <= _HEX
    )


def parse_json_object(content: str) -> dict[str, Any] | None:
    """`content` parsed when it is a JSON object (a JSON answer), else `None`."""
    if not content.lstrip().startswith("{"):
        return None
    try:
        parsed = json.loads(content)
    except (ValueError, RecursionError):  # an answer that is no JSON, or nested too deep
        return None
    return parsed if isinstance(parsed, dict) else None


def parse_json(raw: str) -> Any:
    """`json.loads(raw)`, faster on the usual frame; anything unusual (surrounding
    whitespace, trailing data, not JSON at all) gets `json.loads`'s own verdict."""
    try:
        value, end = _scan_once(raw, 0)
    except StopIteration:
        return _loads(raw)
    return value if end == len(raw) else _loads(raw)


#: What reading data of the wrong shape raises in Python: a missing key, a str where a dict
#: goes, `int("x")`, `int(1e400)`, JSON nested past the recursion limit.
_UNREADABLE = (ValueError, TypeError, AttributeError, LookupError, ArithmeticError, RecursionError)


_LINE_ENDS = re.compile(r"\r\n?")


def _reason(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:160] or type(exc).__name__


def token_count(value: Any) -> int:
    """`value` as a token count: a non-negative integer (`12.0` is accepted as 12).

    Raises `ValueError` for anything else (`"12"`, `true`, `-1`, `1e400`, `null`): a count
    of the wrong type is a malformed frame, not something to guess at.
    """
    if value.__class__ is int and value >= 0:
        return int(value)  # an int already: int() is the cheapest way to say so to mypy
    if value.__class__ is float and value >= 0 and value.is_integer():  # inf and nan fail
        return int(value)
    raise ValueError(f"{value!r:.40} is not a token count")


_CHUNK_FIELDS = set(StreamChunk.model_fields)
_object_new = object.__new__
_object_setattr = object.__setattr__


def _slot_setter(name: str) -> Callable[[Any, Any], None]:
    """The setter of one of a chunk's per-instance slots (`__dict__` and pydantic's): its
    descriptor's `__set__` costs less per call than `object.__setattr__`, which looks the
    name up first."""
    for klass in StreamChunk.__mro__:
        slot = vars(klass).get(name)
        if slot is not None and hasattr(slot, "__set__"):
            return cast(Callable[[Any, Any], None], slot.__set__)
    return lambda chunk, value: _object_setattr(chunk, name, value)


_set_dict = _slot_setter("__dict__")
_set_fields_set = _slot_setter("__pydantic_fields_set__")
_set_extra = _slot_setter("__pydantic_extra__")
_set_private = _slot_setter("__pydantic_private__")
#: A text chunk's fields but the text and the model, in field order: copying a dict costs
#: half what building it does.
_TEXT_FIELDS: dict[str, Any] = dict.fromkeys(StreamChunk.model_fields)


def _new_chunk(
    *,
    delta: str,
    model: str,
    finish_reason: str | None,
    usage: dict[str, int] | None,
    tool_calls: list[dict[str, Any]] | None,
    reasoning: str | None,
    provider_details: dict[str, Any] | None,
) -> StreamChunk:
    """A `StreamChunk` without validation: the builder guarantees the types.

    This is the hot path of every stream, and `model_construct` costs twice as much: it is
    what pydantic's own `model_construct` does, minus the defaults and extras handling a
    chunk with every field given does not need. The shared fields-set is never mutated
    (assigning a field adds a name that is already in it).
    """
    chunk = _object_new(StreamChunk)
    _set_dict(
        chunk,
        {
            "delta": delta,
            "model": model,
            "finish_reason": finish_reason,
            "usage": usage,
            "tool_calls": tool_calls,
            "reasoning": reasoning,
            "provider_details": provider_details,
        },
    )
    _set_fields_set(chunk, _CHUNK_FIELDS)
    _set_extra(chunk, None)
    _set_private(chunk, None)
    return chunk


class StreamBuilder:
    """Accumulates one stream's state and makes its chunks.

    Decoders call `text`, `reasoning`, `tool_start`/`tool_arguments`/`tool_whole` as events
    arrive, `set_usage`/`set_finish` whenever the provider reports them (later values win,
    key by key), and `final()` once at the end. Chunks skip validation (see `_new_chunk`).
    """

    __slots__ = (
        "_calls",
        "_order",
        "finish_raw",
        "finish_reason",
        "finished",
        "model",
        "provider",
        "usage",
    )

    def __init__(self, provider: str, model: str) -> None:
        self.provider = provider
        self.model = f"{provider}:{model}"
        self.usage: dict[str, int] | None = None
        self.finish_reason: str | None = None
        self.finish_raw: str | None = None
        self.finished = False
        self._calls: dict[Any, dict[str, Any]] = {}
        self._order: list[Any] = []

    def set_model(self, reported: str | None) -> None:
        """Use the model the provider reports (`provider:reported`), when it reports one."""
        if reported:
            if reported.__class__ is not str:
                raise TypeError(f"the model is {type(reported).__name__}, not a string")
            self.model = f"{self.provider}:{reported}"

    def text(self, delta: str) -> StreamChunk:
        """A chunk carrying text; `TypeError` when `delta` is not a string (rule 1)."""
        if delta.__class__ is not str:
            raise TypeError(f"the text is {type(delta).__name__}, not a string")
        # `_new_chunk` written out: most chunks of most streams are made here.
        fields = _TEXT_FIELDS.copy()
        fields["delta"] = delta
        fields["model"] = self.model
        chunk = _object_new(StreamChunk)
        _set_dict(chunk, fields)
        _set_fields_set(chunk, _CHUNK_FIELDS)
        _set_extra(chunk, None)
        _set_private(chunk, None)
        return chunk

    def reasoning(self, text: str) -> StreamChunk:
        """A chunk carrying thinking text only (`delta` stays empty); `text` must be a str."""
        if text.__class__ is not str:
            raise TypeError(f"the thinking text is {type(text).__name__}, not a string")
        return _new_chunk(
            delta="",
            model=self.model,
            finish_reason=None,
            usage=None,
            tool_calls=None,
            reasoning=text,
            provider_details=None,
        )

    # -- tool calls ---------------------------------------------------------------------

    def tool_start(
        self, key: Any, call_id: str | None, name: str, arguments: str = ""
    ) -> StreamChunk:
        """Open a call under `key` (the provider's index or block number)."""
        _check_call(call_id, name, arguments)
        if key not in self._calls:
            self._order.append(key)
        self._calls[key] = {"id": call_id, "name": name, "arguments": arguments}
        return self._tools_chunk()

    def tool_arguments(self, key: Any, piece: str) -> StreamChunk | None:
        """Append an arguments fragment to the call under `key`; `None` if nothing changed."""
        call = self._calls.get(key)
        if call is None:
            # Some servers never send an opening fragment: open the call on first sight.
            return self.tool_start(key, None, "", piece)
        if not piece:
            return None
        call["arguments"] += piece
        return self._tools_chunk()

    def tool_update(self, key: Any, call_id: str | None, name: str | None) -> None:
        """Fill in an id or name that arrived after the call was opened."""
        _check_call(call_id, name or "", "")
        call = self._calls[key]
        if call_id and not call["id"]:
            call["id"] = call_id
        if name and not call["name"]:
            call["name"] = name

    def tool_whole(self, call_id: str | None, name: str, arguments: Any) -> StreamChunk:
        """Add a call that arrived complete (Gemini, Ollama); dict arguments are serialized.

        A call without an id (Gemini's `"id": null`, older Ollama servers) gets a derived one
        (`derived_call_id`), so an app can answer it by `call.id` as on any provider.
        """
        if not isinstance(arguments, str):
            arguments = json.dumps(arguments if arguments is not None else {})
        position = len(self._order)
        call_id = call_id or derived_call_id(position, name, arguments)
        return self.tool_start(position, call_id, name, arguments)

    def tool_finish(
        self, key: Any, call_id: str | None, name: str, arguments: str
    ) -> StreamChunk | None:
        """A call as it stands at its end (the Responses API's finished item): opens it
        when it was never seen, else fills in its id and name and takes the finished
        arguments where the fragments gave others; `None` when nothing changed."""
        call = self._calls.get(key)
        if call is None:
            return self.tool_start(key, call_id, name, arguments)
        _check_call(call_id, name, arguments)
        before = dict(call)
        self.tool_update(key, call_id, name)
        call["arguments"] = arguments
        return self._tools_chunk() if call != before else None

    @property
    def has_tool_calls(self) -> bool:
        """Whether any tool call was seen."""
        return bool(self._order)

    def tool_calls(self) -> list[dict[str, Any]] | None:
        """The calls as they stand, in OpenAI's shape; `None` when there are none."""
        if not self._order:
            return None
        calls = []
        for key in self._order:
            call = self._calls[key]
            calls.append(
                {
                    "id": call["id"],
                    "type": "function",
                    "function": {"name": call["name"], "arguments": call["arguments"]},
                }
            )
        return calls

    def _tools_chunk(self) -> StreamChunk:
        return _new_chunk(
            delta="",
            model=self.model,
            finish_reason=None,
            usage=None,
            tool_calls=self.tool_calls(),
            reasoning=None,
            provider_details=None,
        )

    # -- the end ------------------------------------------------------------------------

    def set_usage(self, **counts: int | None) -> None:
        """Merge usage counts; `None` values are ignored, later values win.

        Raises `ValueError` naming the field for a value that is not a `token_count`.
        """
        usage = self.usage if self.usage is not None else {}
        for key, value in counts.items():
            if value is not None:
                try:
                    usage[key] = token_count(value)
                except ValueError as exc:
                    raise ValueError(f"usage {key}: {exc}") from None
        self.usage = usage

    def set_finish(self, raw: str | None, normalized: str) -> None:
        """Record the finish reason; the final chunk carries it."""
        self.finish_raw = raw
        self.finish_reason = normalized

    def final_usage(self) -> dict[str, int] | None:
        """The merged usage with `total_tokens` filled in (the sum) when not reported."""
        if self.usage is None:
            return None
        usage = dict(self.usage)
        usage.setdefault("prompt_tokens", 0)
        usage.setdefault("completion_tokens", 0)
        usage.setdefault("total_tokens", usage["prompt_tokens"] + usage["completion_tokens"])
        # A stable key order reads better in snapshots and cassette summaries.
        order = (
            "prompt_tokens",
            "completion_tokens",
            "total_tokens",
            "cached_tokens",
            "cache_creation_tokens",
            "reasoning_tokens",
        )
        return {key: usage[key] for key in order if key in usage}

    def final(self) -> StreamChunk:
        """The one last chunk: finish reason, usage, complete tool calls.

        Raises `ProviderResponseError` when the provider never said the answer was finished:
        the stream was cut, and a caller must not mistake a partial answer for a whole one.
        """
        if self.finish_reason is None:
            raise ProviderResponseError(
                f"{self.provider} stream ended before the provider finished the answer "
                "(connection closed early?)",
                self.provider,
                200,
                retryable=True,
            )
        self.finished = True
        return _new_chunk(
            delta="",
            model=self.model,
            finish_reason=self.finish_reason,
            usage=self.final_usage(),
            tool_calls=self.tool_calls(),
            reasoning=None,
            provider_details={"finish_reason": self.finish_raw},
        )


def _check_call(call_id: Any, name: Any, arguments: Any) -> None:
    if call_id is not None and call_id.__class__ is not str:
        raise TypeError(f"a tool call id is {type(call_id).__name__}, not a string")
    if name.__class__ is not str or arguments.__class__ is not str:
        raise TypeError("a tool call's name and arguments must be strings")


class StreamDecoder(ABC):
    """Turns one response's frames into chunks. One instance per stream.

    Subclasses implement `feed_data` (one frame's data and event name) and may extend
    `end`; consumers call `take` (or `chunks`, for raw frames) for each read's frames and
    `finish` at the end of the body, which keep the stream rules whatever the body holds
    (see the module docstring).
    """

    def __init__(self, builder: StreamBuilder) -> None:
        self.builder = builder
        #: Raw frames handed to `chunks` so far (comments and frames after the end included).
        self.frames_read = 0

    @abstractmethod
    def feed_data(self, data: str, name: str | None) -> list[StreamChunk]:
        """Chunks for one frame's data (often one, sometimes none or several): an SSE
        event's `data` and its `event` name (`None` when unnamed), or an NDJSON line.

        May raise anything `_UNREADABLE` on data of the wrong shape: `take` and `chunks`
        map it.
        """

    def feed(self, event: Event) -> list[StreamChunk]:
        """Chunks for one parsed frame (`feed_data` with the event's data and name)."""
        return self.feed_data(event.data, event.event)

    def take(
        self, texts: Sequence[str], framing: str, out: list[StreamChunk], status: int = 200
    ) -> None:
        """Append to `out` the chunks of one read's frames as a splitter's `feed_text` cut
        them (`framing`: `sse` or `ndjson`), in order.

        The decoding path of a stream (`chunks` is the same for raw frames): a frame costs
        no `Event`, and the usual SSE event (one `data:` line, or an `event:` line and a
        `data:` line) is read without the general parser. Frames after the final chunk are
        not fed (rule 3). A frame that cannot be read raises `ProviderResponseError` as in
        `chunks`, the chunks of the frames before it already in `out`.
        """
        builder, feed = self.builder, self.feed_data
        first = self.frames_read + 1
        self.frames_read += len(texts)
        sse = framing == "sse"
        append = out.extend
        for position, text in enumerate(texts, first):
            if builder.finished:
                return
            # A `try` per frame costs next to nothing (nothing at all from Python 3.11).
            try:
                if not sse:
                    data = text.strip()
                    if data:
                        append(feed(data, None))
                elif text[:6] == "data: " and "\n" not in text:
                    append(feed(text[6:], None))
                else:
                    # `event: NAME` then `data: DATA`, nothing else (Anthropic's and the
                    # Responses API's every event): read in place, not parsed.
                    end = text.find("\n") if text[:7] == "event: " else -1
                    if (
                        end > 7
                        and text[end + 1 : end + 7] == "data: "
                        and text[end - 1] != "\r"
                        and text.find("\n", end + 1) < 0
                    ):
                        append(feed(text[end + 7 :], text[7:end]))
                        continue
                    event = parse_sse_text(text)
                    if event is not None:
                        append(feed(event.data, event.event))
            except _UNREADABLE as exc:
                where = f"frame {position}"
                raise self._malformed(where, exc, status, text) from exc

    def chunks(
        self,
        frames: Sequence[bytes],
        parse: Callable[[bytes], Event | None],
        status: int = 200,
    ) -> Iterator[StreamChunk]:
        """Chunks for raw frames (one read's worth), in order, each frame's as it is decoded.

        Frames after the final chunk are not fed (rule 3), even within the same read. A
        frame that cannot be read raises `ProviderResponseError` naming the provider,
        `status` and its position in the body (`frame 7`, counting from 1), after the chunks
        of the frames before it.
        """
        builder, feed = self.builder, self.feed_data
        first = self.frames_read + 1
        self.frames_read += len(frames)
        for position, frame in enumerate(frames, first):
            if builder.finished:
                return
            try:
                event = parse(frame)
                if event is None:
                    continue
                decoded = feed(event.data, event.event)
            except _UNREADABLE as exc:
                shown = frame.decode("utf-8", "replace")
                raise self._malformed(f"frame {position}", exc, status, shown) from exc
            yield from decoded

    def finish(self, status: int = 200) -> list[StreamChunk]:
        """`end()` (the final chunk unless sent), with unreadable data mapped as in `chunks`."""
        try:
            return self.end()
        except _UNREADABLE as exc:
            where = f"the end of the stream, after frame {self.frames_read}"
            raise self._malformed(where, exc, status, None) from exc

    def _malformed(
        self, where: str, exc: BaseException, status: int, frame: str | None
    ) -> ProviderResponseError:
        provider = self.builder.provider
        # Line ends shown as LF: the raw frame (`chunks`) and the text one (`take`, a lone
        # CR already LF) must give the same message.
        text = "" if frame is None else _LINE_ENDS.sub("\n", frame)[:200].rstrip("\n")
        shown = f": {text!r}" if text else ""
        return ProviderResponseError(
            f"{provider} sent a malformed stream (HTTP {status}, {where}: {_reason(exc)}){shown}",
            provider,
            status,
            {"code": "malformed_frame", "status": status, "where": where},
        )

    def end(self) -> list[StreamChunk]:
        """At the end of the body: the final chunk, unless already sent."""
        if self.builder.finished:
            return []
        return [self.builder.final()]

    @property
    def done(self) -> bool:
        """True once the final chunk was sent: the rest of the body can be ignored."""
        return self.builder.finished


class Codec(ABC):
    """One provider's wire format: request building, stream and response decoding, errors.

    A subclass sets `format` (its folder's `FORMAT`); the class variables below are copied
    from it when the class is made, so each fact is stated once, in the folder's
    `__init__.py`.
    """

    #: The wire format this codec speaks: names, environment variables, defaults.
    format: ClassVar[Format]
    #: The provider name used in `provider:model` (`format.provider`).
    name: ClassVar[str]
    #: `sse` or `ndjson`.
    framing: ClassVar[str]
    default_base_url: ClassVar[str]
    #: Environment variables read for the key, first found wins.
    api_key_env: ClassVar[tuple[str, ...]]
    base_url_env: ClassVar[str]
    #: Whether the provider works without a key (Ollama).
    key_optional: ClassVar[bool]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        fmt = cls.__dict__.get("format")
        if fmt is not None:
            cls.name = fmt.provider
            cls.framing = fmt.framing
            cls.default_base_url = fmt.default_base_url
            cls.api_key_env = fmt.api_key_env
            cls.base_url_env = fmt.base_url_env
            cls.key_optional = fmt.key_optional

    def __init__(self, config: ProviderConfig) -> None:
        self.config = config

    @abstractmethod
    def build_request(self, request: LLMRequest, model: str, *, stream: bool) -> httpx.Request:
        """The HTTP request for `request` sent to `model` (without the provider prefix)."""

    @abstractmethod
    def stream_decoder(self, model: str) -> StreamDecoder:
        """A fresh decoder for one streaming response to a request for `model`."""

    @abstractmethod
    def parse_response(self, data: Any, model: str) -> LLMResponse:
        """An `LLMResponse` from a non-streaming response's parsed JSON body.

        May raise anything `_UNREADABLE` on data of the wrong shape: `read_response` maps it.
        """

    def read_response(self, data: Any, model: str, status: int = 200) -> LLMResponse:
        """`parse_response`, raising only `ProviderResponseError` on a body of the wrong shape."""
        try:
            return self.parse_response(data, model)
        except _UNREADABLE as exc:
            shown = reprlib.repr(data)  # bounded in length and depth, unlike repr or json
            raise ProviderResponseError(
                f"{self.name} sent a malformed response (HTTP {status}: {_reason(exc)}): {shown}",
                self.name,
                status,
                {"code": "malformed_response", "status": status},
            ) from exc

    @abstractmethod
    def error_info(self, status: int, body: Any) -> ErrorInfo:
        """Describe an error body (parsed JSON, or the text when it is not JSON)."""

    def read_error(self, status: int, body: Any) -> ErrorInfo:
        """`error_info`, or a plain description when the body is not of the usual shape.

        An error response is reported whatever its body holds: a body of an unexpected
        shape must not hide the status behind a stray exception.
        """
        try:
            return self.error_info(status, body)
        except _UNREADABLE:
            return ErrorInfo(f"HTTP {status}: {reprlib.repr(body)}")

    def url(self, path: str) -> str:
        """`path` joined to the configured base URL."""
        return self.config.base_url.rstrip("/") + path
