"""`serve`: a local server speaking the four provider APIs, from cassettes or a simulation."""

from __future__ import annotations

from pathlib import Path

import click
import yaml
from click.core import ParameterSource

from llmring_replay.cassette import Cassette
from llmring_replay.cli.errors import error_text
from llmring_replay.cli.files import cassette_files, display, tracked, without_path
from llmring_replay.cli.options import TIMING_OPTION
from llmring_replay.cli.serve_cassettes import CassetteResponder
from llmring_replay.cli.stray import not_a_cassette, skip_note
from llmring_replay.exceptions import CassetteError
from llmring_replay.hosts import is_loopback
from llmring_replay.providers import codec_class
from llmring_replay.simulator import PROVIDERS, Simulator, SimulatorServer

__all__ = ["DEFAULT_PORT", "announce", "serve"]

DEFAULT_PORT = 8765
_ORDER = ("openai", "anthropic", "google", "ollama")


def _responder(directory: Path, timing: str) -> tuple[CassetteResponder, str]:
    cassettes = []
    for path in tracked(cassette_files([directory]), "Loading cassettes"):
        try:
            cassettes.append(Cassette.load(path))
        except CassetteError as exc:
            # Serve what loads; a miss then names the closest cassette that did.
            if not_a_cassette(path):
                click.echo(skip_note(path), err=True)
            else:
                click.echo(f"Skipped {display(path)}: {without_path(exc.message, path)}", err=True)
    if not cassettes:
        raise click.ClickException(f"no cassette (*.yaml, *.yml) loaded from {display(directory)}")
    responder = CassetteResponder(cassettes, timing)
    count = len(responder.entries)
    what = (
        f"{count} interaction{'s' if count != 1 else ''} from {len(cassettes)} "
        f"cassette{'s' if len(cassettes) != 1 else ''} in {display(directory)} (timing {timing})"
    )
    return responder, what


def _simulator(path: Path) -> Simulator:
    try:
        return Simulator.from_file(path)
    except (OSError, yaml.YAMLError, ValueError) as exc:  # pydantic's errors are ValueErrors
        # `error_text` says where: `scripts[0].ttft: ...`, `line 3, column 5: ...`.
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else error_text(exc)
        raise click.ClickException(f"{display(path)}: not a simulation script: {why}") from exc


def _check_usage(cassette_dir: Path | None, simulate: Path | None) -> None:
    """Refuse what cannot mean anything: two sources, or a timing for a simulation."""
    if cassette_dir is not None and simulate is not None:
        raise click.UsageError("serve from CASSETTE_DIR or from --simulate, not both")
    source = click.get_current_context().get_parameter_source("timing")
    if simulate is not None and source is not ParameterSource.DEFAULT:
        raise click.UsageError(
            "--timing does not apply to --simulate: a simulation's timing is in its script "
            "(ttft, interval)"
        )


def announce(server: SimulatorServer, what: str) -> None:
    """Print what is served and the base URL each provider's client needs."""
    click.echo(f"Serving {what} at {server.base_url}")
    click.echo("Point a client at it:")
    for provider in sorted(PROVIDERS, key=_ORDER.index):
        click.echo(f"  {codec_class(provider).base_url_env}={server.base_url_for(provider)}")
    click.echo("Ctrl-C to stop.")


@click.command()
@click.argument(
    "cassette_dir", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path)
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=DEFAULT_PORT,
    show_default=True,
    help="Port (0: any free one).",
)
@TIMING_OPTION
@click.option(
    "--simulate",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Answer from this YAML/JSON simulation script instead of cassettes.",
)
def serve(
    cassette_dir: Path | None, host: str, port: int, timing: str, simulate: Path | None
) -> None:
    """Serve the OpenAI, Anthropic, Gemini and Ollama APIs locally for any client.

    From the cassettes under CASSETTE_DIR (default: here): a request with the method, path
    and body of a recorded one is answered as recorded, frame by frame at --timing; any
    other gets the provider's error shape naming the closest recording. Or, with
    --simulate, from a simulation script (see llmring_replay.simulator), whose own ttft and
    interval set the pace (--timing is for cassettes). Set a client's base URL (printed at
    start) to use it: curl, the official SDKs, LLMRing. Hidden folders, node_modules,
    __pycache__ and YAML that is not a cassette are skipped, with a note on stderr.

    \b
    Example:
      llmring-replay serve cassettes/ --timing speed=2
      OPENAI_BASE_URL=http://127.0.0.1:8765/v1 python app.py
      llmring-replay serve --simulate sims/slow_stream.yaml --port 0
    """
    _check_usage(cassette_dir, simulate)
    if simulate is not None:
        server = SimulatorServer(_simulator(simulate), host, port)
        what = f"the simulation {display(simulate)}"
    else:
        responder, what = _responder(cassette_dir or Path("."), timing)
        server = SimulatorServer(host=host, port=port, responder=responder)
    if not is_loopback(host):
        click.echo(
            f"Warning: {host} is not loopback: others on the network can reach this", err=True
        )
    try:
        server.serve_forever(on_ready=lambda ready: announce(ready, what))
    except OSError as exc:
        raise click.ClickException(f"cannot serve on {host}:{port}: {exc.strerror or exc}") from exc
    click.echo("Stopped.")
