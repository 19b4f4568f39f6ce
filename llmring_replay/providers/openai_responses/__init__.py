"""OpenAI Responses API (`POST /v1/responses`): OpenAI's newer API, the second one it speaks.

Chosen per client with `ring.register_provider("openai", ..., api="responses")` or the
environment variable `LLMRING_OPENAI_API=responses`; Chat Completions stays the default.

`codec`: request building, stream and response decoding (typed events), error description;
`render`: the responses the simulator and faults send; `rebuild`: the inverse of request
building (`lint --drift`); `conversation`: the conversation of a request body (scenarios).
"""

from __future__ import annotations

import re

from llmring_replay.providers.format import Format

FORMAT = Format(
    name="openai_responses",
    provider="openai",
    title="OpenAI Responses",
    package=__name__,
    codec_name="OpenAIResponsesCodec",
    framing="sse",
    api_key_env=("OPENAI_API_KEY",),
    base_url_env="OPENAI_BASE_URL",
    default_base_url="https://api.openai.com/v1",
    default_model="gpt-4o-mini",
    hosts=("api.openai.com",),
    path_pattern=re.compile(r"/responses$"),
    base_url_suffix="/v1",
    default_for_provider=False,
    client_base_url_env=(("openai SDK", "OPENAI_BASE_URL"),),
    endpoints=("/v1/responses",),
)
