"""Every real recording in ../shared/conformance/originals imports, matching its cases.

Skipped when the corpus is absent. The originals are only read, never copied into the
project. Each must load; the number of interactions must equal the recorder's own count; each
case's response body (`body`, or `body_base64`, gunzipped when the case says gzip) must equal
ours byte for byte; and the imported cassette must survive our save and load unchanged (which
also proves the secret guard does not fire on real traffic).
"""

from __future__ import annotations

import base64
import collections
import gzip
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from llmring_replay.cassette import Cassette
from tests.support import CONFORMANCE

CORPUS = CONFORMANCE
ORIGINALS = sorted((CORPUS / "originals").glob("*/*")) if CORPUS.is_dir() else []

pytestmark = pytest.mark.skipif(not ORIGINALS, reason=f"no conformance corpus at {CORPUS}")


def _cases() -> dict[str, dict[int, dict[str, Any]]]:
    cases: dict[str, dict[int, dict[str, Any]]] = collections.defaultdict(dict)
    for path in sorted((CORPUS / "cases").glob("*/*.json")):
        case = json.loads(path.read_text(encoding="utf-8"))
        source, _, index = case["source"].rpartition(" interaction ")
        cases[source][int(index)] = case
    return cases


CASES = _cases() if ORIGINALS else {}


class _AnyTagLoader(yaml.SafeLoader):
    """A counting-only loader: every unknown tag becomes None (it is never constructed)."""


_AnyTagLoader.add_multi_constructor("", lambda loader, suffix, node: None)


def _recorded_count(path: Path) -> int:
    """How many interactions the recorder wrote, read without our code."""
    data = path.read_bytes()
    if data.startswith(b"httprr trace v1\n"):
        count, position = 0, len(b"httprr trace v1\n")
        while position < len(data):
            end = data.index(b"\n", position)
            request, response = map(int, data[position:end].split())
            position = end + 1 + request + response
            count += 1
        return count
    document = yaml.load(data, Loader=_AnyTagLoader)
    return len(document.get("interactions") or document.get("http_interactions"))


def _expected_body(response: dict[str, Any]) -> bytes:
    if "body_base64" not in response:
        return str(response["body"]).encode("utf-8")
    body = base64.b64decode(response["body_base64"])
    if response["headers"].get("content-encoding") == "gzip":
        body = gzip.decompress(body)  # cases keep the gzip bytes; we store decompressed
    return body


@pytest.mark.parametrize("path", ORIGINALS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_original_imports_like_its_cases(path: Path, tmp_path: Path) -> None:
    cassette = Cassette.load(path)
    assert len(cassette.interactions) == _recorded_count(path)
    assert cassette.provenance.imported_from in {"vcrpy", "go-vcr", "ruby-vcr", "httprr"}
    assert all(item.timing_synthesized for item in cassette.interactions)
    relative = str(path.relative_to(CORPUS))
    for index, case in CASES.get(relative, {}).items():
        item = cassette.interactions[index]
        assert item.response.body == _expected_body(case["response"]), index
        assert item.response.status == case["response"]["status"]
        assert (item.request.method, item.request.uri) == (
            case["request"]["method"],
            case["request"]["url"],
        )
        assert json.loads(item.request.body or b"null") == case["request"]["body"]
        assert item.provider == case["provider"]
    cassette.save(tmp_path / "imported.yaml")
    assert Cassette.load(tmp_path / "imported.yaml") == cassette


def test_every_case_points_at_an_original() -> None:
    for source in CASES:
        assert (CORPUS / source).is_file(), source
