"""Ollama (`POST /api/chat`, NDJSON): the codec and the response renderer."""
