"""Streaming throughput: chunks per second through `LLMRing.chat_stream`, offline.

One streamed answer of N text deltas (`--chunks`, default 20,000) per provider, as realistic
wire bytes served from memory in 16 KiB reads (`--piece`), the same reads for every contender:

- `chat_stream`: `LLMRing.chat_stream` over an `httpx.MockTransport`, deltas joined.
- `openai-sdk`: (OpenAI only) the official SDK's `chat.completions.create(stream=True)` over an
  `httpx2.MockTransport` (openai 3.x is built on httpx2), `choices[0].delta.content` read.
- `raw-floor`: the reads split into frames (SSE: blank line, NDJSON: newline) and each frame's
  data `json.loads`-ed. Nothing else: no HTTP client, no chunk objects.

Every contender runs `--runs` times, interleaved, after an untimed warm-up; the table shows
medians (and the best run) of this process's CPU time, so other load on a shared machine does
not count (`--wall` for wall-clock time). chunks/s is N / run time (control frames are not
counted), so ratios are time ratios. Each run is checked (joined deltas == the text sent, last
chunk finish_reason "stop", the floor parsed every frame): a fast but wrong run fails.

`vs openai-sdk` is how many times faster than the SDK chat_stream is (target >= 10x);
`vs raw-floor` is the share of the floor's speed it keeps (target >= 0.8x; 1.0x = nothing
spent beyond framing and JSON parsing). OpenAI's Responses API (`openai_responses`, named
events as OpenAI sends them) is compared with Chat Completions per chunk (target: no
dearer). Exits 1 when a ratio misses its target (never with `--quick`, whose numbers mean
nothing).

    .venv/bin/python benchmarks/stream_throughput.py [--chunks N] [--runs R] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import statistics
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from functools import partial
from typing import Any

import httpx

from llmring_replay.providers.registry import lookup
from llmring_replay.schemas import LLMRequest, Message
from llmring_replay.service import LLMRing

WORDS = (" The", " quick", " brown", " fox", ",", " naïve", " café", " 🚀", " jumps", ".", "\n")
TARGETS = {"openai-sdk": 10.0, "raw-floor": 0.8}
PROMPT = [Message(role="user", content="hi")]
Contender = tuple[str, str, Callable[[], Awaitable[None]]]


def check(ok: bool, what: str) -> None:
    """Stop on a wrong result (not `assert`: `python -O` would drop the checks)."""
    if not ok:
        raise SystemExit(f"wrong result: {what}")


def _dumps(value: Any, separators: tuple[str, str] = (",", ":")) -> str:
    return json.dumps(value, ensure_ascii=False, separators=separators)


def openai_body(tokens: list[str]) -> bytes:
    """`chat.completion.chunk` events (`include_usage`), a usage chunk, `data: [DONE]`."""
    head = {"id": "chatcmpl-B9MBs8", "object": "chat.completion.chunk", "created": 1735689600}
    head |= {"model": "gpt-4o-mini-2024-07-18", "system_fingerprint": "fp_0aa8d3e20b"}

    def event(delta: dict[str, Any] | None, finish: str | None = None, usage: Any = None) -> str:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        payload = {**head, "choices": [choice] if delta is not None else [], "usage": usage}
        return f"data: {_dumps(payload)}\n\n"

    n = len(tokens)
    usage = {"prompt_tokens": 9, "completion_tokens": n, "total_tokens": 9 + n}
    usage["prompt_tokens_details"] = {"cached_tokens": 0, "audio_tokens": 0}
    usage["completion_tokens_details"] = {"reasoning_tokens": 0, "audio_tokens": 0}
    frames = [event({"role": "assistant", "content": "", "refusal": None})]
    frames += [event({"content": token}) for token in tokens]
    frames += [event({}, "stop"), event(None, usage=usage), "data: [DONE]\n\n"]
    return "".join(frames).encode()


def responses_body(tokens: list[str]) -> bytes:
    """Responses API named events as OpenAI sends them in 2025 (`sequence_number`, padded
    `obfuscation`): created, the message item and its part, the deltas, the done events and
    `response.completed` with the usage; no end marker."""
    item_id = "msg_68a72e37d50481968742ebc1aeb9244c075c9fca6967ac8b"
    response = {"id": "resp_68a72e32db2c8196ba2a8493582cabde", "object": "response"}
    response |= {"created_at": 1755786807, "status": "in_progress", "error": None}
    response |= {"model": "gpt-4o-mini-2024-07-18", "output": [], "usage": None}
    sequence = iter(range(len(tokens) + 10))

    def event(kind: str, **fields: Any) -> str:
        payload = {"type": kind, **fields, "sequence_number": next(sequence)}
        return f"event: {kind}\ndata: {_dumps(payload)}\n\n"

    where = {"item_id": item_id, "output_index": 0, "content_index": 0}
    part = {"type": "output_text", "annotations": [], "logprobs": [], "text": ""}
    item = {"id": item_id, "type": "message", "status": "in_progress", "content": []}
    frames = [event("response.created", response=response)]
    frames.append(event("response.in_progress", response=response))
    frames.append(event("response.output_item.added", output_index=0, item=item))
    frames.append(event("response.content_part.added", **where, part=part))
    frames += [
        event("response.output_text.delta", **where, delta=token, logprobs=[], obfuscation="xgdy")
        for token in tokens
    ]
    text = "".join(tokens)
    frames.append(event("response.output_text.done", **where, text=text, logprobs=[]))
    frames.append(event("response.content_part.done", **where, part={**part, "text": text}))
    done = {**item, "status": "completed", "content": [{**part, "text": text}], "role": "assistant"}
    frames.append(event("response.output_item.done", output_index=0, item=done))
    usage = {"input_tokens": 9, "input_tokens_details": {"cached_tokens": 0}}
    usage |= {"output_tokens": len(tokens), "output_tokens_details": {"reasoning_tokens": 0}}
    usage |= {"total_tokens": 9 + len(tokens)}
    final = {**response, "status": "completed", "output": [done], "usage": usage}
    frames.append(event("response.completed", response=final))
    return "".join(frames).encode()


def anthropic_body(tokens: list[str]) -> bytes:
    """Messages API `event:`/`data:` pairs, message_start through message_stop."""

    def event(kind: str, **fields: Any) -> str:
        return f"event: {kind}\ndata: {_dumps({'type': kind, **fields})}\n\n"

    message = {"id": "msg_01XFDUDYJgAACzvnptvVoYEL", "type": "message", "role": "assistant"}
    message |= {"content": [], "model": "claude-3-5-haiku-20241022", "stop_reason": None}
    message |= {"stop_sequence": None, "usage": {"input_tokens": 9, "output_tokens": 1}}
    frames = [event("message_start", message=message)]
    frames.append(event("content_block_start", index=0, content_block={"type": "text", "text": ""}))
    frames.append(event("ping"))
    frames += [
        event("content_block_delta", index=0, delta={"type": "text_delta", "text": token})
        for token in tokens
    ]
    frames.append(event("content_block_stop", index=0))
    stop = {"stop_reason": "end_turn", "stop_sequence": None}
    frames.append(event("message_delta", delta=stop, usage={"output_tokens": len(tokens)}))
    frames.append(event("message_stop"))
    return "".join(frames).encode()


def google_body(tokens: list[str]) -> bytes:
    """`streamGenerateContent?alt=sse` responses, CRLF, usageMetadata on every one."""

    def event(index: int, token: str) -> str:
        candidate: dict[str, Any] = {"content": {"parts": [{"text": token}], "role": "model"}}
        if index == len(tokens) - 1:
            candidate["finishReason"] = "STOP"
        usage = {"promptTokenCount": 9, "candidatesTokenCount": index + 1}
        usage |= {"totalTokenCount": index + 10, "promptTokensDetails": [{"modality": "TEXT"}]}
        data = {"candidates": [candidate], "usageMetadata": usage}
        data |= {"modelVersion": "gemini-2.0-flash", "responseId": "2ypmaKqQFb3A"}
        return f"data: {_dumps(data, (',', ': '))}\r\n\r\n"

    return "".join(event(index, token) for index, token in enumerate(tokens)).encode()


def ollama_body(tokens: list[str]) -> bytes:
    """`/api/chat` NDJSON: a line per token, then the `done` line with its counters."""
    head = {"model": "llama3.2", "created_at": "2025-01-01T00:00:00.123456Z"}

    def line(content: str, **fields: Any) -> str:
        message = {"role": "assistant", "content": content}
        return _dumps({**head, "message": message, **fields}) + "\n"

    lines = [line(token, done=False) for token in tokens]
    counters = {"total_duration": 4883583458, "load_duration": 1334875, "prompt_eval_count": 9}
    counters |= {"prompt_eval_duration": 342546000, "eval_count": len(tokens)}
    lines.append(line("", done_reason="stop", done=True, eval_duration=4535599000, **counters))
    return "".join(lines).encode()


# provider, or wire format where a provider has several: (model, wire renderer, frame
# separator, JSON frames beyond the N text deltas)
WIRES: dict[str, tuple[str, Callable[[list[str]], bytes], bytes, int]] = {
    "openai": ("gpt-4o-mini", openai_body, b"\n\n", 3),
    "openai_responses": ("gpt-4o-mini", responses_body, b"\n\n", 8),
    "anthropic": ("claude-3-5-haiku-latest", anthropic_body, b"\n\n", 6),
    "google": ("gemini-2.0-flash", google_body, b"\r\n\r\n", 0),
    "ollama": ("llama3.2", ollama_body, b"\n", 1),
}


async def _serve(pieces: list[bytes]) -> AsyncIterator[bytes]:
    for piece in pieces:
        yield piece


async def raw_floor(provider: str, pieces: list[bytes], n: int) -> None:
    """Frames and `json.loads`, carrying a partial frame across reads, nothing else."""
    _, _, separator, extra = WIRES[provider]
    sse = provider != "ollama"
    parsed, buffer = 0, b""
    for piece in pieces:
        frames = (buffer + piece).split(separator)
        buffer = frames.pop()
        for frame in frames:
            data = frame[frame.index(b"data: ") + 6 :] if sse else frame
            if data != b"[DONE]":
                json.loads(data)
                parsed += 1
    check(parsed == n + extra and not buffer, f"{provider} floor: {parsed} frames")


def make_ring(provider: str, pieces: list[bytes]) -> LLMRing:
    media = "application/x-ndjson" if provider == "ollama" else "text/event-stream"

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": media}, content=_serve(pieces))

    ring = LLMRing(transport=httpx.MockTransport(handler))
    fmt = lookup(provider)
    ring.register_provider(
        fmt.provider, api_key="bench-key", base_url="http://bench.invalid", api=fmt.name
    )
    return ring


async def run_ring(ring: LLMRing, provider: str, expected: str, n: int) -> None:
    model = f"{lookup(provider).provider}:{WIRES[provider][0]}"
    request = LLMRequest(model=model, messages=PROMPT)
    deltas: list[str] = []
    last = None
    async for chunk in ring.chat_stream(request):
        if chunk.delta:
            deltas.append(chunk.delta)
        last = chunk
    check(len(deltas) == n and "".join(deltas) == expected, f"{provider}: text")
    check(last is not None and last.finish_reason == "stop", f"{provider}: finish chunk")


def make_sdk(pieces: list[bytes]) -> Any:
    """An `AsyncOpenAI` over an in-memory httpx2 transport; `None` without the bench extra."""
    try:
        import httpx2
        import openai
    except ImportError:
        return None

    def handler(request: httpx2.Request) -> httpx2.Response:
        media = {"content-type": "text/event-stream"}
        return httpx2.Response(200, headers=media, content=_serve(pieces))

    http = httpx2.AsyncClient(transport=httpx2.MockTransport(handler))
    url = "http://bench.invalid/v1"
    return openai.AsyncOpenAI(api_key="sk-bench", base_url=url, http_client=http, max_retries=0)


async def run_sdk(client: Any, expected: str, n: int) -> None:
    stream = await client.chat.completions.create(
        model=WIRES["openai"][0],
        messages=[{"role": "user", "content": "hi"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    deltas: list[str] = []
    finish = None
    async for chunk in stream:
        if chunk.choices:
            choice = chunk.choices[0]
            if choice.delta.content:
                deltas.append(choice.delta.content)
            finish = choice.finish_reason
    check(len(deltas) == n and "".join(deltas) == expected, "openai-sdk: text")
    check(finish == "stop", "openai-sdk: finish_reason")


def contenders(n: int, piece: int) -> list[Contender]:
    """(provider, contender, one run) for everything measured; bodies rendered up front."""
    tokens = [WORDS[i % len(WORDS)] for i in range(n)]
    expected = "".join(tokens)
    found: list[Contender] = []
    for provider, (_, render, _, _) in WIRES.items():
        body = render(tokens)
        pieces = [body[i : i + piece] for i in range(0, len(body), piece)]
        ring = make_ring(provider, pieces)
        found.append((provider, "chat_stream", partial(run_ring, ring, provider, expected, n)))
        sdk = make_sdk(pieces) if provider == "openai" else None
        if sdk is not None:
            found.append((provider, "openai-sdk", partial(run_sdk, sdk, expected, n)))
        found.append((provider, "raw-floor", partial(raw_floor, provider, pieces, n)))
    return found


async def measure(
    found: list[Contender], runs: int, clock: Callable[[], float]
) -> dict[tuple[str, str], list[float]]:
    """Seconds per run of each contender: a warm-up round, then `runs` interleaved rounds."""
    times: dict[tuple[str, str], list[float]] = {(p, name): [] for p, name, _ in found}
    for round_ in range(runs + 1):
        for provider, name, run in found:
            gc.collect()
            start = clock()
            await run()
            elapsed = clock() - start
            if round_:
                times[provider, name].append(elapsed)
    return times


def report(times: dict[tuple[str, str], list[float]], n: int) -> int:
    """Print the table and the ratios; return how many ratios missed their target."""
    median = {key: statistics.median(values) for key, values in times.items()}
    w = max(len(provider) for provider, _ in median)
    print(f"{'provider':<{w}} {'contender':<12} {'ms/run':>9} {'chunks/s':>11} {'best ms':>9}")
    for (provider, name), seconds in median.items():
        ms, best = seconds * 1000, min(times[provider, name]) * 1000
        print(f"{provider:<{w}} {name:<12} {ms:>9.1f} {n / seconds:>11,.0f} {best:>9.1f}")
    print("\nchat_stream speed ratio (target)")
    missed = 0
    for (provider, name), seconds in median.items():
        if name != "chat_stream":
            ratio, target = seconds / median[provider, "chat_stream"], TARGETS[name]
            missed += ratio < target
            verdict = "ok" if ratio >= target else "MISSED"
            print(f"  {provider:<{w}} vs {name:<11} {ratio:6.2f}x  (>= {target}x) {verdict}")
    return missed + _compare_apis(median, n)


def _compare_apis(median: dict[tuple[str, str], float], n: int) -> int:
    """OpenAI's two APIs side by side: the Responses API's cost per chunk should be no more
    than Chat Completions' (target); missed only beyond the 10% a loaded machine's medians
    can wander, so noise does not fail `make bench`."""
    chat, responses = median["openai", "chat_stream"], median["openai_responses", "chat_stream"]
    ratio = responses / chat
    print("\nOpenAI Responses vs Chat Completions, chat_stream cost per chunk (target <= 1.0x)")
    verdict = "ok" if ratio <= 1.0 else ("within noise" if ratio <= 1.1 else "MISSED")
    print(
        f"  {responses / n * 1e6:.2f} us vs {chat / n * 1e6:.2f} us per chunk: "
        f"{ratio:.2f}x {verdict}"
    )
    return int(ratio > 1.1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chunks", type=int, default=20_000, help="text deltas per stream")
    parser.add_argument("--runs", type=int, default=7, help="timed runs per contender")
    parser.add_argument("--piece", type=int, default=16 * 1024, help="bytes per read")
    parser.add_argument("--quick", action="store_true", help="smoke run: 500 chunks, 1 run")
    parser.add_argument("--wall", action="store_true", help="wall-clock time, not CPU time")
    args = parser.parse_args()
    n, runs = (500, 1) if args.quick else (args.chunks, args.runs)
    found = contenders(n, args.piece)
    if not any(name == "openai-sdk" for _, name, _ in found):
        print("openai SDK not installed (pip install -e '.[bench]'): not measured")
    clock = time.perf_counter if args.wall else time.process_time
    times = asyncio.run(measure(found, runs, clock))
    kind = "wall-clock" if args.wall else "CPU"
    print(f"{n:,} chunks per stream, {args.piece:,}-byte reads, {kind} time, {runs} run(s)")
    print("smoke run: the numbers mean nothing\n" if args.quick else "")
    missed = report(times, n)
    sys.exit(1 if missed and not args.quick else 0)


if __name__ == "__main__":
    main()
