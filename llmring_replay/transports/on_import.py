"""Run code when a module is imported: at once if it already is, else right after its import.

Automatic interception patches aiohttp, which is optional and costly to import (most of a
second on a busy machine). It must not import it just to patch it, yet an app may import it
only during the test (an SDK imported inside a function). `when_imported(name, then)` covers
both: `then(module)` runs now if `name` is imported, else just after the import runs its
code, before the importer sees the module. One finder on `sys.meta_path` serves every wait
and leaves once nothing waits; it finds modules through the other finders and only wraps
the loader, so the module is loaded exactly as it would be.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

__all__ = ["Waiting", "when_imported"]

Then = Callable[[ModuleType], None]


class Waiting:
    """A wait for a module's import; `cancel()` stops it (a no-op once it ran)."""

    def __init__(self, name: str, then: Then) -> None:
        self.name = name
        self.then = then

    def cancel(self) -> None:
        """Stop waiting."""
        _FINDER.forget(self)


class _Then(importlib.abc.Loader):
    """A module's own loader, then the waits for it."""

    def __init__(self, loader: importlib.abc.Loader, name: str) -> None:
        self.loader = loader
        self.name = name

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self.loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        spec = module.__spec__
        assert spec is not None
        module.__loader__ = spec.loader = self.loader  # the module keeps its own loader
        self.loader.exec_module(module)
        _FINDER.imported(self.name, module)


class _Finder(importlib.abc.MetaPathFinder):
    def __init__(self) -> None:
        self.waits: list[Waiting] = []

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if not any(wait.name == fullname for wait in self.waits):
            return None
        for finder in sys.meta_path:
            find: Any = getattr(finder, "find_spec", None)
            spec = None if finder is self or find is None else find(fullname, path, target)
            if spec is not None:
                if spec.loader is not None:
                    spec.loader = _Then(spec.loader, fullname)
                return spec  # type: ignore[no-any-return]
        return None

    def add(self, wait: Waiting) -> None:
        self.waits.append(wait)
        if self not in sys.meta_path:
            sys.meta_path.insert(0, self)

    def forget(self, wait: Waiting) -> None:
        if wait in self.waits:
            self.waits.remove(wait)
        if not self.waits and self in sys.meta_path:
            sys.meta_path.remove(self)

    def imported(self, name: str, module: ModuleType) -> None:
        for wait in [wait for wait in self.waits if wait.name == name]:
            self.forget(wait)
            wait.then(module)


_FINDER = _Finder()


def when_imported(name: str, then: Then) -> Waiting:
    """Run `then(module)` once module `name` is imported (now if it already is)."""
    wait = Waiting(name, then)
    module = sys.modules.get(name)
    if module is not None:
        then(module)
    else:
        _FINDER.add(wait)
    return wait
