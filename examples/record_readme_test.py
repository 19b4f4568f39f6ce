"""Re-record the cassettes and snapshots of tests/test_readme_example.py from the simulator.

Starts the simulator on loopback, points the four providers' base URLs at it, and runs the
test with `--llm-record-mode=all --snapshot-update`, as a user would with real keys.

    .venv/bin/python examples/record_readme_test.py
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from llmring_replay.simulator import Script, SimulatorServer

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    script = Script(text="Hi there! How can I help you today?", ttft=0.3, interval=0.03)
    with SimulatorServer(script) as sim:
        env = dict(os.environ)
        for provider, variable in [
            ("openai", "OPENAI_BASE_URL"),
            ("anthropic", "ANTHROPIC_BASE_URL"),
            ("google", "GOOGLE_GEMINI_BASE_URL"),
            ("ollama", "OLLAMA_BASE_URL"),
        ]:
            env[variable] = sim.base_url_for(provider)
        # The simulator takes any key; recording needs the providers configured, as live.
        for variable in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY"):
            env[variable] = "simulator-placeholder"
        command = [
            sys.executable,
            "-m",
            "pytest",
            "tests/test_readme_example.py",
            "-p",
            "no:xdist",
            "--llm-record-mode=all",
            "--snapshot-update",
            "-q",
        ]
        return subprocess.call(command, cwd=ROOT, env=env)


if __name__ == "__main__":
    raise SystemExit(main())
