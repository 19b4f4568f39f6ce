"""`record`: call a provider live and keep the exchange as a cassette."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import click

from llmring_replay.cassette import Cassette, Interaction
from llmring_replay.cli.errors import error_text, reports_errors
from llmring_replay.cli.files import display, without_path
from llmring_replay.cli.streaming import print_stream, summary_lines
from llmring_replay.exceptions import (
    CassetteWriteError,
    ConfigurationError,
    LLMRingError,
    ProviderNotFoundError,
)
from llmring_replay.lockfile import parse_model_ref
from llmring_replay.providers.registry import for_provider
from llmring_replay.schemas import LLMRequest, Message
from llmring_replay.service import PLACEHOLDER_KEY, LLMRing
from llmring_replay.transports import RecordingTransport

__all__ = ["record"]

#: The key sent to a `--base-url` server when the environment has none (a simulator or a
#: local server takes any key; the scrubber keeps real ones out of the cassette anyway).


def _open_cassette(path: Path, append: bool) -> Cassette:
    if not path.exists():
        return Cassette(path=path)
    if not append:
        raise ConfigurationError(f"{display(path)} already exists: pass --append to add to it")
    return Cassette.load(path)


def _point_at(ring: LLMRing, model: str, base_url: str) -> None:
    """Send every provider of `model` (an alias may chain several) to `base_url`."""
    for ref in ring.resolve_model(model):
        provider, _ = parse_model_ref(ref)
        configured = ring.providers.get(provider)
        keyless = configured is None or configured.api_key is None
        needs_key = keyless and not for_provider(provider).key_optional
        ring.register_provider(provider, PLACEHOLDER_KEY if needs_key else None, base_url)


def _no_key(exc: ProviderNotFoundError) -> str:
    """What a CLI user does about a provider without a key (not `register_provider()`)."""
    try:
        variables = " or ".join(for_provider(exc.provider or "").api_key_env)
    except ProviderNotFoundError:
        return exc.message
    return (
        f"no API key for {exc.provider}: set {variables}, or record from a compatible "
        "server (a simulator, a proxy) with --base-url"
    )


def _is_about(exc: OSError, output: Path) -> bool:
    """Whether `exc` came from writing `output`: the file, its temp file, a folder above it.

    Only those are blamed on the output; any other file (a lockfile an alias is read from)
    is named by the error itself.
    """
    target = output.resolve()
    for name in (exc.filename, exc.filename2):
        if not isinstance(name, str | os.PathLike):
            continue
        path = Path(name).resolve()
        temp = path.parent == target.parent and path.name.startswith(f".{target.name}.")
        if path == target or temp or path in target.parents:
            return True
    return False


def _keep(staged: Cassette, target: Cassette, path: Path) -> None:
    """Store what was recorded into the target cassette, then say so (never before).

    Through `Cassette.record`, as every recorder does: under the cassette's lock, so several
    `record --append` at once lose nothing, and each is told where its interaction landed.
    """
    from llmring_replay.cassette import store

    ours: list[Interaction] = []
    failure: CassetteWriteError | None = None
    for interaction in staged.interactions:
        try:
            ours.append(target.interactions[target.record(interaction)])
        except CassetteWriteError as exc:  # the ones before it are stored: say which
            failure = exc
            break
    if ours:
        target.finish()
        numbers = ", ".join(str(n) for n in store.positions(path, ours))
        plural = "s" if len(ours) > 1 else ""
        click.echo(f"Recorded interaction{plural} {numbers} to {display(path)}")
    if failure is not None:
        raise failure


def _frame_span(cassette: Cassette) -> tuple[float | None, float | None]:
    """The first and the last frame offsets of the last interaction recorded."""
    for interaction in reversed(cassette.interactions):
        offsets = [offset for offset, _ in interaction.response.frames()]
        if offsets:
            return offsets[0], offsets[-1]
    return None, None


async def _record(
    path: Path, request: LLMRequest, base_url: str | None, append: bool, record_errors: bool
) -> None:
    target = _open_cassette(path, append)
    # Recorded apart, then written at the end: an answer showing the URL is wrong is a
    # misconfiguration, not the provider's behaviour, and stays out unless asked for.
    staged = Cassette()
    keep = True
    try:
        async with LLMRing(transport=RecordingTransport(staged)) as ring:
            if base_url is not None:
                _point_at(ring, str(request.model), base_url)
            stats = await print_stream(ring.chat_stream(request))
        # TTFT and duration as `show` gives them: the recorder's frame offsets.
        stats.first_frame, stats.last_frame = _frame_span(staged)
        for line in summary_lines(stats):
            click.echo(line)
    except LLMRingError as exc:
        keep = record_errors or not exc.details.get("wrong_url")
        if not keep:
            click.echo(
                f"Not recorded: the answer says the URL is wrong ({exc.details.get('url')}); "
                "fix the base URL, or pass --record-errors to keep such an answer",
                err=True,
            )
        raise
    finally:
        # Whatever was exchanged is kept, an error response included (see above).
        if keep:
            _keep(staged, target, path)


@click.command()
@click.option("--model", "-m", required=True, help="provider:model, or an alias from llmring.lock.")
@click.option("--prompt", "-p", required=True, help="The user message.")
@click.option("--system", default=None, help="A system message sent before the prompt.")
@click.option("--max-tokens", type=click.IntRange(min=1), default=None, help="Answer length cap.")
@click.option("--temperature", type=float, default=None, help="Sampling temperature.")
@click.option(
    "--base-url",
    default=None,
    help="Record from this server instead of the provider's (a simulator, a proxy, Ollama).",
)
@click.option("--append", is_flag=True, help="Add to an existing cassette instead of refusing.")
@click.option(
    "--record-errors",
    is_flag=True,
    help="Also keep an answer showing the URL is wrong (a 404 naming no model), which is "
    "otherwise left out: it records a misconfigured base URL, not the provider. Other "
    "error answers are always kept.",
)
@click.option(
    "--output",
    "-o",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The cassette to write.",
)
@reports_errors
def record(
    *,
    model: str,
    prompt: str,
    system: str | None,
    max_tokens: int | None,
    temperature: float | None,
    base_url: str | None,
    append: bool,
    record_errors: bool,
    output: Path,
) -> None:
    """Call MODEL live, print the stream as it arrives and save it as a cassette.

    Keys come from the environment (OPENAI_API_KEY, ...) and never reach the file: it is
    scrubbed and checked before every write. With --base-url a placeholder key is sent
    when the environment has none. OpenAI-style base URLs include /v1: a base URL without
    it gets a 404 that names no model, reported as a wrong URL and not recorded (unless
    --record-errors).

    \b
    Example:
      llmring-replay record -m openai:gpt-4o-mini -p "Say hi" -o cassettes/hi.yaml
      llmring-replay record -m anthropic:claude-3-5-haiku-20241022 -p "Hi" \\
          --base-url http://127.0.0.1:8765 -o cassettes/hi.yaml --append
    """
    messages = [Message(role="system", content=system)] if system is not None else []
    messages.append(Message(role="user", content=prompt))
    request = LLMRequest(
        model=model, messages=messages, max_tokens=max_tokens, temperature=temperature
    )
    try:
        asyncio.run(_record(output, request, base_url, append, record_errors))
    except ProviderNotFoundError as exc:
        raise ConfigurationError(_no_key(exc)) from exc
    except CassetteWriteError as exc:  # a full disk, a file on disk that cannot be merged
        reason = without_path(exc.message, output)
        raise ConfigurationError(f"cannot record to {display(output)}: {reason}") from exc
    except OSError as exc:
        if _is_about(exc, output):
            raise ConfigurationError(f"cannot record to {display(output)}: {exc}") from exc
        raise click.ClickException(error_text(exc)) from exc
