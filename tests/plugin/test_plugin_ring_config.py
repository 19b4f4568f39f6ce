"""The `llmring` fixture's settings: command line > marker > `llmring_config` > ini > default.

Two inner sessions run the same tests, without and with command-line settings; each test
asserts what it should see under both.
"""

from __future__ import annotations

import pytest

from tests.plugin.helpers import make_project, offline

INI_EXTRA = """\
llmring_timeout = 11
llmring_profile = ini
llmring_providers =
    openai base_url=http://ini.test/v1
    anthropic base_url=http://ini-anthropic.test
"""

CONFTEST = """
import pytest

@pytest.fixture
def llmring_config():
    return {
        "timeout": 22,
        "lockfile": "app/llmring.lock",  # from the rootdir
        "providers": {"openai": {"api_key": "fixture-key"}},
    }
"""

TESTS = """
from pathlib import Path

import pytest

def cli(request, key):
    return request.config.getoption(key)

def test_fixture_over_ini_over_default(llmring, request):
    assert llmring.timeout == (cli(request, "llmring_timeout") or 22)  # fixture > ini
    assert llmring.profile == (cli(request, "llmring_profile") or "ini")  # ini > default
    # Providers merge key by key: the ini's base URL, the fixture's key.
    openai = llmring.providers["openai"]
    assert (openai.base_url, openai.api_key) == ("http://ini.test/v1", "fixture-key")
    assert llmring.providers["anthropic"].base_url == "http://ini-anthropic.test"
    assert llmring.lockfile_path == request.config.rootpath / "app" / "llmring.lock"

@pytest.mark.llmring(
    timeout=33, profile="marker", providers={"openai": {"base_url": "http://marker.test/v1"}}
)
def test_marker_over_fixture(llmring, request):
    assert llmring.timeout == (cli(request, "llmring_timeout") or 33)
    assert llmring.profile == (cli(request, "llmring_profile") or "marker")
    openai = llmring.providers["openai"]
    assert (openai.base_url, openai.api_key) == ("http://marker.test/v1", "fixture-key")

@pytest.mark.llmring(lockfile="locks/chat.lock")
def test_marker_lockfile_is_relative_to_the_test_file(llmring, request):
    assert llmring.lockfile_path == Path(__file__).parent / "locks" / "chat.lock"

@pytest.mark.llmring(timeot=5)
def test_unknown_setting_fails_the_test(llmring):
    pass
"""

NESTED = """
from pathlib import Path

import pytest

@pytest.fixture
def llmring_config():  # the default lockfile: nothing set anywhere
    return {}

def test_nearest_lockfile_above_the_test(llmring):
    assert llmring.lockfile_path == Path(__file__).parent.parent / "llmring.lock"
"""

ROOT_TEST = """
import pytest

@pytest.fixture
def llmring_config():
    return {}

def test_no_lockfile_up_to_the_rootdir_means_the_rootdir_one(llmring, request):
    # Not the one in the folder pytest runs in.
    assert llmring.lockfile_path == request.config.rootpath / "llmring.lock"
"""


def test_precedence_command_line_marker_fixture_ini_default(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    offline(monkeypatch)
    monkeypatch.delenv("LLMRING_LOCKFILE_PATH", raising=False)
    monkeypatch.delenv("LLMRING_PROFILE", raising=False)
    make_project(pytester, INI_EXTRA)
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_settings=TESTS)
    app = pytester.mkdir("app")
    (app / "llmring.lock").write_text('version = "1.0"\n')
    (app / "tests").mkdir()
    (app / "tests" / "test_nested.py").write_text(NESTED)
    pytester.makepyfile(test_root=ROOT_TEST)
    # Run from a folder that holds a lockfile of its own, which must not be picked up.
    elsewhere = pytester.mkdir("elsewhere")
    (elsewhere / "llmring.lock").write_text('version = "1.0"\n')
    monkeypatch.chdir(elsewhere)
    root = str(pytester.path)
    for options in ([], ["--llmring-timeout=44", "--llmring-profile=cli"]):
        result = pytester.runpytest(root, "--llm-record-mode=once", *options)
        result.assert_outcomes(passed=5, errors=1)
        output = result.stdout.str()
        assert "@pytest.mark.llmring: unknown setting(s) ['timeot']" in output
        assert "During handling" not in output  # said once, not chained


def test_bad_command_line_and_ini_settings_are_usage_errors(pytester: pytest.Pytester) -> None:
    make_project(pytester, "llmring_providers = opneai base_url=http://x\n")
    pytester.makepyfile("def test_x(): pass")
    result = pytester.runpytest("--llmring-timeout=0")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--llmring-timeout: timeout must be a positive number*"])
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*llmring_providers: unknown provider 'opneai'*"])
