"""Link types, VLAN/QinQ tags, PPPoE and MPLS down to the TCP segment."""

from __future__ import annotations

import struct

import pytest

from tests.pcapwriter import eth, ipv4, ipv6, null, pppoe, sll, sll2, tcp
from tests.unit.packets.helpers import decode, ids, item

SEG4 = ipv4(tcp(b"hello", sport=1111, dport=443), src="10.1.2.3", dst="10.9.8.7")
SEG6 = ipv6(tcp(b"hello", sport=1111, dport=443), src="2001:db8::1", dst="fe80::a:0:0:1")


def check4(frame: bytes, linktype: int = 1) -> None:
    seg, dec = decode(frame, linktype)
    assert seg is not None, ids(dec)
    assert (seg.src, seg.dst, seg.sport, seg.dport, bytes(seg.payload)) == (
        "10.1.2.3", "10.9.8.7", 1111, 443, b"hello")
    assert dec.anomalies == []


def check6(frame: bytes, linktype: int = 1) -> None:
    seg, dec = decode(frame, linktype)
    assert seg is not None, ids(dec)
    assert (seg.src, seg.dst, bytes(seg.payload)) == ("2001:db8::1", "fe80::a:0:0:1", b"hello")
    assert dec.anomalies == []


def test_ethernet() -> None:
    check4(eth(SEG4))
    check6(eth(SEG6, 0x86DD))


@pytest.mark.parametrize("linktype", [101, 12, 14])
def test_raw_ip_by_version_nibble(linktype: int) -> None:
    check4(SEG4, linktype)
    check6(SEG6, linktype)


def test_linktype_ipv4_and_ipv6() -> None:
    check4(SEG4, 228)
    check6(SEG6, 229)


def test_linux_cooked_v1_and_v2() -> None:
    check4(sll(SEG4), 113)
    check6(sll(SEG6, 0x86DD), 113)
    check4(sll2(SEG4), 276)
    check6(sll2(SEG6, 0x86DD), 276)


@pytest.mark.parametrize("byteorder", ["<", ">"])
@pytest.mark.parametrize("family6", [24, 28, 30])
def test_bsd_null_loopback_in_either_host_order(byteorder: str, family6: int) -> None:
    check4(null(SEG4, 2, byteorder), 0)
    check6(null(SEG6, family6, byteorder), 0)


def test_openbsd_loop_is_network_order() -> None:
    check4(null(SEG4, 2, ">"), 108)
    check6(null(SEG6, 24, ">"), 108)


def test_null_with_other_family_is_skipped_quietly() -> None:
    seg, dec = decode(null(b"\x00" * 40, 7), 0)
    assert seg is None and dec.anomalies == []


@pytest.mark.parametrize("tpids", [[0x8100], [0x88A8, 0x8100], [0x9100, 0x8100],
                                   [0x88A8, 0x88A8, 0x8100]])
def test_vlan_and_qinq_any_depth(tpids: list[int]) -> None:
    vlans = [(t, 100 + i) for i, t in enumerate(tpids)]
    check4(eth(SEG4, vlans=vlans))
    check6(eth(SEG6, 0x86DD, vlans=vlans))


def test_pppoe_session_ipv4_and_ipv6_and_over_qinq() -> None:
    check4(eth(pppoe(SEG4, 0x0021), 0x8864))
    check6(eth(pppoe(SEG6, 0x0057), 0x8864))
    check4(eth(pppoe(SEG4), 0x8864, vlans=[(0x88A8, 1), (0x8100, 2)]))


def test_pppoe_length_bounds_the_ip_packet() -> None:
    seg, dec = decode(eth(pppoe(SEG4) + bytes(6), 0x8864))  # trailing bytes: not payload
    assert seg is not None and bytes(seg.payload) == b"hello" and dec.anomalies == []
    short = bytearray(eth(pppoe(SEG4), 0x8864))
    short[18:20] = (len(SEG4) + 2 - 3).to_bytes(2, "big")  # the session ends 3 bytes early
    seg, dec = decode(bytes(short))
    assert seg is not None and bytes(seg.payload) == b"he"
    assert ids(dec) == ["ip.truncated"]


def test_pppoe_with_other_ppp_protocol_is_skipped() -> None:
    seg, dec = decode(eth(pppoe(b"\xc0\x21" + bytes(20), 0xC021), 0x8864))  # LCP
    assert seg is None and dec.anomalies == []


def test_mpls_label_stack() -> None:
    labels = struct.pack("!I", (16 << 12)) + struct.pack("!I", (17 << 12) | 0x100 | 64)
    check4(eth(labels + SEG4, 0x8847))


def test_non_ip_ethertype_is_skipped_quietly() -> None:
    seg, dec = decode(eth(bytes(28), 0x0806))  # ARP
    assert seg is None and dec.anomalies == []


def test_unsupported_link_type_reported_once() -> None:
    seg, dec = decode(SEG4, 147)
    assert seg is None
    for i in range(3):
        dec.decode(item(SEG4, 147, index=i + 2))
    assert ids(dec) == ["link.unsupported"]
    assert dec.anomalies[0].frame == 1


@pytest.mark.parametrize(("frame", "linktype", "anomaly"), [
    (eth(SEG4)[:10], 1, "link.truncated"),
    (sll(SEG4)[:12], 113, "link.truncated"),
    (sll2(SEG4)[:19], 276, "link.truncated"),
    (b"\x02\x00", 0, "link.truncated"),
    (eth(SEG4, vlans=[(0x8100, 5)])[:16], 1, "link.truncated"),
    (eth(pppoe(SEG4), 0x8864)[:18], 1, "tunnel.truncated"),
    (b"", 101, "ip.truncated"),
])
def test_truncated_link_headers(frame: bytes, linktype: int, anomaly: str) -> None:
    seg, dec = decode(frame, linktype)
    assert seg is None
    assert ids(dec) == [anomaly]
    assert dec.anomalies[0].frame == 1


def test_truncation_at_every_byte_never_raises() -> None:
    frames = [
        (eth(pppoe(SEG6, 0x0057), 0x8864, vlans=[(0x88A8, 1), (0x8100, 2)]), 1),
        (sll2(SEG4), 276), (null(SEG6, 30), 0),
    ]
    for frame, linktype in frames:
        for n in range(len(frame)):
            seg, dec = decode(frame[:n], linktype)
            assert seg is None or len(seg.payload) < 5
            assert len(dec.anomalies) <= 1
        for n in range(len(frame)):  # cut by a snapshot length: one info anomaly at most
            seg, dec = decode(frame[:n], linktype, orig_len=len(frame))
            assert ids(dec) in ([], ["capture.snaplen_cut"])
