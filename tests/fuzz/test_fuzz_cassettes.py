"""Fuzzing `Cassette.load` and the importers: any file gives a cassette or a `CassetteError`
(never a stray exception, never unbounded memory), and a cassette that loads works everywhere
one is used: summaries and frames, serve's and replay's matching, saving and loading back.

Inputs start from seed files of every flavour (ours, vcrpy with `parsed_body`, go-vcr, Ruby
VCR, httprr) and are changed twice over: as data (a value replaced by YAML-typed junk: dates,
`!!binary`, `.inf`, null keys...) and as text (hostile snippets: tags, anchors and aliases,
deep nesting, odd scalars, cut lines).
"""

from __future__ import annotations

import datetime
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from llmring_replay.cassette import Cassette
from llmring_replay.cassette.match import Matcher
from llmring_replay.cassette.schema import cassette_to_document
from llmring_replay.cassette.writer import dump_yaml
from llmring_replay.cli.serve_cassettes import CassetteResponder
from llmring_replay.exceptions import CassetteError
from tests.cassette.test_cassette_broken import GOOD
from tests.fuzz.streams import junk, mutated

pytestmark = pytest.mark.fuzz

VCRPY = """\
interactions:
- request:
    method: POST
    uri: http://localhost:11434/api/chat
    parsed_body: {model: llama3.2, messages: [{role: user, content: hi}], stream: false}
    headers: {Content-Type: [application/json]}
  response:
    status: {code: 200, message: OK}
    headers: {content-type: [application/json], date: ['Mon, 24 Nov 2026 10:00:00 GMT']}
    parsed_body: {model: llama3.2, message: {role: assistant, content: hi}, done: true}
version: 1
"""
GO_VCR = """\
version: 2
interactions:
- request:
    method: POST
    url: https://api.anthropic.com/v1/messages
    body: '{"model":"claude-3-5-haiku-latest"}'
    headers: {X-Api-Key: [redacted]}
  response:
    code: 200
    status: 200 OK
    headers: {Content-Type: [text/event-stream]}
    body: "event: message_stop\\ndata: {\\"type\\":\\"message_stop\\"}\\n\\n"
"""
RUBY = """\
http_interactions:
- request:
    method: post
    uri: https://generativelanguage.googleapis.com/v1beta/models/gemini-2.0-flash:generateContent
    body: {encoding: UTF-8, string: '{}'}
    headers: {Content-Type: [application/json]}
  response:
    status: {code: 200, message: OK}
    headers: {Content-Type: [application/json]}
    body: {encoding: ASCII-8BIT, base64_string: 'e30='}
  recorded_at: Mon, 24 Nov 2026 10:00:00 GMT
recorded_with: VCR 6.2.0
"""
HTTPRR = (
    "httprr trace v1\n86 71\n"
    "POST http://localhost:11434/api/chat HTTP/1.1\r\nHost: localhost:11434\r\n"
    "Content-Length: 2\r\n\r\n{}"
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
)
SEEDS = (GOOD, VCRPY, GO_VCR, RUBY)

_YAML_JUNK = st.one_of(
    junk,
    st.dates(min_value=datetime.date(1, 1, 1)),
    st.datetimes(
        min_value=datetime.datetime(1, 1, 2),
        max_value=datetime.datetime(9999, 12, 30),
        timezones=st.sampled_from([datetime.timezone.utc, None])
        | st.integers(-23, 23).map(lambda h: datetime.timezone(datetime.timedelta(hours=h))),
    ),
    st.binary(max_size=8),
    st.sampled_from(["²", "http://[::1", "http://h:99999/x", "-5", "1e400", "", "\x85", "\ufeff"]),
)
_SNIPPETS = st.sampled_from(
    [
        "&a ",
        "*a",
        "*b",
        "<<: *a\n",
        "!!binary ",
        "!!python/object/apply:os.system ",
        "!!bool ",
        "!!int ",
        "!!float ",
        "!!timestamp ",
        "!!set ",
        "!!omap ",
        "!custom ",
        ".inf",
        "-.inf",
        ".nan",
        "~",
        "? [a, {b: c}]\n",
        "? [1, [2]]\n: x\n",
        "'²'",
        "'\\x00'",
        "[" * 120,
        "{a: " * 60,
        "0001-01-01 00:00:00+05:00",
        "9999-12-31 23:59:59-05:00",
        "http://[::1",
        "\t",
        "\x00",
        "\r",
        "---\n",
        "...\n",
        "%YAML 1.1\n",
        "- ",
        ": ",
        "#",
        '"\\ud800"',
        "'",
        '"',
        "|",
        ">-\n",
        "\n",
        "  ",
        "9" * 30,
        "-1",
        "0x1F",
        "0o17",
    ]
)


@st.composite
def yaml_files(draw: st.DrawFn) -> bytes:
    """A seed file changed as data, then as text."""
    text = draw(st.sampled_from(SEEDS))
    if draw(st.booleans()):
        document: Any = yaml.safe_load(text)
        for _ in range(draw(st.integers(1, 3))):
            document = draw(mutated(document))
            if draw(st.integers(0, 2)) == 0:  # the same trick with YAML's own types
                document = _put(document, draw(_YAML_JUNK), draw)
        text = yaml.safe_dump(document, allow_unicode=draw(st.booleans()), sort_keys=False)
    for _ in range(draw(st.integers(0, 3))):
        position = draw(st.integers(0, len(text)))
        if draw(st.booleans()):
            text = text[:position] + draw(_SNIPPETS) + text[position:]
        else:
            text = text[:position] + text[position + draw(st.integers(1, 20)) :]
    return text.encode("utf-8", "surrogatepass")


def _put(document: Any, value: Any, draw: st.DrawFn) -> Any:
    """`document` with `value` under a random key of a random mapping in it."""
    mappings = [document] if isinstance(document, dict) else []
    pending = [document]
    while pending:
        item = pending.pop()
        children = (
            item.values() if isinstance(item, dict) else item if isinstance(item, list) else []
        )
        for child in children:
            if isinstance(child, dict):
                mappings.append(child)
            if isinstance(child, dict | list):
                pending.append(child)
    if not mappings:
        return document
    target = draw(st.sampled_from(mappings))
    keys = [*target, "offsets", "sizes", "parsed_body", "recorded_at", None]
    target[draw(st.sampled_from(keys))] = value
    return document


@st.composite
def httprr_files(draw: st.DrawFn) -> bytes:
    data = HTTPRR.encode()
    for _ in range(draw(st.integers(1, 4))):
        position = draw(st.integers(0, len(data)))
        insert = draw(st.binary(max_size=6) | st.sampled_from([b"\r\n", b" ", b"-", b"9" * 12]))
        data = data[:position] + insert + data[position + draw(st.integers(0, 6)) :]
    return data


def _used_everywhere(cassette: Cassette, folder: Path) -> None:
    """What `show`, `serve`, replay and a re-save do with a loaded cassette."""
    cassette.summaries()
    for interaction in cassette.interactions:
        interaction.response.frames()
    CassetteResponder([cassette])
    Matcher(cassette)
    copy = folder / "copy.yaml"
    copy.write_text(dump_yaml(cassette_to_document(cassette)), encoding="utf-8")
    again = Cassette.load(copy)
    assert [i.request for i in again.interactions] == [i.request for i in cassette.interactions]
    assert [i.response.body for i in again.interactions] == [
        i.response.body for i in cassette.interactions
    ]


def _load(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        path = folder / "fuzzed.yaml"
        path.write_bytes(data)
        try:
            cassette = Cassette.load(path)
        except CassetteError as exc:
            assert exc.path == str(path)
            assert "\n" not in exc.message.strip() or exc.message.startswith(str(path))
            return
        _used_everywhere(cassette, folder)


@given(data=yaml_files())
def test_any_yaml_file(data: bytes) -> None:
    _load(data)


@given(data=httprr_files())
def test_any_httprr_file(data: bytes) -> None:
    _load(data)
