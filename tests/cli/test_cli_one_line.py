"""Every error the CLI prints is one line that keeps the detail: YAML, pydantic, encodings."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from pydantic import BaseModel, ValidationError

from llmring_replay.cli import main
from llmring_replay.cli.errors import error_text, one_line

# Invalid UTF-8 in a YAML file: PyYAML says what and where on two lines, with no line number.
BAD_BYTES = b"interactions: []\n# \xff\xfe\n"
ENCODING_ERROR = (
    'not valid YAML: unacceptable character #x00ff: invalid leading UTF-8 octet / in "<byte '
    'string>", position 19'
)


class Inner(BaseModel):
    ttft: float


class Outer(BaseModel):
    scripts: list[Inner]


def validation_error(data: object) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        Outer.model_validate(data)
    return info.value


def test_one_line_joins_the_lines_it_keeps() -> None:
    assert one_line("first\n  in <file>, line 2\n\n") == "first / in <file>, line 2"


def test_a_validation_error_names_each_field() -> None:
    error = validation_error({"scripts": [{"ttft": "soon"}]})
    assert error_text(error) == (
        "scripts[0].ttft: Input should be a valid number, unable to parse string as a number"
    )


def test_many_validation_errors_are_counted_not_listed() -> None:
    error = validation_error({"scripts": [{"ttft": "x"}] * 5})
    text = error_text(error)
    assert text.count("Input should be a valid number") == 3
    assert text.endswith("; (and 2 more)")


def test_a_yaml_error_says_its_line_and_context() -> None:
    with pytest.raises(yaml.YAMLError) as info:
        yaml.safe_load("a: 1\nb: [1, 2\n")
    assert error_text(info.value) == (
        "line 3, column 1: while parsing a flow sequence: expected ',' or ']', but got "
        "'<stream end>'"
    )


def test_show_of_a_badly_encoded_file_is_one_line(runner: CliRunner) -> None:
    Path("c.yaml").write_bytes(BAD_BYTES)
    result = runner.invoke(main, ["show", "c.yaml"])
    assert result.exit_code == 1
    assert result.output == f"Error: c.yaml: {ENCODING_ERROR}\n"


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["ls", "c"], f"c/bad.yaml  ERROR {ENCODING_ERROR}"),
        (["lint", "c"], f"c/bad.yaml: {ENCODING_ERROR}"),
        (["import", "c", "-o", "out"], f"Error: c/bad.yaml: {ENCODING_ERROR}"),
    ],
)
def test_listings_give_a_badly_encoded_file_one_line(
    runner: CliRunner, args: list[str], line: str
) -> None:
    Path("c").mkdir()
    Path("c/bad.yaml").write_bytes(BAD_BYTES)
    result = runner.invoke(main, args)
    assert result.exit_code == 1
    assert line in result.output.splitlines()
    assert "line ?" not in result.output
    assert len(result.output.splitlines()) == 2  # the file's line, then the summary
