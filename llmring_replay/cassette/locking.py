"""A cassette's files on disk and the lock every writer of it holds.

`Files.of(path)` follows symlinks: the real file is what is written (the link stays), and its
journal and lock file live beside it, hidden (`.chat.yaml.journal`, `.chat.yaml.lock`), so
every process that can write the file, on this machine or another one sharing the folder,
and every symlink to it, meet at one lock. The lock file stays after its last use: removing
one is never safe while another writer may be waiting on it. The lock is held with
`filelock` across processes, and by an in-process lock first, so threads queue without
polling.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from llmring_replay.cassette.journal import Identity, identity, journal_path
from llmring_replay.cassette.writer import real_path
from llmring_replay.exceptions import CassetteWriteError

__all__ = ["LOCK_TIMEOUT", "Files", "io_error", "lock_path", "locked"]

#: Seconds a writer waits for another one's lock before giving up with an error.
LOCK_TIMEOUT = 600.0

_registry = threading.Lock()
_thread_locks: dict[Path, threading.RLock] = {}


def lock_path(real: Path) -> Path:
    """The lock file of the (real) cassette file `real`."""
    return real.with_name(f".{real.name}.lock")


@dataclass(frozen=True)
class Files:
    """A cassette's files: as the caller named it (for messages), the real file, its companions."""

    shown: str
    yaml: Path
    journal: Path
    lock: Path

    @classmethod
    def of(cls, path: str | os.PathLike[str]) -> Files:
        """The files of the cassette at `path` (a symlink is followed to its target)."""
        real = real_path(path)
        return cls(str(path), real, journal_path(real), lock_path(real))

    def state(self) -> tuple[Path, Identity | None, Identity | None]:
        """What is on disk now, as far as knowing whether it changed goes."""
        return (self.yaml, identity(self.yaml), identity(self.journal))


def io_error(files: Files, exc: OSError, kept: str) -> CassetteWriteError:
    """`exc`, from writing `files`, as the error a user reads; `kept` says what is safe where."""
    return CassetteWriteError(f"{files.shown}: {exc} ({kept})", files.shown)


@contextlib.contextmanager
def locked(files: Files) -> Iterator[None]:
    """Hold the cassette's lock: threads of this process first, then other processes."""
    with _registry:
        thread_lock = _thread_locks.setdefault(files.yaml, threading.RLock())
    with thread_lock:
        from filelock import FileLock, Timeout  # ~100 ms to import: writers only

        try:
            if not files.lock.parent.is_dir():  # the cassette's folder, on its first write
                files.lock.parent.mkdir(parents=True, exist_ok=True)
            lock = FileLock(str(files.lock), timeout=LOCK_TIMEOUT, poll_interval=0.002)
            lock.acquire()
        except Timeout:
            message = f"{files.shown}: another process held {files.lock} for {LOCK_TIMEOUT:.0f} s"
            raise CassetteWriteError(message, files.shown) from None
        except OSError as exc:
            raise io_error(files, exc, "nothing was written") from exc
        try:
            yield
        finally:
            lock.release()
