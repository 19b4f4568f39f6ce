"""`import`: foreign recorders' cassettes into ours, scrubbed, with synthesized timing."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from llmring_replay.cassette import Cassette
from llmring_replay.cli import main
from llmring_replay.cli.importer import IMPORT_SUFFIXES, output_name

ORIGINALS = Path("/work/shared/conformance/originals")

# As vcrpy / pytest-recording write it: body as a plain string, credentials left in.
VCRPY = textwrap.dedent(
    """\
    interactions:
    - request:
        body: '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}],"stream":true}'
        headers:
          Authorization:
          - Bearer not-a-real-key-but-a-credential
          Content-Type:
          - application/json
        method: POST
        uri: https://api.openai.com/v1/chat/completions
      response:
        body:
          string: 'data: {"model":"gpt-4o-mini","choices":[{"index":0,
            "delta":{"content":"Hi"},"finish_reason":"stop"}]}


            data: [DONE]


            '
        headers:
          Content-Type:
          - text/event-stream
        status:
          code: 200
          message: OK
    version: 1
    """
)

# As pydantic-ai's cassettes hold JSON bodies: parsed, under `parsed_body`.
PYDANTIC_AI = textwrap.dedent(
    """\
    interactions:
    - request:
        headers:
          content-type:
          - application/json
        method: POST
        parsed_body:
          model: claude-3-5-haiku-20241022
          max_tokens: 64
          messages:
          - role: user
            content: Hi
        uri: https://api.anthropic.com/v1/messages
      response:
        headers:
          content-type:
          - application/json
        parsed_body:
          id: msg_1
          type: message
          role: assistant
          model: claude-3-5-haiku-20241022
          content:
          - type: text
            text: Hello!
          stop_reason: end_turn
          usage: {input_tokens: 8, output_tokens: 2}
        status:
          code: 200
          message: OK
    version: 1
    """
)


def run_import(runner: CliRunner, *sources: str, out: str = "out") -> Result:
    return runner.invoke(main, ["import", *sources, "-o", out])


def test_a_vcrpy_cassette_becomes_ours_scrubbed_with_timing_synthesized(
    runner: CliRunner,
) -> None:
    Path("chat.yaml").write_text(VCRPY)
    result = run_import(runner, "chat.yaml")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "chat.yaml -> out/chat.yaml (vcrpy, 1 interaction, timing synthesized)",
        "Imported 1 of 1 files into out",
    ]
    text = Path("out/chat.yaml").read_text()
    assert "imported_from: vcrpy" in text
    assert "timing: synthesized" in text
    assert "not-a-real-key" not in text and "authorization" not in text.lower()
    cassette = Cassette.load("out/chat.yaml")
    assert cassette.provenance.imported_from == "vcrpy"
    [interaction] = cassette.interactions
    assert interaction.timing_synthesized
    assert (interaction.provider, interaction.model) == ("openai", "gpt-4o-mini")
    # And it plays: the CLI's own replay reads what the import wrote.
    replayed = runner.invoke(main, ["replay", "out/chat.yaml", "--timing", "instant"])
    assert replayed.stdout.splitlines()[0] == "Hi"


def test_a_pydantic_ai_cassette_with_parsed_bodies(runner: CliRunner) -> None:
    Path("pydantic.yml").write_text(PYDANTIC_AI)
    result = run_import(runner, "pydantic.yml")
    assert result.exit_code == 0, result.output
    [interaction] = Cassette.load("out/pydantic.yaml").interactions
    assert interaction.provider == "anthropic"
    assert b'"max_tokens":64' in (interaction.request.body or b"")
    shown = runner.invoke(main, ["show", "out/pydantic.yaml"])
    assert "end_turn" not in shown.stdout and " stop" in shown.stdout


def test_a_file_that_cannot_be_imported_does_not_stop_the_others(runner: CliRunner) -> None:
    Path("a.yaml").write_text(VCRPY)
    Path("broken.yaml").write_text("interactions: [\n")
    Path("c.yml").write_text(PYDANTIC_AI)
    result = run_import(runner, "a.yaml", "broken.yaml", "c.yml")
    assert result.exit_code == 1
    assert sorted(p.name for p in Path("out").glob("[!.]*")) == ["a.yaml", "c.yaml"]
    errors = result.stderr.strip().splitlines()
    assert errors[0].startswith("Error: broken.yaml: line 2: not valid YAML")
    assert errors[1] == "Imported 2 of 3 files into out (1 failed)"


def test_a_key_shaped_string_is_refused_not_written(runner: CliRunner) -> None:
    key = "sk-proj-" + "Ab3dE6gH9" * 5
    Path("leaky.yaml").write_text(VCRPY.replace('"content":"Hi"}]', f'"content":"{key}"}}]'))
    result = run_import(runner, "leaky.yaml")
    assert result.exit_code == 1
    assert "shaped like an API key" in result.stderr and key not in result.output
    assert not Path("out/leaky.yaml").exists()


def test_two_sources_with_one_name_do_not_overwrite_each_other(runner: CliRunner) -> None:
    for folder in ("a", "b"):
        Path(folder).mkdir()
        Path(folder, "chat.yaml").write_text(VCRPY)
    result = run_import(runner, "a", "b")
    assert result.exit_code == 1
    assert "out/chat.yaml was already written from a/chat.yaml" in result.stderr
    assert Cassette.load("out/chat.yaml").interactions


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("chat.yaml", "chat.yaml"),
        ("chat.yml", "chat.yaml"),
        ("trace.httprr.txt", "trace.yaml"),
        ("v1.2.json", "v1.2.yaml"),
        (".yaml", ".yaml.yaml"),
    ],
)
def test_output_names_keep_the_stem(name: str, expected: str) -> None:
    assert output_name(Path(name)) == expected


@pytest.mark.skipif(not ORIGINALS.is_dir(), reason="no conformance originals here")
def test_every_conformance_original_imports(runner: CliRunner) -> None:
    sources = sorted(p for p in ORIGINALS.rglob("*") if p.suffix in IMPORT_SUFFIXES)
    result = run_import(runner, str(ORIGINALS))
    assert result.exit_code == 0, result.stderr
    written = sorted(Path("out").glob("[!.]*"))  # not the lock files beside them
    assert len(written) == len(sources)
    flavours = set()
    for path in written:
        cassette = Cassette.load(path)
        flavours.add(cassette.provenance.imported_from)
        assert all(item.timing_synthesized for item in cassette.interactions), path
    assert {"vcrpy", "httprr"} <= flavours
