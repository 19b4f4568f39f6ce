"""`examples/demo.py` treats a bad --timing as a usage error: one line, exit 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo.py"


def test_a_bad_timing_is_one_line_and_exit_2() -> None:
    run = subprocess.run(
        [sys.executable, str(DEMO), "--timing", "bogus"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 2
    [line] = run.stderr.splitlines()
    assert line.startswith("demo.py: --timing: unknown timing 'bogus'")
    assert run.stdout == ""
