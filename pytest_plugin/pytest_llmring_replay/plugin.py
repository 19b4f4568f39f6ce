"""pytest wiring for llmring-replay (fixtures come with the plugin issue)."""

from __future__ import annotations
