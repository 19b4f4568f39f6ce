"""Anthropic Messages (`POST /v1/messages`).

`codec`: stream and response decoding, error description; `request`: the request body;
`render`: the responses the simulator and faults send.
"""

from __future__ import annotations

import re

from llmring_replay.providers.format import Format

FORMAT = Format(
    name="anthropic",
    provider="anthropic",
    title="Anthropic Messages",
    package=__name__,
    codec_name="AnthropicCodec",
    framing="sse",
    api_key_env=("ANTHROPIC_API_KEY",),
    base_url_env="ANTHROPIC_BASE_URL",
    default_base_url="https://api.anthropic.com",
    default_model="claude-3-5-haiku-20241022",
    hosts=("api.anthropic.com",),
    path_pattern=re.compile(r"/v1/messages$"),
    client_base_url_env=(("anthropic SDK", "ANTHROPIC_BASE_URL"),),
    endpoints=("/v1/messages",),
)
