"""Google Gemini (`:streamGenerateContent?alt=sse`): the codec and the response renderer."""
