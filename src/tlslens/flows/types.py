"""Values the flow layer hands to the TLS layer.

Directions are *sides* (0 = initiator, 1 = responder), not client/server: without a SYN
the flow layer cannot know who the TLS client is; the session decides roles from the
hellos and translates at report time, so nothing has to be relabelled mid-stream."""

from __future__ import annotations

from typing import NamedTuple


class StreamChunk(NamedTuple):
    """In-order bytes of one direction of one connection."""

    side: int  # 0: the connection's initiator (SYN sender, else first sender); 1: the other
    offset: int  # stream offset of data[0] (0 = first byte after the SYN, or first seen)
    data: bytes
    frame: int  # frame that delivered the last byte of this chunk
    ts_ns: int


class StreamGap(NamedTuple):
    """Bytes of one direction that were never captured."""

    side: int
    offset: int
    length: int
    frame: int
    ts_ns: int
