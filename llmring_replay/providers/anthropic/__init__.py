"""Anthropic Messages (`POST /v1/messages`): the codec, its request builder, the renderer."""
