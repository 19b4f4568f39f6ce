"""pytest plugin for llmring-replay: cassette-backed `LLMRing` fixtures and stream snapshots."""
