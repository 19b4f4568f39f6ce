"""The simulator server over a real loopback socket, driven by plain httpx clients."""

from __future__ import annotations

import json
import socket
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from llmring_replay.framing import framing_for, splitter_for
from llmring_replay.providers.registry import FORMATS
from llmring_replay.simulator import Script, SimulatorServer, ToolCallSpec
from llmring_replay.simulator.routes import ReceivedRequest, Reply

TOOL = ToolCallSpec(name="lookup", arguments={"query": "capital of France"})

# provider -> (path, request body, expected content type of the stream, expected framing)
STREAMS: dict[str, tuple[str, dict[str, Any], str, str]] = {
    "openai": (
        "/chat/completions",
        {"model": "gpt-4o-mini", "stream": True, "messages": [{"role": "user", "content": "Hi"}]},
        "text/event-stream; charset=utf-8",
        "sse",
    ),
    "anthropic": (
        "/v1/messages",
        {"model": "claude-sonnet-4", "stream": True, "max_tokens": 64, "messages": []},
        "text/event-stream; charset=utf-8",
        "sse",
    ),
    "google": (
        "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
        {"contents": [{"role": "user", "parts": [{"text": "Hi"}]}]},
        "text/event-stream",
        "sse",
    ),
    "ollama": (
        "/api/chat",
        {"model": "llama3", "messages": [{"role": "user", "content": "Hi"}]},
        "application/x-ndjson",
        "ndjson",
    ),
}


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    # trust_env=False: no proxy from the environment may sit between us and loopback.
    # Module scope: building a client (its TLS context) costs more than most tests here.
    with httpx.Client(trust_env=False, timeout=5) as client:
        yield client


def read_frames(response: httpx.Response, framing: str) -> list[bytes]:
    splitter, _ = splitter_for(framing)
    frames = []
    for data in response.iter_raw():
        frames += splitter.feed(data)
    return frames + splitter.flush()


def events(response: httpx.Response) -> list[tuple[str | None, str]]:
    framing = framing_for(response.headers["content-type"])
    assert framing is not None
    splitter, parse = splitter_for(framing)
    parsed = [parse(frame) for frame in splitter.feed(response.content) + splitter.flush()]
    return [(event.event, event.data) for event in parsed if event is not None]


def text_of(provider: str, payloads: list[Any]) -> str:
    """The visible answer text, read the way each provider's client reads it."""
    if provider == "openai":
        return "".join(
            p["choices"][0]["delta"].get("content") or "" for p in payloads if p["choices"]
        )
    if provider == "anthropic":
        return "".join(p["delta"].get("text", "") for p in payloads if p["type"].endswith("delta"))
    if provider == "google":
        return "".join(
            part.get("text", "")
            for p in payloads
            for part in p["candidates"][0]["content"]["parts"]
            if not part.get("thought")
        )
    return "".join(p["message"]["content"] for p in payloads)


@pytest.mark.parametrize("provider", list(STREAMS))
def test_streaming_endpoints_speak_each_wire_format(provider: str, client: httpx.Client) -> None:
    path, body, content_type, framing = STREAMS[provider]
    with SimulatorServer(Script(text="Bonjour le monde", tool_calls=[TOOL])) as sim:
        url = sim.base_url_for(provider) + path
        with client.stream("POST", url, json=body) as response:
            assert response.status_code == 200
            assert response.headers["content-type"] == content_type
            assert response.headers["transfer-encoding"] == "chunked"
            frames = read_frames(response, framing)
        # What the client read is exactly what the server logged as sent.
        assert frames == [frame.data for frame in sim.sent]
    _, parse = splitter_for(framing)
    parsed = [parse(frame) for frame in frames]
    data = [event.data for event in parsed if event is not None]
    if provider == "openai":
        assert data[-1] == "[DONE]"
        data = data[:-1]
    payloads = [json.loads(item) for item in data]
    assert text_of(provider, payloads) == "Bonjour le monde"
    # Arguments arrive in fragments on some wires (their joins are tested in test_wire.py).
    assert "lookup" in json.dumps(payloads)


def test_openai_base_url_follows_the_openai_base_url_convention() -> None:
    sim = SimulatorServer(Script(), port=8123)
    assert sim.base_url == "http://127.0.0.1:8123"
    assert sim.base_url_for("openai") == "http://127.0.0.1:8123/v1"
    assert sim.base_url_for("anthropic") == sim.base_url_for("google") == sim.base_url


@pytest.mark.parametrize(
    ("path", "body", "text_of_answer"),
    [
        (
            "/v1/chat/completions",
            {"model": "gpt-4o"},
            lambda j: j["choices"][0]["message"]["content"],
        ),
        ("/v1/messages", {"model": "claude", "max_tokens": 9}, lambda j: j["content"][0]["text"]),
        (
            "/v1beta/models/gemini-2.5-flash:generateContent",
            {"contents": []},
            lambda j: j["candidates"][0]["content"]["parts"][0]["text"],
        ),
        ("/api/chat", {"model": "llama3", "stream": False}, lambda j: j["message"]["content"]),
    ],
)
def test_non_streaming_answers_are_json(
    path: str, body: dict[str, Any], text_of_answer: Any, client: httpx.Client
) -> None:
    with SimulatorServer(Script(text="Plain answer")) as sim:
        response = client.post(sim.base_url + path, json=body)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert "transfer-encoding" not in response.headers
    assert int(response.headers["content-length"]) == len(response.content)
    assert text_of_answer(response.json()) == "Plain answer"


@pytest.mark.parametrize("version", ["v1beta", "v1"])
def test_gemini_answers_the_stable_v1_api_as_well_as_v1beta(
    version: str, client: httpx.Client
) -> None:
    # google-genai calls /v1 when a client asks for the stable API version.
    with SimulatorServer(Script(text="stable")) as sim:
        base = f"{sim.base_url}/{version}/models/gemini-2.5-flash"
        whole = client.post(f"{base}:generateContent", json={"contents": []})
        with client.stream("POST", f"{base}:streamGenerateContent?alt=sse", json={}) as stream:
            frames = read_frames(stream, "sse")
    assert whole.json()["candidates"][0]["content"]["parts"][0]["text"] == "stable"
    assert [(r.provider, r.path.split(":")[-1]) for r in sim.requests] == [
        ("google", "generateContent"),
        ("google", "streamGenerateContent"),
    ]
    assert "stable" in b"".join(frames).decode()


def test_gemini_stream_without_alt_sse_is_a_json_array(client: httpx.Client) -> None:
    with SimulatorServer(Script(text="one two three")) as sim:
        url = sim.base_url + "/v1beta/models/gemini-2.5-flash:streamGenerateContent"
        response = client.post(url, json={"contents": []})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=UTF-8"
    items = response.json()
    assert isinstance(items, list) and len(items) == 3
    assert [item["candidates"][0]["content"]["parts"][0]["text"] for item in items] == [
        "one",
        " two",
        " three",
    ]
    assert items[-1]["candidates"][0]["finishReason"] == "STOP"


@pytest.mark.parametrize("provider", list(STREAMS))
def test_rate_limit_errors_carry_the_retry_delay(provider: str, client: httpx.Client) -> None:
    path, body, _, _ = STREAMS[provider]
    script = Script(status=429, retry_after=7, error_message="slow down")
    with SimulatorServer(script) as sim:
        response = client.post(sim.base_url_for(provider) + path, json=body)
    assert response.status_code == 429
    payload = response.json()
    if provider == "openai":
        assert response.headers["retry-after"] == "7"
        assert payload["error"]["message"] == "slow down"
        assert payload["error"]["code"] == "rate_limit_exceeded"
    elif provider == "anthropic":
        assert response.headers["retry-after"] == "7"
        assert payload["type"] == "error"
        assert payload["error"] == {"type": "rate_limit_error", "message": "slow down"}
    elif provider == "google":
        assert payload["error"]["status"] == "RESOURCE_EXHAUSTED"
        assert {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "7s"} in (
            payload["error"]["details"]
        )
    else:
        assert payload == {"error": "slow down"}


def test_anthropic_overloaded_and_openai_auth_errors(client: httpx.Client) -> None:
    scripts = [Script(status=529), Script(status=401)]
    with SimulatorServer(scripts) as sim:
        overloaded = client.post(sim.base_url + "/v1/messages", json={"model": "c", "stream": True})
        denied = client.post(sim.base_url + "/v1/chat/completions", json={"model": "gpt"})
    assert overloaded.status_code == 529
    assert overloaded.json()["error"]["type"] == "overloaded_error"
    assert denied.status_code == 401
    assert denied.json()["error"]["code"] == "invalid_api_key"


def test_requests_are_recorded(client: httpx.Client) -> None:
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "What is 2+2?"}]}
    with SimulatorServer(Script()) as sim:
        client.post(
            sim.base_url_for("openai") + "/chat/completions",
            json=body,
            headers={"authorization": "Bearer sk-test"},
        )
        client.post(
            sim.base_url + "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
            json={"contents": []},
        )
    first, second = sim.requests
    assert (first.method, first.path, first.provider) == ("POST", "/v1/chat/completions", "openai")
    assert first.body == body
    assert json.loads(first.content) == body
    assert first.headers["authorization"] == "Bearer sk-test"
    assert first.headers["content-type"] == "application/json"
    assert second.path == "/v1beta/models/gemini-2.5-flash:streamGenerateContent"
    assert second.query == {"alt": "sse"}
    assert second.provider == "google"


def test_a_list_of_scripts_answers_in_order(client: httpx.Client) -> None:
    scripts = [Script(text="first"), Script(status=500), Script(text="last")]
    with SimulatorServer(scripts) as sim:
        url = sim.base_url + "/api/chat"
        answers = [client.post(url, json={"model": "m", "stream": False}) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 500, 200, 200]
    assert [a.json().get("message", {}).get("content") for a in answers] == [
        "first",
        None,
        "last",
        "last",
    ]


def test_a_callable_source_sees_provider_model_and_body(client: httpx.Client) -> None:
    def answer(provider: str, model: str, body: Any) -> Script:
        return Script(text=f"{provider} {model} {len(body['contents'])}")

    with SimulatorServer(answer) as sim:
        url = sim.base_url + "/v1beta/models/gemini-pro:generateContent"
        response = client.post(url, json={"contents": [{}, {}]})
    assert response.json()["candidates"][0]["content"]["parts"][0]["text"] == "google gemini-pro 2"


def test_a_failing_source_answers_500(client: httpx.Client) -> None:
    def broken(provider: str, model: str, body: Any) -> Script:
        raise RuntimeError("boom")

    with SimulatorServer(broken) as sim:
        response = client.post(sim.base_url + "/v1/messages", json={"model": "c"})
    assert response.status_code == 500
    assert "boom" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("POST", "/v1/completions", 404), ("GET", "/", 404), ("GET", "/api/chat", 405)],
)
def test_unknown_routes_and_methods(
    method: str, path: str, status: int, client: httpx.Client
) -> None:
    with SimulatorServer(Script()) as sim:
        response = client.request(method, sim.base_url + path)
        assert response.status_code == status
        assert "message" in response.json()["error"]
        # The connection stays usable for a real request afterwards.
        ok = client.post(sim.base_url + "/api/chat", json={"model": "m", "stream": False})
        assert ok.status_code == 200


def test_head_requests_get_headers_only(client: httpx.Client) -> None:
    with SimulatorServer(Script()) as sim:
        response = client.head(sim.base_url + "/v1/messages")
        assert response.status_code == 405
        assert response.content == b""
        assert int(response.headers["content-length"]) > 0  # what a GET would have carried
        ok = client.post(sim.base_url + "/api/chat", json={"model": "m", "stream": False})
        assert ok.status_code == 200


def test_ipv6_hosts_are_bracketed_in_urls() -> None:
    assert SimulatorServer(Script(), host="::1", port=8123).base_url == "http://[::1]:8123"


def test_non_json_body_is_a_400(client: httpx.Client) -> None:
    with SimulatorServer(Script()) as sim:
        response = client.post(sim.base_url + "/v1/messages", content=b"not json")
    assert response.status_code == 400
    assert sim.requests[0].body is None
    assert sim.requests[0].content == b"not json"


def test_keep_alive_serves_several_requests_on_one_connection() -> None:
    peers: set[Any] = set()

    def remember_peer(response: httpx.Response) -> None:
        stream = response.extensions["network_stream"]
        peers.add(stream.get_extra_info("client_addr"))

    with SimulatorServer(Script(text="again")) as sim:
        hooks = {"response": [remember_peer]}
        with httpx.Client(trust_env=False, event_hooks=hooks) as client:
            for _ in range(3):
                with client.stream("POST", sim.base_url + "/api/chat", json={"model": "m"}) as r:
                    assert r.read().count(b"\n") == 2
    assert len(peers) == 1
    assert len(sim.requests) == 3


def test_malformed_http_gets_a_400_and_no_crash(client: httpx.Client) -> None:
    with SimulatorServer(Script()) as sim:
        with socket.create_connection((sim.host, sim.port), timeout=5) as raw:
            raw.sendall(b"NOT HTTP AT ALL\r\n\r\n")
            reply = raw.recv(65536)
        assert reply.startswith(b"HTTP/1.1 400")
        assert client.post(sim.base_url + "/api/chat", json={"model": "m"}).status_code == 200


def test_port_in_use_raises_in_the_caller() -> None:
    with (
        SimulatorServer(Script()) as first,
        pytest.raises(OSError),
        SimulatorServer(Script(), port=first.port),
    ):
        pass


def test_an_unknown_route_gets_a_provider_shaped_404_listing_the_routes(
    client: httpx.Client,
) -> None:
    with SimulatorServer(Script()) as sim:
        # OpenAI's path without `/v1`: the mistake a base URL without its suffix makes.
        response = client.post(sim.base_url + "/chat/completions", json={"model": "gpt-4o"})
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] is None  # not `model_not_found`: the model is not the problem
    assert error["message"].startswith("no simulated endpoint at POST /chat/completions; ")
    listed = error["message"].partition("; this server answers ")[2].split(", ")
    assert listed == [f"POST {path}" for fmt in FORMATS for path in fmt.endpoints]
    assert "POST /v1beta/models/{model}:streamGenerateContent" in listed
    assert sim.requests[0].provider is None


def _recv_all(raw: socket.socket) -> bytes:
    received = b""
    while chunk := raw.recv(65536):
        received += chunk
    return received


@pytest.mark.parametrize("version", ["1.0", "1.1"])
def test_streams_are_framed_for_the_client_http_version(version: str) -> None:
    body = json.dumps({"model": "llama3", "messages": []}).encode()
    head = (
        f"POST /api/chat HTTP/{version}\r\nhost: x\r\ncontent-length: {len(body)}\r\n"
        "connection: close\r\n\r\n"
    )
    with SimulatorServer(Script(text="framed", chunk_size=2)) as sim:
        with socket.create_connection((sim.host, sim.port), timeout=5) as raw:
            raw.sendall(head.encode() + body)
            reply = _recv_all(raw)
        frames = [frame.data for frame in sim.sent]
    headers, _, payload = reply.partition(b"\r\n\r\n")
    assert len(frames) == 4  # "fr", "am", "ed", then the done line
    if version == "1.1":  # chunked: each frame its own chunk, then the last chunk
        chunks = b"".join(b"%x\r\n%b\r\n" % (len(frame), frame) for frame in frames)
        assert b"transfer-encoding: chunked" in headers.lower()
        assert payload == chunks + b"0\r\n\r\n"
    else:  # HTTP/1.0 has no chunks: the body ends when the connection does
        assert b"transfer-encoding" not in headers.lower()
        assert payload == b"".join(frames)


def test_the_request_and_frame_logs_are_bounded(client: httpx.Client) -> None:
    script = Script(text="abc", chunk_size=1)  # 4 frames an answer
    with SimulatorServer(script, keep_requests=2, keep_frames=5) as sim:
        for index in range(7):
            client.post(sim.base_url + "/api/chat", json={"model": f"m{index}"})
            assert 1 <= len(sim.requests) <= 4
            assert len(sim.sent) <= 10
        assert sim.requests[-1].body == {"model": "m6"}
        assert b'"model":"m6"' in sim.sent[-1].data
        assert isinstance(sim.requests, list)
    with SimulatorServer(script, keep_requests=0, keep_frames=0) as sim:
        answer = client.post(sim.base_url + "/api/chat", json={"model": "m", "stream": False})
        assert answer.json()["message"]["content"] == "abc"
        assert sim.requests == []
        assert sim.sent == []


def _chat(body: bytes = b'{"model":"m","stream":false}', extra: str = "") -> bytes:
    head = f"POST /api/chat HTTP/1.1\r\nhost: x\r\ncontent-length: {len(body)}\r\n{extra}\r\n"
    return head.encode() + body


def test_pipelined_requests_are_answered_in_order_then_bad_bytes_get_a_400() -> None:
    first, second = b'{"model":"one","stream":false}', b'{"model":"two","stream":false}'
    with (
        SimulatorServer(Script(text="hi")) as sim,
        socket.create_connection((sim.host, sim.port), timeout=5) as raw,
    ):
        raw.sendall(_chat(first) + _chat(second) + b"NOT HTTP\r\n\r\n")
        reply = _recv_all(raw)  # the server closes after the 400
    answers = reply.split(b"HTTP/1.1 ")[1:]
    assert [answer[:3] for answer in answers] == [b"200", b"200", b"400"]
    assert b'"model":"one"' in answers[0] and b'"model":"two"' in answers[1]
    assert b"malformed HTTP request" in answers[2]
    assert [request.body["model"] for request in sim.requests] == ["one", "two"]


def test_expect_100_continue_is_answered_before_the_body_is_sent() -> None:
    body = b'{"model":"m","stream":false}'
    head = _chat(body, "expect: 100-continue\r\n")[: -len(body)]
    with (
        SimulatorServer(Script(text="hi")) as sim,
        socket.create_connection((sim.host, sim.port), timeout=5) as raw,
    ):
        raw.sendall(head)
        assert raw.recv(65536) == b"HTTP/1.1 100 Continue\r\n\r\n"
        raw.sendall(body)
        assert raw.recv(65536).startswith(b"HTTP/1.1 200 OK\r\n")


def test_a_request_cut_short_closes_quietly(caplog: pytest.LogCaptureFixture) -> None:
    with (
        SimulatorServer(Script()) as sim,
        socket.create_connection((sim.host, sim.port), timeout=5) as raw,
    ):
        raw.sendall(_chat()[:-5])
        raw.shutdown(socket.SHUT_WR)
        assert _recv_all(raw) == b""
    assert sim.requests == []
    assert caplog.records == []


def test_a_reply_header_that_is_not_http_is_a_500_naming_it(
    client: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    async def relay() -> AsyncIterator[bytes]:
        yield b"never sent"

    live = relay()

    def responder(request: ReceivedRequest) -> Reply:
        if request.path == "/live":
            return Reply(200, {"x-bad": "a\r\ninjected: 1"}, [], [], streamed=True, live=live)
        return Reply(200, {"x-bad": "a\r\ninjected: 1"}, [b"{}"], [0.0])

    with SimulatorServer(responder=responder) as sim:
        for path in ("/whole", "/live"):
            response = client.post(sim.base_url + path, json={})
            assert response.status_code == 500
            assert "injected" not in response.headers
            message = response.json()["error"]["message"]
            assert message.startswith("simulator reply failed: reply header 'x-bad: a")
    assert live.ag_frame is None  # type: ignore[attr-defined]  # closed, not left to the GC
    assert "is not a valid HTTP header" in caplog.text


def test_a_request_to_switch_to_h2c_is_answered_in_http_11_then_closed() -> None:
    upgrade = (  # what `curl --http2` sends to an http:// URL
        "upgrade: h2c\r\nconnection: Upgrade, HTTP2-Settings\r\n"
        "http2-settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n"
    )
    with (
        SimulatorServer(Script(text="hi")) as sim,
        socket.create_connection((sim.host, sim.port), timeout=5) as raw,
    ):
        raw.sendall(_chat(extra=upgrade))
        reply = _recv_all(raw)
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"\r\nconnection: close" in head
    assert b'"content":"hi"' in body
    assert sim.requests[0].body == {"model": "m", "stream": False}
