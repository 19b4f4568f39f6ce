"""Ollama (`POST /api/chat`, NDJSON).

`codec`: request building, stream and response decoding, error description; `render`: the
responses the simulator and faults send.
"""

from __future__ import annotations

import re

from llmring_replay.providers.format import Format

FORMAT = Format(
    name="ollama",
    provider="ollama",
    title="Ollama",
    package=__name__,
    codec_name="OllamaCodec",
    framing="ndjson",
    api_key_env=("OLLAMA_API_KEY",),
    base_url_env="OLLAMA_BASE_URL",
    default_base_url="http://localhost:11434",
    default_model="llama3.2",
    hosts=("ollama.com",),
    path_pattern=re.compile(r"/api/(?:chat|generate)$"),
    key_optional=True,
    # The ollama SDK reads OLLAMA_HOST, not our OLLAMA_BASE_URL.
    client_base_url_env=(("ollama SDK", "OLLAMA_HOST"),),
    endpoints=("/api/chat",),
    streams_by_default=True,
)
