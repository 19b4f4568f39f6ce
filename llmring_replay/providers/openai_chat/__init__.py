"""OpenAI Chat Completions (`POST /v1/chat/completions`).

`codec`: request building, stream and response decoding, error description; `render`: the
responses the simulator and faults send.
"""

from __future__ import annotations

import re

from llmring_replay.providers.format import Format

FORMAT = Format(
    name="openai_chat",
    provider="openai",
    title="OpenAI Chat Completions",
    package=__name__,
    codec_name="OpenAICodec",
    framing="sse",
    api_key_env=("OPENAI_API_KEY",),
    base_url_env="OPENAI_BASE_URL",
    default_base_url="https://api.openai.com/v1",
    default_model="gpt-4o-mini",
    hosts=("api.openai.com",),
    path_pattern=re.compile(r"/chat/completions$"),
    base_url_suffix="/v1",
    client_base_url_env=(("openai SDK", "OPENAI_BASE_URL"),),
    endpoints=("/v1/chat/completions",),
)
