"""The package root's `__all__` is sorted, complete and importable."""

from __future__ import annotations

import importlib

import pytest

import llmring_replay
from llmring_replay import exceptions, schemas

MODULES_REEXPORTED = [exceptions, schemas]


def test_all_is_sorted() -> None:
    assert llmring_replay.__all__ == sorted(llmring_replay.__all__)


def test_all_names_exist() -> None:
    for name in llmring_replay.__all__:
        assert hasattr(llmring_replay, name), name


@pytest.mark.parametrize("module", MODULES_REEXPORTED, ids=lambda m: m.__name__)
def test_public_classes_are_reexported(module: object) -> None:
    # Every public class of these modules is reachable from the root, so users need one import.
    public = {
        name for name in getattr(module, "__all__", []) if isinstance(getattr(module, name), type)
    }
    missing = public - set(llmring_replay.__all__)
    assert not missing, f"add to llmring_replay.__all__: {sorted(missing)}"


@pytest.mark.parametrize(
    "module_name",
    ["llmring_replay.exceptions", "llmring_replay.schemas", "llmring_replay.lockfile"],
)
def test_module_all_is_sorted(module_name: str) -> None:
    module = importlib.import_module(module_name)
    assert module.__all__ == sorted(module.__all__)
