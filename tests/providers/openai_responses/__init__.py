"""Tests of one wire format's folder, `llmring_replay/providers/openai_responses/`."""
