"""HTTP/1.1 chunked bodies, encoded once for the frame lists that are served again.

`llmring-replay serve` answers a recorded interaction with the same frame list every time
(`Reply.reused`), and at instant timing the whole body is due at once: encoding it chunk by
chunk in Python for every answer was as much CPU as the rest of answering it.
"""

from __future__ import annotations

import threading

__all__ = ["ChunkedBodies", "chunk", "chunked_bodies"]


def chunk(data: bytes) -> bytes:
    """One HTTP/1.1 chunk; nothing for empty data (an empty chunk would end the body)."""
    return b"%x\r\n%b\r\n" % (len(data), data) if data else b""


class ChunkedBodies:
    """The chunked encodings of frame lists, up to `limit` bytes of them (then it starts
    over). Each is kept with its list, so the list's id stays its own while it is here.
    Safe to share between the threads of several servers."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._bodies: dict[int, tuple[list[bytes], bytes]] = {}
        self._size = 0
        self._lock = threading.Lock()

    def __call__(self, frames: list[bytes]) -> bytes:
        """`frames` encoded as HTTP/1.1 chunks (no terminating chunk)."""
        found = self._bodies.get(id(frames))
        if found is not None and found[0] is frames:
            return found[1]
        body = b"".join(map(chunk, frames))
        with self._lock:
            if self._size + len(body) > self._limit:
                self._bodies.clear()
                self._size = 0
            if len(body) <= self._limit:
                self._bodies[id(frames)] = (frames, body)
                self._size += len(body)
        return body


#: The process's cache, shared by every server in it.
chunked_bodies = ChunkedBodies(32 << 20)
