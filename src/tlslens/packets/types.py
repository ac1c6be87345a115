"""Values the packet layer hands to the flow layer."""

from __future__ import annotations

from typing import NamedTuple

# TCP flag bits, as in the header.
FIN = 0x01
SYN = 0x02
RST = 0x04
PSH = 0x08
ACK = 0x10


class TcpSegment(NamedTuple):
    """One TCP segment, decapsulated from whatever carried it (innermost IP)."""

    frame: int  # 1-based frame number of the packet that carried it
    ts_ns: int
    src: str  # IP address as text (IPv4 dotted, IPv6 compressed)
    dst: str
    sport: int
    dport: int
    seq: int
    ack: int
    flags: int
    payload: bytes | memoryview
