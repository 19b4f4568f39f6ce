"""OpenAI Responses API (`POST /v1/responses`): OpenAI's newer API, the second one it speaks.

Chosen per client with `ring.register_provider("openai", ..., api="responses")` or the
environment variable `LLMRING_OPENAI_API=responses`; Chat Completions stays the default.

`codec`: request building, stream and response decoding (typed events), error description;
`render`: the responses the simulator and faults send; `rebuild`: the inverse of request
building (`lint --drift`); `conversation`: the conversation of a request body (scenarios).
"""

from __future__ import annotations

import re
from dataclasses import replace

from llmring_replay.providers.openai_chat import FORMAT as CHAT

# The same provider as Chat Completions (keys, base URL, hosts, default model, the SDK's
# variable): only what differs between the two APIs is said here.
FORMAT = replace(
    CHAT,
    name="openai_responses",
    title="OpenAI Responses",
    package=__name__,
    codec_name="OpenAIResponsesCodec",
    path_pattern=re.compile(r"/responses$"),
    default_for_provider=False,
    endpoints=("/v1/responses",),
)
