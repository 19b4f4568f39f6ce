"""An app's test on the google-genai SDK, unchanged: the client is built as the app builds it."""

import pytest
from google import genai


@pytest.mark.usefixtures("llm_cassette")  # the one line added: the cassette answers
def test_gemini_greets():
    with genai.Client() as client:
        chunks = client.models.generate_content_stream(model="gemini-2.5-flash", contents="Hello")
        text = "".join(chunk.text or "" for chunk in chunks)
    assert text == "Hi there! How can I help you today?"
