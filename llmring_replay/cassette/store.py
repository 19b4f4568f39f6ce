"""Cassettes on disk: a journal for recording, merges for saves, reads that see it all.

Every write holds the cassette's lock (`locking`). Under it:

- `record` stores one finished interaction: scrubbed and guarded, appended to the journal
  (see `journal`) and fsync'd, in O(1); the first interaction of a new cassette writes the
  file itself. Only then is it added in memory and its index returned.
- `finish` folds the journal into the file when a recording closes, by splicing the entries'
  YAML after the file's (`compact`); `record` does so on its own whenever the journal
  outgrows the file, so a long recording stays linear in time and its journal bounded.
- `save` writes the whole cassette. If the file changed on disk since this cassette was read
  or written (another writer recorded into it), what is on disk is merged in first: each
  interaction there that this cassette does not hold is kept, after this cassette's own.
  `replace=True` overwrites instead (record mode `all`, `import`).

In record mode `all` (`Cassette(rerecord=True)`), `record` keeps interactions in memory and
`finish` replaces the file with them: a killed re-recording leaves the old cassette whole.

Readers take no lock: `load` reads the journal first and the file second, so it sees a state
that existed (a compaction in between is recognised by the seal it leaves in the journal).
A journal names its file by digest (see `journal`); the digest of each version of a file is
computed once per process, so an append stays O(1).
When merging is impossible (the file on disk cannot be read, or a journal no longer matches
its file) a `CassetteWriteError` names the files and what is kept where; nothing is dropped.
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
from collections import Counter
from collections.abc import Hashable
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from llmring_replay.cassette import journal
from llmring_replay.cassette.journal import Identity, Journal, digest, identity
from llmring_replay.cassette.locking import Files, io_error, locked
from llmring_replay.cassette.writer import write_atomic
from llmring_replay.exceptions import CassetteError, CassetteNotFoundError, CassetteWriteError

if TYPE_CHECKING:
    from llmring_replay.cassette.model import Cassette, Interaction

__all__ = ["COMPACT_AT", "finish", "load", "positions", "record", "save"]

#: Journal bytes past which `record` folds the journal in at once (if it outgrew the file too).
COMPACT_AT = 1 << 20

_memory = threading.Lock()  # appends to a cassette's list, from several threads
# The identity of each file as this process last wrote it: such a file needs no parse before
# entries are spliced onto it (it is readable, guarded and laid out as `compact` expects).
_written: dict[Path, Identity | None] = {}
# Each file's digest (what a journal names it by) for the identity it had when computed, so
# an append does not read the whole file again: one read per version of the file.
_digests: dict[Path, tuple[Identity, str]] = {}


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- reading -----------------------------------------------------------------------------


def load(path: str | os.PathLike[str]) -> Cassette:
    """The cassette at `path` with what its journal holds; see `Cassette.load`."""
    from llmring_replay.cassette.cache import load_cached
    from llmring_replay.cassette.importers import read_cassette

    files = Files.of(path)
    for _attempt in range(3):
        # The journal before the file: a compaction in between leaves a seal we recognise.
        pending = journal.read(files.journal)
        before = identity(files.yaml)
        cassette = load_cached(Path(path), read_cassette)
        file_digest = _digest(files) if pending is not None else None
        current = identity(files.yaml)
        if current == before:
            break  # else a writer replaced the file while we read it: read again
    if pending is not None:
        parsed = journal.parse(pending[0])
        state = parsed.state(file_digest)
        if state == "orphaned":
            raise _orphaned(files, parsed)
        if state == "pending":
            cassette.interactions.extend(_entries(files, parsed))
    cassette._disk = (files.yaml, current, None if pending is None else pending[1])
    return cassette


def _digest(files: Files) -> str | None:
    """The digest of the cassette file as it is now (None if there is none)."""
    before = identity(files.yaml)
    if before is None:
        return None
    known = _digests.get(files.yaml)
    if known is not None and known[0] == before:
        return known[1]
    try:
        data = files.yaml.read_bytes()
    except FileNotFoundError:
        return None
    found = digest(data)
    if identity(files.yaml) == before:
        _digests[files.yaml] = (before, found)
    return found


def _entries(files: Files, parsed: Journal) -> list[Interaction]:
    from llmring_replay.cassette.reader import Reader
    from llmring_replay.cassette.schema import read_interaction
    from llmring_replay.cassette.yamlio import YAMLSyntaxError, load_yaml

    entries = []
    for number, payload in enumerate(parsed.entries):
        reader = Reader(str(files.journal), payload)
        try:
            document = load_yaml(payload.decode("utf-8"))
        except (UnicodeDecodeError, YAMLSyntaxError) as exc:
            reader.fail(("entries", number), f"not a valid entry: {exc}")
        entries.append(read_interaction(reader, document, ("entries", number)))
    return entries


def _orphaned(files: Files, parsed: Journal) -> CassetteWriteError:
    return CassetteWriteError(
        f"{files.shown}: {files.journal} holds {len(parsed.entries)} interaction(s) recorded "
        "on top of an earlier version of this file, which was replaced or deleted since (the "
        "recording was interrupted before they were folded in). Delete "
        f"{files.journal.name} to discard them, or put the earlier file back to keep them",
        files.shown,
    )


def _journal_on_disk(files: Files) -> tuple[Journal | None, list[bytes]]:
    """(the journal, its entries that count) against the file as it is; raises if orphaned."""
    got = journal.read(files.journal)
    if got is None:
        return None, []
    parsed = journal.parse(got[0])
    state = parsed.state(_digest(files))
    if state == "orphaned":
        raise _orphaned(files, parsed)
    return parsed, parsed.entries if state == "pending" else []


def _file_on_disk(files: Files, pending: int) -> Cassette | None:
    """The file's cassette (None if missing or empty); raises when it cannot be read."""
    from llmring_replay.cassette.cache import load_cached
    from llmring_replay.cassette.importers import read_cassette

    if identity(files.yaml) is None:
        return None
    try:
        return load_cached(files.yaml, read_cassette)
    except CassetteNotFoundError:
        return None  # emptied: a cassette still to be recorded, as vcrpy reads it
    except CassetteError as exc:
        kept = f"; the {pending} interaction(s) of {files.journal.name} are kept there"
        raise CassetteWriteError(
            f"{files.shown}: cannot merge into the file on disk, it cannot be read: "
            f"{exc.message}{kept if pending else ''}. Fix or move the file, then write again",
            files.shown,
        ) from exc


# --- writing the file --------------------------------------------------------------------


def _replace_file(files: Files, text: str) -> None:
    """Replace the file with `text` and retire the journal, which the file now holds."""
    had_journal = files.journal.exists()
    data = text.encode("utf-8")
    new_digest = digest(data)

    def seal(_temp: Path) -> None:
        # Read back after a kill between the rename and the unlink below: "absorbed".
        if had_journal:
            journal.append(files.journal, journal.digest_record("sealed", new_digest))

    write_atomic(files.yaml, lambda: data, before_replace=seal)
    written = _written[files.yaml] = identity(files.yaml)
    if written is not None:
        _digests[files.yaml] = (written, new_digest)
    if had_journal:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(files.journal)
    _remove_stale_temp_files(files)


def _write(files: Files, cassette: Cassette) -> None:
    """Dump `cassette` (scrubbed already) and replace the file with it."""
    from llmring_replay.cassette import schema, scrub, writer
    from llmring_replay.cassette.model import library_version

    cassette.provenance.library_version = library_version()
    cassette.provenance.recorded_at = cassette.provenance.recorded_at or _now()
    document = schema.cassette_to_document(cassette)
    scrub.guard_document(document, files.shown)
    _replace_file(files, writer.dump_yaml(document))


def _remove_stale_temp_files(files: Files) -> None:
    """Temp files a killed writer of this cassette left (every writer holds the lock)."""
    # `tempfile.mkstemp` names: prefix, 8 random characters, suffix (see `write_atomic`).
    names = f"{re.escape(files.yaml.name)}|{re.escape(files.journal.name)}"
    ours = re.compile(rf"\.(?:{names})\.[a-z0-9_]{{8}}\.tmp")
    with contextlib.suppress(OSError):
        for name in os.listdir(files.yaml.parent):
            if ours.fullmatch(name):
                with contextlib.suppress(OSError):
                    os.unlink(files.yaml.parent / name)


def _compact(files: Files) -> None:
    """Fold the journal into the file (under the lock)."""
    parsed, entries = _journal_on_disk(files)
    if parsed is None:
        return
    if not entries:
        os.unlink(files.journal)  # spent: what it held is in the file already
        return
    try:
        _fold(files, parsed, entries)
    except OSError as exc:
        kept = f"the recorded interactions are kept in {files.journal.name}"
        raise io_error(files, exc, f"{kept}; the next write folds them in") from exc


def _fold(files: Files, parsed: Journal, entries: list[bytes]) -> None:
    from llmring_replay.cassette import compact, schema, scrub, writer
    from llmring_replay.cassette.model import Cassette, library_version

    header = cassette = None
    if _written.get(files.yaml) != identity(files.yaml):
        # Not as we wrote it: check it reads (and holds no key) before adding to it.
        cassette = _file_on_disk(files, len(entries)) or Cassette()
        scrub.guard_document(schema.cassette_to_document(cassette), files.shown)
        provenance = replace(cassette.provenance, library_version=library_version())
        header = writer.dump_yaml(schema.header_to_document(provenance))
    try:
        text = files.yaml.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        text = ""  # another encoding (UTF-16 from another recorder): dumped again below
    folded = compact.splice(text, [entry.decode("utf-8") for entry in entries], header)
    if folded is not None:
        _replace_file(files, folded)
        return
    whole = cassette or _file_on_disk(files, len(entries)) or Cassette()
    whole.interactions = [*whole.interactions, *_entries(files, parsed)]
    _write(files, whole)


# --- the API -----------------------------------------------------------------------------


def record(cassette: Cassette, interaction: Interaction, secrets: tuple[str, ...]) -> int:
    """Store one finished interaction (see the module docstring); returns its index."""
    from llmring_replay.cassette import schema, scrub, writer
    from llmring_replay.cassette.model import Cassette

    interaction = scrub.scrub_interaction(interaction, secrets)
    if interaction.recorded_at is None:
        interaction = replace(interaction, recorded_at=_now())
    if cassette.path is None:
        return _remember(cassette, interaction)
    files = Files.of(cassette.path)
    document = schema.interaction_to_dict(interaction)
    scrub.guard_document(document, files.shown)  # refused now, never at the end
    scrub.guard_interaction(interaction, files.shown, "the recorded interaction", secrets)
    if cassette.rerecord:
        return _remember(cassette, interaction)
    entry = journal.record("entry", writer.dump_yaml(document).encode("utf-8"))
    with locked(files):
        in_sync = cassette._disk == files.state()
        try:
            if identity(files.yaml) is None:
                _journal_on_disk(files)  # an orphaned journal stops us here
                # The first interaction writes the file itself.
                provenance = replace(cassette.provenance)
                _write(files, Cassette(interactions=[interaction], provenance=provenance))
            else:
                _append(files, entry)
        except OSError as exc:
            raise io_error(files, exc, "this interaction was not recorded") from exc
        cassette._disk = files.state() if in_sync else None
        return _remember(cassette, interaction)


def _remember(cassette: Cassette, interaction: Interaction) -> int:
    with _memory:
        cassette.interactions.append(interaction)
        cassette._unfinished = cassette.path is not None
        return len(cassette.interactions) - 1


def _append(files: Files, entry: bytes) -> None:
    """Append an entry to the journal, starting a new journal when there is none (or spent)."""
    current = identity(files.yaml)
    file_digest = _digest(files)
    assert current is not None and file_digest is not None
    ends = journal.head_and_tail(files.journal)
    if ends is not None and ends[0] != file_digest:
        if ends[1] != file_digest:
            _journal_on_disk(files)  # orphaned (raises) unless it holds no entry
        os.unlink(files.journal)  # spent: what it held is in the file already
        ends = None
    if ends is None:
        base = journal.digest_record("base", file_digest)
        write_atomic(files.journal, lambda: base + entry)
        return
    size = journal.append(files.journal, entry)
    if size > max(COMPACT_AT, current[2]):
        # The journal outgrew the file: fold it in now, so that a long recording stays
        # linear (each compaction at least doubles the file). The entry is safe in the
        # journal already; a compaction that fails here is reported by `finish`.
        with contextlib.suppress(CassetteError):
            _compact(files)


def finish(cassette: Cassette) -> None:
    """Fold the journal into the file, or in mode `all` replace the file with the recording."""
    if cassette.path is None or not cassette._unfinished:
        return
    files = Files.of(cassette.path)
    with locked(files):
        in_sync = cassette._disk == files.state()
        if cassette.rerecord:
            try:
                _write(files, cassette)
            except OSError as exc:
                raise io_error(files, exc, "the old cassette is kept") from exc
        else:
            _compact(files)
        cassette._disk = files.state() if in_sync or cassette.rerecord else None
        cassette._unfinished = False


def save(
    cassette: Cassette, path: str | os.PathLike[str], secrets: tuple[str, ...], replace: bool
) -> Path:
    """Write the whole cassette to `path`, merging what others wrote there (see above)."""
    from llmring_replay.cassette import schema, scrub

    files = Files.of(path)
    cassette.interactions = [scrub.scrub_interaction(i, secrets) for i in cassette.interactions]
    # Ours are refused before anything on disk is looked at (what is merged in is checked
    # again with them when written).
    scrub.guard_document(schema.cassette_to_document(cassette), files.shown)
    for index, interaction in enumerate(cassette.interactions):
        scrub.guard_interaction(interaction, files.shown, f"interactions[{index}]", secrets)
    with locked(files):
        before = files.state()
        if not replace and cassette._disk != before and (before[1] or before[2]):
            parsed, entries = _journal_on_disk(files)
            on_file = _file_on_disk(files, len(entries))
            pending = _entries(files, parsed) if parsed is not None and entries else []
            theirs = [*(on_file.interactions if on_file else []), *pending]
            scrubbed = [scrub.scrub_interaction(i, secrets) for i in theirs]
            cassette.interactions = _merged(cassette.interactions, scrubbed)
        try:
            _write(files, cassette)
        except OSError as exc:
            raise io_error(files, exc, "nothing was written") from exc
        cassette._disk = files.state()
        cassette._unfinished = False
    return Path(path)


def positions(path: str | os.PathLike[str], interactions: list[Interaction]) -> list[int]:
    """Where each of `interactions` (recorded into `path`) stands in that cassette now.

    Not their index in a cassette loaded before others recorded into the same file: what
    `show PATH N` finds. An interaction the file does not hold is left out.
    """
    where: dict[Hashable, list[int]] = {}
    for index, item in enumerate(load(path).interactions):
        where.setdefault(_key(item), []).append(index)
    found = [where.get(_key(item)) for item in interactions]
    return [indexes.pop(0) for indexes in found if indexes]


def _merged(ours: list[Interaction], theirs: list[Interaction]) -> list[Interaction]:
    """Ours, then each of theirs that ours does not hold (counting repeats)."""
    counts = Counter(_key(item) for item in ours)
    extra = []
    for item in theirs:
        key = _key(item)
        if counts[key]:
            counts[key] -= 1
        else:
            extra.append(item)
    return [*ours, *extra]


def _key(item: Interaction) -> Hashable:
    """Everything an interaction holds, hashable: equal keys are the same interaction."""
    request, response = item.request, item.response
    return (
        request.method,
        request.uri,
        request.body,
        tuple((name, tuple(values)) for name, values in request.headers.items()),
        response.status,
        response.reason,
        response.body,
        tuple((name, tuple(values)) for name, values in response.headers.items()),
        None if response.offsets is None else tuple(response.offsets),
        None if response.sizes is None else tuple(response.sizes),
        item.provider,
        item.model,
        item.recorded_at,
        item.timing_synthesized,
    )
