"""Link layers: find where the IP packet starts inside a captured frame.

Every function here takes ``(data, offset, end)`` and returns ``(ethertype, offset,
end)``: the protocol of what follows, as an Ethernet type (0x0800 IPv4, 0x86DD IPv6,
0x6558 a whole Ethernet frame), where it starts, and where it ends (a PPPoE length may
end it before the frame does, as Wireshark also decides). Anything else is "not IP" and the
packet is skipped quietly. A header cut short raises :class:`PacketError`, which the
decoder turns into a named anomaly: the parsers stay flat and cheap, and the error
path costs nothing until it is taken.

Facts from the tcpdump.org link-type list, IEEE 802.1Q/802.1ad, RFC 2516 (PPPoE) and
RFC 3032 (MPLS).
"""

from __future__ import annotations

ETH_IPV4 = 0x0800
ETH_IPV6 = 0x86DD
ETH_BRIDGED = 0x6558  # "transparent Ethernet bridging": an Ethernet frame follows
ETH_PPPOE_SESSION = 0x8864
ETH_MPLS = frozenset({0x8847, 0x8848})
#: 802.1Q, 802.1ad (QinQ) and the older pre-standard QinQ tag types.
ETH_VLAN = frozenset({0x8100, 0x88A8, 0x9100, 0x9200, 0x9300})
#: returned by :func:`link_payload` for link types tlslens does not decode
UNSUPPORTED = -1
NOT_IP = 0

LINKTYPE_NULL = 0
LINKTYPE_ETHERNET = 1
LINKTYPE_RAW = 101
LINKTYPE_LOOP = 108
LINKTYPE_LINUX_SLL = 113
LINKTYPE_IPV4 = 228
LINKTYPE_IPV6 = 229
LINKTYPE_LINUX_SLL2 = 276
#: DLT_RAW is 12 on most BSDs and 14 on OpenBSD; files from them may carry those values.
_RAW_TYPES = frozenset({LINKTYPE_RAW, 12, 14})
#: BSD loopback address families: AF_INET is 2 everywhere; AF_INET6 is 24 (NetBSD,
#: OpenBSD), 28 (FreeBSD) or 30 (macOS).
_AF_TO_ETHERTYPE = {2: ETH_IPV4, 24: ETH_IPV6, 28: ETH_IPV6, 30: ETH_IPV6}
#: PPP protocol numbers (RFC 1661 and IANA) for IPv4 and IPv6.
_PPP_TO_ETHERTYPE = {0x0021: ETH_IPV4, 0x0057: ETH_IPV6}


class PacketError(Exception):
    """A header does not fit: raised by the parsers here, in ``ip`` and in ``tcp``.

    ``anomaly`` is the catalogue id; the decoder adds the frame number.
    """

    def __init__(self, anomaly: str, detail: str) -> None:
        super().__init__(detail)
        self.anomaly = anomaly
        self.detail = detail


def _need(data: bytes | memoryview, off: int, n: int, end: int, what: str,
          anomaly: str = "link.truncated") -> None:
    if off + n > end:
        raise PacketError(anomaly, f"{what} needs {n} bytes, {max(end - off, 0)} captured")


def version_ethertype(data: bytes | memoryview, off: int, end: int) -> int:
    """IPv4 or IPv6 by the version nibble, for link types that carry bare IP."""
    _need(data, off, 1, end, "raw IP packet", "ip.truncated")
    version = data[off] >> 4
    if version == 4:
        return ETH_IPV4
    if version == 6:
        return ETH_IPV6
    return NOT_IP


def link_payload(linktype: int, data: bytes | memoryview) -> tuple[int, int, int]:
    """``(ethertype, offset, end)`` of the network packet in a frame of this link type."""
    end = len(data)
    if linktype == LINKTYPE_ETHERNET:
        return ethernet(data, 0, end)
    if linktype in _RAW_TYPES:
        return version_ethertype(data, 0, end), 0, end
    if linktype == LINKTYPE_IPV4:
        return ETH_IPV4, 0, end
    if linktype == LINKTYPE_IPV6:
        return ETH_IPV6, 0, end
    if linktype == LINKTYPE_LINUX_SLL:
        _need(data, 0, 16, end, "Linux cooked (SLL) header")
        return ethertype_payload((data[14] << 8) | data[15], data, 16, end)
    if linktype == LINKTYPE_LINUX_SLL2:
        _need(data, 0, 20, end, "Linux cooked (SLL2) header")
        return ethertype_payload((data[0] << 8) | data[1], data, 20, end)
    if linktype in (LINKTYPE_NULL, LINKTYPE_LOOP):
        _need(data, 0, 4, end, "loopback header")
        family = int.from_bytes(data[0:4], "big")
        if linktype == LINKTYPE_NULL and family > 0xFFFF:
            family = int.from_bytes(data[0:4], "little")  # host byte order of the capturer
        return _AF_TO_ETHERTYPE.get(family, NOT_IP), 4, end
    return UNSUPPORTED, 0, end


def ethernet(data: bytes | memoryview, off: int, end: int) -> tuple[int, int, int]:
    """An Ethernet II header (and any VLAN, PPPoE or MPLS headers after it)."""
    _need(data, off, 14, end, "Ethernet header")
    return ethertype_payload((data[off + 12] << 8) | data[off + 13], data, off + 14, end)


def ethertype_payload(ethertype: int, data: bytes | memoryview, off: int, end: int
                      ) -> tuple[int, int, int]:
    """Skip VLAN tags (any depth), a PPPoE session header and an MPLS label stack."""
    while True:
        if ethertype in ETH_VLAN:
            _need(data, off, 4, end, "VLAN tag")
            ethertype = (data[off + 2] << 8) | data[off + 3]
            off += 4
        elif ethertype == ETH_PPPOE_SESSION:
            _need(data, off, 6, end, "PPPoE header", "tunnel.truncated")
            length = (data[off + 4] << 8) | data[off + 5]
            end = min(end, off + 6 + length)  # the session length ends the PPP frame
            return ppp_payload(data, off + 6, end)
        elif ethertype in ETH_MPLS:
            while True:
                _need(data, off, 4, end, "MPLS label", "tunnel.truncated")
                bottom = data[off + 2] & 1
                off += 4
                if bottom:
                    break
            # MPLS does not say what it carries; IP is recognised by its version nibble
            # (a pseudowire control word starts with 0 and is not decoded).
            return version_ethertype(data, off, end), off, end
        else:
            return ethertype, off, end


def ppp_payload(data: bytes | memoryview, off: int, end: int) -> tuple[int, int, int]:
    """A PPP header (optional ff 03 address/control, 1- or 2-byte protocol)."""
    _need(data, off, 2, end, "PPP header", "tunnel.truncated")
    if data[off] == 0xFF and data[off + 1] == 0x03:
        off += 2
        _need(data, off, 1, end, "PPP protocol", "tunnel.truncated")
    if data[off] & 1:  # protocol field compression: a one-byte protocol number
        return _PPP_TO_ETHERTYPE.get(data[off], NOT_IP), off + 1, end
    _need(data, off, 2, end, "PPP protocol", "tunnel.truncated")
    protocol = (data[off] << 8) | data[off + 1]
    return _PPP_TO_ETHERTYPE.get(protocol, NOT_IP), off + 2, end
