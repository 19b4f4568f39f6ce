"""`lock init`, `bind` and `aliases`: edit and read `llmring.lock`."""

from __future__ import annotations

from pathlib import Path

import click

from llmring_replay.cli.errors import reports_errors
from llmring_replay.exceptions import ConfigurationError
from llmring_replay.lockfile import Lockfile, find_lockfile

__all__ = ["aliases", "bind", "lock"]

_FILE_OPTION = click.option(
    "--file",
    "-f",
    "file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Lockfile path (default: $LLMRING_LOCKFILE_PATH, else ./llmring.lock).",
)


@click.group()
def lock() -> None:
    """Create and manage llmring.lock.

    \b
    Example:
      llmring-replay lock init
    """


@lock.command("init")
@_FILE_OPTION
@click.option("--force", is_flag=True, help="Overwrite an existing lockfile.")
@reports_errors
def lock_init(file: Path | None, force: bool) -> None:
    """Create a new llmring.lock with the default profiles.

    \b
    Example:
      llmring-replay lock init --file config/llmring.lock
    """
    path = find_lockfile(file)
    if path.exists() and not force:
        raise ConfigurationError(f"{path} already exists (use --force to overwrite it)")
    Lockfile.create().save(path)
    click.echo(f"Created {path}")


@click.command()
@click.argument("alias")
@click.argument("models", metavar="MODEL[,FALLBACK...]")
@click.option(
    "--profile", "-p", default=None, help="Profile (default: $LLMRING_PROFILE or the file's)."
)
@_FILE_OPTION
@reports_errors
def bind(alias: str, models: str, profile: str | None, file: Path | None) -> None:
    """Bind ALIAS to a model, with optional fallbacks after commas.

    \b
    Example:
      llmring-replay bind chatbot anthropic:claude-3-5-haiku-20241022,openai:gpt-4o-mini
    """
    refs = [ref.strip() for ref in models.split(",") if ref.strip()]
    if not refs:
        raise ConfigurationError("no model given: expected provider:model[,provider:model...]")
    lockfile = Lockfile.load(file)
    lockfile.set_binding(alias, refs, profile)
    lockfile.save()
    chain = " -> ".join(refs)
    click.echo(f"Bound {alias} to {chain} in profile {lockfile.profile_name(profile)}")


@click.command()
@click.option(
    "--profile", "-p", default=None, help="Profile (default: $LLMRING_PROFILE or the file's)."
)
@_FILE_OPTION
@reports_errors
def aliases(profile: str | None, file: Path | None) -> None:
    """List the aliases of a profile and the models they resolve to.

    \b
    Example:
      llmring-replay aliases --profile prod
    """
    lockfile = Lockfile.load(file)
    bindings = lockfile.bindings(profile)
    if not bindings:
        click.echo(f"No aliases in profile {lockfile.profile_name(profile)}")
        return
    width = max(len(binding.alias) for binding in bindings)
    for binding in bindings:
        click.echo(f"{binding.alias.ljust(width)}  {' -> '.join(binding.models)}")
