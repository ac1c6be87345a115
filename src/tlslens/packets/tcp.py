"""The TCP header (RFC 9293): ports, sequence numbers, flags, and where the data starts.

Checksums are never checked: captures taken on the sending host (and all loopback
captures) carry checksums the NIC would have filled in later.
"""

from __future__ import annotations

import struct

from tlslens.packets.link import PacketError
from tlslens.packets.types import TcpSegment

_TCP = struct.Struct("!HHIIH")
#: the flag bits kept in ``TcpSegment.flags``: FIN..CWR plus the AE (ex-NS) bit
FLAG_MASK = 0x1FF


def tcp_segment(frame: int, ts_ns: int, src: str, dst: str, data: bytes | memoryview,
                off: int, end: int, short: bool) -> TcpSegment | None:
    """The segment in ``data[off:end]``; the payload is cut at ``end`` (the IP length).

    ``short`` says the IP layer already reported that the capture holds less than the
    packet: a header cut by that is skipped without a second anomaly.
    """
    length = end - off
    if length < 20:
        if short:
            return None
        raise PacketError("tcp.bad_header", f"TCP segment of {length} bytes has no room "
                          "for a 20-byte header")
    sport, dport, seq, ack, offflags = _TCP.unpack_from(data, off)
    hl = (offflags >> 12) * 4
    if hl < 20:
        raise PacketError("tcp.bad_header", f"TCP data offset {hl} is below 20")
    if hl > length:
        if short:
            return None
        raise PacketError("tcp.bad_header", f"TCP header of {hl} bytes in a "
                          f"{length}-byte segment")
    return TcpSegment(frame, ts_ns, src, dst, sport, dport, seq, ack, offflags & FLAG_MASK,
                      data[off + hl:end])
