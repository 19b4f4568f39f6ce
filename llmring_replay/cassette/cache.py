"""An in-process cache of parsed cassettes, so a cassette used by many tests is parsed once.

Entries are keyed by the file's identity and version: resolved path, device, inode,
`mtime_ns` and size. `Cassette.save` replaces the file with a new inode, and any other write
changes the mtime or size, so a changed file is always read again. A cassette is kept from
its second load on (most cassettes serve a single test, and keeping those would only cost a
copy and memory); every load from the cache returns an independent copy (bodies, being
immutable bytes, are shared), so a caller may append to or edit what it got without touching
the cache or other callers. At most `MAX_ENTRIES` cassettes are kept, least recently used
first out.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from llmring_replay.cassette.model import Cassette, Interaction

__all__ = ["MAX_ENTRIES", "clear", "copy_cassette", "load_cached"]

MAX_ENTRIES = 16
MAX_SEEN = 1024
_Key = tuple[str, int, int, int, int]
_V = TypeVar("_V")
_entries: OrderedDict[_Key, Cassette] = OrderedDict()
_seen: OrderedDict[_Key, None] = OrderedDict()
_lock = threading.Lock()  # loads may come from several threads (e.g. sync clients in a pool)


def _identity(path: Path) -> _Key | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return (str(path.resolve()), stat.st_dev, stat.st_ino, stat.st_mtime_ns, stat.st_size)


def load_cached(path: Path, read: Callable[[Path], Cassette]) -> Cassette:
    """`read(path)`, or a copy of the cassette parsed when the file was last the same."""
    key = _identity(path)
    with _lock:
        cached = _entries.get(key) if key is not None else None
        if cached is not None and key is not None:
            _entries.move_to_end(key)
    if cached is not None:
        result = copy_cassette(cached)  # entries are never mutated, so no lock needed here
        result.path = path
        return result
    result = read(path)
    if key is None or _identity(path) != key:
        return result  # missing, or changed while we read it: nothing to remember
    with _lock:
        if key not in _seen:
            # First sight: most cassettes serve one test, so copying them would be waste.
            _remember(_seen, key, None, MAX_SEEN)
            return result
    kept = copy_cassette(result)
    with _lock:
        _remember(_entries, key, kept, MAX_ENTRIES)
    return result


def _remember(entries: OrderedDict[_Key, _V], key: _Key, value: _V, limit: int) -> None:
    entries[key] = value
    while len(entries) > limit:
        entries.popitem(last=False)


def clear() -> None:
    """Forget every cached cassette."""
    with _lock:
        _entries.clear()
        _seen.clear()


_T = TypeVar("_T")


def _clone(item: _T) -> _T:
    # A shallow copy that skips __init__ (offsets are quantized already), faster than copy.copy.
    clone: _T = object.__new__(type(item))
    clone.__dict__.update(item.__dict__)
    return clone


def _copy_interaction(interaction: Interaction) -> Interaction:
    request = _clone(interaction.request)
    request.headers = {name: list(values) for name, values in request.headers.items()}
    response = _clone(interaction.response)
    response.headers = {name: list(values) for name, values in response.headers.items()}
    response.offsets = None if response.offsets is None else list(response.offsets)
    response.sizes = None if response.sizes is None else list(response.sizes)
    result = _clone(interaction)
    result.request, result.response = request, response
    return result


def copy_cassette(cassette: Cassette) -> Cassette:
    """A copy sharing nothing mutable with `cassette` (bodies are immutable and shared)."""
    return Cassette(
        path=cassette.path,
        interactions=[_copy_interaction(item) for item in cassette.interactions],
        provenance=_clone(cassette.provenance),
    )
