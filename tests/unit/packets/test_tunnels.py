"""Tunnels: IP-in-IP, GRE, VXLAN, GTP-U; the segment carries the innermost addresses."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from tests.pcapwriter import eth, gre, ipv4, ipv6, tcp, udp, vxlan
from tests.unit.packets.helpers import decode, ids
from tlslens.capture.reader import open_capture
from tlslens.capture.types import CaptureItem
from tlslens.packets.decoder import PacketDecoder

INNER4 = ipv4(tcp(b"inner", sport=1234, dport=443), src="172.16.0.1", dst="172.16.0.2")
INNER6 = ipv6(tcp(b"inner", sport=1234, dport=443), src="2001:db8:1::1", dst="2001:db8:2::2")
CORPUS = Path(__file__).resolve().parents[4] / "shared" / "corpus" / "pcaps"


def inner_ok(frame: bytes, src: str = "172.16.0.1", linktype: int = 1) -> None:
    seg, dec = decode(frame, linktype)
    assert seg is not None, ids(dec)
    assert seg.src == src and bytes(seg.payload) == b"inner" and seg.dport == 443
    assert dec.anomalies == []


def test_ip_in_ip_and_6in4_and_4in6() -> None:
    inner_ok(eth(ipv4(INNER4, proto=4)))
    inner_ok(eth(ipv4(INNER6, proto=41)), "2001:db8:1::1")
    inner_ok(eth(ipv6(INNER4, nh=4), 0x86DD))
    inner_ok(eth(ipv6(INNER6, nh=41), 0x86DD), "2001:db8:1::1")


@pytest.mark.parametrize("opts", [{}, {"key": 7}, {"seq": 9}, {"checksum": True},
                                  {"key": 1, "seq": 2, "checksum": True}])
def test_gre_with_optional_fields(opts: dict[str, object]) -> None:
    inner_ok(eth(ipv4(gre(INNER4, 0x0800, **opts), proto=47)))  # type: ignore[arg-type]
    inner_ok(eth(ipv4(gre(INNER6, 0x86DD, **opts), proto=47)),  # type: ignore[arg-type]
             "2001:db8:1::1")


def test_gre_transparent_ethernet_bridging() -> None:
    inner_ok(eth(ipv6(gre(eth(INNER4, vlans=[(0x8100, 3)]), 0x6558, key=5), nh=47), 0x86DD))


def test_pptp_enhanced_gre_with_ppp() -> None:
    header = struct.pack("!HHHHII", 0x3081, 0x880B, len(INNER4) + 4, 1, 10, 9)  # K S A, v1
    inner_ok(eth(ipv4(header + b"\xff\x03\x00\x21" + INNER4, proto=47)))


def test_vxlan() -> None:
    inner_ok(eth(ipv4(udp(vxlan(eth(INNER4)), sport=5000, dport=4789), proto=17)))
    inner_ok(eth(ipv6(udp(vxlan(eth(INNER6, 0x86DD)), dport=4789), nh=17), 0x86DD),
             "2001:db8:1::1")


def test_gtpu_with_and_without_optional_fields() -> None:
    plain = struct.pack("!BBHI", 0x30, 0xFF, len(INNER4), 0x1234)
    inner_ok(eth(ipv4(udp(plain + INNER4, sport=2152, dport=2152), proto=17)))
    ext = struct.pack("!HBB", 1, 0, 0x85) + bytes([1, 0x10, 0x00, 0x00])  # PDU session ext
    withext = struct.pack("!BBHI", 0x34, 0xFF, len(INNER6) + 8, 1) + ext
    inner_ok(eth(ipv4(udp(withext + INNER6, dport=2152), proto=17)), "2001:db8:1::1")
    echo = struct.pack("!BBHI", 0x32, 0x01, 4, 0) + bytes(4)  # echo request: not user data
    seg, dec = decode(eth(ipv4(udp(echo, dport=2152), proto=17)))
    assert seg is None and dec.anomalies == []


def test_vxlan_in_gre_in_ipip() -> None:
    frame = eth(ipv4(ipv4(gre(ipv4(udp(vxlan(eth(INNER4)), dport=4789), proto=17)),
                          proto=47), proto=4))
    inner_ok(frame)


def test_endless_nesting_is_cut() -> None:
    packet = INNER4
    for _ in range(20):
        packet = ipv4(packet, proto=4)
    seg, dec = decode(eth(packet))
    assert seg is None and ids(dec) == ["tunnel.too_deep"]


@pytest.mark.parametrize("frame", [
    eth(ipv4(gre(INNER4, key=1)[:6], proto=47)),
    eth(ipv4(gre(INNER4)[:2], proto=47)),
    eth(ipv4(udp(vxlan(eth(INNER4))[:5], dport=4789), proto=17)),
    eth(ipv4(udp(struct.pack("!BBHI", 0x34, 0xFF, 0, 1), dport=2152), proto=17)),
])
def test_truncated_tunnel_headers(frame: bytes) -> None:
    seg, dec = decode(frame)
    assert seg is None and ids(dec) == ["tunnel.truncated"]


def test_corpus_pppoe_over_qinq_yields_segments() -> None:
    path = CORPUS / "zeek__pppoe-over-qinq.pcap"
    if not path.exists():
        pytest.skip("corpus not present")
    dec = PacketDecoder()
    segs = [dec.decode(i) for i in open_capture(path) if isinstance(i, CaptureItem)]
    good = [s for s in segs if s is not None]
    assert len(good) == len(segs) == 86
    assert any(s.dport == 443 or s.sport == 443 for s in good)
    # six frames pad the IP packet beyond the PPPoE session length (tshark: "incorrect")
    assert [a.id for a in dec.anomalies] == ["ip.truncated"] * 6
