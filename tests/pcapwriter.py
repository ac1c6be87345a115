"""Build pcap and pcapng captures from scratch, for tests.

Written from the format descriptions (draft-ietf-opsawg-pcap, draft-ietf-opsawg-pcapng)
and the protocol RFCs, so tests never depend on a capture someone else made. Two parts:

* header builders that return ``bytes``: :func:`eth`, :func:`pppoe`, :func:`ipv4`,
  :func:`ipv4_fragments`, :func:`ipv6`, :func:`ipv6_ext`, :func:`ipv6_frag`,
  :func:`tcp`, :func:`udp`, :func:`gre`, :func:`vxlan`, :func:`sll`, :func:`sll2`,
  :func:`null`; nest them, innermost first: ``eth(ipv4(tcp(b"hi")))``;
* file writers: :func:`pcap_bytes` / :func:`write_pcap`, and :class:`Pcapng` (a block
  builder) with :func:`write_pcapng`.

Checksums are left zero: tlslens never checks them.
"""

from __future__ import annotations

import io
import ipaddress
import struct
from collections.abc import Iterable, Sequence
from os import PathLike
from typing import BinaryIO

#: A packet for the writers: its bytes, or ``(ts_ns, data)``, or ``(ts_ns, data, orig_len)``.
Packet = bytes | tuple[int, bytes] | tuple[int, bytes, int]
Dest = str | PathLike[str] | BinaryIO | None

BASE_TS_NS = 1_700_000_000_000_000_000  # 2023-11-14T22:13:20Z
ACK, PSH, SYN, FIN, RST = 0x10, 0x08, 0x02, 0x01, 0x04


# -- link layers ---------------------------------------------------------------------------
def _mac(text: str) -> bytes:
    return bytes(int(part, 16) for part in text.split(":"))


def eth(payload: bytes, ethertype: int = 0x0800, *, vlans: Sequence[tuple[int, int]] = (),
        src: str = "02:00:00:00:00:01", dst: str = "02:00:00:00:00:02",
        padding: int = 0) -> bytes:
    """An Ethernet II frame; ``vlans`` are ``(tpid, vid)`` tags, outermost first."""
    tags = b""
    types = [tpid for tpid, _ in vlans] + [ethertype]
    for i, (_tpid, vid) in enumerate(vlans):
        tags += struct.pack("!HH", vid & 0x0FFF, types[i + 1])
    first = types[0]
    return _mac(dst) + _mac(src) + struct.pack("!H", first) + tags + payload + bytes(padding)


def pppoe(payload: bytes, protocol: int = 0x0021, session: int = 1) -> bytes:
    """A PPPoE session header and PPP protocol (goes after ethertype 0x8864)."""
    body = struct.pack("!H", protocol) + payload
    return struct.pack("!BBHH", 0x11, 0x00, session, len(body)) + body


def sll(payload: bytes, protocol: int = 0x0800) -> bytes:
    """Linux cooked capture v1 (LINKTYPE_LINUX_SLL, 113): 16 bytes."""
    return struct.pack("!HHH8sH", 0, 1, 6, b"\x02\0\0\0\0\x01\0\0", protocol) + payload


def sll2(payload: bytes, protocol: int = 0x0800) -> bytes:
    """Linux cooked capture v2 (LINKTYPE_LINUX_SLL2, 276): 20 bytes."""
    return struct.pack("!HHIHBB8s", protocol, 0, 2, 1, 0, 6, b"\x02\0\0\0\0\x01\0\0") + payload


def null(payload: bytes, family: int = 2, byteorder: str = "<") -> bytes:
    """BSD loopback: the address family as 4 bytes (NULL: host order; LOOP: ``">"``)."""
    return struct.pack(byteorder + "I", family) + payload


# -- network layers ------------------------------------------------------------------------
def ipv4(payload: bytes, src: str = "192.0.2.1", dst: str = "198.51.100.2", proto: int = 6,
         *, ident: int = 1, df: bool = False, mf: bool = False, frag_offset: int = 0,
         ttl: int = 64, options: bytes = b"", total_length: int | None = None,
         version: int = 4, ihl: int | None = None) -> bytes:
    """An IPv4 packet; ``frag_offset`` in bytes (a multiple of 8)."""
    options += bytes(-len(options) % 4)
    hl = 20 + len(options)
    flags = (0x4000 if df else 0) | (0x2000 if mf else 0) | (frag_offset // 8)
    total = hl + len(payload) if total_length is None else total_length
    vhl = (version << 4) | (hl // 4 if ihl is None else ihl)
    return struct.pack("!BBHHHBBH4s4s", vhl, 0, total, ident, flags, ttl, proto, 0,
                       ipaddress.IPv4Address(src).packed,
                       ipaddress.IPv4Address(dst).packed) + options + payload


def ipv4_fragments(payload: bytes, size: int, **kw: object) -> list[bytes]:
    """``payload`` (an L4 segment) cut into IPv4 fragments of ``size`` bytes, in order."""
    assert size % 8 == 0
    out = []
    for start in range(0, len(payload), size):
        chunk = payload[start:start + size]
        out.append(ipv4(chunk, mf=start + size < len(payload), frag_offset=start,
                        **kw))  # type: ignore[arg-type]
    return out


def ipv6(payload: bytes, src: str = "2001:db8::1", dst: str = "2001:db8::2", nh: int = 6,
         *, payload_length: int | None = None, hop_limit: int = 64) -> bytes:
    """An IPv6 packet; ``payload`` includes any extension headers (see :func:`ipv6_ext`)."""
    plen = len(payload) if payload_length is None else payload_length
    return struct.pack("!IHBB16s16s", 6 << 28, plen, nh, hop_limit,
                       ipaddress.IPv6Address(src).packed,
                       ipaddress.IPv6Address(dst).packed) + payload


def ipv6_ext(nh: int, body: bytes = b"", *, ah: bool = False) -> bytes:
    """A hop-by-hop / routing / destination-options header (or AH), padded to size."""
    if ah:
        body += bytes(-(len(body) + 2) % 4)
        return bytes([nh, (len(body) + 2) // 4 - 2]) + body
    body += bytes(-(len(body) + 2) % 8)
    return bytes([nh, (len(body) + 2) // 8 - 1]) + body


def ipv6_frag(nh: int, offset: int, more: bool, ident: int) -> bytes:
    """An IPv6 fragment header; ``offset`` in bytes (a multiple of 8)."""
    return struct.pack("!BBHI", nh, 0, offset | (1 if more else 0), ident)


# -- transport and tunnels -----------------------------------------------------------------
def tcp(payload: bytes = b"", sport: int = 49152, dport: int = 443, seq: int = 1000,
        ack: int = 0, flags: int = ACK | PSH, *, options: bytes = b"", window: int = 65535,
        data_offset: int | None = None) -> bytes:
    """A TCP segment; ``data_offset`` (in 32-bit words) overrides the real header size."""
    options += bytes(-len(options) % 4)
    doff = (20 + len(options)) // 4 if data_offset is None else data_offset
    return struct.pack("!HHIIHHHH", sport, dport, seq, ack, (doff << 12) | flags, window,
                       0, 0) + options + payload


def udp(payload: bytes, sport: int = 40000, dport: int = 53, length: int | None = None
        ) -> bytes:
    return struct.pack("!HHHH", sport, dport,
                       8 + len(payload) if length is None else length, 0) + payload


def gre(payload: bytes, proto: int = 0x0800, *, key: int | None = None,
        seq: int | None = None, checksum: bool = False) -> bytes:
    """A GRE (RFC 2784/2890) header with the optional fields asked for."""
    flags = (0x8000 if checksum else 0) | (0x2000 if key is not None else 0) | (
        0x1000 if seq is not None else 0)
    out = struct.pack("!HH", flags, proto)
    if checksum:
        out += bytes(4)
    if key is not None:
        out += struct.pack("!I", key)
    if seq is not None:
        out += struct.pack("!I", seq)
    return out + payload


def vxlan(frame: bytes, vni: int = 1) -> bytes:
    """A VXLAN header and the Ethernet frame it carries (put it in ``udp(dport=4789)``)."""
    return struct.pack("!BxxxI", 0x08, vni << 8) + frame


# -- pcap ----------------------------------------------------------------------------------
def _normalise(packets: Iterable[Packet]) -> Iterable[tuple[int, bytes, int]]:
    for i, p in enumerate(packets):
        if isinstance(p, (bytes, bytearray)):
            yield BASE_TS_NS + i * 1_000_000, bytes(p), len(p)
        elif len(p) == 2:
            yield p[0], p[1], len(p[1])  # type: ignore[misc]
        else:
            yield p  # type: ignore[misc]


def pcap_bytes(packets: Iterable[Packet], linktype: int = 1, *, nanos: bool = False,
               byteorder: str = "<", snaplen: int = 262144, kuznetzov: bool = False) -> bytes:
    """A classic pcap file (``kuznetzov``: the a1b2cd34 variant with 24-byte records)."""
    magic = 0xA1B2CD34 if kuznetzov else (0xA1B23C4D if nanos else 0xA1B2C3D4)
    out = [struct.pack(byteorder + "IHHiIII", magic, 2, 4, 0, 0, snaplen, linktype)]
    rec = struct.Struct(byteorder + "IIII")
    for ts, data, orig in _normalise(packets):
        sec, ns = divmod(ts, 1_000_000_000)
        out.append(rec.pack(sec, ns if nanos else ns // 1000, len(data), orig))
        if kuznetzov:
            out.append(bytes(8))
        out.append(data)
    return b"".join(out)


def _emit(dest: Dest, data: bytes) -> bytes:
    if dest is None:
        return data
    if isinstance(dest, (str, PathLike)):
        with open(dest, "wb") as f:
            f.write(data)
    else:
        dest.write(data)
    return data


def write_pcap(dest: Dest, packets: Iterable[Packet], linktype: int = 1, *,
               nanos: bool = False, byteorder: str = "<", snaplen: int = 262144,
               kuznetzov: bool = False) -> bytes:
    """Write a pcap file to a path or binary file object (None: just return the bytes)."""
    return _emit(dest, pcap_bytes(packets, linktype, nanos=nanos, byteorder=byteorder,
                                  snaplen=snaplen, kuznetzov=kuznetzov))


# -- pcapng --------------------------------------------------------------------------------
class Pcapng:
    """Build a pcapng file block by block; sections may switch byte order.

    >>> png = Pcapng()                       # opens a little-endian section
    >>> eth0 = png.interface(linktype=1)     # returns the interface id
    >>> png.packet(frame_bytes, iface=eth0, ts_ns=...)
    >>> data = png.to_bytes()
    """

    def __init__(self, byteorder: str = "<") -> None:
        self.blocks: list[bytes] = []
        self._ifaces: list[tuple[int, int, int]] = []  # (tsresol byte, offset s, snaplen)
        self._packets = 0
        self.section(byteorder)

    def _block(self, btype: int, body: bytes) -> bytes:
        body += bytes(-len(body) % 4)
        n = len(body) + 12
        return struct.pack(self.bo + "II", btype, n) + body + struct.pack(self.bo + "I", n)

    def _options(self, opts: Sequence[tuple[int, bytes]]) -> bytes:
        if not opts:
            return b""
        out = b""
        for code, value in opts:
            out += struct.pack(self.bo + "HH", code, len(value)) + value + bytes(
                -len(value) % 4)
        return out + bytes(4)  # opt_endofopt

    def raw_block(self, btype: int, body: bytes) -> Pcapng:
        """Any block (an unknown type, a malformed body) with correct framing."""
        self.blocks.append(self._block(btype, body))
        return self

    def section(self, byteorder: str = "<", major: int = 1) -> Pcapng:
        """Start a new section (interface ids restart at 0)."""
        self.bo = byteorder
        self._ifaces = []
        body = struct.pack(byteorder + "IHHq", 0x1A2B3C4D, major, 0, -1)
        self.blocks.append(self._block(0x0A0D0D0A, body))
        return self

    def interface(self, linktype: int = 1, snaplen: int = 0, *, tsresol: int | None = None,
                  tsoffset: int | None = None) -> int:
        """An Interface Description Block; ``tsresol`` is the raw option byte."""
        opts = []
        if tsresol is not None:
            opts.append((9, bytes([tsresol])))
        if tsoffset is not None:
            opts.append((14, struct.pack(self.bo + "q", tsoffset)))
        opts.append((2, b"test0"))  # if_name: an option tlslens ignores
        body = struct.pack(self.bo + "HHI", linktype, 0, snaplen) + self._options(opts)
        self.blocks.append(self._block(1, body))
        self._ifaces.append((6 if tsresol is None else tsresol, tsoffset or 0, snaplen))
        return len(self._ifaces) - 1

    def _units(self, iface: int, ts_ns: int) -> int:
        resol, offset, _ = self._ifaces[iface] if iface < len(self._ifaces) else (6, 0, 0)
        ts_ns -= offset * 1_000_000_000
        if resol & 0x80:
            return (ts_ns << (resol & 0x7F)) // 1_000_000_000
        return ts_ns * 10 ** resol // 1_000_000_000

    def _default_ts(self) -> int:
        return BASE_TS_NS + self._packets * 1_000_000

    def packet(self, data: bytes, iface: int = 0, ts_ns: int | None = None,
               orig_len: int | None = None) -> Pcapng:
        """An Enhanced Packet Block."""
        units = self._units(iface, self._default_ts() if ts_ns is None else ts_ns)
        self._packets += 1
        body = struct.pack(self.bo + "IIIII", iface, units >> 32, units & 0xFFFFFFFF,
                           len(data), len(data) if orig_len is None else orig_len) + data
        body += bytes(-len(body) % 4) + self._options([(1, b"comment")])
        self.blocks.append(self._block(6, body))
        return self

    def simple_packet(self, data: bytes, orig_len: int | None = None) -> Pcapng:
        """A Simple Packet Block (interface 0, no timestamp)."""
        self._packets += 1
        orig = len(data) if orig_len is None else orig_len
        self.blocks.append(self._block(3, struct.pack(self.bo + "I", orig) + data))
        return self

    def legacy_packet(self, data: bytes, iface: int = 0, ts_ns: int | None = None) -> Pcapng:
        """The obsolete Packet Block (type 2)."""
        units = self._units(iface, self._default_ts() if ts_ns is None else ts_ns)
        self._packets += 1
        body = struct.pack(self.bo + "HHIIII", iface, 0, units >> 32, units & 0xFFFFFFFF,
                           len(data), len(data)) + data
        self.blocks.append(self._block(2, body))
        return self

    def secrets(self, data: bytes, secrets_type: int = 0x544C534B) -> Pcapng:
        """A Decryption Secrets Block (default type: TLS key log)."""
        body = struct.pack(self.bo + "II", secrets_type, len(data)) + data
        self.blocks.append(self._block(0x0A, body))
        return self

    def to_bytes(self) -> bytes:
        return b"".join(self.blocks)


def write_pcapng(dest: Dest, capture: Pcapng | bytes) -> bytes:
    """Write a :class:`Pcapng` (or ready bytes) to a path or binary file (None: return)."""
    data = capture.to_bytes() if isinstance(capture, Pcapng) else capture
    return _emit(dest, data)


def stream(data: bytes) -> io.BytesIO:
    """A readable binary stream over ``data`` (handy for ``open_capture``)."""
    return io.BytesIO(data)
