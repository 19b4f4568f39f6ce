"""Fixtures for the plugin's own tests."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _inner_runs_are_not_xdist_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Inner pytest sessions are sessions of their own, even when this suite runs on xdist."""
    # syrupy (for one) reads PYTEST_XDIST_WORKER to decide whether to print its report.
    for name in ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_XDIST_TESTRUNUID"):
        monkeypatch.delenv(name, raising=False)
