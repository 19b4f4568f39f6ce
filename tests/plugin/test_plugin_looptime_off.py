"""Installing `llmring-replay[clock]` (looptime) changes nothing in a suite that does not ask.

looptime is installed here (the dev extra has it) and these inner projects do not say
`-p no:looptime_plugin`: the plugin keeps looptime's own pytest plugin off unless a run
says `-p looptime_plugin`. The same suites with it on show what it would otherwise break.
"""

from __future__ import annotations

import pytest

from tests.plugin.helpers import INI

ANYIO_ONLY = """
import anyio
import pytest

@pytest.fixture
def anyio_backend():
    return "asyncio"

@pytest.mark.anyio
async def test_anyio():
    await anyio.sleep(0)

def test_sync():
    pass
"""

PYTEST_ASYNCIO = """
import asyncio

from llmring_replay.clock import virtual_clock

async def test_async():
    await asyncio.sleep(0)

async def test_virtual_clock_still_works():
    loop = asyncio.get_running_loop()
    with virtual_clock():
        start = loop.time()
        await asyncio.sleep(3600)
        assert loop.time() - start == pytest.approx(3600)

def test_sync_one():
    pass

def test_sync_two():
    pass

import pytest
"""

LOOPTIME_MARKED = """
import asyncio

import pytest

@pytest.mark.looptime
async def test_an_hour(looptime):
    await asyncio.sleep(3600)
    assert looptime == 3600
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makefile(".ini", pytest=INI)
    pytester.makepyfile(test_pytest_asyncio=PYTEST_ASYNCIO)
    # Without pytest-asyncio its ini keys would be unknown: a project of its own.
    anyio = pytester.mkdir("anyio_only")
    (anyio / "pytest.ini").write_text(INI.replace("asyncio_", "# asyncio_"))
    (anyio / "test_anyio_only.py").write_text(ANYIO_ONLY)
    return pytester


def test_suites_run_as_without_the_extra(project: pytest.Pytester) -> None:
    # An anyio-only suite (pytest-asyncio not loaded) and a pytest-asyncio one, sync tests in
    # both: all pass, no warning (warnings are errors here).
    project.runpytest("anyio_only", "-p", "no:asyncio").assert_outcomes(passed=2)
    project.runpytest("test_pytest_asyncio.py").assert_outcomes(passed=4)


def test_looptime_plugin_on_request_only(project: pytest.Pytester) -> None:
    project.makepyfile(test_marked=LOOPTIME_MARKED)
    # Asked for: looptime's marker and fixture work...
    project.runpytest("test_marked.py", "-p", "looptime_plugin").assert_outcomes(passed=1)
    # ...and its plugin is what breaks an anyio-only suite when it is on.
    broken = project.runpytest("anyio_only", "-p", "no:asyncio", "-p", "looptime_plugin")
    assert broken.ret != pytest.ExitCode.OK
    # Not asked for, a looptime-marked test says how to turn it on.
    result = project.runpytest("test_marked.py")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*is marked `looptime`*-p looptime_plugin*"])
