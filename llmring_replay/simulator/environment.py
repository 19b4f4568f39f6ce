"""The environment that points every provider's clients at a local server.

For each wire format (`providers.registry`): its base URL variable (`OPENAI_BASE_URL`, ...,
with the format's suffix such as `/v1`), the variables the official SDKs read where they
differ (`OLLAMA_HOST`), and, where a key is required, a placeholder key in its first key
variable, since the SDKs refuse to start without one (the simulator checks no key; `LLMRing`
needs none for a local base URL). The pytest plugin sets these for a test; `serve
--env-file` writes them for other processes.
"""

from __future__ import annotations

from llmring_replay.providers.registry import FORMATS
from llmring_replay.service import PLACEHOLDER_KEY

__all__ = ["client_environment", "key_variables"]


def client_environment(base_url: str) -> dict[str, str]:
    """Variable -> value pointing every format's clients at `base_url` (`http://host:port`)."""
    env: dict[str, str] = {}
    for fmt in FORMATS:  # the provider's default format first: its suffix wins
        url = f"{base_url}{fmt.base_url_suffix}"
        env.setdefault(fmt.base_url_env, url)
        for _client, variable in fmt.client_base_url_env:
            env.setdefault(variable, url)
        if fmt.api_key_env and not fmt.key_optional:
            env.setdefault(fmt.api_key_env[0], PLACEHOLDER_KEY)
    return env


def key_variables() -> set[str]:
    """Every variable any format reads a key from (a test unsets those it does not set)."""
    return {variable for fmt in FORMATS for variable in fmt.api_key_env}
