"""Every code block of README.md runs as written, so the README cannot drift from the code.

Conventions for whoever writes a block (one test per block, named by its line):

- **python**: run as a script in a fresh folder (a copy of the checkout's `cassettes/` and
  `examples/`, no provider key in the environment). Top-level `await`, `async with` and
  `async for` are allowed, as in `python -m asyncio` or a notebook: the block then runs in a
  fresh event loop. A traceback points at README.md's own lines.
- **bash** (or sh, shell, console): each command runs as `tests/readme/shell.py` says:
  `llmring-replay` in-process (`&` starts a server in the background), `pytest` as an inner
  session, `make` as a dry run; a line that must fail ends with a comment `... (exit 1)`.
  Port numbers are swapped for free ones.
- **yaml**, **toml**, **json**: must parse.
- **text**: output shown to the reader; not checked.
- A directive, an HTML comment on the line right before the fence, adds to this:
  - `<!-- readme-test: setup=simulator,lockfile -->`: named setups prepare the folder and the
    environment first (`tests/readme/setups.py`: `simulator` points every provider's base URL
    and a placeholder key at a loopback simulator; `lockfile` binds the alias `chatbot`; ...).
  - `<!-- readme-test: excerpt-of=tests/test_readme_example.py -->`: the block is not run but
    must appear, verbatim, in that file (which the suite runs): for a test shown in the
    README, or a snapshot.
  - `<!-- readme-test: skip="why" -->`: for the rare block that cannot run offline; the block
    must then say so to the reader, with the words "not runnable offline" in it.
"""

from __future__ import annotations

import ast
import asyncio
import gc
import inspect
import json
import shutil
import warnings
from contextlib import ExitStack
from pathlib import Path

import pytest
import tomlkit
import yaml

from tests.plugin.helpers import offline
from tests.readme.blocks import Block, blocks_of
from tests.readme.setups import SETUPS, Context
from tests.readme.shell import commands_of, free_ports, shell_session

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
BLOCKS = blocks_of(README)
SHELLS = {"bash", "sh", "shell", "console"}
DATA = {"yaml": yaml.safe_load, "yml": yaml.safe_load, "toml": tomlkit.parse, "json": json.loads}
LANGUAGES = {"python", "text", *SHELLS, *DATA}


def _run_python(block: Block) -> None:
    # Blank lines first, so that line numbers in a traceback are README.md's.
    source = "\n" * block.line + block.text
    code = compile(source, str(block.path), "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    namespace = {"__name__": "__main__"}
    try:
        result = eval(code, namespace)  # a coroutine when the block awaits at its top level
        if inspect.iscoroutine(result):
            asyncio.run(result)
    finally:
        # A script's exit: what the block left open (a client it never closed, as scripts
        # do) is collected here, not in whichever test the garbage collector next runs in.
        namespace.clear()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            gc.collect()


def _run_shell(block: Block, pytester: pytest.Pytester) -> None:
    with shell_session(pytester.path, REPO, pytester, block.where) as session:
        for command in commands_of(free_ports(block.text)):
            session.run(command)


def _check_excerpt(block: Block) -> None:
    target = REPO / block.directive["excerpt-of"]
    assert target.is_file(), f"{block.where}: excerpt-of names no file: {target}"
    text = target.read_text(encoding="utf-8")
    assert block.text in text, (
        f"{block.where}: the block is no longer a verbatim excerpt of "
        f"{block.directive['excerpt-of']}: copy it again from there"
    )


def _prepare(block: Block, pytester: pytest.Pytester, stack: ExitStack) -> None:
    folder = pytester.path  # the current directory while the block runs
    for name in ("cassettes", "examples"):
        shutil.copytree(REPO / name, folder / name)
    monkeypatch = stack.enter_context(pytest.MonkeyPatch.context())
    offline(monkeypatch)
    # A block's `pytest` is a session of its own, even when this suite runs on xdist.
    for name in ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_XDIST_TESTRUNUID"):
        monkeypatch.delenv(name, raising=False)
    context = Context(folder, REPO, monkeypatch, stack)
    for name in block.setups:
        assert name in SETUPS, f"{block.where}: unknown setup {name!r}; known: {sorted(SETUPS)}"
        SETUPS[name](context)


@pytest.mark.parametrize("block", BLOCKS, ids=[f"L{b.line}-{b.language}" for b in BLOCKS])
def test_readme_block(block: Block, pytester: pytest.Pytester) -> None:
    assert block.language in LANGUAGES, (
        f"{block.where}: a ```{block.language} block: use one of {sorted(LANGUAGES)}"
    )
    if "skip" in block.directive:
        assert "not runnable offline" in block.text, (
            f"{block.where}: a skipped block must tell the reader it is not runnable offline"
        )
        pytest.skip(f"{block.where}: {block.directive['skip']}")
    if "excerpt-of" in block.directive:
        _check_excerpt(block)
        return
    if block.language in DATA:
        DATA[block.language](block.text)
        return
    with ExitStack() as stack:
        _prepare(block, pytester, stack)
        if block.language == "python":
            _run_python(block)
        elif block.language in SHELLS:
            _run_shell(block, pytester)


def test_every_block_is_found() -> None:
    # A fence the parser missed would silently escape the test above.
    fences = [line for line in README.read_text().splitlines() if line.strip().startswith("```")]
    assert len(fences) == 2 * len(BLOCKS)
