"""An app's test on the openai SDK, unchanged: the client is built as the app builds it."""

import pytest
from openai import OpenAI


@pytest.mark.usefixtures("llm_cassette")  # the one line added: the cassette answers
def test_openai_greets():
    with OpenAI() as client:
        stream = client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "Hello"}], stream=True
        )
        text = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
    assert text == "Hi there! How can I help you today?"


@pytest.mark.usefixtures("llm_cassette")
def test_openai_responses_greets():
    with OpenAI() as client:
        stream = client.responses.create(model="gpt-4o-mini", input="Hello", stream=True)
        text = "".join(e.delta for e in stream if e.type == "response.output_text.delta")
    assert text == "Hi there! How can I help you today?"
