"""Property tests: the decoder never raises, and its fast path equals the general path."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.pcapwriter import eth, ipv4, ipv6, tcp
from tests.unit.packets.helpers import item
from tlslens.packets.decoder import PacketDecoder
from tlslens.packets.types import TcpSegment

LINKTYPES = [0, 1, 12, 101, 108, 113, 228, 229, 276, 147]


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(LINKTYPES), st.binary(max_size=200), st.booleans())
def test_random_frames_never_raise(linktype: int, data: bytes, as_view: bool) -> None:
    dec = PacketDecoder()
    frame = memoryview(data) if as_view else data
    seg = dec.decode(item(frame, linktype))  # type: ignore[arg-type]
    assert seg is None or isinstance(seg, TcpSegment)
    assert len(dec.anomalies) <= 1


@settings(max_examples=300, deadline=None)
@given(st.sampled_from([1, 113, 276, 0, 101]), st.binary(min_size=1, max_size=120),
       st.integers(0, 200))
def test_mutated_valid_frames_never_raise(linktype: int, noise: bytes, where: int) -> None:
    frame = bytearray(eth(ipv4(ipv4(tcp(b"hello world"), proto=4), proto=4)))
    where %= len(frame)
    frame[where:where + len(noise)] = noise
    dec = PacketDecoder()
    dec.decode(item(bytes(frame), linktype))
    dec.finish()


@settings(max_examples=300, deadline=None)
@given(v6=st.booleans(), payload=st.binary(max_size=64), sport=st.integers(0, 65535),
       seq=st.integers(0, 2**32 - 1), flags=st.integers(0, 0x1FF),
       options=st.binary(max_size=40).map(lambda b: b[: len(b) // 4 * 4]),
       padding=st.integers(0, 20), as_view=st.booleans())
def test_fast_path_equals_general_path(v6: bool, payload: bytes, sport: int, seq: int,
                                       flags: int, options: bytes, padding: int,
                                       as_view: bool) -> None:
    segment = tcp(payload, sport=sport, seq=seq, flags=flags, options=options)
    if v6:
        frame = eth(ipv6(segment, src="2001:db8::5", dst="::1"), 0x86DD, padding=padding)
    else:
        frame = eth(ipv4(segment, src="10.0.0.5", dst="10.0.0.6"), padding=padding)
    it = item(memoryview(frame) if as_view else frame)  # type: ignore[arg-type]
    fast = PacketDecoder().decode(it)
    slow = PacketDecoder()._decode(it)
    assert fast is not None and fast == slow
    assert bytes(fast.payload) == payload and fast.sport == sport and fast.seq == seq
    assert fast.flags == flags
