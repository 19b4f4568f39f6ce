"""Where two JSON values differ, as dotted paths (`messages.0.content`), for short reports."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

__all__ = ["MAX_PATHS_SHOWN", "describe_paths", "differing_paths"]

#: How many paths `describe_paths` names before "and N more".
MAX_PATHS_SHOWN = 3


def _walk(left: Any, right: Any, prefix: str) -> Iterator[str]:
    if isinstance(left, dict) and isinstance(right, dict):
        for key in sorted(set(left) | set(right), key=str):
            path = f"{prefix}.{key}" if prefix else str(key)
            if key not in left or key not in right:
                yield path
            else:
                yield from _walk(left[key], right[key], path)
    elif isinstance(left, list) and isinstance(right, list):
        for index in range(max(len(left), len(right))):
            path = f"{prefix}.{index}" if prefix else str(index)
            if index >= len(left) or index >= len(right):
                yield path
            else:
                yield from _walk(left[index], right[index], path)
    elif left != right or type(left) is not type(right):
        yield prefix or "(the whole value)"


def differing_paths(left: Any, right: Any) -> list[str]:
    """Every path whose value differs (missing on one side counts), in key order."""
    return list(_walk(left, right, ""))


def describe_paths(paths: list[str], limit: int = MAX_PATHS_SHOWN) -> str:
    """`a.b, c, d and 4 more`: the first `limit` paths, for a one-line report."""
    shown = ", ".join(paths[:limit])
    return f"{shown} and {len(paths) - limit} more" if len(paths) > limit else shown
