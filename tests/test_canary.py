"""The end-to-end canary: no fragment of a key reaches any file, whatever writes it.

Realistic keys (mixed case, real prefixes, full length) for every key variable of every wire
format are in the environment. A server echoes the credential each request carried, as a
careless or hostile upstream would: whole in one frame, again in 10-character pieces across
frames, in the thinking text and in tool call arguments, whole in a non-streamed answer, and
whole in a 401 error's message. It is recorded through every writer the project has:

- the pytest plugin with `--snapshot-update` (cassettes, their journals, stream snapshots),
  then replayed offline against what it wrote;
- the CLI: `record` (and `--append` of the error), `replay --json`, `show`, `ls`, `lint`,
  each one's output kept in a file;
- the recording proxy (`serve --record-mode`), with the clients' credentials forwarded.

Then every file under the test's folder is read as bytes and searched for every 8-character
piece of every key: none may be there.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from llmring_replay.cassette import Cassette
from llmring_replay.cassette.scrub import CREDENTIAL_HEADERS, SECRET_QUERY_PARAMS
from llmring_replay.cli import main
from llmring_replay.cli.serve_cassettes import CassetteResponder
from llmring_replay.cli.serve_proxy import ProxyResponder, parse_upstreams
from llmring_replay.providers.registry import FORMATS, Format, api_env, for_provider
from llmring_replay.schemas import LLMRequest, Message
from llmring_replay.service import LLMRing
from llmring_replay.simulator import Script, Simulator, SimulatorServer, ToolCallSpec
from llmring_replay.simulator.routes import (
    ReceivedRequest,
    Reply,
    find_route,
    plan_reply,
    unknown_route_reply,
)
from tests.plugin.helpers import make_project
from tests.support import CANARY_KEYS

#: The prompt that gets the 401 whose message quotes the key (as OpenAI's does).
WRONG = "use-the-wrong-key"
FRAGMENT = 8


def _base_url_envs() -> set[str]:
    return {fmt.base_url_env for fmt in FORMATS if fmt.base_url_env}


def credential(request: ReceivedRequest) -> str:
    """The key a request carried, wherever its format puts it (header or query)."""
    for name in sorted(CREDENTIAL_HEADERS):
        value = request.headers.get(name, "")
        if value:
            return value.removeprefix("Bearer ").strip()
    for name in sorted(SECRET_QUERY_PARAMS):
        if request.query.get(name):
            return request.query[name]
    return ""


def pieces(key: str, size: int = 10) -> list[str]:
    return [key[i : i + size] for i in range(0, len(key), size)]


def echoing(key: str) -> Script:
    """An answer repeating `key`: whole, then in 10-character frames, in every channel."""
    return Script(
        chunks=["Your key is ", key, ". Again, in pieces: ", *pieces(key), ". Keep it safe."],
        reasoning=f"The user sent {key} as their key.",
        tool_calls=[ToolCallSpec(name="store", arguments={"key": key, "note": "canary"})],
        chunk_size=10,  # the thinking text: 10 characters a frame
    )


class Echo:
    """A provider that echoes the credential each request carried."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []  # (format, key) per request

    def __call__(self, request: ReceivedRequest) -> Reply:
        route = find_route(request.path, request.query, request.body)
        if route is None:
            return unknown_route_reply(request.method, request.path, request.body)
        key = credential(request)
        self.seen.append((route.format, key))
        if WRONG in json.dumps(request.body):
            message = f"Incorrect API key provided: {key}. Find your API key in your account."
            script = Script(status=401, error_message=message)
        else:
            script = echoing(key)
        return plan_reply(route, Simulator(script), request.body, len(self.seen))


def model_of(fmt: Format) -> str:
    return f"{fmt.provider}:{fmt.default_model}"


def is_default(fmt: Format) -> bool:
    return for_provider(fmt.provider).name == fmt.name


INNER_TEST = """\
import os
import shutil
from pathlib import Path

import pytest

from llmring_replay import LLMRequest, Message
from llmring_replay.exceptions import LLMRingError

FORMATS = {formats!r}


def ask(model, text):
    return LLMRequest(model=model, messages=[Message(role="user", content=text)])


@pytest.mark.llm_cassette(providers=FORMATS)
async def test_echo(llmring, llm_model, llm_provider, stream_snapshot):
    chunks = [chunk async for chunk in llmring.chat_stream(ask(llm_model, "hi"))]
    assert chunks == stream_snapshot
    assert chunks == stream_snapshot(exact=True)
    whole = await llmring.chat(ask(llm_model, "and whole"))
    assert whole == stream_snapshot
    with pytest.raises(LLMRingError):
        await llmring.chat(ask(llm_model, {wrong!r}))
    if os.environ.get("CANARY_RECORDING"):
        # The journal exists only while the recording is open: keep a copy to scan.
        journals = list(Path("cassettes").rglob("*.journal"))
        assert journals
        kept = Path("journals-seen")
        kept.mkdir(exist_ok=True)
        for journal in journals:
            shutil.copy(journal, kept / (llm_provider + journal.name))
"""


def _canaries(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in CANARY_KEYS.items():
        monkeypatch.setenv(name, value)
    for fmt in FORMATS:
        monkeypatch.delenv(api_env(fmt.provider), raising=False)
    monkeypatch.delenv("LLMRING_LOCKFILE_PATH", raising=False)


def _record_through_the_plugin(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, echo: Echo
) -> None:
    names = [fmt.provider if is_default(fmt) else fmt.name for fmt in FORMATS]
    make_project(pytester)
    pytester.makepyfile(test_canary=INNER_TEST.format(formats=names, wrong=WRONG))
    with SimulatorServer(responder=echo) as server, monkeypatch.context() as patch:
        for fmt in FORMATS:
            patch.setenv(fmt.base_url_env, server.base_url_for(fmt.provider))
        patch.setenv("CANARY_RECORDING", "1")
        recorded = pytester.runpytest("--llm-record-mode=once", "--snapshot-update")
    recorded.assert_outcomes(passed=len(FORMATS))
    # Offline (no key, no server): the replayed streams match the scrubbed snapshots.
    with monkeypatch.context() as patch:
        for name in (*CANARY_KEYS, *_base_url_envs()):
            patch.delenv(name, raising=False)
        pytester.runpytest("--llm-record-mode=none").assert_outcomes(passed=len(FORMATS))


def _record_through_the_cli(folder: Path, monkeypatch: pytest.MonkeyPatch, echo: Echo) -> None:
    runner = CliRunner()
    folder.mkdir()

    def run(name: str, *args: str, code: int = 0) -> None:
        result = runner.invoke(main, list(args))
        (folder / f"{name}.out").write_text(result.stdout + result.stderr, encoding="utf-8")
        assert result.exit_code == code, (name, result.output)

    with SimulatorServer(responder=echo) as server:
        for fmt in FORMATS:
            cassette = str(folder / f"{fmt.name}.yaml")
            with monkeypatch.context() as patch:
                if not is_default(fmt):
                    patch.setenv(api_env(fmt.provider), fmt.name)
                url = ["--base-url", server.base_url_for(fmt.provider), "-o", cassette]
                run(f"{fmt.name}-record", "record", "-m", model_of(fmt), "-p", "hi", *url)
                wrong = ["record", "-m", model_of(fmt), "-p", WRONG, *url, "--append"]
                run(f"{fmt.name}-record-error", *wrong, code=1)
            replay = ["replay", cassette, "--timing", "instant", "--json"]
            run(f"{fmt.name}-replay", *replay, code=1)  # the 401 comes back, after the stream
            run(f"{fmt.name}-show", "show", cassette)
    run("ls", "ls", str(folder))
    run("lint", "lint", str(folder))


async def _record_through_the_proxy(folder: Path, echo: Echo) -> None:
    folder.mkdir()
    with SimulatorServer(responder=echo) as upstream:
        proxy = ProxyResponder(
            CassetteResponder([]), folder, "once", parse_upstreams([upstream.base_url])
        )
        async with SimulatorServer(responder=proxy) as server, LLMRing() as ring:
            for fmt in FORMATS:
                ring.register_provider(
                    fmt.provider, base_url=server.base_url_for(fmt.provider), api=fmt.name
                )
                request = LLMRequest(
                    model=model_of(fmt), messages=[Message(role="user", content="hi")]
                )
                said = "".join([chunk.delta async for chunk in ring.chat_stream(request)])
                assert said.startswith("Your key is ")
    assert sorted(path.name for path in folder.glob("*.yaml")) == sorted(
        f"{fmt.name}.yaml" for fmt in FORMATS
    )


def key_pieces() -> set[bytes]:
    """Every 8-character piece of every canary key."""
    return {
        key[i : i + FRAGMENT].encode()
        for key in CANARY_KEYS.values()
        for i in range(len(key) - FRAGMENT + 1)
    }


def scan(root: Path) -> tuple[int, list[str]]:
    """Files read under `root`, and where a piece of a key was found (file, first letters)."""
    pieces = key_pieces()
    files = [path for path in root.rglob("*") if path.is_file()]
    found = [
        f"{path.relative_to(root)}: {piece.decode()[:3]}..."
        for path in files
        for piece in pieces
        if piece in path.read_bytes()
    ]
    return len(files), found


def test_no_fragment_of_any_key_reaches_any_file(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    variables = {name for fmt in FORMATS for name in fmt.api_key_env}
    assert variables <= set(CANARY_KEYS)  # a new format's key variable needs a canary
    _canaries(monkeypatch)
    echo = Echo()
    _record_through_the_plugin(pytester, monkeypatch, echo)
    _record_through_the_cli(pytester.path / "cli", monkeypatch, echo)
    asyncio.run(_record_through_the_proxy(pytester.path / "proxy", echo))

    # The server did echo real keys, in every format, through every writer.
    echoed = {fmt for fmt, key in echo.seen if key in CANARY_KEYS.values()}
    assert echoed == {fmt.name for fmt in FORMATS}
    written = {path.suffix for path in pytester.path.rglob("*") if path.is_file()}
    assert {".yaml", ".stream", ".chunks", ".journal", ".out"} <= written
    for fmt in FORMATS:  # what was scrubbed reads as the placeholder
        for cassette in (pytester.path / "cli", pytester.path / "proxy"):
            body = Cassette.load(cassette / f"{fmt.name}.yaml").interactions[0].response.body
            assert f"<{fmt.api_key_env[0]}>" in body.decode()

    files, found = scan(pytester.path)
    with capsys.disabled():
        print(f"\ncanary: {files} files scanned for {len(key_pieces())} key pieces: {found}")
    assert found == []
    assert files >= 40


def test_the_scan_finds_a_piece_of_a_key(tmp_path: Path) -> None:
    key = CANARY_KEYS["ANTHROPIC_API_KEY"]
    (tmp_path / "deep" / "er").mkdir(parents=True)
    (tmp_path / "deep" / "er" / ".hidden").write_bytes(b"x" + key[20:28].encode() + b"y")
    assert scan(tmp_path) == (1, ["deep/er/.hidden: " + key[20:23] + "..."])
