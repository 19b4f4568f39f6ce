"""Re-create the example cassettes in `cassettes/` from the built-in simulator.

Each provider answers the same weather question twice: a plain streamed answer, and a tool
call. The streams are recorded over loopback with `RecordingTransport`, exactly as a live
recording would be, then the simulator's loopback URL is replaced by the provider's public
base URL, so the cassettes match the requests `LLMRing` sends with its default settings.

    .venv/bin/python examples/record_examples.py
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from llmring_replay import LLMRequest, Message
from llmring_replay.cassette import Cassette
from llmring_replay.providers import codec_class
from llmring_replay.service import LLMRing
from llmring_replay.simulator import Script, SimulatorServer, ToolCallSpec
from llmring_replay.transports import RecordingTransport

FOLDER = Path(__file__).resolve().parent.parent / "cassettes"
MODELS = {
    "openai": "gpt-4o-mini",
    "anthropic": "claude-3-5-haiku-20241022",
    "google": "gemini-2.5-flash",
    "ollama": "llama3.2",
}
ANSWER = (
    "Paris is mild today: 18 degrees with light clouds in the morning, clearing by the "
    "afternoon. A light jacket is enough."
)
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}


def requests(provider: str) -> list[tuple[LLMRequest, Script]]:
    """The two exchanges each example cassette holds, with the script that answers each."""
    model = f"{provider}:{MODELS[provider]}"
    question = [Message(role="user", content="What's the weather like in Paris today?")]
    return [
        (
            LLMRequest(model=model, messages=question, temperature=0, max_tokens=200),
            Script(text=ANSWER, ttft=0.35, interval=0.03),
        ),
        (
            LLMRequest(model=model, messages=question, tools=[WEATHER_TOOL], tool_choice="auto"),
            Script(
                text="Let me check.",
                tool_calls=[ToolCallSpec(name="get_weather", arguments={"city": "Paris"})],
                ttft=0.4,
                interval=0.05,
            ),
        ),
    ]


async def record(provider: str) -> Path:
    path = FOLDER / f"{provider}_weather.yaml"
    path.unlink(missing_ok=True)
    exchanges = requests(provider)
    cassette = Cassette(path=path)
    async with SimulatorServer([script for _, script in exchanges]) as sim:
        local = sim.base_url_for(provider)
        async with LLMRing(transport=RecordingTransport(cassette, save=False)) as ring:
            ring.register_provider(provider, api_key="placeholder", base_url=local)
            for request, _ in exchanges:
                async for _ in ring.chat_stream(request):
                    pass
    public = codec_class(provider).default_base_url
    for interaction in cassette.interactions:
        interaction.request.uri = interaction.request.uri.replace(local, public)
        interaction.request.headers.pop("host", None)
        interaction.response.headers.pop("server", None)
    cassette.save()
    return path


async def main() -> None:
    FOLDER.mkdir(exist_ok=True)
    for provider in MODELS:
        print("wrote", (await record(provider)).relative_to(FOLDER.parent))


if __name__ == "__main__":
    asyncio.run(main())
