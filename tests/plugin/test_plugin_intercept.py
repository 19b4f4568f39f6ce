"""Automatic interception: every httpx / httpx2 client's and aiohttp session's provider
requests are served by the test's cassette, with no `http_client` argument; other requests
pass through untouched.

The inner project records from the simulator, then replays with the simulator stopped and
the base URLs still pointing at its dead port: a request that was not intercepted would
fail to connect.
"""

from __future__ import annotations

import re

import pytest

from llmring_replay.simulator import Script

from .helpers import make_project, offline, simulating

APP = """\
import json
import os

import aiohttp
import httpx
import httpx2
import pytest
from openai import OpenAI

from llmring_replay.simulator import Script, SimulatorServer

LIBRARIES = {"httpx": httpx, "httpx2": httpx2}
BODY = {"model": "llama3.2", "messages": [{"role": "user", "content": "Hi"}], "stream": True}
# Made at import, before any test or cassette exists, as an app's module-level clients are.
# No keep-alive: nothing here closes them, and a pooled connection left open is a warning.
ONCE = {name: m.Limits(max_keepalive_connections=0) for name, m in LIBRARIES.items()}
EARLY = {name: m.Client(limits=ONCE[name]) for name, m in LIBRARIES.items()}
EARLY_ASYNC = {name: m.AsyncClient(limits=ONCE[name]) for name, m in LIBRARIES.items()}
SDK = OpenAI()  # reads OPENAI_BASE_URL and OPENAI_API_KEY


def url():
    return os.environ["OLLAMA_BASE_URL"] + "/api/chat"


def text(lines):
    return "".join(json.loads(line)["message"]["content"] for line in lines if line)


@pytest.mark.parametrize("library", LIBRARIES)
def test_sync_clients(llm_cassette, library):
    with EARLY[library].stream("POST", url(), json=BODY) as response:
        early = text(response.iter_lines())
    with LIBRARIES[library].Client() as client:  # made during the test
        late = text(client.post(url(), json=BODY).text.splitlines())
    assert early == late == "Hi there"


@pytest.mark.parametrize("library", LIBRARIES)
async def test_async_clients(llm_cassette, library):
    async with EARLY_ASYNC[library].stream("POST", url(), json=BODY) as response:
        early = text([line async for line in response.aiter_lines()])
    async with LIBRARIES[library].AsyncClient() as client:
        late = text((await client.post(url(), json=BODY)).text.splitlines())
    assert early == late == "Hi there"


async def test_aiohttp_sessions(llm_cassette):
    async with aiohttp.ClientSession() as session:
        async with session.post(url(), json=BODY) as response:
            lines = [line.decode() async for line in response.content]
    assert text(lines) == "Hi there"
    assert len(lines) > 2  # read frame by frame


def test_an_sdk_client_made_before_the_test(llm_cassette):
    stream = SDK.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "Hi"}], stream=True
    )
    assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices) == "Hi there"


async def test_other_requests_pass_through(llm_cassette):
    async with SimulatorServer(Script(text="local")) as local, httpx.AsyncClient() as client:
        response = await client.get(local.base_url + "/status")  # not a provider API path
    assert [request.path for request in local.requests] == ["/status"]
    assert response.status_code == 404  # the local server's own answer
    async with httpx.AsyncClient() as client:
        assert text((await client.post(url(), json=BODY)).text.splitlines()) == "Hi there"


@pytest.mark.parametrize("library", LIBRARIES)
@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_the_transport_route(llm_cassette, library, asynchronous):
    module = LIBRARIES[library]
    transport = llm_cassette.transport
    if library == "httpx2":
        transport = transport.for_httpx2()
    if asynchronous:
        import anyio

        async def post():
            async with module.AsyncClient(transport=transport) as client:
                return (await client.post(url(), json=BODY)).text

        body = anyio.run(post)
    else:
        with module.Client(transport=transport) as client:
            body = client.post(url(), json=BODY).text
    assert text(body.splitlines()) == "Hi there"
"""
TESTS = 2 + 2 + 1 + 1 + 1 + 4
PROVIDER_REQUESTS = 2 * 2 + 2 * 2 + 1 + 1 + 1 + 4


def test_every_client_is_served_by_the_cassette(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("httpx2")
    pytest.importorskip("openai")
    pytest.importorskip("aiohttp")
    make_project(pytester)
    pytester.makepyfile(test_app=APP)
    offline(monkeypatch)
    with simulating(monkeypatch, Script(text="Hi there")) as sim:
        pytester.runpytest("--llm-record-mode=once").assert_outcomes(passed=TESTS)
        assert sum(r.path != "/status" for r in sim.requests) == PROVIDER_REQUESTS
        dead = {name: sim.base_url_for(name) for name in ("openai", "ollama")}
    # The simulator is gone; its port is dead. Every provider request replays.
    monkeypatch.setenv("OLLAMA_BASE_URL", dead["ollama"])
    monkeypatch.setenv("OPENAI_BASE_URL", dead["openai"])
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    result = pytester.runpytest()
    result.assert_outcomes(passed=TESTS)


OPT_OUT = """\
import os

import aiohttp
import httpx
import pytest

def test_not_intercepted(llm_cassette):
    with pytest.raises(httpx.ConnectError):  # the dead port, reached: nothing intercepted
        httpx.post(os.environ["OLLAMA_BASE_URL"] + "/api/chat", json={})

async def test_aiohttp_not_intercepted(llm_cassette):
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.ClientConnectorError):  # the dead port too
            await session.post(os.environ["OLLAMA_BASE_URL"] + "/api/chat", json={})
"""


@pytest.mark.parametrize(
    ("ini", "marker"),
    [("llm_intercept = false\n", ""), ("", "@pytest.mark.llm_cassette(intercept=False)\n")],
    ids=["ini", "marker"],
)
def test_interception_can_be_turned_off(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, ini: str, marker: str
) -> None:
    pytest.importorskip("aiohttp")
    make_project(pytester, ini_extra=ini)
    tests = re.sub("^(async )?def test_", lambda m: marker + m[0], OPT_OUT, flags=re.M)
    pytester.makepyfile(test_off=tests)
    from llmring_replay.cassette import Cassette

    for name in ("test_not_intercepted", "test_aiohttp_not_intercepted"):
        Cassette(path=pytester.path / "cassettes" / "test_off" / f"{name}.yaml").save()
    monkeypatch.setenv("OLLAMA_BASE_URL", "http://127.0.0.1:9")  # discard port: refused
    pytester.runpytest().assert_outcomes(passed=2)
