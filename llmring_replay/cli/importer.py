"""`import`: other recorders' cassettes (vcrpy, pytest-recording, pydantic-ai, go-vcr, Ruby
VCR, httprr) into ours, scrubbed, with their timing synthesized and flagged as such."""

from __future__ import annotations

from pathlib import Path

import click

from llmring_replay.cassette import Cassette
from llmring_replay.cli.files import cassette_files, display, tracked, without_path
from llmring_replay.cli.stray import not_a_cassette, skip_note
from llmring_replay.exceptions import CassetteError

__all__ = ["IMPORT_SUFFIXES", "import_cassettes", "output_name"]

#: What a directory given to `import` is searched for (httprr traces are `.httprr.txt`).
IMPORT_SUFFIXES = (".yaml", ".yml", ".json", ".httprr", ".txt")


def output_name(source: Path) -> str:
    """`chat.yaml`, `chat.yml`, `chat.httprr.txt` -> `chat.yaml`."""
    name = source.name
    stripped = True
    while stripped:
        stripped = False
        for suffix in IMPORT_SUFFIXES:
            if name.lower().endswith(suffix) and len(name) > len(suffix):
                name, stripped = name[: -len(suffix)], True
    return f"{name}.yaml"


def _import_one(source: Path, target: Path) -> str:
    cassette = Cassette.load(source)
    cassette.path = None  # written to `target`, never back to the source
    # Scrubs credentials, refuses key-shaped strings; the target is made from the source alone.
    cassette.save(target, replace=True)
    flavour = cassette.provenance.imported_from or "llmring-replay"
    count = len(cassette.interactions)
    noun = "interaction" if count == 1 else "interactions"
    synthesized = any(item.timing_synthesized for item in cassette.interactions)
    timing = ", timing synthesized" if synthesized else ""
    return f"{display(source)} -> {display(target)} ({flavour}, {count} {noun}{timing})"


@click.command("import")
@click.argument("sources", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--output",
    "-o",
    "directory",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The directory to write our cassettes to (created if missing).",
)
def import_cassettes(sources: tuple[Path, ...], directory: Path) -> None:
    """Convert SOURCES (files, or directories searched for them) into cassettes in DIRECTORY.

    Reads vcrpy / pytest-recording / pydantic-ai YAML, go-vcr, Ruby VCR and httprr files.
    Each becomes DIRECTORY/<stem>.yaml, scrubbed of credentials, with timing synthesized
    (none of those recorders keep it) and marked so in the file. A file that cannot be
    imported is reported and the others go on; the exit code is then 1. Directories are
    searched without hidden folders and files, node_modules and __pycache__, and a file
    found there that is clearly not a cassette (e.g. a README.txt) is skipped with a note.

    \b
    Example:
      llmring-replay import tests/cassettes/*.yaml -o cassettes/
    """
    files = cassette_files(sources, IMPORT_SUFFIXES)
    named = {source for source in sources if not source.is_dir()}
    written: dict[Path, Path] = {}
    failures = skipped = 0
    for source in tracked(files, "Importing cassettes"):
        target = directory / output_name(source)
        try:
            if target in written:
                raise CassetteError(
                    f"{display(target)} was already written from {display(written[target])} "
                    "(same name): import this one into another directory"
                )
            click.echo(_import_one(source, target))
            written[target] = source
        except (CassetteError, OSError) as exc:
            if source not in named and not_a_cassette(source):
                skipped += 1
                click.echo(skip_note(source), err=True)
                continue
            failures += 1
            message = exc.message if isinstance(exc, CassetteError) else str(exc)
            click.echo(f"Error: {display(source)}: {without_path(message, source)}", err=True)
    summary = f"Imported {len(written)} of {len(files) - skipped} files into {display(directory)}"
    if failures:
        click.echo(f"{summary} ({failures} failed)", err=True)
        raise click.exceptions.Exit(1)
    click.echo(summary)
