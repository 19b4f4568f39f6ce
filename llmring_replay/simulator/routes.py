"""From a received HTTP request to the reply the simulator sends: routing and rendering.

Pure and synchronous: `plan_reply` reads a parsed request, asks the `Simulator` for a script
and renders it with the wire format's renderer into a `Reply` (status, headers, body frames
and the delay before each), then applies the script's faults (`faulted`). The server only
writes replies out on schedule.

Routes: every `POST` to a path one of the registry's formats declares (`Format.endpoints`),
e.g. `/v1/chat/completions`, `/v1/messages`, `/v1beta/models/{model}:streamGenerateContent`
(and `/v1/...`), `/api/chat`. Whether the answer streams is the format's rule
(`Format.request_streams`): the body's `stream` flag, or the path for Gemini, which
without `alt=sse` streams one JSON array.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, cast

from llmring_replay.providers.registry import FORMATS, find_endpoint, recognize
from llmring_replay.simulator.request_view import request_number
from llmring_replay.simulator.script import Script
from llmring_replay.simulator.simulation import Simulator
from llmring_replay.simulator.wire import WireFormat, wire_for

__all__ = [
    "ReceivedRequest",
    "Reply",
    "Responder",
    "Route",
    "find_route",
    "json_reply",
    "plan_reply",
    "unknown_route_reply",
]


@dataclass(frozen=True)
class ReceivedRequest:
    """A request as the simulator received it, for tests to assert what a client sent."""

    method: str
    path: str
    #: Query parameters (the last value wins when a name repeats).
    query: dict[str, str]
    #: Header names in lowercase.
    headers: dict[str, str]
    #: The parsed JSON body; `None` when empty or not JSON.
    body: Any
    #: The raw body bytes.
    content: bytes = b""
    #: The provider whose endpoint was called; `None` for an unknown route.
    provider: str | None = None
    #: The request target as sent (path and query, still percent-encoded): what a proxy
    #: forwards.
    target: str = ""


@dataclass(frozen=True)
class Route:
    """Which provider endpoint a request hit, and how it is to be answered."""

    provider: str
    model: str
    stream: bool
    #: Gemini streaming without `alt=sse`: a JSON array rather than SSE.
    array: bool = False
    #: The wire format's name (`openai_chat`, ...); `None`: the provider's default format.
    format: str | None = None
    #: The request path (no query), which scenario rules may match on.
    path: str = ""

    @property
    def wire(self) -> WireFormat:
        """The renderer of the endpoint's wire format."""
        return wire_for(self.format or self.provider)


@dataclass
class Reply:
    """A response to write: the body as frames, each sent after its delay."""

    status: int
    headers: dict[str, str]
    frames: list[bytes]
    delays: list[float]
    #: Streamed (chunked, frame by frame) rather than sent whole with a content-length.
    streamed: bool = False
    #: A body that is still arriving (a proxied answer): each piece is written as the
    #: generator yields it, instead of `frames` and `delays`; the generator is closed when
    #: the reply ends, also when the client goes away first.
    live: AsyncGenerator[bytes, None] | None = None
    #: Seconds before the headers are sent (a stall before the first byte).
    headers_delay: float = 0.0
    #: Close the connection after the last frame instead of ending the body (a disconnect).
    cut: bool = False
    #: `frames` is the same list, unchanged, in every reply to the same request (a cassette's
    #: answer), so the server may keep its encoded form for the next one.
    reused: bool = False


#: Answers one request instead of the scripts (`SimulatorServer(responder=...)`), returning
#: the `Reply` or an awaitable of it; called on the server's event loop, so it must not block.
Responder = Callable[[ReceivedRequest], Reply | Awaitable[Reply]]


def _body_model(body: Any) -> str:
    model = body.get("model") if isinstance(body, dict) else None
    return model if isinstance(model, str) and model else "unknown-model"


def find_route(path: str, query: dict[str, str], body: Any) -> Route | None:
    """The provider endpoint for `path`; `None` when the simulator has no such route."""
    found = find_endpoint(path)
    if found is None:
        return None
    fmt, model = found
    streams = fmt.request_streams(path, body)
    stream = fmt.streams_by_default if streams is None else streams
    array = stream and not fmt.stream_as_frames(query)
    return Route(fmt.provider, model or _body_model(body), stream, array, fmt.name, path)


def unknown_route_reply(method: str, path: str, body: Any) -> Reply:
    """The 404 for a path no format declares, shaped like the format the path looks like
    (else the first one), listing the routes this server answers: a client pointed at a
    wrong base URL reads it as a wrong URL, not as a missing model."""
    routes = ", ".join(f"POST {endpoint}" for known in FORMATS for endpoint in known.endpoints)
    message = f"no simulated endpoint at {method} {path}; this server answers {routes}"
    fmt = recognize(path) or FORMATS[0]
    payload = body if isinstance(body, dict) else {}
    model = _body_model(payload)
    # No error code (`""`): OpenAI's router 404 has `code: null`, not `model_not_found`.
    script = Script(status=404, error_message=message, error_code="")
    stream = bool(fmt.request_streams(path, payload))
    error = wire_for(fmt.name).render_error(script, model, payload, stream=stream)
    return Reply(error.status, error.headers, [error.body], [0.0])


def json_reply(status: int, payload: Any, delay: float = 0.0, indent: int | None = None) -> Reply:
    """A whole JSON response (compact unless `indent` is given)."""
    separators = None if indent is not None else (",", ":")
    content = json.dumps(payload, ensure_ascii=False, indent=indent, separators=separators)
    return Reply(status, {"content-type": "application/json"}, [content.encode()], [delay])


def _error_reply(route: Route, script: Script, body: Any) -> Reply:
    error = route.wire.render_error(script, route.model, body, stream=route.stream)
    return Reply(error.status, error.headers, [error.body], script.delays(1))


def _stream_reply(route: Route, script: Script, body: Any, seq: int) -> Reply:
    wire = route.wire
    if route.array:
        # Only a format with `stream_query` (Gemini) has array answers, and their renderer.
        array_wire = cast(Any, wire)
        frames = array_wire.render_array(script, route.model, body, seq=seq)
        content_type = array_wire.ARRAY_CONTENT_TYPE
    else:
        frames = wire.render_stream(script, route.model, body, seq=seq)
        content_type = wire.STREAM_CONTENT_TYPE
    headers = {"content-type": content_type}
    return Reply(200, headers, frames, script.delays(len(frames)), streamed=True)


def _whole_reply(route: Route, script: Script, body: Any, seq: int) -> Reply:
    wire = route.wire
    payload = wire.render_json(script, route.model, body, seq=seq)
    # A whole answer takes as long as the stream it replaces would.
    stream_frames = len(wire.render_stream(script, route.model, body, seq=seq))
    reply = json_reply(200, payload, sum(script.delays(stream_frames)), wire.JSON_INDENT)
    reply.headers["content-type"] = wire.JSON_CONTENT_TYPE
    return reply


def plan_reply(route: Route, simulator: Simulator, body: Any, seq: int) -> Reply:
    """Ask the simulator for a script and render the provider's answer to it.

    `seq` numbers the request (in ids such as `chatcmpl-sim000001`), unless the simulator
    derives ids from the request itself (scenarios: the same request, the same bytes).
    """
    if not isinstance(body, dict):
        return json_reply(400, {"error": {"message": "the request body must be a JSON object"}})
    script = simulator.script_for(
        route.provider, route.model, body, path=route.path, wire_format=route.format
    )
    if simulator.stable_ids:
        seq = request_number(route.path, body)
    if script.is_error:
        reply = _error_reply(route, script, body)
    elif route.stream:
        reply = _stream_reply(route, script, body, seq)
    else:
        reply = _whole_reply(route, script, body, seq)
    if script.fault:
        # Imported on demand: faults bring the replay transport's machinery along.
        from llmring_replay.simulator.faulted import apply_faults

        reply = apply_faults(
            reply,
            script.fault,
            provider=route.provider,
            model=script.reported_model(route.model),
            path=route.path,
            attempt=simulator.attempt(route.path, body),
        )
    return reply
