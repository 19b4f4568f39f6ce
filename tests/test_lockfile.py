"""llmring.lock: upstream's shape loads, edits keep comments, lookup orders hold."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from llmring_replay.exceptions import (
    ConfigurationError,
    LockfileError,
    LockfileNotFoundError,
    LockfileParseError,
    LockfileVersionError,
)
from llmring_replay.lockfile import Lockfile, find_lockfile, parse_model_ref

UPSTREAM = Path(__file__).parent / "data" / "upstream.llmring.lock"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LLMRING_LOCKFILE_PATH", raising=False)
    monkeypatch.delenv("LLMRING_PROFILE", raising=False)


def test_upstream_lockfile_loads() -> None:
    lockfile = Lockfile.load(UPSTREAM)
    assert lockfile.default_profile == "default"
    assert lockfile.profiles() == ["default", "prod", "staging", "dev"]
    assert lockfile.resolve_alias("chatbot") == ["anthropic:claude-3-5-haiku-20241022"]
    assert lockfile.resolve_alias("summarizer") == ["openai:gpt-4o-mini", "google:gemini-2.5-flash"]
    assert lockfile.resolve_alias("missing") == []
    assert lockfile.bindings("prod") == []


def test_edit_keeps_comments_and_order(tmp_path: Path) -> None:
    path = tmp_path / "llmring.lock"
    shutil.copy(UPSTREAM, path)
    lockfile = Lockfile.load(path)
    lockfile.set_binding("chatbot", ["openai:gpt-4o", "ollama:llama3.2"])
    lockfile.set_binding("fresh", ["google:gemini-2.5-flash"], profile="prod")
    lockfile.save()
    text = path.read_text()
    assert text.startswith("# Written by hand in the exact shape upstream llmring 1.4 writes")
    reread = Lockfile.load(path)
    assert reread.resolve_alias("chatbot") == ["openai:gpt-4o", "ollama:llama3.2"]
    assert reread.resolve_alias("summarizer") == ["openai:gpt-4o-mini", "google:gemini-2.5-flash"]
    assert reread.resolve_alias("fresh", "prod") == ["google:gemini-2.5-flash"]
    # The edited binding stayed where it was: chatbot is still before summarizer.
    assert [b.alias for b in reread.bindings()] == ["chatbot", "summarizer"]


def test_create_save_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "llmring.lock"
    created = Lockfile.create()
    created.set_binding("chatbot", ["anthropic:claude-3-5-haiku-20241022"])
    created.set_binding("chatbot", ["anthropic:claude-3-5-haiku-20241022", "openai:gpt-4o-mini"])
    created.save(path)
    loaded = Lockfile.load(path)
    assert loaded.profiles() == ["default", "prod", "staging", "dev"]
    assert loaded.resolve_alias("chatbot") == [
        "anthropic:claude-3-5-haiku-20241022",
        "openai:gpt-4o-mini",
    ]
    assert len(loaded.bindings()) == 1


def test_lookup_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert find_lockfile() == tmp_path / "llmring.lock"
    monkeypatch.setenv("LLMRING_LOCKFILE_PATH", str(tmp_path / "env.lock"))
    assert find_lockfile() == tmp_path / "env.lock"
    assert find_lockfile(tmp_path / "arg.lock") == tmp_path / "arg.lock"


def test_profile_order(monkeypatch: pytest.MonkeyPatch) -> None:
    lockfile = Lockfile.load(UPSTREAM)
    assert lockfile.profile_name() == "default"
    monkeypatch.setenv("LLMRING_PROFILE", "prod")
    assert lockfile.profile_name() == "prod"
    assert lockfile.resolve_alias("chatbot") == []
    assert lockfile.profile_name("dev") == "dev"
    assert lockfile.resolve_alias("chatbot", "default") == ["anthropic:claude-3-5-haiku-20241022"]


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(LockfileNotFoundError, match="lock init"):
        Lockfile.load(tmp_path / "nope.lock")


@pytest.mark.parametrize(
    ("text", "error", "fragment"),
    [
        ("version = ", LockfileParseError, "not valid TOML"),
        ('version = "2.0"', LockfileVersionError, "2.0"),
        (
            '[[profiles.default.bindings]]\nalias = "a"\nmodels = ["gpt-4o"]',
            LockfileParseError,
            "profiles.default.bindings[0]",
        ),
        ('[[profiles.default.bindings]]\nalias = "a"\nmodels = []', LockfileParseError, "models"),
    ],
)
def test_bad_files_say_where(
    tmp_path: Path, text: str, error: type[Exception], fragment: str
) -> None:
    path = tmp_path / "llmring.lock"
    path.write_text(text)
    with pytest.raises(error, match=r"llmring\.lock") as info:
        Lockfile.load(path)
    assert fragment in str(info.value)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('version = "1.0"\n[profiles]\ndefault = 3\n', "`profiles.default` must be a table"),
        ("[profiles.default]\nbindings = 3\n", "`profiles.default.bindings` must be a list"),
    ],
)
def test_wrong_types_are_parse_errors_not_tracebacks(
    tmp_path: Path, text: str, fragment: str
) -> None:
    path = tmp_path / "llmring.lock"
    path.write_text(text)
    with pytest.raises(LockfileParseError, match=r"llmring\.lock") as info:
        Lockfile.load(path)
    assert fragment in str(info.value)


def test_a_directory_is_a_parse_error_naming_it(tmp_path: Path) -> None:
    (tmp_path / "llmring.lock").mkdir()
    with pytest.raises(LockfileParseError) as info:
        Lockfile.load(tmp_path / "llmring.lock")
    assert str(info.value) == f"{tmp_path / 'llmring.lock'}: cannot read: Is a directory"


def test_invalid_utf8_is_a_parse_error_naming_the_line(tmp_path: Path) -> None:
    path = tmp_path / "llmring.lock"
    path.write_bytes(b'version = "1.0"\n# caf\xe9\n')
    with pytest.raises(LockfileParseError) as info:
        Lockfile.load(path)
    assert (
        str(info.value)
        == f"{path}: not UTF-8 text: line 2 has the bytes e9 (invalid continuation byte)"
    )


def test_saving_over_a_directory_is_a_lockfile_error(tmp_path: Path) -> None:
    (tmp_path / "llmring.lock").mkdir()
    with pytest.raises(LockfileError, match=r"llmring\.lock: cannot write: "):
        Lockfile.create().save(tmp_path / "llmring.lock")
    assert [p.name for p in tmp_path.iterdir()] == ["llmring.lock"]  # no temp file left


def test_parse_model_ref() -> None:
    assert parse_model_ref("openai:gpt-4o") == ("openai", "gpt-4o")
    assert parse_model_ref("ollama:llama3.2:1b") == ("ollama", "llama3.2:1b")
    for bad in ("gpt-4o", ":x", "openai:"):
        with pytest.raises(ConfigurationError, match="provider:model"):
            parse_model_ref(bad)
