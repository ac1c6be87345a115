"""Values the flow layer hands to the TLS layer."""

from __future__ import annotations

from typing import NamedTuple


class StreamChunk(NamedTuple):
    """In-order bytes of one direction of one connection."""

    direction: str  # "client" | "server"
    offset: int  # stream offset of data[0] (0 = first byte after the SYN, or first seen)
    data: bytes
    frame: int  # frame that delivered the last byte of this chunk
    ts_ns: int


class StreamGap(NamedTuple):
    """Bytes of one direction that were never captured."""

    direction: str
    offset: int
    length: int
    frame: int
    ts_ns: int
