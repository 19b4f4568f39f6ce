"""An app's test on the ollama SDK, unchanged: the client is built as the app builds it."""

import pytest
from ollama import Client


@pytest.mark.usefixtures("llm_cassette")  # the one line added: the cassette answers
def test_ollama_greets():
    with Client() as client:
        stream = client.chat(
            model="llama3.2", messages=[{"role": "user", "content": "Hello"}], stream=True
        )
        text = "".join(chunk.message.content or "" for chunk in stream)
    assert text == "Hi there! How can I help you today?"
