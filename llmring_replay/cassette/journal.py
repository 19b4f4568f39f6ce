"""The journal: interactions recorded since the cassette file was last written, beside it.

Recording appends each finished interaction to `.<name>.journal` next to the cassette (fsync'd,
under the cassette's file lock, see `store`) instead of rewriting the whole YAML file each
time, so recording N interactions costs O(N), not O(N^2). The journal is folded into the file
("compacted") when the recording closes, and every reader adds what it holds, so a killed run
loses no finished interaction and nothing half-written is ever read.

The file is a sequence of records, each starting on a new line:

    \\n#%base <length> <crc32>\\n<payload>      first: the digest of the file it extends
    \\n#%entry <length> <crc32>\\n<payload>     one interaction, its YAML mapping as in a cassette
    \\n#%sealed <length> <crc32>\\n<payload>    a compaction's last word before its rename: the
                                              digest of the file that absorbs the journal

A digest is the SHA-256 of the cassette file's bytes, so a journal goes with its file when
both are copied or checked out elsewhere. Read against the file as it is now, a journal is:

- *pending* when its base is the file: every entry counts (a seal naming another file is from a
  compaction killed before its rename, which then never happened);
- *spent* when a seal names the file (a compaction killed after its rename, before it removed
  the journal), or when it holds no entry: nothing counts, the next writer removes it;
- *orphaned* otherwise: the file was changed by something else (an edit, a checkout of
  another version, a deletion) while entries were pending. That is reported
  (`CassetteWriteError`), never guessed at.

A record cut short (a kill or a full disk mid-append) fails its length or checksum, and the
reader resumes at the next record: that interaction was never acknowledged to its recorder.
A YAML mapping dumped by `writer` never has `#` at the start of a line, so the record marks
cannot occur inside a payload.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

__all__ = [
    "Identity",
    "Journal",
    "append",
    "head_and_tail",
    "digest",
    "digest_record",
    "identity",
    "journal_path",
    "parse",
    "read",
    "record",
]

Identity = tuple[int, int, int, int]
_DIGEST = re.compile(rb"[0-9a-f]{64}")
_HEAD = re.compile(rb"\n#%(base|entry|sealed) (\d+) ([0-9a-f]{8})\n")
_TAIL = 160  # bytes: more than a whole `sealed` record (~90)


def identity(path: Path) -> Identity | None:
    """`path`'s device, inode, size and mtime (ns), or None if it does not exist."""
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return None
    return (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)


def digest(data: bytes) -> str:
    """What a journal names a cassette file by: the SHA-256 of its bytes."""
    return hashlib.sha256(data).hexdigest()


def journal_path(cassette: Path) -> Path:
    """Where the journal of the (real, symlinks followed) cassette file `cassette` lives."""
    return cassette.with_name(f".{cassette.name}.journal")


def record(kind: Literal["base", "entry", "sealed"], payload: bytes) -> bytes:
    """One record, ready to append."""
    return b"\n#%%%s %d %08x\n%s" % (kind.encode(), len(payload), zlib.crc32(payload), payload)


def digest_record(kind: Literal["base", "sealed"], file_digest: str) -> bytes:
    """A `base` or `sealed` record naming the file whose digest is `file_digest`."""
    return record(kind, file_digest.encode("ascii"))


@dataclass
class Journal:
    """A parsed journal: the file it extends, the files that absorbed it, its entries."""

    base: str | None = None
    seals: list[str] = field(default_factory=list)
    entries: list[bytes] = field(default_factory=list)

    def state(self, current: str | None) -> Literal["pending", "spent", "orphaned"]:
        """What the journal means for the cassette file whose digest is `current`."""
        if current is not None and current in self.seals:
            return "spent"
        if not self.entries:
            return "spent"
        return "pending" if current is not None and self.base == current else "orphaned"


def parse(data: bytes) -> Journal:
    """Every intact record of `data`, skipping any that was cut short."""
    journal = Journal()
    position = 0
    while position < len(data):
        head = _HEAD.match(data, position)
        if head is not None:
            start = head.end()
            end = start + int(head.group(2))
            payload = data[start:end]
            if end <= len(data) and zlib.crc32(payload) == int(head.group(3), 16):
                _add(journal, head.group(1), payload)
                position = end
                continue
        # Cut short or garbled: resume at the next record, if any.
        position = data.find(b"\n#%", position + 1)
        if position < 0:
            break
    return journal


def _add(journal: Journal, kind: bytes, payload: bytes) -> None:
    if kind == b"entry":
        journal.entries.append(payload)
    elif _DIGEST.fullmatch(payload) is None:
        return
    elif kind == b"sealed":
        journal.seals.append(payload.decode("ascii"))
    elif journal.base is None:
        journal.base = payload.decode("ascii")


def read(path: Path) -> tuple[bytes, Identity] | None:
    """The journal's bytes and its own identity, or None if there is none."""
    try:
        with open(path, "rb") as handle:
            stat = os.fstat(handle.fileno())
            data = handle.read()
    except FileNotFoundError:
        return None
    return data, (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)


def head_and_tail(path: Path) -> tuple[str | None, str | None, int] | None:
    """(base, the seal that ends the journal if one does, size), reading only its two ends.

    What an append needs, in O(1): a seal can only name the current file if it is the last
    record (every writer removes a spent journal before appending).
    """
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            first = parse(handle.read(_TAIL))
            handle.seek(max(0, size - _TAIL))
            tail = handle.read()
    except FileNotFoundError:
        return None
    start = tail.rfind(b"\n#%sealed ")
    seals = parse(tail[start:]).seals if start >= 0 else []
    last = seals[-1] if seals and tail.endswith(digest_record("sealed", seals[-1])) else None
    return first.base, last, size


def append(path: Path, data: bytes) -> int:
    """Append `data` durably (fsync'd) to the existing journal; returns its new size.

    On a failure (a full disk) the partial record is taken back, so the journal keeps only
    whole records and the caller gets the error.
    """
    fd = os.open(path, os.O_WRONLY | os.O_APPEND)
    try:
        size = os.fstat(fd).st_size
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        except BaseException:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, size)
            raise
        return size + len(data)
    finally:
        os.close(fd)
