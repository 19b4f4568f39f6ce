"""What a client reads from a recorded stream, frame by frame: the text each frame carries.

A secret can hide from a byte-level scan of a body: a server that echoes a key as streamed
text sends it in pieces, one per frame (`"content":"sk-proj-Ab"`, then `"content":"Cd12..."`),
and only the decoded text holds it whole. `fragments` decodes a recorded stream through its
wire format's codec (found through the registry) and says, per frame, which piece of text
it added to each *channel*: `text` (the deltas), `reasoning`, and `tool N` (the arguments
of tool call N). `scrub` searches the joined channels and rewrites the frames.

Decoding is cached by the body's digest: a cassette is scrubbed and guarded again on every
save, and its interactions must not be decoded again each time.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict

from llmring_replay.cassette.model import Interaction
from llmring_replay.exceptions import LLMRingError

__all__ = ["Fragments", "channels", "fragments"]

#: Per frame: channel -> the text the frame added to it.
Fragments = tuple[dict[str, str], ...]

_CACHE_SIZE = 1024
_cache: OrderedDict[tuple[bytes, str, str], Fragments] = OrderedDict()


def fragments(interaction: Interaction) -> Fragments | None:
    """Each frame's text pieces, or `None` when the response is no stream a codec decodes
    (an error status, a raw or JSON body, an unknown wire format)."""
    response = interaction.response
    framing = response.framing
    if framing is None or response.status >= 400 or not response.body:
        return None
    from llmring_replay.providers.registry import format_for

    fmt = format_for(interaction.provider, interaction.request.uri)
    if fmt is None or fmt.framing != framing:
        return None
    key = (hashlib.blake2b(response.body, digest_size=16).digest(), fmt.name, framing)
    found = _cache.get(key)
    if found is None:
        found = _decode(interaction, fmt.name)
        _cache[key] = found
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    else:
        _cache.move_to_end(key)
    return found


def channels(pieces: Fragments) -> dict[str, list[str]]:
    """Channel -> its pieces, one per frame (empty where a frame added nothing to it)."""
    names = dict.fromkeys(name for frame in pieces for name in frame)
    return {name: [frame.get(name, "") for frame in pieces] for name in names}


def _decode(interaction: Interaction, format_name: str) -> Fragments:
    from llmring_replay.framing import splitter_for
    from llmring_replay.providers.base import ProviderConfig
    from llmring_replay.providers.registry import by_name

    fmt = by_name(format_name)
    codec = fmt.codec_class()(ProviderConfig(fmt.provider, None, "http://cassette.invalid"))
    decoder = codec.stream_decoder(interaction.model or "unknown")
    _, parse = splitter_for(fmt.framing)
    arguments: dict[int, str] = {}  # tool calls are cumulative: what each frame added
    found: list[dict[str, str]] = []
    for frame in interaction.response.pieces():
        added: dict[str, str] = {}
        try:
            for chunk in decoder.chunks([frame], parse):
                _add(added, "text", chunk.delta)
                _add(added, "reasoning", chunk.reasoning)
                for index, call in enumerate(chunk.tool_calls or ()):
                    now = call["function"]["arguments"]
                    before = arguments.get(index, "")
                    if now.startswith(before):
                        _add(added, f"tool {index}", now[len(before) :])
                    arguments[index] = now
        except LLMRingError:
            pass  # an in-band error or a malformed frame: what came before it is the text
        found.append(added)
    return tuple(found)


def _add(added: dict[str, str], channel: str, text: str | None) -> None:
    if text:
        added[channel] = added.get(channel, "") + text
