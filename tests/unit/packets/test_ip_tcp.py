"""IPv4 and IPv6 headers, extension headers, lengths, and the TCP header fields."""

from __future__ import annotations

import pytest

from tests.pcapwriter import ACK, FIN, SYN, eth, ipv4, ipv6, ipv6_ext, ipv6_frag, tcp, udp
from tests.unit.packets.helpers import decode, ids, item
from tlslens.packets.decoder import PacketDecoder
from tlslens.packets.types import TcpSegment


def test_tcp_fields_are_decoded() -> None:
    frame = eth(ipv4(tcp(b"payload", sport=50000, dport=8443, seq=0xFFFFFFFE, ack=12345,
                         flags=SYN | ACK | 0x100), src="1.2.3.4", dst="5.6.7.8"))
    seg, _ = decode(frame)
    assert seg == TcpSegment(1, seg.ts_ns, "1.2.3.4", "5.6.7.8", 50000, 8443, 0xFFFFFFFE,
                             12345, SYN | ACK | 0x100, b"payload")
    assert seg.ts_ns == item(frame).ts_ns


def test_tcp_options_are_skipped() -> None:
    opts = b"\x02\x04\x05\xb4\x01\x03\x03\x07\x04\x02"  # MSS, NOP, window scale, SACK ok
    seg, _ = decode(eth(ipv4(tcp(b"data", flags=SYN, options=opts))))
    assert seg is not None and bytes(seg.payload) == b"data" and seg.flags == SYN


def test_ethernet_padding_is_not_payload() -> None:
    seg, dec = decode(eth(ipv4(tcp(b"", flags=FIN | ACK)), padding=6))
    assert seg is not None and bytes(seg.payload) == b"" and dec.anomalies == []
    seg6, _ = decode(eth(ipv6(tcp(b"ab")), 0x86DD, padding=10))
    assert seg6 is not None and bytes(seg6.payload) == b"ab"


def test_ipv4_options() -> None:
    seg, dec = decode(eth(ipv4(tcp(b"xyz"), options=b"\x94\x04\x00\x00")))  # router alert
    assert seg is not None and bytes(seg.payload) == b"xyz" and dec.anomalies == []


def test_tso_zero_total_length_uses_the_captured_length() -> None:
    seg, dec = decode(eth(ipv4(tcp(b"big"), total_length=0)))
    assert seg is not None and bytes(seg.payload) == b"big" and dec.anomalies == []


def test_total_length_beyond_capture_uses_what_is_there_once_per_frame() -> None:
    inner = ipv4(tcp(b"12345678"), total_length=2000)
    seg, dec = decode(eth(ipv4(inner, proto=4, total_length=3000)))
    assert seg is not None and bytes(seg.payload) == b"12345678"
    assert ids(dec) == ["ip.truncated"]
    seg6, dec6 = decode(eth(ipv6(tcp(b"abc"), payload_length=999), 0x86DD))
    assert seg6 is not None and bytes(seg6.payload) == b"abc" and ids(dec6) == ["ip.truncated"]


def test_snaplen_cut_is_reported_once_per_decoder() -> None:
    frame = eth(ipv4(tcp(b"x" * 100)))
    dec = PacketDecoder()
    segs = [dec.decode(item(frame[:80], index=i, orig_len=len(frame))) for i in (1, 2, 3)]
    assert all(s is not None and len(s.payload) == 80 - 54 for s in segs)
    assert ids(dec) == ["capture.snaplen_cut"] and dec.snaplen_cut_frames == 3
    assert dec.decode(item(frame[:40], index=4, orig_len=len(frame))) is None
    assert ids(dec) == ["capture.snaplen_cut"]


@pytest.mark.parametrize(("frame", "anomaly"), [
    (eth(ipv4(tcp(b"x"), version=5)), "ip.bad_header"),
    (eth(ipv4(tcp(b"x"), ihl=4)), "ip.bad_header"),
    (eth(ipv4(tcp(b"x"), total_length=12)), "ip.bad_header"),
    (eth(ipv4(tcp(b"x"), ihl=15, total_length=80)), "ip.truncated"),
    (eth(ipv4(tcp(b"x")))[:30], "ip.truncated"),
    (eth(ipv6(tcp(b"x")), 0x86DD)[:50], "ip.truncated"),
    (eth(b"\x45" + ipv6(tcp(b"x"))[1:], 0x86DD), "ip.bad_header"),
    (eth(ipv4(tcp(b"x", data_offset=4))), "tcp.bad_header"),
    (eth(ipv4(tcp(b"x", data_offset=15))), "tcp.bad_header"),
    (eth(ipv4(tcp(b"")[:12])), "tcp.bad_header"),
    (eth(ipv6(ipv6_ext(6, b"\x01\x02"), nh=0)[:-3], 0x86DD), "ip.truncated"),
])
def test_malformed_headers_are_named(frame: bytes, anomaly: str) -> None:
    seg, dec = decode(frame)
    assert seg is None
    assert ids(dec) == [anomaly]
    assert dec.anomalies[0].frame == 1


def test_non_tcp_is_skipped_without_anomaly() -> None:
    for frame in (eth(ipv4(udp(b"dns"), proto=17)), eth(ipv4(b"\x08\x00" + bytes(6), proto=1)),
                  eth(ipv6(udp(b"q"), nh=17), 0x86DD), eth(ipv4(udp(b"")[:4], proto=17))):
        seg, dec = decode(frame)
        assert seg is None and dec.anomalies == []


def test_ipv6_extension_headers() -> None:
    body = tcp(b"through")
    chain = (ipv6_ext(43, b"\x00" * 4)            # hop-by-hop -> routing
             + ipv6_ext(51, b"\x00" * 6)          # routing -> AH
             + ipv6_ext(44, b"\x00" * 14, ah=True)  # AH -> fragment
             + ipv6_frag(60, 0, False, 7)         # atomic fragment -> destination options
             + ipv6_ext(6, b"\x01\x00")           # destination options -> TCP
             + body)
    seg, dec = decode(eth(ipv6(chain, nh=0), 0x86DD))
    assert seg is not None and bytes(seg.payload) == b"through" and dec.anomalies == []


@pytest.mark.parametrize("nh", [50, 59])
def test_esp_and_no_next_header_stop_quietly(nh: int) -> None:
    seg, dec = decode(eth(ipv6(ipv6_ext(nh, b"\x00" * 6) + bytes(30), nh=60), 0x86DD))
    assert seg is None and dec.anomalies == []


@pytest.mark.parametrize(("raw", "text"), [
    ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
    ("::ffff:192.0.2.1", "::ffff:c000:201"),
    ("fe80::", "fe80::"),
    ("::1", "::1"),
])
def test_ipv6_addresses_use_the_compressed_form(raw: str, text: str) -> None:
    seg, _ = decode(eth(ipv6(tcp(b""), src=raw, dst=raw), 0x86DD))
    assert seg is not None and seg.src == text == seg.dst
