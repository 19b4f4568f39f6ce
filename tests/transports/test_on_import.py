"""`on_import.when_imported`: code run when a module is imported, now or later, without
importing it, and without changing how it loads."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from llmring_replay.transports.on_import import when_imported


@pytest.fixture
def module_name(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """The name of a module not imported yet, importable from `tmp_path`."""
    name = f"llmring_probe_{request.node.name}"
    (tmp_path / f"{name}.py").write_text("VALUE = 42\n")
    sys.path.insert(0, str(tmp_path))
    importlib.invalidate_caches()
    try:
        yield name
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop(name, None)


def test_runs_right_after_a_later_import(module_name: str) -> None:
    seen: list[ModuleType] = []
    when_imported(module_name, seen.append)
    assert not seen and module_name not in sys.modules  # nothing imported it
    module = importlib.import_module(module_name)
    assert seen == [module] and module.VALUE == 42
    # Loaded as it would be: its own loader, and no finder of ours left behind.
    assert type(module.__loader__).__name__ == "SourceFileLoader"
    assert module.__spec__ is not None and module.__spec__.loader is module.__loader__
    assert not any(type(f).__module__.endswith("on_import") for f in sys.meta_path)


def test_runs_at_once_for_an_imported_module(module_name: str) -> None:
    module = importlib.import_module(module_name)
    seen: list[ModuleType] = []
    when_imported(module_name, seen.append)
    assert seen == [module]


def test_waits_run_in_order_and_a_cancelled_one_does_not(module_name: str) -> None:
    seen: list[str] = []
    when_imported(module_name, lambda _: seen.append("first"))
    when_imported(module_name, lambda _: seen.append("cancelled")).cancel()
    when_imported(module_name, lambda _: seen.append("last"))
    importlib.import_module(module_name)
    assert seen == ["first", "last"]
