"""A recording process for the concurrency and kill tests, and what they check with.

    python -m tests.cassette.recorder PATH MODE FIRST COUNT

records the questions FIRST .. FIRST+COUNT-1 into the cassette at PATH through
`CassetteTransport` in record mode MODE, from an in-process fake upstream (no socket), and
prints `stored N` once the cassette has stored question N (`Cassette.record` returned) and
`finished` once the transport closed (the journal is folded into the file).
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import httpx
import yaml

from llmring_replay.cassette import Cassette, Interaction, RecordedRequest, RecordedResponse
from llmring_replay.transports import CassetteTransport

__all__ = [
    "ROOT",
    "URL",
    "in_file",
    "item",
    "questions",
    "record_questions",
    "spawn",
    "upstream",
]

URL = "http://localhost:11434/api/chat"
ROOT = Path(__file__).resolve().parents[2]


def upstream(request: httpx.Request) -> httpx.Response:
    """An Ollama-shaped NDJSON answer naming the question it answers."""
    question = json.loads(request.content)["q"]
    parts = [f"answer {question} part {i} " for i in range(5)]
    lines: list[dict[str, object]] = [{"message": {"content": p}, "done": False} for p in parts]
    lines.append({"message": {"content": ""}, "done": True, "done_reason": "stop"})
    body = "".join(json.dumps(line) + "\n" for line in lines)
    return httpx.Response(200, headers={"content-type": "application/x-ndjson"}, content=body)


def item(question: int) -> Interaction:
    """An interaction answering question `question`, as if recorded."""
    answer = json.dumps({"message": {"content": f"answer {question}"}, "done": True}) + "\n"
    return Interaction(
        request=RecordedRequest("POST", URL, body=json.dumps({"q": question}).encode()),
        response=RecordedResponse(
            200, "OK", {"content-type": ["application/x-ndjson"]}, answer.encode(), offsets=[0.001]
        ),
        provider="ollama",
        model="m",
    )


def questions(cassette: Cassette) -> list[int]:
    """The question of each interaction, in order."""
    return [json.loads(item.request.body or b"{}")["q"] for item in cassette.interactions]


def in_file(path: Path) -> list[int]:
    """The questions in the YAML file alone, read as vcrpy reads it (no journal)."""
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [json.loads(item["request"]["body"])["q"] for item in document["interactions"]]


def spawn(path: Path, mode: str, first: int, count: int) -> subprocess.Popen[str]:
    """This module as a process recording `count` questions from `first`."""
    command = [sys.executable, "-m", "tests.cassette.recorder", str(path), mode]
    return subprocess.Popen(
        [*command, str(first), str(count)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


async def record_questions(path: Path, mode: str, first: int, count: int) -> None:
    """Record the questions `first` .. `first + count - 1`, saying so as it goes."""
    transport = CassetteTransport(path, mode, inner=httpx.MockTransport(upstream))
    print("ready", flush=True)
    async with httpx.AsyncClient(transport=transport) as client:
        for question in range(first, first + count):
            response = await client.post(URL, json={"q": question})
            await response.aread()
            print(f"stored {question}", flush=True)
    print("finished", flush=True)


if __name__ == "__main__":
    where, how, start, many = sys.argv[1:5]
    asyncio.run(record_questions(Path(where), how, int(start), int(many)))
