"""Broken and hostile cassette files: `CassetteFormatError` naming the file and the place,
never a stray `TypeError`/`OverflowError`/`RecursionError`, never unbounded memory.

`BROKEN` is shared with the CLI tests (`tests/cli/test_cli_broken_files.py`), which check that
`ls`, `lint`, `show` and `serve` report each such file in one line and go on.
"""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from llmring_replay.cassette import Cassette, yamlio
from llmring_replay.cassette.schema import cassette_to_document
from llmring_replay.cassette.writer import dump_yaml
from llmring_replay.cli.serve_cassettes import CassetteResponder
from llmring_replay.exceptions import CassetteFormatError

GOOD = """\
version: 1
llmring_replay: {format: 1, recorded_at: '2026-11-24T10:00:00Z'}
interactions:
- request:
    method: POST
    uri: https://api.openai.com/v1/chat/completions
    body: '{"model":"gpt-4o-mini","stream":true}'
    headers: {content-type: [application/json]}
  response:
    status: {code: 200, message: OK}
    headers: {content-type: [text/event-stream]}
    body:
      string: |+
        data: {"choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":"stop"}]}

        data: [DONE]

  llmring_replay:
    provider: openai
    recorded_at: '2026-11-24T10:00:01Z'
    offsets: '250'
"""
DEEP_JSON = "[" * 100_000 + "]" * 100_000


def _laughs(levels: int = 12) -> str:
    """A 'billion laughs' `parsed_body`: each level an anchored list of 9 aliases of the last."""
    lines = ["      a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for level in range(1, levels):
        previous, name = f"l{level - 1}" if level > 1 else "a", f"l{level}"
        lines.append(f"      {name}: &{name} [{', '.join([f'*{previous}'] * 9)}]")
    body = "\n".join(lines)
    return GOOD.replace(
        '    body: \'{"model":"gpt-4o-mini","stream":true}\'', f"    parsed_body:\n{body}"
    )


def _replace(old: str, new: str) -> str:
    assert old in GOOD
    return GOOD.replace(old, new, 1)


#: name -> (file text, the place the error names (a path, or `:line:` for YAML), its words)
BROKEN: dict[str, tuple[str, str, str]] = {
    "inf offsets": (
        _replace("offsets: '250'", "offsets: .inf"),
        "interactions[0].llmring_replay.offsets",
        "finite",
    ),
    "superscript status": (
        _replace("code: 200", "code: '²'"),
        "interactions[0].response.status.code",
        "expected an integer",
    ),
    "status out of range": (
        _replace("code: 200", "code: 99999999999999999999"),
        "interactions[0].response.status.code",
        "100-599",
    ),
    "unhashable key": (
        _replace("    provider: openai", "    ? [a, {b: c}]\n    : 1\n    provider: openai"),
        ":19:",
        "a mapping key holds a mapping or a list",
    ),
    "parsed_body with a date": (
        _replace("    body: '{", "    parsed_body: {sent: 2001-01-01}\n    xbody: '{"),
        "interactions[0].request.parsed_body",
        "not a JSON value",
    ),
    "parsed_body with binary": (
        _replace("    body: '{", "    parsed_body: !!binary aGk=\n    xbody: '{"),
        "interactions[0].request.parsed_body",
        "not a JSON value",
    ),
    "parsed_body with a list key": (
        _replace(
            "    body:\n      string", "    parsed_body: {? [1, 2] : x}\n    xbody:\n      string"
        ),
        "interactions[0].response.parsed_body",
        "not a JSON value",
    ),
    "ipv6 uri": (
        _replace("https://api.openai.com", "http://[::1"),
        "interactions[0].request.uri",
        "Invalid IPv6 URL",
    ),
    "port out of range": (
        _replace("https://api.openai.com", "http://localhost:99999"),
        "interactions[0].request.uri",
        "not a valid URL",
    ),
    "deep request body restored as JSON": (
        _replace(
            '    body: \'{"model":"gpt-4o-mini","stream":true}\'', f"    body: '{DEEP_JSON}'"
        ).replace("    provider: openai", "    request_body: compact\n    provider: openai"),
        "interactions[0].request.body",
        "not JSON",
    ),
    "deep YAML": (
        _replace("    provider: openai", "    x: " + "[" * 150 + "]" * 150 + "\n    provider"),
        ":19:",
        "nested deeper than 100 levels",
    ),
    "recursive alias": (
        _replace("    headers: {content-type: [application/json]}", "    headers: &h {x: *h}"),
        ":8:",
        "refers to itself",
    ),
    "billion laughs": (_laughs(), ":13:", "aliases expand to more than 100,000 nodes"),
    "empty method": (
        _replace("method: POST", "method: ''"),
        "interactions[0].request.method",
        "expected a non-empty string, got an empty string",
    ),
    "negative sizes": (
        _replace("offsets: '250'", "offsets: '250'\n    sizes: '-5'"),
        "interactions[0].llmring_replay.sizes",
        "negative",
    ),
    "ruby vcr ipv6": (
        "http_interactions:\n- request: {method: get, uri: 'http://[::1'}\n"
        "  response: {status: {code: 200}, body: {string: ''}}\n",
        "http_interactions[0].request.uri",
        "Invalid IPv6 URL",
    ),
    "go-vcr superscript status": (
        "interactions:\n- request: {method: GET, url: 'http://x/', body: ''}\n"
        "  response: {code: '²', body: ''}\n",
        "interactions[0].response.code",
        "expected an integer",
    ),
    "httprr ipv6": (
        "httprr trace v1\n33 19\nGET http://[::1/ HTTP/1.1\r\nA: b\r\n\r\nHTTP/1.1 200 OK\r\n\r\n",
        "record 0",
        "Invalid IPv6 URL",
    ),
    # Found by the fuzzer: both loaded, and the cassette they gave failed to load once saved.
    "httprr status out of range": (
        "httprr trace v1\n32 17\nGET http://x/ HTTP/1.1\r\nA: b\r\n\r\nHTTP/1.1 2 OK\r\n\r\n",
        "record 0",
        "expected an HTTP status (100-599), got 2",
    ),
    "httprr request line without a method": (
        "httprr trace v1\n29 19\n http://x/ HTTP/1.1\r\nA: b\r\n\r\nHTTP/1.1 200 OK\r\n\r\n",
        "record 0",
        "no method",
    ),
}


@pytest.mark.parametrize("name", BROKEN)
def test_a_broken_file_is_a_format_error_naming_file_and_place(tmp_path: Path, name: str) -> None:
    text, place, words = BROKEN[name]
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CassetteFormatError) as caught:
        Cassette.load(path)
    message = caught.value.message
    assert message.startswith(f"{path}:"), message
    assert place in message, message
    assert words in message, message
    assert caught.value.path == str(path)


#: Odd but readable: they load, and what loaded works everywhere a cassette is used.
ODD: dict[str, str] = {
    "a null key": _replace("    provider: openai", "    ~: 1\n    provider: openai"),
    "a null key at the top": "~: 1\n" + GOOD,
    "year 1 east of UTC": _replace(
        "recorded_at: '2026-11-24T10:00:01Z'", "recorded_at: 0001-01-01 00:00:00+05:00"
    ),
    "year 9999 west of UTC": _replace(
        "recorded_at: '2026-11-24T10:00:00Z'", "recorded_at: 9999-12-31 23:00:00-05:00"
    ),
    "a bad bool tag": _replace("provider: openai", "provider: !!bool maybe"),
    "a bad timestamp tag": _replace("provider: openai", "provider: !!timestamp 2020-99-99"),
    "a deep request body": _replace(
        '    body: \'{"model":"gpt-4o-mini","stream":true}\'', f"    body: '{DEEP_JSON}'"
    ),
    "shared headers (as vcrpy writes them)": _replace(
        "    headers: {content-type: [application/json]}", "    headers: &h {x: [y]}"
    ).replace("    headers: {content-type: [text/event-stream]}", "    headers: *h", 1),
}


@pytest.mark.parametrize("name", ODD)
def test_an_odd_file_loads_and_works(tmp_path: Path, name: str) -> None:
    path = tmp_path / "odd.yaml"
    path.write_text(ODD[name], encoding="utf-8")
    cassette = Cassette.load(path)
    assert len(cassette.interactions) == 1
    cassette.summaries()
    CassetteResponder([cassette])  # serve's matching keys: URL and body parsed
    again = tmp_path / "again.yaml"
    again.write_text(dump_yaml(cassette_to_document(cassette)), encoding="utf-8")
    assert Cassette.load(again).interactions[0].request == cassette.interactions[0].request


def test_year_one_is_kept_as_written(tmp_path: Path) -> None:
    path = tmp_path / "odd.yaml"
    path.write_text(ODD["year 1 east of UTC"], encoding="utf-8")
    assert Cassette.load(path).interactions[0].recorded_at == "0001-01-01T00:00:00+05:00"


def test_billion_laughs_stays_small(tmp_path: Path) -> None:
    path = tmp_path / "laughs.yaml"
    path.write_text(_laughs(), encoding="utf-8")
    assert path.stat().st_size < 1300  # the 1.2 KB file of the report
    tracemalloc.start()
    try:
        with pytest.raises(CassetteFormatError, match="aliases expand"):
            Cassette.load(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 5_000_000  # bytes; expanded, the body would be past 1.5 GB


def test_aliases_within_the_bound_are_read(tmp_path: Path) -> None:
    path = tmp_path / "laughs.yaml"
    path.write_text(_laughs(levels=4), encoding="utf-8")  # 9**4 leaves: under the cap
    cassette = Cassette.load(path)
    assert cassette.interactions[0].request.body is not None
    assert cassette.interactions[0].request.body.count(b"lol") == 9 + 81 + 729 + 6561


def test_nesting_up_to_the_cap_is_read() -> None:
    depth = yamlio.MAX_DEPTH
    assert yamlio.load_yaml("[" * depth + "]" * depth) is not None
    with pytest.raises(yamlio.YAMLSyntaxError, match="nested deeper"):
        yamlio.load_yaml("[" * (depth + 1) + "]" * (depth + 1))
