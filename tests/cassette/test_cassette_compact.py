"""Folding journal entries into a file by splicing text gives exactly what a full dump gives."""

from __future__ import annotations

from pathlib import Path

import pytest

from llmring_replay.cassette import Cassette, compact, schema, writer
from tests.cassette.recorder import item

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted([*ROOT.glob("cassettes/*.yaml"), *ROOT.glob("tests/cassettes/**/*.yaml")])


def dumped(cassette: Cassette) -> str:
    return writer.dump_yaml(schema.cassette_to_document(cassette))


def entries(cassette: Cassette) -> list[str]:
    return [writer.dump_yaml(schema.interaction_to_dict(i)) for i in cassette.interactions]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_splicing_entries_equals_dumping_the_whole_cassette(path: Path) -> None:
    cassette = Cassette.load(path)
    whole = dumped(cassette)
    empty = Cassette(provenance=cassette.provenance)
    assert compact.splice(dumped(empty), entries(cassette)) == whole
    # ... and onto a file that already holds some of them.
    half = len(cassette.interactions) // 2
    first = Cassette(interactions=cassette.interactions[:half], provenance=cassette.provenance)
    assert compact.splice(dumped(first), entries(cassette)[half:]) == whole


def test_bodies_that_need_an_indentation_indicator_or_keep_their_blank_lines() -> None:
    awkward = [item(n) for n in range(4)]
    awkward[0].response.body = b"  starts with spaces\nand more\n"
    awkward[1].response.body = b"ends with blank lines\n\n\n"
    awkward[2].response.body = b"\n\nstarts with blank lines\n"
    awkward[3].response.body = b"tab\there \x00 and a NUL"
    cassette = Cassette(interactions=awkward)
    spliced = compact.splice(dumped(Cassette()), entries(cassette))
    assert spliced == dumped(cassette)
    assert spliced is not None
    (loaded,) = [Cassette.load(_write(spliced))]
    assert [i.response.body for i in loaded.interactions] == [i.response.body for i in awkward]


def _write(text: str) -> Path:
    import tempfile

    folder = Path(tempfile.mkdtemp())
    path = folder / "c.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "text",
    [
        "interactions:\n- request: {}\nversion: 1\n",  # vcrpy: no header of ours, version last
        "llmring_replay: {}\ninteractions:\n  - request: {}\n",  # an indented list
        "llmring_replay: {}\ninteractions:\n- request: {}\n# a comment\n",
        "llmring_replay: {}\ninteractions: []\n- request: {}\n",
        "llmring_replay: {}\ninteractions:\n- request: {}",  # no final newline
        "llmring_replay: {}\r\ninteractions:\r\n- request: {}\r\n",  # CRLF line ends
    ],
)
def test_files_laid_out_otherwise_are_left_to_a_full_dump(text: str) -> None:
    assert compact.splice(text, ["request: {}\n"]) is None
