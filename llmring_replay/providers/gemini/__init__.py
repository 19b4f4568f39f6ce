"""Google Gemini (`POST /v1beta/models/{model}:streamGenerateContent?alt=sse`, and `/v1`).

`codec`: request building, stream and response decoding, error description; `render`: the
responses the simulator and faults send.
"""

from __future__ import annotations

import re

from llmring_replay.providers.format import Format

FORMAT = Format(
    name="gemini",
    provider="google",
    title="Google Gemini",
    package=__name__,
    codec_name="GoogleCodec",
    framing="sse",
    api_key_env=("GEMINI_API_KEY", "GOOGLE_API_KEY"),
    base_url_env="GOOGLE_GEMINI_BASE_URL",
    default_base_url="https://generativelanguage.googleapis.com",
    default_model="gemini-2.5-flash",
    hosts=("generativelanguage.googleapis.com",),
    path_pattern=re.compile(r"/models/[^/:]+:(?:stream)?generateContent$", re.I),
    client_base_url_env=(("google-genai SDK", "GOOGLE_GEMINI_BASE_URL"),),
    # The SDKs call `/v1beta` by default and `/v1` when asked for the stable API version.
    endpoints=tuple(
        f"/{version}/models/{{model}}:{method}"
        for version in ("v1beta", "v1")
        for method in ("streamGenerateContent", "generateContent")
    ),
    stream_path=re.compile(r":streamGenerateContent$"),
    stream_query=("alt", "sse"),
)
