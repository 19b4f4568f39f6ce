"""Run a README shell block's commands as written, line by line, in the current folder.

- `llmring-replay ...` runs in-process through click's `CliRunner` (no interpreter start-up
  per line); ending in `&`, it starts as a process of its own, and the next line waits until
  its `--port` accepts connections (servers started on consecutive lines start side by
  side); it is stopped when the block ends, and must have been listening by then.
- `pytest ...` runs an in-process session in the block's folder (pytester); the modules
  this suite imported from the checkout's `examples/` are set aside meanwhile, so that the
  block's copies of them do not collide with them.
- `make TARGET...` is checked with `make -n` in the checkout: the targets exist and expand
  (running them would reinstall this very venv, or run this very suite).
- `curl ...` runs as a process, only against this machine (every URL on loopback: the
  block's own servers), with a 30 s limit; skipped where curl is not installed.
- A line that must fail says so in its comment: `# ... (exit 1)`; every other line must exit 0.
- Port numbers (`--port 8765`, `127.0.0.1:8765`) are mapped to free ports, block-wide, so
  that parallel runs on one machine do not collide.

Anything else (other programs, pipes, redirections) fails the test: write the block with the
commands above, or mark it `skip`.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner

from llmring_replay.cli import main
from llmring_replay.hosts import is_loopback

__all__ = ["Command", "ShellSession", "commands_of", "free_ports"]

_EXIT = re.compile(r"#.*\(exit (\d+)\)")
_PORT = re.compile(r"(?:--port[ =]|127\.0\.0\.1:|localhost:)(\d{4,5})\b")
_CLI = "from llmring_replay.cli import main; main()"
_SHELL_SYNTAX = frozenset({"|", "||", "&&", ";", ">", ">>", "<", "2>"})


@dataclass(frozen=True)
class Command:
    """One command line of a shell block (continuations joined)."""

    text: str
    argv: list[str]
    background: bool
    expected_exit: int


def commands_of(text: str) -> list[Command]:
    """The block's commands; comments and blank lines dropped, `\\` continuations joined."""
    commands = []
    for line in text.replace("\\\n", " ").splitlines():
        argv = shlex.split(line, comments=True)
        if not argv:
            continue
        background = argv[-1] == "&"
        argv = argv[:-1] if background else argv
        exit_code = _EXIT.search(line)
        expected = int(exit_code[1]) if exit_code else 0
        commands.append(Command(line.strip(), argv, background, expected))
    return commands


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def free_ports(text: str) -> str:
    """`text` with every port number it names replaced by a free one (the same one each time)."""
    mapping = {port: str(_free_port()) for port in sorted(set(_PORT.findall(text)))}
    if not mapping:
        return text
    return re.sub(r"\b(" + "|".join(mapping) + r")\b", lambda m: mapping[m[1]], text)


def _port_of(argv: list[str]) -> int | None:
    for index, word in enumerate(argv):
        if word == "--port" and index + 1 < len(argv):
            return int(argv[index + 1])
        if word.startswith("--port="):
            return int(word.partition("=")[2])
    return None


def _wait_for(process: subprocess.Popen[str], port: int, where: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            _, errors = process.communicate()
            pytest.fail(f"{where}: the server exited ({process.returncode}): {errors}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    pytest.fail(f"{where}: nothing listens on port {port} after 30 s")


class ShellSession:
    """Runs one block's commands in `folder`; `close()` stops what runs in the background."""

    def __init__(self, folder: Path, repo: Path, pytester: pytest.Pytester, where: str) -> None:
        self.folder = folder
        self.repo = repo
        self.pytester = pytester
        self.where = where
        self._background: list[subprocess.Popen[str]] = []
        #: Servers started but not yet seen listening: they start side by side.
        self._starting: list[tuple[subprocess.Popen[str], int]] = []

    def _wait_for_servers(self) -> None:
        for process, port in self._starting:
            _wait_for(process, port, self.where)
        self._starting.clear()

    def run(self, command: Command) -> None:
        """Run `command` as the block says; fail the test when it exits otherwise."""
        syntax = _SHELL_SYNTAX.intersection(command.argv)
        if syntax:
            pytest.fail(f"{self.where}: `{command.text}` uses shell syntax {sorted(syntax)}")
        program, *args = command.argv
        runners = {
            "llmring-replay": self._cli,
            "pytest": self._pytest,
            "make": self._make,
            "curl": self._curl,
        }
        runner = runners.get(program)
        if runner is None:
            pytest.fail(
                f"{self.where}: the README test cannot run {program!r} "
                "(see tests/readme/shell.py: llmring-replay, pytest, make, curl)"
            )
        if command.background and program != "llmring-replay":
            pytest.fail(f"{self.where}: only llmring-replay may run in the background (&)")
        code, output = runner(args, command.background)
        if code != command.expected_exit:
            pytest.fail(
                f"{self.where}: `{command.text}` exited {code}, not {command.expected_exit}:\n"
                f"{output}",
                pytrace=False,
            )

    def _cli(self, args: list[str], background: bool) -> tuple[int, str]:
        if background:
            process = subprocess.Popen(
                [sys.executable, "-c", _CLI, *args],
                cwd=self.folder,
                env=dict(os.environ),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            self._background.append(process)
            port = _port_of(args)
            if port is not None:
                self._starting.append((process, port))
            return 0, ""
        self._wait_for_servers()
        result = CliRunner().invoke(main, args, catch_exceptions=True)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return result.exit_code, result.output

    def _pytest(self, args: list[str], background: bool) -> tuple[int, str]:
        self._wait_for_servers()
        examples = self.repo / "examples"
        with pytest.MonkeyPatch.context() as patch:
            for name, module in list(sys.modules.items()):
                where = getattr(module, "__file__", None)
                if where and Path(where).is_relative_to(examples):
                    patch.delitem(sys.modules, name)
            result = self.pytester.runpytest(*args)
        return int(result.ret), "\n".join(result.outlines[-30:])

    def _make(self, args: list[str], background: bool) -> tuple[int, str]:
        done = subprocess.run(
            ["make", "-n", "-C", str(self.repo), *args], capture_output=True, text=True, check=False
        )
        return done.returncode, done.stdout + done.stderr

    def _curl(self, args: list[str], background: bool) -> tuple[int, str]:
        urls = [arg for arg in args if "://" in arg]
        if not urls or not all(is_loopback(urlsplit(url).hostname) for url in urls):
            pytest.fail(f"{self.where}: curl may only reach this machine's servers: {urls}")
        curl = shutil.which("curl")
        if curl is None:
            pytest.skip(f"{self.where}: curl is not installed")
        self._wait_for_servers()
        done = subprocess.run(
            [curl, "--max-time", "30", *args],
            cwd=self.folder,
            capture_output=True,
            text=True,
            check=False,
        )
        return done.returncode, done.stdout + done.stderr

    def close(self) -> None:
        """Stop the background commands (each must have started listening)."""
        try:
            self._wait_for_servers()
        finally:
            self._stop()

    def _stop(self) -> None:
        for process in self._background:
            process.terminate()
            try:
                process.communicate(timeout=10)  # also closes the pipe
            except subprocess.TimeoutExpired:
                process.kill()
                process.communicate()


@contextlib.contextmanager
def shell_session(
    folder: Path, repo: Path, pytester: pytest.Pytester, where: str
) -> Iterator[ShellSession]:
    """A `ShellSession` closed at the end of the block, whatever happens."""
    session = ShellSession(folder, repo, pytester, where)
    try:
        yield session
    finally:
        session.close()
