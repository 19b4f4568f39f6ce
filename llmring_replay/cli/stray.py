"""Telling a stray YAML file in a folder of cassettes from a broken cassette.

A cassettes folder often holds other YAML too (a simulation script for `serve --simulate`, a
CI config). When `ls`, `lint` or `serve` walk a folder, such a file is skipped with a note
on stderr instead of failing the run; a file named on the command line is always checked.
Only a file that is *clearly* something else is skipped: YAML that parses and has none of
the top-level keys any cassette flavour has. A file that does not parse, an empty one (a
cassette still to be recorded, as vcrpy sees it) or an httprr trace is a cassette gone
wrong and stays a finding.
"""

from __future__ import annotations

from pathlib import Path

from llmring_replay.cassette.importers import HTTPRR_MAGIC
from llmring_replay.cassette.yamlio import YAMLSyntaxError, load_yaml
from llmring_replay.cli.files import display

__all__ = ["CASSETTE_KEYS", "not_a_cassette", "skip_note"]

#: Top-level keys of our cassettes, vcrpy / pytest-recording / go-vcr, and Ruby VCR.
CASSETTE_KEYS = ("llmring_replay", "interactions", "http_interactions")


def not_a_cassette(path: Path) -> bool:
    """Whether `path` is clearly not a cassette (see the module docstring)."""
    try:
        source = path.read_bytes()
    except OSError:
        return False  # unreadable: the loader's error says so
    if not source.strip() or source.startswith(HTTPRR_MAGIC):
        return False
    try:
        document = load_yaml(source)
    except YAMLSyntaxError:
        return False
    return not (isinstance(document, dict) and any(key in document for key in CASSETTE_KEYS))


def skip_note(path: Path) -> str:
    """The stderr note for a skipped file."""
    keys = " or ".join(CASSETTE_KEYS[1:])
    return f"Skipped {display(path)}: not a cassette (no {keys} key)"
