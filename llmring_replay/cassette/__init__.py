"""Cassettes: the model, YAML in and out, foreign formats, secret scrubbing, request matching.

```python
from llmring_replay.cassette import Cassette, Matcher

cassette = Cassette.load("cassettes/chat.yaml")    # ours, vcrpy, go-vcr, Ruby VCR, httprr
matcher = Matcher(cassette, ignore_paths=["metadata"])
index = matcher.match("POST", url, body)          # CassetteMatchError on a miss
for offset, frame in cassette.interactions[index].response.frames():
    ...                                            # seconds from request sent, raw bytes
matcher.assert_all_played()                        # CassetteUnplayedError if some were not
cassette.save()                                    # scrubbed, guarded, locked, atomic
```

Where to look: the model and its timing in `model`; the file format in `schema`; the safe
YAML loader in `yamlio` and the exact dumper and atomic write in `writer`; the foreign
flavours `load` recognises in `importers` (shared normalisation in `normalize`); the parse
cache in `cache`; the secret rules in `scrub`; the matching rules in `match` (canonical
forms in `canonical`, the closest interaction to a miss in `closest`). Writing: `store`
(record, finish, save and the merge of concurrent writers), the recording journal in
`journal`, folding it into the file in `compact`, the file lock in `locking`.
"""

from __future__ import annotations

from llmring_replay.cassette.match import MATCH_ON, Matcher, canonical_body, canonical_url
from llmring_replay.cassette.model import (
    FORMAT_VERSION,
    SYNTHESIZED_INTERVAL,
    SYNTHESIZED_TTFT,
    Cassette,
    Interaction,
    InteractionSummary,
    Provenance,
    RecordedRequest,
    RecordedResponse,
)
from llmring_replay.cassette.normalize import header_dict
from llmring_replay.cassette.scrub import (
    CREDENTIAL_HEADERS,
    KEY_ENV_VARS,
    SecretMatch,
    find_secret,
    guard_document,
    scrub_headers,
    scrub_interaction,
    scrub_url,
)

__all__ = [
    "CREDENTIAL_HEADERS",
    "Cassette",
    "FORMAT_VERSION",
    "Interaction",
    "InteractionSummary",
    "KEY_ENV_VARS",
    "MATCH_ON",
    "Matcher",
    "Provenance",
    "RecordedRequest",
    "RecordedResponse",
    "SYNTHESIZED_INTERVAL",
    "SYNTHESIZED_TTFT",
    "SecretMatch",
    "canonical_body",
    "canonical_url",
    "find_secret",
    "guard_document",
    "header_dict",
    "scrub_headers",
    "scrub_interaction",
    "scrub_url",
]
