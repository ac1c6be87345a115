"""CaptureItem -> TcpSegment: peel link, IP and tunnel headers down to the innermost TCP.

:class:`PacketDecoder` is the packet layer's one entry point. Most packets of a big
capture are plain Ethernet + IPv4/IPv6 + TCP; those take a fast path of one or two
``unpack_from`` calls and no function calls. Everything else (VLAN, PPPoE, cooked and
loopback link types, IP options, fragments, extension headers, IP-in-IP, GRE, VXLAN)
goes through the general loop, which produces the same segments for the common case.

Never raises on input: a header that does not fit becomes one named anomaly with the
frame number, and the packet is skipped. Non-TCP packets are skipped quietly.
"""

from __future__ import annotations

import ipaddress
import socket
import struct

from tlslens.anomalies import Anomaly, AnomalyList
from tlslens.capture.types import CaptureItem
from tlslens.packets import ip, link
from tlslens.packets.link import ETH_BRIDGED, ETH_IPV4, ETH_IPV6, PacketError
from tlslens.packets.tcp import FLAG_MASK, tcp_segment
from tlslens.packets.types import TcpSegment

#: Tunnels nest; a crafted packet could nest them without end. Past this depth the
#: packet is skipped with ``tunnel.too_deep``.
MAX_LAYERS = 16
_ADDR_CACHE_MAX = 1 << 16

# Ethernet + IPv4 without options: ethertype, version/IHL, total length, flags/offset,
# protocol, addresses. Ethernet + IPv6: ethertype, payload length, next header, addresses.
_ETH_IPV4_TCP = struct.Struct("!12xHBxH2xHxB2x4s4sHHIIH")
_ETH_IPV6 = struct.Struct("!12xH4xHBx16s16s")
_TCP = struct.Struct("!HHIIH")
_new = tuple.__new__  # builds a NamedTuple without its Python-level __new__


class PacketDecoder:
    """Decode captured frames into TCP segments; keeps fragment state between frames.

    One decoder per capture (fragments of one file are reassembled together).
    ``anomalies`` grows as problems are found; call :meth:`finish` at the end of the
    capture to report fragments that never completed.
    """

    def __init__(self, max_fragment_datagrams: int = 1024,
                 max_fragment_bytes: int = 16 << 20) -> None:
        self.anomalies: list[Anomaly] = AnomalyList()  # bounded: one per bad packet
        #: frames cut by the capture's snapshot length (reported once, counted here)
        self.snaplen_cut_frames = 0
        self.fragments = ip.FragmentTable(self.anomalies, max_fragment_datagrams,
                                          max_fragment_bytes)
        self._names: dict[bytes, str] = {}
        self._unsupported: set[int] = set()
        self._reported_frame = -1

    # -- the hot path -------------------------------------------------------------------
    def decode(self, item: CaptureItem) -> TcpSegment | None:
        """The TCP segment inside ``item``, or None (not TCP, or malformed: see anomalies)."""
        data = item[4]
        if item[3] == 1 and len(data) >= 54:
            # One unpack reads Ethernet, an option-less IPv4 header and the TCP header;
            # the fields are only trusted once the ethertype and IHL say so.
            (et, vhl, total, frag, proto, src, dst, sport, dport, seq, ack,
             offflags) = _ETH_IPV4_TCP.unpack_from(data)
            if et == 0x0800:
                if vhl == 0x45 and proto == 6 and not frag & 0x3FFF and 40 <= total <= len(
                        data) - 14:
                    hl = (offflags >> 12) << 2
                    if 20 <= hl <= total - 20:
                        names = self._names
                        s = names.get(src) or self._name(src)
                        d = names.get(dst) or self._name(dst)
                        return _new(TcpSegment, (item[0], item[1], s, d, sport, dport, seq,
                                                 ack, offflags & FLAG_MASK,
                                                 data[34 + hl:14 + total]))
            elif et == 0x86DD and len(data) >= 74:
                _, plen, nh, src, dst = _ETH_IPV6.unpack_from(data)
                if nh == 6 and 20 <= plen <= len(data) - 54 and data[14] >> 4 == 6:
                    sport, dport, seq, ack, offflags = _TCP.unpack_from(data, 54)
                    hl = (offflags >> 12) << 2
                    if 20 <= hl <= plen:
                        names = self._names
                        s = names.get(src) or self._name(src)
                        d = names.get(dst) or self._name(dst)
                        return _new(TcpSegment, (item[0], item[1], s, d, sport, dport, seq,
                                                 ack, offflags & FLAG_MASK,
                                                 data[54 + hl:54 + plen]))
        try:
            return self._decode(item)
        except PacketError as err:
            self._report(item, err.anomaly, err.detail)
            return None

    def _name(self, raw: bytes) -> str:
        """Address text, cached: the same few addresses recur in every packet."""
        names = self._names
        if len(names) >= _ADDR_CACHE_MAX:
            names.clear()
        text = socket.inet_ntoa(raw) if len(raw) == 4 else ipaddress.IPv6Address(raw).compressed
        names[raw] = text
        return text

    # -- the general path ---------------------------------------------------------------
    def _decode(self, item: CaptureItem) -> TcpSegment | None:
        data = item.data
        frame = item.index
        et, off, end = link.link_payload(item.linktype, data)
        if et == link.UNSUPPORTED:
            if item.linktype not in self._unsupported:
                self._unsupported.add(item.linktype)
                self.anomalies.append(Anomaly(
                    "link.unsupported", f"link type {item.linktype} is not decoded; its "
                    "packets are skipped", frame=frame))
            return None
        short = False
        for _ in range(MAX_LAYERS):
            if et == ETH_BRIDGED:
                et, off, end = link.ethernet(data, off, end)
                continue
            if et == ETH_IPV4:
                proto, off, end, src, dst, frag, cut = ip.ipv4(data, off, end)
                if cut and not short:
                    short = True
                    self._report(item, "ip.truncated", "the IPv4 total length says more "
                                 "than the frame holds")
                if frag is not None:
                    ident, offset, more = frag
                    done = self.fragments.add((4, src, dst, proto, ident), offset, more,
                                              data[off:end], proto, frame)
                    if done is None:
                        return None
                    proto, data = done
                    off, end = 0, len(data)
            elif et == ETH_IPV6:
                nh, off, end, src, dst, cut = ip.ipv6(data, off, end)
                if cut and not short:
                    short = True
                    self._report(item, "ip.truncated", "the IPv6 payload length says more "
                                 "than the frame holds")
                proto, off, frag = ip.ipv6_extensions(nh, data, off, end)
                if frag is not None:
                    ident, offset, more = frag
                    done = self.fragments.add((6, src, dst, ident), offset, more,
                                              data[off:end], proto if offset == 0 else None,
                                              frame)
                    if done is None:
                        return None
                    proto, data = done
                    proto, off, frag = ip.ipv6_extensions(proto, data, 0, len(data))
                    end = len(data)
                    if frag is not None:
                        raise PacketError("ip.bad_header", "a reassembled IPv6 datagram "
                                          "holds another fragment header")
            else:
                return None
            # the IP payload
            if proto == ip.PROTO_TCP:
                names = self._names
                s = names.get(src) or self._name(src)
                d = names.get(dst) or self._name(dst)
                return tcp_segment(frame, item.ts_ns, s, d, data, off, end, short)
            if proto == ip.PROTO_IPIP:
                et = ETH_IPV4
            elif proto == ip.PROTO_IPV6:
                et = ETH_IPV6
            elif proto == ip.PROTO_GRE:
                et, off, end = ip.gre(data, off, end)
            elif proto == ip.PROTO_UDP:
                et, off, end = ip.udp_tunnel(data, off, end)
            else:
                return None
        self.anomalies.append(Anomaly(
            "tunnel.too_deep", f"more than {MAX_LAYERS} nested headers; packet skipped",
            frame=frame))
        return None

    def _report(self, item: CaptureItem, anomaly: str, detail: str) -> None:
        """Record a problem, at most one per frame (the first says what went wrong).

        A cut by the snapshot length is expected, so it is reported once per capture.
        """
        if item.index == self._reported_frame:
            return
        self._reported_frame = item.index
        if anomaly.endswith(".truncated") and len(item.data) < item.orig_len:
            self.snaplen_cut_frames += 1
            if self.snaplen_cut_frames == 1:
                self.anomalies.append(Anomaly(
                    "capture.snaplen_cut",
                    f"frame {item.index} keeps {len(item.data)} of {item.orig_len} bytes "
                    f"({detail}); later cut frames are only counted", frame=item.index))
            return
        self.anomalies.append(Anomaly(anomaly, detail, frame=item.index))

    def finish(self) -> None:
        """End of capture: report fragments that never completed."""
        self.fragments.finish()
