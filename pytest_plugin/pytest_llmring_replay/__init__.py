"""pytest plugin for llmring-replay: cassette-backed `LLMRing` fixtures and stream snapshots.

Installed with llmring-replay (entry point `pytest11`); nothing to enable.

```python
import pytest
from llmring_replay import LLMRequest, Message

@pytest.mark.llm_cassette(providers=["openai", "anthropic", "google", "ollama"])
async def test_greeting(llmring, llm_model, stream_snapshot):
    request = LLMRequest(model=llm_model, messages=[Message(role="user", content="Say hi")])
    chunks = [chunk async for chunk in llmring.chat_stream(request)]
    assert chunks[-1].finish_reason == "stop"
    assert chunks == stream_snapshot
```

Record once with real keys (`pytest --llm-record-mode=once --snapshot-update`), commit
`cassettes/` and `__snapshots__/`, and every later run (`--llm-record-mode=none`, the
default) is offline: no key, no network.

Fixtures:

- `llmring`: an `LLMRing` whose transport records or replays the test's cassette; use it
  directly or as `async with llmring:`. In replay every provider is registered with a
  placeholder key. It is closed after the test (with the cassette's transport, on the loop
  it ran on), which then fails if recorded interactions were not played, or, when
  recording, if a request that went out was not recorded.
- `llm_cassette`: the cassette in use (`LLMCassette`: `path`, `interactions`, `played`,
  `unplayed`, `recording`, and `transport` for other httpx clients, e.g. an SDK's). While
  it only replays, every provider key variable that is unset holds a placeholder for the
  test, so the official SDKs start with no key (`OpenAI()`); recording needs real keys,
  except from a server on this machine.
- `llm_provider` / `llm_model`: the provider and `provider:model` of a cross-provider test.
- `stream_snapshot`: syrupy's `snapshot` storing normalized transcripts of `StreamChunk`
  lists; `stream_snapshot(exact=True)` keeps every chunk.
- `llm_simulator`: the simulator serving the test's scenario (marker `llm_scenario(...)`,
  ini `llm_scenario`, `--llm-scenario`), every provider's base URL and a placeholder key
  pointing at it. When a scenario is set and the record mode allows, `llm_cassette` records
  from it: `pytest --llm-record-mode=once --llm-scenario=weather` needs no key.

Marker `@pytest.mark.llm_cassette(name=None, *, timing="instant", match_on=None,
ignore_paths=(), allow_repeats=False, allow_unplayed=False, faults=(), providers=None,
models=None)`: `providers` runs the test once per provider, each with its own cassette, and
`models={"openai": "gpt-4o", ...}` overrides the default model per provider.

`timing` is a string form (`"speed=2"`) or a `llmring_replay.timing.Timing` (`Speed(2)`).
`providers` in a class or module marker multiplies only the tests that use `llm_provider`,
`llm_model`, `llm_cassette` or `llmring`; the others run once.

Options: `--llm-record-mode {none,once,new_episodes,all}` (default `none`), `--llm-timing`
(checked at start-up: a bad one is a usage error), `--llm-scenario NAME|FILE|off`; ini:
`llm_cassette_dir` (default `cassettes`, beside each test file), `llm_timing`,
`llm_scenario`.
Precedence: command line > marker > ini. Safety: in replay a missing cassette fails the test
with the command that records it, and connections off the machine are blocked (loopback and
`0.0.0.0` stay open, for local servers such as the simulator).

Where things are: settings and paths in `config`, the per-test cassette and its checks in
`cassette`, what failures say in `messages`, host-agnostic replay and the counted live
transport in `transport`, the network guard in `network`, placeholder keys in `keys`,
transcripts in `transcript`, the syrupy extensions in `snapshot`; `plugin` only wires them
to pytest.
"""
