"""IPv4 and IPv6 fragment reassembly: order, overlap, limits, incomplete datagrams."""

from __future__ import annotations

import itertools

from tests.pcapwriter import eth, ipv4, ipv4_fragments, ipv6, ipv6_ext, ipv6_frag, tcp, udp
from tests.unit.packets.helpers import ids, item
from tlslens.packets.decoder import PacketDecoder

SEGMENT = tcp(bytes(range(256)) * 4, sport=4433, dport=55555, seq=77)  # 1044 bytes
PAYLOAD = bytes(range(256)) * 4


def feed(frames: list[bytes], dec: PacketDecoder | None = None, linktype: int = 1
         ) -> tuple[list[object], PacketDecoder]:
    dec = dec or PacketDecoder()
    return [dec.decode(item(f, linktype, index=i + 1)) for i, f in enumerate(frames)], dec


def test_in_order_fragments_deliver_on_the_last_one() -> None:
    frames = [eth(f) for f in ipv4_fragments(SEGMENT, 400, ident=9)]
    assert len(frames) == 3
    out, dec = feed(frames)
    assert out[:2] == [None, None]
    seg = out[2]
    assert seg is not None and seg.frame == 3 and seg.seq == 77  # type: ignore[attr-defined]
    assert bytes(seg.payload) == PAYLOAD  # type: ignore[attr-defined]
    assert dec.anomalies == [] and len(dec.fragments) == 0 and dec.fragments.buffered == 0


def test_every_arrival_order_reassembles_the_same() -> None:
    frags = [eth(f) for f in ipv4_fragments(SEGMENT, 264, ident=3)]
    for order in itertools.permutations(range(len(frags))):
        out, dec = feed([frags[i] for i in order])
        assert out[:-1] == [None] * (len(frags) - 1)
        assert bytes(out[-1].payload) == PAYLOAD  # type: ignore[union-attr]
        assert dec.anomalies == []


def test_identical_duplicate_fragment_is_fine() -> None:
    a, b, c = (eth(f) for f in ipv4_fragments(SEGMENT, 400, ident=4))
    out, dec = feed([a, a, c, b])
    assert bytes(out[-1].payload) == PAYLOAD and dec.anomalies == []  # type: ignore[union-attr]


def test_overlap_with_different_bytes_keeps_the_first_copy() -> None:
    a, b, c = ipv4_fragments(SEGMENT, 400, ident=5)
    forged = ipv4(b"\xee" * 16, mf=True, frag_offset=400, ident=5)  # overlaps b
    out, dec = feed([eth(a), eth(b), eth(forged), eth(c)])
    assert bytes(out[-1].payload) == PAYLOAD  # type: ignore[union-attr]
    assert ids(dec) == ["ip.fragment_overlap"] and dec.anomalies[0].frame == 3


def test_fragments_of_different_datagrams_do_not_mix() -> None:
    one = ipv4_fragments(SEGMENT, 400, ident=1)
    two = ipv4_fragments(tcp(b"second" * 100), 200, ident=2)
    frames = [eth(f) for f in itertools.chain(*itertools.zip_longest(one, two)) if f]
    out, dec = feed(frames)
    segs = [s for s in out if s is not None]
    assert sorted(len(s.payload) for s in segs) == [600, 1024]  # type: ignore[attr-defined]
    assert dec.anomalies == []


def test_fragmented_udp_and_first_fragment_alone_are_quiet() -> None:
    frames = [eth(f) for f in ipv4_fragments(udp(b"q" * 500), 256, proto=17, ident=8)]
    out, dec = feed(frames)
    assert out == [None, None] and dec.anomalies == []
    out, dec = feed([eth(ipv4_fragments(SEGMENT, 400, ident=6)[0])])
    dec.finish()
    assert ids(dec) == ["ip.fragment_incomplete"] and dec.anomalies[0].frame == 1


def test_limits_drop_the_oldest_datagram() -> None:
    dec = PacketDecoder(max_fragment_datagrams=4)
    firsts = [eth(ipv4_fragments(SEGMENT, 400, ident=i)[0]) for i in range(10)]
    feed(firsts, dec)
    assert len(dec.fragments) == 4
    assert ids(dec) == ["ip.too_many_fragments"] and dec.fragments.dropped == 6
    dec.finish()
    assert ids(dec).count("ip.fragment_incomplete") == 4
    assert ids(dec)[-1] == "ip.too_many_fragments"  # the summary of all drops


def test_byte_limit() -> None:
    dec = PacketDecoder(max_fragment_bytes=1000)
    frags = ipv4_fragments(SEGMENT, 400, ident=1)
    out, _ = feed([eth(frags[0]), eth(frags[1]), eth(frags[2])], dec)
    assert out[-1] is None  # the first 800 bytes were dropped when the last 244 came
    assert ids(dec) == ["ip.too_many_fragments"]
    assert dec.fragments.buffered <= 1000


def test_fragment_beyond_64k_is_malformed() -> None:
    out, dec = feed([eth(ipv4(b"x" * 400, mf=True, frag_offset=65400, ident=1))])
    assert out == [None] and ids(dec) == ["ip.bad_header"]


def ipv6_fragments(segment: bytes, size: int, ident: int, dest_opts: bool = False
                   ) -> list[bytes]:
    """IPv6 fragments; with ``dest_opts`` the fragmentable part starts with a dest-opts
    header (so the fragment header says 60 and the upper layer is found after reassembly)."""
    part = (ipv6_ext(6, b"\x01\x00") + segment) if dest_opts else segment
    nh = 60 if dest_opts else 6
    out = []
    for start in range(0, len(part), size):
        more = start + size < len(part)
        out.append(eth(ipv6(ipv6_ext(44, b"\x00" * 6) + ipv6_frag(nh, start, more, ident)
                            + part[start:start + size], nh=0), 0x86DD))
    return out


def test_ipv6_fragments_out_of_order_with_extension_headers() -> None:
    frames = ipv6_fragments(SEGMENT, 512, ident=0xDEAD, dest_opts=True)
    out, dec = feed([frames[2], frames[0], frames[1]])
    seg = out[-1]
    assert seg is not None and bytes(seg.payload) == PAYLOAD  # type: ignore[attr-defined]
    assert seg.src == "2001:db8::1" and seg.frame == 3  # type: ignore[attr-defined]
    assert dec.anomalies == []


def test_ipv6_fragment_overlap() -> None:
    frames = ipv6_fragments(SEGMENT, 512, ident=1)
    forged = eth(ipv6(ipv6_frag(6, 512, True, 1) + b"\xff" * 64, nh=44), 0x86DD)
    out, dec = feed([frames[0], frames[1], forged, frames[2]])  # the first copy wins
    assert bytes(out[-1].payload) == PAYLOAD  # type: ignore[union-attr]
    assert ids(dec) == ["ip.fragment_overlap"]
