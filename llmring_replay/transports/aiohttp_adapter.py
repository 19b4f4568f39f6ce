"""The aiohttp adapter: a provider request of an `aiohttp.ClientSession`, answered by the core.

aiohttp takes no transport, so automatic interception (`intercept`) patches
`ClientSession._request`, the method every session request goes through (as vcrpy's aiohttp
stubs do; SDK code is never touched), and hands provider requests here. The core sees the
request as an `httpx.Request` (method, URL with its params, the session's and the call's
headers, the body's bytes) and routes it like any other client's:

- replayed, the plan becomes an `aiohttp.ClientResponse` whose `content` serves each frame at
  its time (`PacedContent`). `ClientTimeout.sock_read` is the read timeout (a stall past it
  raises `aiohttp.SocketTimeoutError`, as the socket would), `total` a deadline for the whole
  exchange (`asyncio.TimeoutError`, as aiohttp's timer), and a disconnect raises
  `aiohttp.ClientPayloadError`;
- recorded, the request goes out through the session's original method (its connector,
  proxy, TLS and cookies) and the body is teed to the core's `Recorder` read by read, as the
  consumer reads. The consumer gets a response of its own: closing it (leaving `async with`)
  first reads the rest of the live body, as an httpx response does; one only `release()`d
  (a sync method) is read to its end when the transport closes, if its session is still
  open then. Either way the cassette holds the whole answer.

The session's `raise_for_status` is honoured as aiohttp does (`aiohttp_call`). Not emulated:
following a replayed redirect (provider APIs do not redirect) and trace-config events.
"""

from __future__ import annotations

import asyncio

import aiohttp
import httpx
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from llmring_replay.clock import refuse_live_request
from llmring_replay.transports.adapter import CoreTransport, sending_live
from llmring_replay.transports.aiohttp_body import aiohttp_error
from llmring_replay.transports.aiohttp_call import Call
from llmring_replay.transports.aiohttp_response import LiveResponse, client_response
from llmring_replay.transports.pacing import (
    Steps,
    async_now,
    headers_wait,
    paced_async,
    schedule,
    sleep_until,
)
from llmring_replay.transports.recording import Tee

__all__ = ["respond"]


async def respond(transport: CoreTransport, call: Call) -> aiohttp.ClientResponse:
    """Answer `call` through `transport`: replayed, or recorded live."""
    start = async_now()
    request = call.request = httpx.Request(
        call.request.method, call.request.url, headers=call.request.headers, content=call.body()
    )
    index = transport.route(request, request.content)
    if index is None:
        refuse_live_request(request.method, str(request.url))  # a virtual clock cannot wait
        live, tee = await _record(transport, call)
        if not transport.core.faults_on_recording:
            head = (live.status, live.reason, [*live.headers.items()])
            content = call.content(aiter(tee))
            response = client_response(call.session, live.request_info, head, content, tee.aclose)
            return await call.checked(response)
        # Faults: recorded whole first, then served from the recording with them.
        async for _ in tee:
            pass
        await tee.aclose()
        assert tee.recording.index is not None
        index, start = tee.recording.index, async_now()
    return await call.checked(await _replay(transport, call, index, start))


async def _record(transport: CoreTransport, call: Call) -> tuple[aiohttp.ClientResponse, Tee]:
    """Send `call` through the session's own method; the live response and its tee."""
    recorder = transport.core.recorder
    assert recorder is not None, "the core records whatever it does not replay"
    with sending_live(transport) as started:
        live = await call.send(raise_for_status=False)  # an error status is recorded too
    decoded = call.options.get("auto_decompress", call.session.auto_decompress) is not False
    sent = call.request
    if not live.history:  # record the headers aiohttp sent (user agent, content type ...)
        headers = list(live.request_info.headers.items())
        sent = httpx.Request(sent.method, sent.url, headers=headers, content=sent.content)
    return live, recorder.tee(sent, LiveResponse(live, decoded=decoded), started, asynchronous=True)


async def _replay(
    transport: CoreTransport, call: Call, index: int, start: float
) -> aiohttp.ClientResponse:
    """The plan for interaction `index` as an aiohttp response, paced from `start`."""
    replayer = transport.core.replayer
    assert replayer is not None
    request = call.request
    plan = replayer.plan(index, request)
    read_timeout, total = call.timeouts()
    deadline = None if total is None else start + total
    delay, stall = headers_wait(plan, read_timeout)
    if deadline is not None and start + delay > deadline:
        await sleep_until(deadline)
        raise asyncio.TimeoutError
    await sleep_until(start + delay)
    if stall is not None:
        raise aiohttp_error(stall) from stall
    steps = _until(schedule(plan, start, read_timeout, async_now), deadline)
    url = URL(str(request.url))
    headers = CIMultiDictProxy(CIMultiDict(request.headers.multi_items()))
    info = aiohttp.RequestInfo(url, request.method, headers, url)
    head = (plan.status, None, plan.headers)
    return client_response(call.session, info, head, call.content(paced_async(steps)))


def _until(steps: Steps, deadline: float | None) -> Steps:
    """`steps`, cut at the total timeout's deadline by aiohttp's error for it."""
    for due, frame in steps:
        if deadline is not None and due > deadline:
            yield deadline, asyncio.TimeoutError()
            return
        yield due, frame
