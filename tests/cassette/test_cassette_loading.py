"""Loading fails clearly (file, place, line), never runs code, and writes are atomic."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from llmring_replay.cassette import (
    Cassette,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    cache,
    importers,
    writer,
    yamlio,
)
from llmring_replay.exceptions import (
    CassetteFormatError,
    CassetteNotFoundError,
    CassetteWriteError,
)

GOOD = """\
version: 1
llmring_replay: {format: 1}
interactions:
- request:
    method: POST
    uri: https://api.openai.com/v1/chat/completions
    body: '{"model":"gpt-4o-mini"}'
    headers: {content-type: [application/json]}
  response:
    status: {code: 200, message: OK}
    headers: {content-type: [text/event-stream]}
    body:
      string: |+
        data: {"n":1}

  llmring_replay: {provider: openai, offsets: '250'}
"""


def _write(tmp_path: Path, text: str, name: str = "c.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _error(path: Path) -> CassetteFormatError:
    with pytest.raises(CassetteFormatError) as info:
        Cassette.load(path)
    return info.value


def test_hand_written_cassette_loads(tmp_path: Path) -> None:
    cassette = Cassette.load(_write(tmp_path, GOOD))
    (item,) = cassette.interactions
    assert item.response.frames() == [(0.25, b'data: {"n":1}\n\n')]
    assert item.provider == "openai"
    assert item.request.body == b'{"model":"gpt-4o-mini"}'


def test_missing_file_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(CassetteNotFoundError) as info:
        Cassette.load(tmp_path / "nope.yaml")
    assert "nope.yaml" in str(info.value)


def test_empty_file_is_not_found_like_vcrpy(tmp_path: Path) -> None:
    with pytest.raises(CassetteNotFoundError, match="empty"):
        Cassette.load(_write(tmp_path, "\n  \n"))


def test_schema_error_names_file_place_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD.replace("code: 200", "code: lots"))
    error = _error(path)
    assert error.place == "interactions[0].response.status.code"
    assert error.path == str(path)
    assert str(path) in str(error)
    assert "interactions[0].response.status.code (line 10): expected an integer" in str(error)


@pytest.mark.parametrize(
    ("change", "place"),
    [
        (("method: POST", "method: [POST]"), "interactions[0].request.method"),
        (("    uri: https", "    url2: https"), "interactions[0].request.uri"),
        (("headers: {content-type: [application/json]}", "headers: [1]"),
         "interactions[0].request.headers"),
        (("string: |+", "string: {a: 1}\n      other: |+"), "interactions[0].response.body.string"),
        (("offsets: '250'", "offsets: 'soon'"), "interactions[0].llmring_replay.offsets"),
        (("llmring_replay: {format: 1}", "llmring_replay: {format: 9}"), "llmring_replay.format"),
        (("interactions:\n-", "interactions: 3\nx:\n-"), "interactions"),
    ],
)  # fmt: skip
def test_schema_errors_name_the_place(tmp_path: Path, change: tuple[str, str], place: str) -> None:
    old, new = change
    assert old in GOOD
    error = _error(_write(tmp_path, GOOD.replace(old, new, 1)))
    assert error.place == place
    assert place in str(error)


def test_corrupt_yaml_names_the_file_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD.replace("    method: POST", "    method: [POST", 1))
    error = _error(path)
    assert str(error).startswith(f"{path}:")
    assert error.place is not None and error.place.startswith("line ")
    assert "not valid YAML" in str(error)


def test_unknown_python_tags_never_execute(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    text = GOOD.replace(
        "    method: POST",
        f"    method: !!python/object/apply:os.system ['touch {marker}']\n"
        '    x-extra: !!python/object/new:builtins.exec [\'open("pwned2", "w")\']',
    ).replace("    method: !!", "    method: POST\n    ignored: !!")
    cassette = Cassette.load(_write(tmp_path, text))
    assert not marker.exists()
    assert not (Path.cwd() / "pwned2").exists()
    assert cassette.interactions[0].request.method == "POST"


def test_python_tagged_header_names_read_as_plain_strings(tmp_path: Path) -> None:
    text = GOOD.replace(
        "    headers: {content-type: [application/json]}",
        "    headers:\n"
        "      ? !!python/object/apply:multidict._multidict.istr\n"
        "      - Content-Type\n"
        "      : - application/json\n"
        "      X-Custom: !!python/str yes",
    )
    cassette = Cassette.load(_write(tmp_path, text))
    assert cassette.interactions[0].request.headers == {
        "content-type": ["application/json"],
        "x-custom": ["yes"],
    }


def test_anchors_aliases_and_merge_keys_are_understood(tmp_path: Path) -> None:
    text = GOOD.replace(
        "    headers: {content-type: [application/json]}",
        "    headers: &h {content-type: [application/json]}",
    ).replace(
        "    headers: {content-type: [text/event-stream]}",
        "    headers: {<<: *h, x-more: [one]}",
    )
    headers = Cassette.load(_write(tmp_path, text)).interactions[0].response.headers
    assert headers == {"x-more": ["one"], "content-type": ["application/json"]}


def test_loaded_values_follow_safe_yaml_rules() -> None:
    document = yamlio.load_yaml("a: 1\nb: 1.5\nc: true\nd: null\ne: '1'\nf: !!binary aGk=\ng: ~\n")
    assert document == {"a": 1, "b": 1.5, "c": True, "d": None, "e": "1", "f": b"hi", "g": None}


def _cassette(tmp_path: Path, body: bytes) -> Cassette:
    response = RecordedResponse(200, "OK", {"content-type": ["text/plain"]}, body, [0.1])
    item = Interaction(RecordedRequest("GET", "https://example.com/"), response)
    return Cassette(tmp_path / "atomic.yaml", [item])


def test_a_failing_dump_leaves_the_old_file_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cassette = _cassette(tmp_path, b"old")
    path = cassette.save()
    before = path.read_bytes()

    def explode(document: object) -> str:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(writer, "dump_yaml", explode)
    cassette.interactions[0].response.body = b"new"
    with pytest.raises(RuntimeError, match="disk on fire"):
        cassette.save()
    assert path.read_bytes() == before
    assert [name for name in os.listdir(tmp_path) if name.endswith(".tmp")] == []  # none left


def test_a_failing_rename_leaves_the_old_file_and_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cassette = _cassette(tmp_path, b"old")
    path = cassette.save()
    before = path.read_bytes()

    def fail(source: str, target: str) -> None:
        raise OSError("killed mid-write")

    monkeypatch.setattr(os, "replace", fail)
    cassette.interactions[0].response.body = b"new"
    with pytest.raises(CassetteWriteError, match="killed mid-write"):
        cassette.save()
    assert path.read_bytes() == before
    assert [name for name in os.listdir(tmp_path) if name.endswith(".tmp")] == []


def test_save_creates_directories_and_keeps_permissions(tmp_path: Path) -> None:
    cassette = _cassette(tmp_path, b"x")
    path = cassette.save(tmp_path / "deep" / "dir" / "c.yaml")
    assert path.exists()
    assert cassette.path == path
    assert path.stat().st_mode & 0o777 == 0o644


def test_a_cassette_is_cached_from_its_second_load_as_independent_copies(tmp_path: Path) -> None:
    path = _cassette(tmp_path, b"first").save()
    cache.clear()
    reads: list[Path] = []

    def read(target: Path) -> Cassette:
        reads.append(target)
        return importers.read_cassette(target)

    first = cache.load_cached(path, read)
    second = cache.load_cached(path, read)
    second.interactions[0].response.headers["x"] = ["mutated"]
    second.interactions[0].response.offsets = [9.0]
    second.interactions.append(first.interactions[0])
    third = cache.load_cached(path, read)
    assert len(reads) == 2  # parsed on the first two loads, the third came from the cache
    assert third == first
    assert third.interactions[0] is not first.interactions[0]


def test_a_changed_file_is_read_again(tmp_path: Path) -> None:
    cassette = _cassette(tmp_path, b"first")
    path = cassette.save()
    for _ in range(3):
        assert Cassette.load(path).interactions[0].response.body == b"first"
    cassette.interactions[0].response.body = b"second"
    cassette.save()
    assert Cassette.load(path).interactions[0].response.body == b"second"
    text = path.read_text(encoding="utf-8").replace("string: second", "string: third!")
    path.write_text(text, encoding="utf-8")  # in place: same inode, other size and mtime
    assert Cassette.load(path).interactions[0].response.body == b"third!"


def test_the_pure_python_parser_gives_the_same_cassette(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path, GOOD)
    with_libyaml = Cassette.load(path)
    cache.clear()
    monkeypatch.setattr(yamlio, "_Loader", yaml.SafeLoader)  # as without libyaml
    assert Cassette.load(path) == with_libyaml
