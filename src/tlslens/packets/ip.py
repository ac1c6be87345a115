"""IPv4, IPv6 (extension headers), fragment reassembly and the tunnels IP carries.

The header parsers return plain tuples and raise :class:`PacketError` when a header
does not fit; :class:`FragmentTable` is the only state, owned by one decoder. Facts
from RFC 791, RFC 8200 (extension headers, fragments), RFC 4302 (AH), RFC 2784/2890
and RFC 2637 (GRE, keys and sequence numbers, enhanced GRE for PPTP), RFC 7348 (VXLAN),
3GPP TS 29.281 (GTP-U).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from tlslens.anomalies import Anomaly
from tlslens.packets.link import (
    ETH_BRIDGED,
    NOT_IP,
    PacketError,
    ethertype_payload,
    ppp_payload,
    version_ethertype,
)

PROTO_HOPOPTS = 0
PROTO_IPIP = 4
PROTO_TCP = 6
PROTO_UDP = 17
PROTO_IPV6 = 41
PROTO_ROUTING = 43
PROTO_FRAGMENT = 44
PROTO_GRE = 47
PROTO_ESP = 50
PROTO_AH = 51
PROTO_NONE = 59
PROTO_DSTOPTS = 60
#: Extension headers shaped ``next header, length in 8-octet units - 1`` (RFC 8200, 6275,
#: 7401, 5533): hop-by-hop, routing, destination options, mobility, HIP, shim6.
_GENERIC_EXT = frozenset({PROTO_HOPOPTS, PROTO_ROUTING, PROTO_DSTOPTS, 135, 139, 140})
V6_EXT = _GENERIC_EXT | {PROTO_FRAGMENT, PROTO_AH}
VXLAN_PORT = 4789
GTPU_PORT = 2152
MAX_DATAGRAM = 65535

_IPV4 = struct.Struct("!BxHHHxB2x4s4s")
_IPV6 = struct.Struct("!4xHBx16s16s")
_U16 = struct.Struct("!H")
_FRAG6 = struct.Struct("!BxHI")


def ipv4(data: bytes | memoryview, off: int, end: int
         ) -> tuple[int, int, int, bytes, bytes, tuple[int, int, bool] | None, bool]:
    """``(proto, payload offset, payload end, src, dst, fragment, short)``.

    ``fragment`` is ``(ident, byte offset, more fragments)`` for a fragment, else None.
    ``short`` is True when the header's total length says more than was captured: the
    payload is then what is there.
    """
    if off + 20 > end:
        raise PacketError("ip.truncated", f"IPv4 header needs 20 bytes, {end - off} captured")
    vhl, total, ident, frag, proto, src, dst = _IPV4.unpack_from(data, off)
    if vhl >> 4 != 4:
        raise PacketError("ip.bad_header", f"IPv4 header with version {vhl >> 4}")
    hl = (vhl & 0x0F) * 4
    if hl < 20:
        raise PacketError("ip.bad_header", f"IPv4 header length {hl} is below 20")
    if total == 0:
        total = end - off  # TCP segmentation offload: the NIC fills the length in later
    if total < hl:
        raise PacketError("ip.bad_header", f"IPv4 total length {total} < header length {hl}")
    if off + hl > end:
        raise PacketError("ip.truncated", f"IPv4 header of {hl} bytes, {end - off} captured")
    short = off + total > end
    stop = end if short else off + total
    fragment = None
    if frag & 0x3FFF:
        fragment = (ident, (frag & 0x1FFF) * 8, bool(frag & 0x2000))
    return proto, off + hl, stop, src, dst, fragment, short


def ipv6(data: bytes | memoryview, off: int, end: int
         ) -> tuple[int, int, int, bytes, bytes, bool]:
    """``(next header, offset after the fixed header, payload end, src, dst, short)``."""
    if off + 40 > end:
        raise PacketError("ip.truncated", f"IPv6 header needs 40 bytes, {end - off} captured")
    if data[off] >> 4 != 6:
        raise PacketError("ip.bad_header", f"IPv6 header with version {data[off] >> 4}")
    plen, nh, src, dst = _IPV6.unpack_from(data, off)
    short = False
    stop = off + 40 + plen
    if plen == 0 and nh == PROTO_HOPOPTS:
        stop = end  # a jumbogram (RFC 2675): the length is in a hop-by-hop option
    elif stop > end:
        short = True
        stop = end
    return nh, off + 40, stop, src, dst, short


def ipv6_extensions(nh: int, data: bytes | memoryview, off: int, end: int
                    ) -> tuple[int, int, tuple[int, int, bool] | None]:
    """Walk extension headers: ``(upper protocol, its offset, fragment or None)``.

    Stops at the first non-extension header, or at a fragment header that is a real
    fragment (then ``proto`` is the fragment header's next header and the payload at
    ``offset`` is the fragmentable part). ESP and "no next header" end the walk with
    their own protocol number, which no caller decodes.
    """
    while nh in V6_EXT:
        if off + 8 > end:
            raise PacketError("ip.truncated", f"IPv6 extension header {nh} cut short")
        if nh == PROTO_FRAGMENT:
            nxt, offlag, ident = _FRAG6.unpack_from(data, off)
            off += 8
            if offlag & 0xFFF9:  # an offset or the M flag: a real fragment
                return nxt, off, (ident, offlag & 0xFFF8, bool(offlag & 1))
            nh = nxt  # an atomic fragment (RFC 6946): the whole packet is here
            continue
        size = (data[off + 1] + 2) * 4 if nh == PROTO_AH else (data[off + 1] + 1) * 8
        if off + size > end:
            raise PacketError("ip.truncated", f"IPv6 extension header {nh} of {size} bytes "
                              f"cut short")
        nh = data[off]
        off += size
    return nh, off, None


def gre(data: bytes | memoryview, off: int, end: int) -> tuple[int, int, int]:
    """A GRE header (versions 0 and 1): ``(ethertype, offset, end)`` of what it carries."""
    if off + 4 > end:
        raise PacketError("tunnel.truncated", "GRE header cut short")
    flags = (data[off] << 8) | data[off + 1]
    proto = (data[off + 2] << 8) | data[off + 3]
    version = flags & 7
    if version > 1:
        return NOT_IP, off, end  # no such GRE version: not a packet we can follow
    size = 4
    if flags & 0xC000:  # checksum present or routing present: checksum + offset
        size += 4
    if flags & 0x2000:  # key (version 1: payload length + call id)
        size += 4
    if flags & 0x1000:  # sequence number
        size += 4
    if version == 1 and flags & 0x0080:  # enhanced GRE acknowledgment number
        size += 4
    off += size
    if off > end:
        raise PacketError("tunnel.truncated", f"GRE header of {size} bytes cut short")
    if flags & 0x4000:  # RFC 1701 source routes: entries until a null one
        while True:
            if off + 4 > end:
                raise PacketError("tunnel.truncated", "GRE source route cut short")
            length = data[off + 3]
            family = (data[off] << 8) | data[off + 1]
            off += 4 + length
            if family == 0 and length == 0:
                break
    if proto == 0x880B:  # PPP (PPTP's enhanced GRE)
        return ppp_payload(data, off, end)
    if proto == ETH_BRIDGED:
        return ETH_BRIDGED, off, end
    return ethertype_payload(proto, data, off, end)


def udp_tunnel(data: bytes | memoryview, off: int, end: int) -> tuple[int, int, int]:
    """``(ethertype, offset, end)`` inside a UDP datagram (VXLAN, GTP-U); else ``NOT_IP``."""
    if off + 8 > end:
        return NOT_IP, off, end  # a cut UDP header is not our business: not TCP anyway
    dport = (data[off + 2] << 8) | data[off + 3]
    if dport != VXLAN_PORT and dport != GTPU_PORT:
        return NOT_IP, off, end
    length = (data[off + 4] << 8) | data[off + 5]
    if length >= 8 and off + length < end:
        end = off + length
    if dport == GTPU_PORT:
        return _gtpu(data, off + 8, end)
    if off + 16 > end:
        raise PacketError("tunnel.truncated", "VXLAN header cut short")
    return ETH_BRIDGED, off + 16, end


def _gtpu(data: bytes | memoryview, off: int, end: int) -> tuple[int, int, int]:
    """A GTP-U (3GPP TS 29.281) T-PDU carries a user's IP packet; other messages do not."""
    if off + 8 > end:
        raise PacketError("tunnel.truncated", "GTP-U header cut short")
    flags = data[off]
    if flags >> 4 != 0x3 or data[off + 1] != 0xFF:  # version 1, protocol GTP; T-PDU
        return NOT_IP, off, end
    off += 8
    if flags & 0x07:  # sequence number, N-PDU number, next extension type: 4 bytes
        if off + 4 > end:
            raise PacketError("tunnel.truncated", "GTP-U optional fields cut short")
        next_ext = data[off + 3]
        off += 4
        while next_ext:
            if off + 1 > end or data[off] == 0 or off + data[off] * 4 > end:
                raise PacketError("tunnel.truncated", "GTP-U extension header cut short")
            off += data[off] * 4
            next_ext = data[off - 1]
    return version_ethertype(data, off, end), off, end


@dataclass(slots=True)
class _Datagram:
    """Fragments received so far for one (src, dst, proto, id)."""

    frame: int  # the first fragment's frame
    pieces: list[tuple[int, int, bytes]] = field(default_factory=list)
    total: int | None = None  # known once the last fragment arrived
    proto: int | None = None  # IPv6: known from the offset-0 fragment
    size: int = 0
    overlap_seen: bool = False


class FragmentTable:
    """IPv4 and IPv6 fragment reassembly with explicit limits.

    Fragments may arrive in any order; the datagram is handed back by the :meth:`add`
    call that completes it. Where fragments overlap the first copy wins (as in the
    TCP layer) and differing bytes are an ``ip.fragment_overlap`` anomaly. Past the
    limits the oldest pending datagram is dropped (``ip.too_many_fragments``, reported
    the first time; :attr:`dropped` counts them all).
    """

    def __init__(self, anomalies: list[Anomaly], max_datagrams: int = 1024,
                 max_bytes: int = 16 << 20, max_pieces: int = 1024) -> None:
        self.anomalies = anomalies
        self.max_datagrams = max_datagrams
        self.max_bytes = max_bytes
        self.max_pieces = max_pieces
        self.buffered = 0
        self.dropped = 0
        self._pending: dict[tuple[object, ...], _Datagram] = {}

    def __len__(self) -> int:
        return len(self._pending)

    def add(self, key: tuple[object, ...], offset: int, more: bool,
            payload: bytes | memoryview,
            proto: int | None, frame: int) -> tuple[int, bytes] | None:
        """Store one fragment; ``(proto, whole payload)`` if it completes its datagram."""
        stop = offset + len(payload)
        if stop > MAX_DATAGRAM:
            raise PacketError("ip.bad_header",
                              f"fragment ends at byte {stop}, beyond {MAX_DATAGRAM}")
        dg = self._pending.get(key)
        if dg is None:
            if len(self._pending) >= self.max_datagrams:
                self._drop_oldest(frame, f"more than {self.max_datagrams} datagrams pending")
            dg = self._pending[key] = _Datagram(frame)
        piece = bytes(payload)
        if not dg.overlap_seen:
            for s, e, old in dg.pieces:
                lo, hi = max(s, offset), min(e, stop)
                if lo < hi and piece[lo - offset:hi - offset] != old[lo - s:hi - s]:
                    dg.overlap_seen = True
                    self.anomalies.append(Anomaly(
                        "ip.fragment_overlap",
                        f"fragment bytes {lo}-{hi} differ from an earlier copy "
                        "(the first copy is kept)", frame=frame))
                    break
        dg.pieces.append((offset, stop, piece))
        dg.size += len(piece)
        self.buffered += len(piece)
        if not more and dg.total is None:
            dg.total = stop
        if proto is not None and dg.proto is None:
            dg.proto = proto
        if len(dg.pieces) > self.max_pieces:
            self._drop(key, frame, f"more than {self.max_pieces} fragments in one datagram")
            return None
        while self.buffered > self.max_bytes and self._pending:
            self._drop_oldest(frame, f"more than {self.max_bytes} bytes of fragments buffered")
        if key not in self._pending or dg.total is None or dg.proto is None:
            return None
        return self._complete(key, dg)

    def _complete(self, key: tuple[object, ...], dg: _Datagram) -> tuple[int, bytes] | None:
        total = dg.total
        assert total is not None and dg.proto is not None
        reach = 0
        for s, e, _ in sorted(dg.pieces):
            if s > reach:
                return None
            reach = max(reach, e)
        if reach < total:
            return None
        whole = bytearray(total)
        for s, e, piece in reversed(dg.pieces):  # earliest last: the first copy wins
            if s < total:
                whole[s:min(e, total)] = piece[:total - s]
        del self._pending[key]
        self.buffered -= dg.size
        return dg.proto, bytes(whole)

    def _drop_oldest(self, frame: int, why: str) -> None:
        self._drop(next(iter(self._pending)), frame, why)

    def _drop(self, key: tuple[object, ...], frame: int, why: str) -> None:
        dg = self._pending.pop(key)
        self.buffered -= dg.size
        self.dropped += 1
        if self.dropped == 1:
            self.anomalies.append(Anomaly(
                "ip.too_many_fragments",
                f"{why}: dropped the datagram first seen in frame {dg.frame} "
                "(later drops are only counted)", frame=frame))

    def finish(self) -> None:
        """Report datagrams whose fragments never all arrived, and forget them."""
        for dg in self._pending.values():
            self.anomalies.append(Anomaly(
                "ip.fragment_incomplete",
                f"{len(dg.pieces)} fragment(s) of a datagram never completed", frame=dg.frame))
        if self.dropped > 1:
            self.anomalies.append(Anomaly(
                "ip.too_many_fragments",
                f"{self.dropped} datagrams were dropped in all by the reassembly limits"))
        self._pending.clear()
        self.buffered = 0
