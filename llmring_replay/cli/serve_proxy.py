"""The recording proxy behind `llmring-replay serve CASSETTE_DIR --record-mode MODE`.

A request the cassettes answer is replayed, as plain `serve` does. One they do not answer is
forwarded to the provider's API (or the `--upstream` given), and the answer is streamed to the
client piece by piece as it arrives (nothing is buffered) while `RecordingTransport` records
it frame by frame with its timing, scrubs it and saves its cassette atomically. The client's
credentials are forwarded upstream and never written (see `llmring_replay.cassette.scrub`).

Where recordings go: one cassette per wire format, `CASSETTE_DIR/<format>.yaml`
(`openai_chat.yaml`, `anthropic.yaml`, `gemini.yaml`, `ollama.yaml`), or every one in
`CASSETTE_DIR/NAME.yaml` with `--cassette NAME`. Replay reads every cassette under
CASSETTE_DIR, so what was recorded is answered on the next run.

Record modes, with vcrpy's meanings applied to each of those files:

| mode           | a request the cassettes answer | any other request                          |
|----------------|--------------------------------|--------------------------------------------|
| `none`         | replayed                       | the provider's error, naming the closest   |
| `once`         | replayed                       | recorded if its file did not exist at start |
| `new_episodes` | replayed                       | recorded; a repeat replays it              |
| `all`          | recorded (file replaced)       | recorded                                   |

Upstreams: `--upstream URL` is a server root that speaks every format at the usual paths
(another `serve`, a gateway, the simulator), `--upstream PROVIDER=URL` the base URL the
provider's SDK would use (OpenAI's ends in `/v1`); unnamed formats go to their public API.
"""

from __future__ import annotations

import re
from collections.abc import AsyncGenerator, Callable, Iterable, Mapping
from pathlib import Path

import httpx

from llmring_replay.cassette import Cassette
from llmring_replay.cassette.scrub import CREDENTIAL_HEADERS, SECRET_QUERY_PARAMS
from llmring_replay.cli.files import display
from llmring_replay.cli.serve_cassettes import CassetteResponder, error_reply
from llmring_replay.providers.registry import FORMATS, Format, recognize
from llmring_replay.simulator.routes import ReceivedRequest, Reply
from llmring_replay.transports import RecordingTransport, RecordMode

__all__ = ["ProxyResponder", "parse_upstreams", "recording_file"]

# Hop-by-hop headers (RFC 9110 7.6.1) and those the next hop frames anew.
_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
    }
)
# No read timeout: a model may think for minutes between two frames; the client has its own.
_TIMEOUT = {"connect": 30.0, "read": None, "write": 30.0, "pool": 30.0}
_NAMED = re.compile(r"^(?P<name>[A-Za-z][A-Za-z0-9_]*)=(?P<url>.+)$")


def _checked_url(url: str, given: str) -> str:
    if not re.match(r"^https?://[^/]", url):
        raise ValueError(f"--upstream {given}: not an http(s) URL")
    return url.rstrip("/")


def parse_upstreams(values: Iterable[str]) -> dict[str, str]:
    """Format name -> upstream base URL, from `--upstream` values (see the module docstring).

    Raises `ValueError` saying which value is wrong and why.
    """
    bases = {fmt.name: fmt.default_base_url for fmt in FORMATS}
    named: dict[str, str] = {}
    for value in values:
        match = _NAMED.match(value)
        if match is None:  # a server root for every format
            root = _checked_url(value, value)
            bases.update({fmt.name: root + fmt.base_url_suffix for fmt in FORMATS})
            continue
        chosen = [f for f in FORMATS if match["name"] in (f.name, f.provider)]
        if not chosen:
            known = ", ".join(dict.fromkeys(name for f in FORMATS for name in (f.provider, f.name)))
            raise ValueError(f"--upstream {value}: unknown provider {match['name']!r} ({known})")
        named.update(dict.fromkeys((f.name for f in chosen), _checked_url(match["url"], value)))
    return {**bases, **named}


def recording_file(directory: Path, fmt: Format, cassette: str | None = None) -> Path:
    """The cassette a request of `fmt` is recorded into (see the module docstring)."""
    if cassette is None:
        return directory / f"{fmt.name}.yaml"
    return directory / (cassette if cassette.endswith((".yaml", ".yml")) else f"{cassette}.yaml")


def _upstream_url(base: str, fmt: Format, target: str) -> str:
    # Our clients' base URL carries the format's suffix (`/v1`); the upstream's has its own.
    suffix = fmt.base_url_suffix
    if suffix and (target.startswith(f"{suffix}/") or target.startswith(f"{suffix}?")):
        target = target[len(suffix) :]
    return base + target


def _credentials(request: ReceivedRequest) -> list[str]:
    """The secret values a request carries, to be redacted wherever they would be written."""
    values = [
        value.split(" ", 1)[-1].strip()  # `Bearer sk-...`
        for name, value in request.headers.items()
        if name.lower() in CREDENTIAL_HEADERS
    ]
    values += [v for k, v in request.query.items() if k.strip().lower() in SECRET_QUERY_PARAMS]
    return values


async def _relay(response: httpx.Response) -> AsyncGenerator[bytes, None]:
    """The upstream body as it arrives; a failure mid-body cuts the client's connection too."""
    try:
        async for piece in response.aiter_raw():
            yield piece
    except httpx.HTTPError as exc:
        # Ending normally would tell the client the answer was complete.
        raise ConnectionAbortedError(f"upstream failed mid-answer: {exc}") from exc
    finally:
        await response.aclose()


class ProxyResponder:
    """Answers `SimulatorServer` requests from `replay`, recording the rest (module docstring).

    `upstreams` maps format names to base URLs (`parse_upstreams`); `on_recorded(path,
    index)` is called after each interaction is saved.
    """

    def __init__(
        self,
        replay: CassetteResponder,
        directory: Path,
        mode: RecordMode | str,
        upstreams: Mapping[str, str] | None = None,
        *,
        cassette: str | None = None,
        on_recorded: Callable[[Path, int], None] | None = None,
    ) -> None:
        self.replay = replay
        self.directory = directory
        self.mode = RecordMode(mode)
        self.upstreams = dict(upstreams or parse_upstreams(()))
        self.cassette = cassette
        self.on_recorded = on_recorded
        targets = {recording_file(directory, fmt, cassette) for fmt in FORMATS}
        # `once` records only into files that did not exist when serving began.
        self._existed = {path for path in targets if path.exists()}
        self._recorders: dict[Path, RecordingTransport] = {}

    async def __call__(self, request: ReceivedRequest) -> Reply:
        if self.mode is not RecordMode.ALL:
            found = self.replay.lookup(request)
            if found is not None:
                return self.replay.reply_for(found)
        fmt = recognize(request.path)
        if fmt is None:
            return self.replay.miss(request, note="not a provider API path: nothing to record")
        path = recording_file(self.directory, fmt, self.cassette)
        if self.mode is RecordMode.NONE or (self.mode is RecordMode.ONCE and path in self._existed):
            note = f"record mode {self.mode.value}: {display(path)} existed at start"
            return self.replay.miss(request, note=note if self.mode is RecordMode.ONCE else None)
        return await self._forward(request, fmt, path)

    def _recorder(self, path: Path) -> RecordingTransport:
        recorder = self._recorders.get(path)
        if recorder is None:
            keep = path.exists() and self.mode is not RecordMode.ALL  # `all` replaces the file
            # ... once the recording is complete (on close): until then the old one stays.
            rerecord = self.mode is RecordMode.ALL
            cassette = Cassette.load(path) if keep else Cassette(path=path, rerecord=rerecord)

            def recorded(index: int) -> None:
                if self.mode is RecordMode.NEW_EPISODES:
                    self.replay.add(cassette, index)
                if self.on_recorded is not None:
                    self.on_recorded(path, index)

            recorder = RecordingTransport(
                cassette, httpx.AsyncHTTPTransport(), on_recorded=recorded
            )
            self._recorders[path] = recorder
        return recorder

    async def _forward(self, request: ReceivedRequest, fmt: Format, path: Path) -> Reply:
        recorder = self._recorder(path)
        secrets = [s for s in _credentials(request) if s not in recorder.secrets]
        recorder.secrets += tuple(secrets)
        url = _upstream_url(self.upstreams[fmt.name], fmt, request.target or request.path)
        outgoing = httpx.Request(
            request.method,
            url,
            headers=[(k, v) for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP],
            content=request.content,
            extensions={"timeout": _TIMEOUT},
        )
        try:
            response = await recorder.handle_async_request(outgoing)
        except httpx.HTTPError as exc:
            shown = url.split("?", 1)[0]
            text = f"llmring-replay serve: upstream {shown} failed: {exc or type(exc).__name__}"
            return error_reply(request, 502, text)
        headers = {
            name: value
            for name, value in response.headers.items()
            if name.lower() not in _HOP_BY_HOP
        }
        return Reply(response.status_code, headers, [], [], streamed=True, live=_relay(response))

    async def aclose(self) -> None:
        """Finish recordings still streaming and close the upstream connections."""
        for recorder in self._recorders.values():
            await recorder.aclose()
