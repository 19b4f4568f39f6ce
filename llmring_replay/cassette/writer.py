"""YAML out for cassettes: exact string styles, and atomic writes that follow symlinks.

Dumping uses the C dumper when available. Every string is given an explicit style chosen so
that it reads back exactly: a literal block (`|`) for multi-line text that YAML can hold
verbatim, double quotes for anything with characters a block or single quotes would change
(CR, NEL, LS/PS, tabs, control characters, a space before a line end), the emitter's choice
for the rest. Lines are never folded. `Flow` and `FlowMap` mark containers to be written on
one line (`content-type: [text/event-stream]`, `status: {code: 200, message: OK}`).
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

__all__ = ["Flow", "FlowMap", "dump_yaml", "real_path", "sync_directory", "write_atomic"]

_Dumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
_STR = "tag:yaml.org,2002:str"

# Characters a literal block reproduces exactly. Excluded: CR, NEL, LS and PS (YAML line
# breaks, normalised on load), tabs and other controls, and the BOM.
_BLOCK_SAFE = re.compile("[\n\x20-\x7e\xa0-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]*")


class Flow(list):  # type: ignore[type-arg]
    """A list to be written in flow style on one line, e.g. `[application/json]`."""


class FlowMap(dict):  # type: ignore[type-arg]
    """A mapping to be written in flow style on one line, e.g. `{code: 200, message: OK}`."""


def _style(text: str) -> str | None:
    if _BLOCK_SAFE.fullmatch(text) is None:
        return '"'  # only double quotes can escape these characters
    if "\n" not in text:
        return None  # let the emitter pick plain or single quotes: both exact on one line
    if " \n" in text or text.endswith(" "):
        return '"'  # trailing spaces: the emitter refuses a block for them
    return "|"


def _represent_str(dumper: Any, text: str) -> Any:
    return dumper.represent_scalar(_STR, text, style=_style(text))


def _represent_flow(dumper: Any, data: list[Any]) -> Any:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=True)


def _represent_flow_map(dumper: Any, data: dict[Any, Any]) -> Any:
    node = dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=True)
    return node


class _CassetteDumper(_Dumper):  # type: ignore[misc]
    """The safe dumper with exact string styles and our flow markers."""


_CassetteDumper.add_representer(str, _represent_str)
_CassetteDumper.add_representer(Flow, _represent_flow)
_CassetteDumper.add_representer(FlowMap, _represent_flow_map)


def dump_yaml(document: Any) -> str:
    """Serialize plain data (dicts keep their order) to YAML text that loads back exactly."""
    text: str = yaml.dump(
        document,
        Dumper=_CassetteDumper,
        sort_keys=False,
        allow_unicode=True,
        width=2**30,
        default_flow_style=False,
    )
    return text


def real_path(path: str | os.PathLike[str]) -> Path:
    """`path` with every symlink followed: the file a write must replace (the link stays)."""
    return Path(os.path.realpath(path))


def write_atomic(
    path: Path,
    render: Callable[[], str | bytes],
    before_replace: Callable[[Path], None] | None = None,
) -> None:
    """Write `render()` to `path` via a temp file in the same directory and `os.replace`.

    The text is rendered before the temp file exists, and the temp file is removed on any
    failure, so a crash leaves either the old file or the new one, never a half of one. A
    symlink is followed: its target is replaced and the link kept. `before_replace(temp)` runs
    once the temp file is complete on disk, just before the rename (the journal notes which
    file is about to absorb it there).
    """
    data = render()
    payload = data.encode("utf-8") if isinstance(data, str) else data
    target = real_path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    mode = target.stat().st_mode & 0o777 if target.exists() else 0o644
    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, mode)
        if before_replace is not None:
            before_replace(Path(temp))
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    sync_directory(target.parent)


def sync_directory(folder: Path) -> None:
    """fsync `folder`, so a rename or a new file in it survives a power cut (best effort)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # not possible everywhere (Windows); the rename is still atomic
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
