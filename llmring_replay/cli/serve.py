"""`serve`: a local server speaking the four provider APIs, from cassettes or a simulation."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click
from click.core import ParameterSource

from llmring_replay.cassette import Cassette
from llmring_replay.cli.errors import error_text
from llmring_replay.cli.files import cassette_files, display, tracked, without_path
from llmring_replay.cli.options import TIMING_OPTION
from llmring_replay.cli.serve_cassettes import CassetteResponder
from llmring_replay.cli.serve_record import check_record_usage, record_options, recording_proxy
from llmring_replay.cli.stray import not_a_cassette, skip_note
from llmring_replay.exceptions import CassetteError, ScenarioError
from llmring_replay.hosts import is_loopback
from llmring_replay.providers.registry import FORMATS
from llmring_replay.simulator import Simulator, SimulatorServer
from llmring_replay.simulator.environment import client_environment

__all__ = ["DEFAULT_PORT", "announce", "client_settings", "serve"]

DEFAULT_PORT = 8765
#: Who `client_settings` names for our own client's variables (upstream llmring reads
#: them too: through the SDK it builds, or itself for Ollama).
OUR_CLIENT = "llmring, llmring-replay"


def _responder(
    directory: Path, timing: str, *, allow_empty: bool = False
) -> tuple[CassetteResponder, str]:
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
    if not cassettes and not allow_empty:
        raise click.ClickException(f"no cassette (*.yaml, *.yml) loaded from {display(directory)}")
    responder = CassetteResponder(cassettes, timing)
    count = len(responder.entries)
    what = (
        f"{count} interaction{'s' if count != 1 else ''} from {len(cassettes)} "
        f"cassette{'s' if len(cassettes) != 1 else ''} in {display(directory)} (timing {timing})"
    )
    return responder, what


def _simulator(source: str) -> tuple[Simulator, str]:
    """The simulator of a scenario/script file or a built-in scenario, and what it is."""
    try:
        simulator = Simulator.from_file(source)
    except ScenarioError as exc:  # names the file, the line and the place
        raise click.ClickException(error_text(exc)) from exc
    if Path(source).is_file():
        return simulator, f"the simulation {display(Path(source))}"
    return simulator, f"the built-in scenario {source!r}"


def _write_env_file(path: Path, server: SimulatorServer) -> None:
    """`NAME=value` lines pointing other processes' clients at `server`, keys included."""
    lines = [f"{name}={value}\n" for name, value in client_environment(server.base_url).items()]
    try:
        path.write_text("".join(lines), encoding="utf-8")
    except OSError as exc:
        raise click.ClickException(f"cannot write {display(path)}: {exc.strerror or exc}") from exc


def _check_usage(cassette_dir: Path | None, simulate: str | None) -> None:
    """Refuse what cannot mean anything: two sources, or a timing for a simulation."""
    if cassette_dir is not None and simulate is not None:
        raise click.UsageError("serve from CASSETTE_DIR or from --simulate, not both")
    source = click.get_current_context().get_parameter_source("timing")
    if simulate is not None and source is not ParameterSource.DEFAULT:
        raise click.UsageError(
            "--timing does not apply to --simulate: a simulation's timing is in its script "
            "(ttft, interval)"
        )


def client_settings(base_url: str) -> list[tuple[str, str, str]]:
    """(environment variable, value, who reads it) that point each format's clients (every
    official SDK, and ours where it reads another variable) at a server at `base_url`."""
    # (variable, value) -> (format titles, clients), each in first-seen order.
    readers: dict[tuple[str, str], tuple[dict[str, None], dict[str, None]]] = {}
    for fmt in FORMATS:
        value = base_url + fmt.base_url_suffix
        for client, variable in [*fmt.client_base_url_env, (OUR_CLIENT, fmt.base_url_env)]:
            titles, clients = readers.setdefault((variable, value), ({}, {}))
            titles[fmt.title] = clients[client] = None
    return [
        (variable, value, f"{', '.join(titles)}: {', '.join(clients)}")
        for (variable, value), (titles, clients) in readers.items()
    ]


def announce(server: SimulatorServer, what: str, details: Sequence[str] = ()) -> None:
    """Print what is served and the variable each client reads for its base URL."""
    click.echo(f"Serving {what} at {server.base_url}")
    for line in details:
        click.echo(line)
    click.echo("Point a client at it (each reads its base URL from the variable shown):")
    settings = client_settings(server.base_url)
    width = max(len(f"{variable}={value}") for variable, value, _ in settings)
    for variable, value, readers in settings:
        click.echo(f"  {f'{variable}={value}':<{width}}  # {readers}")
    click.echo("Ctrl-C to stop.")


class _ServeCommand(click.Command):
    """`serve`, whose help ends with the keys of a scenario file (built when asked for)."""

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        from llmring_replay.simulator import builtin_scenario_names
        from llmring_replay.simulator.schema import keys_help

        super().format_epilog(ctx, formatter)
        names = ", ".join(builtin_scenario_names())
        formatter.write_paragraph()
        formatter.write_text(f"Built-in scenarios (--simulate NAME): {names}.")
        formatter.write_paragraph()
        with formatter.indentation():
            for line in keys_help(max(40, formatter.width - formatter.current_indent)).split("\n"):
                formatter.write(f"{' ' * formatter.current_indent}{line}\n" if line else "\n")


@click.command(cls=_ServeCommand)
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
    metavar="NAME|FILE",
    default=None,
    help="Answer from a scenario instead of cassettes: a built-in one by name (weather) or "
    "a YAML/JSON scenario file (keys below).",
)
@click.option(
    "--env-file",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=None,
    help="Once serving, write NAME=value lines (base URLs, placeholder keys) pointing "
    "every provider's clients here, for other processes (set -a; . FILE).",
)
@record_options
def serve(
    *,
    cassette_dir: Path | None,
    host: str,
    port: int,
    timing: str,
    simulate: str | None,
    env_file: Path | None,
    record_mode: str,
    upstreams: tuple[str, ...],
    cassette: str | None,
) -> None:
    """Serve the OpenAI, Anthropic, Gemini and Ollama APIs locally for any client.

    From the cassettes under CASSETTE_DIR (default: here): a request with the method, path
    and body of a recorded one is answered as recorded, frame by frame at --timing; any
    other gets the provider's error shape naming the closest recording. Or, with
    --simulate, from a scenario: rules that pick each answer from the request (provider,
    model, path, last user message, tool results, turn), first match wins, stateless so
    parallel clients get the same answers in any order; its timing profiles set the pace
    (--timing is for cassettes). Older simulation scripts (one script, a list answered in
    turn, {scripts: [...]}) still work. Set a client's base URL (printed at start) to use
    it: curl, the official SDKs, LLMRing (no key needed on loopback). Hidden folders,
    node_modules, __pycache__ and YAML that is not a cassette are skipped, with a note on
    stderr.

    With --record-mode once, new_episodes or all it is also a recording proxy: what the
    cassettes do not answer is forwarded to the provider (or --upstream), streamed back as
    it arrives and recorded (scrubbed) into CASSETTE_DIR/<format>.yaml, or --cassette NAME.
    The credentials a client sends are forwarded, never written.

    \b
    Example:
      llmring-replay serve cassettes/ --timing speed=2
      OPENAI_BASE_URL=http://127.0.0.1:8765/v1 python app.py
      llmring-replay serve --simulate weather --port 0 --env-file sim.env
      llmring-replay serve --simulate tests/scenario.yaml
      llmring-replay serve cassettes/ --record-mode once
    """
    _check_usage(cassette_dir, simulate)
    check_record_usage(record_mode, upstreams, cassette, simulate)
    details: list[str] = []
    # Nobody reads a long-running server's log of requests and frames: keep none of it, so
    # memory stays constant (keep_requests=0, keep_frames=0).
    if simulate is not None:
        simulator, what = _simulator(simulate)
        server = SimulatorServer(simulator, host, port, keep_requests=0, keep_frames=0)
    else:
        directory = cassette_dir or Path(".")
        recording = record_mode != "none"
        responder, what = _responder(directory, timing, allow_empty=recording)
        if recording:
            proxy, details = recording_proxy(responder, directory, record_mode, upstreams, cassette)
            server = SimulatorServer(
                host=host, port=port, responder=proxy, keep_requests=0, keep_frames=0
            )
        else:
            server = SimulatorServer(
                host=host, port=port, responder=responder, keep_requests=0, keep_frames=0
            )
    if not is_loopback(host):
        click.echo(
            f"Warning: {host} is not loopback: others on the network can reach this", err=True
        )

    def ready(running: SimulatorServer) -> None:
        if env_file is not None:
            _write_env_file(env_file, running)
        announce(running, what, details)

    try:
        server.serve_forever(on_ready=ready)
    except OSError as exc:
        raise click.ClickException(f"cannot serve on {host}:{port}: {exc.strerror or exc}") from exc
    click.echo("Stopped.")
