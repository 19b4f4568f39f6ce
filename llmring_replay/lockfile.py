"""`llmring.lock`: alias bindings with fallback chains, in upstream llmring's schema.

The file is TOML, read and written with tomlkit so a user's comments, ordering and formatting
survive every edit we make. The shape is the one upstream's `llmring lock init` and
`llmring bind` write:

```toml
version = "1.0"
default_profile = "default"

[profiles.default]
name = "default"

[[profiles.default.bindings]]
alias = "chatbot"
models = ["anthropic:claude-3-5-haiku-20241022", "openai:gpt-4o-mini"]  # fallback chain
```

Which file: the `lockfile_path` argument, else `$LLMRING_LOCKFILE_PATH`, else
`./llmring.lock`. Which profile: the `profile` argument, else `$LLMRING_PROFILE`, else the
file's `default_profile` (else `default`).
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.exceptions import TOMLKitError
from tomlkit.items import AoT, Table
from tomlkit.toml_document import TOMLDocument

from llmring_replay.exceptions import (
    ConfigurationError,
    LockfileError,
    LockfileNotFoundError,
    LockfileParseError,
    LockfileVersionError,
)

__all__ = [
    "AliasBinding",
    "LOCKFILE_NAME",
    "Lockfile",
    "find_lockfile",
    "parse_model_ref",
]

LOCKFILE_NAME = "llmring.lock"
_SUPPORTED_MAJOR = "1"
_INITIAL_PROFILES = ("default", "prod", "staging", "dev")


@dataclass(frozen=True)
class AliasBinding:
    """An alias and its models, the first preferred, the rest its fallback chain."""

    alias: str
    models: tuple[str, ...]


def parse_model_ref(ref: str) -> tuple[str, str]:
    """Split `provider:model`; `ConfigurationError` saying the expected form otherwise."""
    provider, colon, model = ref.strip().partition(":")
    if not colon or not provider or not model:
        raise ConfigurationError(
            f"invalid model reference {ref!r}: expected the form provider:model "
            "(e.g. openai:gpt-4o-mini)"
        )
    return provider, model


def find_lockfile(lockfile_path: str | os.PathLike[str] | None = None) -> Path:
    """The lockfile path by lookup order: argument > `$LLMRING_LOCKFILE_PATH` > ./llmring.lock.

    The path is returned whether or not the file exists; `Lockfile.load` says if it does not.
    """
    if lockfile_path is not None:
        return Path(lockfile_path)
    from_env = os.environ.get("LLMRING_LOCKFILE_PATH")
    if from_env:
        return Path(from_env)
    return Path.cwd() / LOCKFILE_NAME


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


def _read(path: Path) -> str:
    """The lockfile's text; every way of failing is a `LockfileError` naming the file."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise LockfileNotFoundError(
            f"no lockfile at {path} (create one with `llmring-replay lock init`)"
        ) from None
    except OSError as exc:  # a directory, no permission: the file is there but unusable
        raise LockfileParseError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        bad = data[exc.start : exc.end].hex(" ")
        raise LockfileParseError(
            f"{path}: not UTF-8 text: line {line} has the bytes {bad} ({exc.reason})"
        ) from exc


def _write_atomic(target: Path, text: str) -> None:
    """Write via a temp file and a rename, so a crash leaves the old file or the new one."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(dir=target.parent, prefix=".llmring.lock.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temp_name, target)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


class Lockfile:
    """An `llmring.lock` document, edited in place so comments survive."""

    def __init__(self, document: TOMLDocument, path: Path | None = None) -> None:
        self.document = document
        self.path = path

    @classmethod
    def create(cls, path: Path | None = None) -> Lockfile:
        """A new lockfile in upstream's initial shape (profiles default, prod, staging, dev)."""
        doc = tomlkit.document()
        doc.add(tomlkit.comment("llmring lockfile: alias -> model bindings, per profile."))
        doc.add(tomlkit.comment("Edit with `llmring-replay bind ALIAS provider:model[,fallback]`."))
        doc.add(tomlkit.nl())
        doc["version"] = "1.0"
        doc["created_at"] = _now()
        doc["updated_at"] = doc["created_at"]
        doc["default_profile"] = "default"
        doc["metadata"] = tomlkit.table()
        profiles = tomlkit.table(is_super_table=True)
        for name in _INITIAL_PROFILES:
            profile = tomlkit.table()
            profile["name"] = name
            profiles[name] = profile
        doc["profiles"] = profiles
        return cls(doc, path)

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None) -> Lockfile:
        """Read and check a lockfile (path found by `find_lockfile`)."""
        resolved = find_lockfile(path)
        text = _read(resolved)
        try:
            document = tomlkit.parse(text)
        except TOMLKitError as exc:
            raise LockfileParseError(f"{resolved}: not valid TOML: {exc}") from exc
        lockfile = cls(document, resolved)
        lockfile._check()
        return lockfile

    def _check(self) -> None:
        where = str(self.path) if self.path else "lockfile"
        version = str(self.document.get("version", "1.0"))
        if version.split(".", 1)[0] != _SUPPORTED_MAJOR:
            raise LockfileVersionError(f"{where}: unsupported lockfile version {version!r}")
        profiles = self.document.get("profiles", {})
        if not isinstance(profiles, dict):
            raise LockfileParseError(f"{where}: `profiles` must be a table")
        for name, profile in profiles.items():
            # Checked here so that reading a binding later never meets a wrong type.
            if not isinstance(profile, dict):
                raise LockfileParseError(f"{where}: `profiles.{name}` must be a table")
            bindings = profile.get("bindings", [])
            if not isinstance(bindings, list):
                raise LockfileParseError(f"{where}: `profiles.{name}.bindings` must be a list")
            for index, binding in enumerate(bindings):
                self._check_binding(f"{where}: profiles.{name}.bindings[{index}]", binding)

    @staticmethod
    def _check_binding(place: str, binding: Any) -> None:
        if not isinstance(binding, dict) or not isinstance(binding.get("alias"), str):
            raise LockfileParseError(f"{place}: a binding needs a string `alias`")
        models = binding.get("models")
        if not isinstance(models, list) or not models:
            raise LockfileParseError(f"{place}: `models` must be a non-empty list")
        for ref in models:
            try:
                parse_model_ref(str(ref))
            except ConfigurationError as exc:
                raise LockfileParseError(f"{place}: {exc}") from None

    def save(self, path: str | os.PathLike[str] | None = None) -> Path:
        """Write atomically (temp file + rename) to `path` or where it was loaded from."""
        target = Path(path) if path is not None else self.path
        if target is None:
            target = find_lockfile()
        try:
            _write_atomic(target, tomlkit.dumps(self.document))
        except OSError as exc:  # e.g. the path is a directory, or the folder is read-only
            raise LockfileError(f"{target}: cannot write: {exc.strerror or exc}") from exc
        self.path = target
        return target

    # -- profiles and bindings -----------------------------------------------------------

    @property
    def default_profile(self) -> str:
        """The file's `default_profile` (`default` when unset)."""
        return str(self.document.get("default_profile", "default"))

    def profile_name(self, profile: str | None = None) -> str:
        """The profile in force: argument > `$LLMRING_PROFILE` > the file's default."""
        return profile or os.environ.get("LLMRING_PROFILE") or self.default_profile

    def profiles(self) -> list[str]:
        """The names of the profiles the file defines."""
        return list(self.document.get("profiles", {}))

    def bindings(self, profile: str | None = None) -> list[AliasBinding]:
        """The bindings of a profile, in file order (empty if the profile does not exist)."""
        table = self.document.get("profiles", {}).get(self.profile_name(profile), {})
        return [
            AliasBinding(str(entry["alias"]), tuple(str(model) for model in entry["models"]))
            for entry in table.get("bindings", [])
        ]

    def resolve_alias(self, alias: str, profile: str | None = None) -> list[str]:
        """The models bound to `alias` (fallback chain), or `[]` if it is not bound."""
        for binding in self.bindings(profile):
            if binding.alias == alias:
                return list(binding.models)
        return []

    def set_binding(self, alias: str, models: list[str], profile: str | None = None) -> None:
        """Bind `alias` to `models` in a profile, replacing its models in place if bound."""
        for ref in models:
            parse_model_ref(ref)
        name = self.profile_name(profile)
        profiles = self.document.setdefault("profiles", tomlkit.table(is_super_table=True))
        if name not in profiles:
            new_profile = tomlkit.table()
            new_profile["name"] = name
            profiles[name] = new_profile
        table: Table = profiles[name]
        array = tomlkit.array()
        array.extend(models)
        bindings = table.get("bindings")
        if not isinstance(bindings, AoT):
            # Absent, or upstream's inline `bindings = []`: an array of tables reads better.
            if bindings is not None:
                if list(bindings):
                    raise LockfileParseError(
                        f"profiles.{name}.bindings is an inline array; write it as "
                        f"[[profiles.{name}.bindings]] tables to edit it"
                    )
                table.remove("bindings")
            bindings = AoT([])
            table.append("bindings", bindings)
        for entry in bindings:
            if entry.get("alias") == alias:
                entry["models"] = array
                break
        else:
            entry = tomlkit.table()
            entry["alias"] = alias
            entry["models"] = array
            entry.add(tomlkit.nl())  # a blank line before whatever table follows
            bindings.append(entry)
        if "updated_at" in self.document:
            self.document["updated_at"] = _now()
