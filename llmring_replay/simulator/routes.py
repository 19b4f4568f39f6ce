"""From a received HTTP request to the reply the simulator sends: routing and rendering.

Pure and synchronous: `plan_reply` reads a parsed request, asks the `Simulator` for a script
and renders it with the provider's wire module into a `Reply` (status, headers, body frames
and the delay before each). The server only writes replies out on schedule.

Routes:

| method + path                                          | provider  | streams when            |
|--------------------------------------------------------|-----------|-------------------------|
| `POST /v1/chat/completions`                            | openai    | body `stream: true`     |
| `POST /v1/messages`                                    | anthropic | body `stream: true`     |
| `POST /v1beta/models/{model}:streamGenerateContent`    | google    | always (SSE if alt=sse) |
| `POST /v1beta/models/{model}:generateContent`          | google    | never                   |
| `POST /api/chat`                                       | ollama    | unless `stream: false`  |
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from llmring_replay.providers.gemini import render as wire_google
from llmring_replay.simulator.script import Script
from llmring_replay.simulator.simulation import Simulator
from llmring_replay.simulator.wire import wire_for

__all__ = [
    "ReceivedRequest",
    "Reply",
    "Responder",
    "Route",
    "find_route",
    "json_reply",
    "plan_reply",
]

_GEMINI_PATH = re.compile(
    r"^/v1beta/models/(?P<model>[^/:]+):(?P<method>streamGenerateContent|generateContent)$"
)
_FIXED_PATHS = {
    "/v1/chat/completions": "openai",
    "/v1/messages": "anthropic",
    "/api/chat": "ollama",
}


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


#: Answers one request instead of the scripts (`SimulatorServer(responder=...)`), returning
#: the `Reply` or an awaitable of it; called on the server's event loop, so it must not block.
Responder = Callable[[ReceivedRequest], Reply | Awaitable[Reply]]


def _body_model(body: Any) -> str:
    model = body.get("model") if isinstance(body, dict) else None
    return model if isinstance(model, str) and model else "unknown-model"


def find_route(path: str, query: dict[str, str], body: Any) -> Route | None:
    """The provider endpoint for `path`; `None` when the simulator has no such route."""
    provider = _FIXED_PATHS.get(path)
    stream_flag = body.get("stream") if isinstance(body, dict) else None
    if provider == "ollama":
        # Ollama streams unless told otherwise.
        return Route(provider, _body_model(body), stream_flag is not False)
    if provider is not None:
        return Route(provider, _body_model(body), stream_flag is True)
    match = _GEMINI_PATH.match(path)
    if match is None:
        return None
    streaming = match["method"] == "streamGenerateContent"
    return Route("google", match["model"], streaming, streaming and query.get("alt") != "sse")


def json_reply(status: int, payload: Any, delay: float = 0.0, indent: int | None = None) -> Reply:
    """A whole JSON response (compact unless `indent` is given)."""
    separators = None if indent is not None else (",", ":")
    content = json.dumps(payload, ensure_ascii=False, indent=indent, separators=separators)
    return Reply(status, {"content-type": "application/json"}, [content.encode()], [delay])


def _error_reply(route: Route, script: Script, body: Any) -> Reply:
    wire = wire_for(route.provider)
    error = wire.render_error(script, route.model, body, stream=route.stream)
    return Reply(error.status, error.headers, [error.body], script.delays(1))


def _stream_reply(route: Route, script: Script, body: Any, seq: int) -> Reply:
    if route.array:
        frames = wire_google.render_array(script, route.model, body, seq=seq)
        content_type = wire_google.ARRAY_CONTENT_TYPE
    else:
        wire = wire_for(route.provider)
        frames = wire.render_stream(script, route.model, body, seq=seq)
        content_type = wire.STREAM_CONTENT_TYPE
    headers = {"content-type": content_type}
    return Reply(200, headers, frames, script.delays(len(frames)), streamed=True)


def _whole_reply(route: Route, script: Script, body: Any, seq: int) -> Reply:
    wire = wire_for(route.provider)
    payload = wire.render_json(script, route.model, body, seq=seq)
    # A whole answer takes as long as the stream it replaces would.
    stream_frames = len(wire.render_stream(script, route.model, body, seq=seq))
    reply = json_reply(200, payload, sum(script.delays(stream_frames)), wire.JSON_INDENT)
    reply.headers["content-type"] = wire.JSON_CONTENT_TYPE
    return reply


def plan_reply(route: Route, simulator: Simulator, body: Any, seq: int) -> Reply:
    """Ask the simulator for a script and render the provider's answer to it."""
    if not isinstance(body, dict):
        return json_reply(400, {"error": {"message": "the request body must be a JSON object"}})
    script = simulator.script_for(route.provider, route.model, body)
    if script.is_error:
        return _error_reply(route, script, body)
    if route.stream:
        return _stream_reply(route, script, body, seq)
    return _whole_reply(route, script, body, seq)
