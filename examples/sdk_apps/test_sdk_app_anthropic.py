"""An app's test on the anthropic SDK, unchanged: the client is built as the app builds it."""

import pytest
from anthropic import Anthropic


@pytest.mark.usefixtures("llm_cassette")  # the one line added: the cassette answers
def test_anthropic_greets():
    with Anthropic() as client:
        stream = client.messages.create(
            model="claude-3-5-haiku-20241022",
            max_tokens=256,
            messages=[{"role": "user", "content": "Hello"}],
            stream=True,
        )
        text = "".join(e.delta.text for e in stream if e.type == "content_block_delta")
    assert text == "Hi there! How can I help you today?"
