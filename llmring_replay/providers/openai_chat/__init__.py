"""OpenAI Chat Completions (`POST /v1/chat/completions`): the codec and the response renderer."""
